// rapport backup: a consistent copy of the running server's store, written
// by the server (a RocksDB checkpoint) while ingest goes on.
#include <filesystem>
#include <iostream>

#include "absl/strings/str_format.h"
#include "grpcpp/client_context.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "server/cli/args.h"
#include "server/cli/commands.h"
#include "server/cli/output.h"

namespace rapport::cli {

int RunBackup(const std::vector<std::string>& argv) {
  Args args;
  if (absl::Status s = args.Parse(argv, {"out"}, {}); !s.ok() || !args.Has("out") || !args.positionals().empty()) {
    std::cerr << "usage: rapport backup --out DIR   (DIR, on the server's machine, must not exist yet)\n";
    return 2;
  }
  // The server writes the directory, so a relative name is made absolute
  // here, as the person typing it means it: from their working directory.
  std::error_code ec;
  const std::filesystem::path out = std::filesystem::absolute(args.Get("out"), ec);
  if (ec) {
    std::cerr << "rapport backup: " << args.Get("out") << ": " << ec.message() << "\n";
    return 2;
  }
  v1::CreateBackupRequest request;
  request.set_dir(out.lexically_normal().string());
  v1::CreateBackupResponse backup;
  grpc::ClientContext context;
  grpc::Status status = v1::AdminService::NewStub(Connect(args.server()))->CreateBackup(&context, request, &backup);
  if (!status.ok()) return ReportRpcError(status, args.server());
  if (args.json()) {
    std::cout << ToJson(backup) << "\n";
    return 0;
  }
  const double took_s = static_cast<double>(backup.took().seconds()) + backup.took().nanos() / 1e9;
  std::cout << absl::StrFormat("backup in %s: commit %d, %d files, %d bytes, took %.2f s\n", backup.dir(),
                               backup.sequence(), backup.files(), backup.bytes(), took_s);
  std::cout << "restore: stop rapportd, copy the directory to the data directory, start it "
               "(docs/operations.md, Backup and restore)\n";
  return 0;
}

}  // namespace rapport::cli
