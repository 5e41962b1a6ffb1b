// rapport health: asks rapportd's standard gRPC health service whether it
// serves, or with --http HOST:PORT its GET /readyz (the same readiness, for
// probes of the HTTP port, e.g. a container's HEALTHCHECK, without curl).
// Exit 0 when SERVING / 200, so scripts can wait for a server with it.
#include <chrono>
#include <iostream>
#include <thread>

#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "server/cli/args.h"
#include "server/cli/commands.h"
#include "server/cli/output.h"

namespace rapport::cli {

namespace {

int AskReadyz(const std::string& host_port, std::chrono::steady_clock::time_point deadline) {
  const size_t colon = host_port.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(host_port.substr(colon + 1), &port) || port <= 0) {
    std::cerr << "rapport health: --http takes HOST:PORT, e.g. 127.0.0.1:8080\n";
    return 2;
  }
  std::string answer;
  for (;;) {
    httplib::Client client(host_port.substr(0, colon), port);
    client.set_connection_timeout(std::chrono::milliseconds(500));
    client.set_read_timeout(std::chrono::seconds(2));
    if (auto res = client.Get("/readyz")) {
      if (res->status == 200) {
        std::cout << "READY http://" << host_port << "/readyz\n";
        return 0;
      }
      answer = absl::StrCat("HTTP ", res->status, " ", res->body);
    } else {
      answer = absl::StrCat("no answer (", httplib::to_string(res.error()), ")");
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::cout << "NOT READY http://" << host_port << "/readyz: " << answer << "\n";
  return 1;
}

}  // namespace

int RunHealth(const std::vector<std::string>& argv) {
  Args args;
  if (absl::Status s = args.Parse(argv, {"wait", "http"}, {}); !s.ok()) {
    std::cerr << "usage: rapport health [--wait SECONDS] [--http HOST:PORT]\n";
    return 2;
  }
  int wait_seconds = 0;
  if (args.Has("wait") && (!absl::SimpleAtoi(args.Get("wait"), &wait_seconds) || wait_seconds < 0)) {
    std::cerr << "rapport health: --wait takes a number of seconds\n";
    return 2;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_seconds);
  if (args.Has("http")) return AskReadyz(args.Get("http"), deadline);
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
