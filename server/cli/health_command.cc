// rapport health: asks rapportd's standard gRPC health service whether it
// serves. Exit 0 when SERVING, so scripts can wait for a server with it.
#include <chrono>
#include <iostream>
#include <thread>

#include "absl/strings/numbers.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "server/cli/args.h"
#include "server/cli/commands.h"
#include "server/cli/output.h"

namespace rapport::cli {

int RunHealth(const std::vector<std::string>& argv) {
  Args args;
  if (absl::Status s = args.Parse(argv, {"wait"}, {}); !s.ok()) {
    std::cerr << "usage: rapport health [--wait SECONDS]\n";
    return 2;
  }
  int wait_seconds = 0;
  if (args.Has("wait") && (!absl::SimpleAtoi(args.Get("wait"), &wait_seconds) || wait_seconds < 0)) {
    std::cerr << "rapport health: --wait takes a number of seconds\n";
    return 2;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_seconds);
  grpc::Status status;
  for (;;) {
    // A fresh channel per try, so a server that just started is seen at once.
    auto stub = grpc::health::v1::Health::NewStub(Connect(args.server()));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    status = stub->Check(&context, request, &response);
    if (status.ok() && response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
      std::cout << "SERVING " << args.server() << "\n";
      return 0;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!status.ok()) return ReportRpcError(status, args.server());
  std::cout << "NOT_SERVING " << args.server() << "\n";
  return 1;
}

}  // namespace rapport::cli
