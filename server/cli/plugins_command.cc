// rapport plugins: the adapters a server offers, and the modules it refused.
#include <iostream>

#include "grpcpp/client_context.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "server/cli/args.h"
#include "server/cli/commands.h"
#include "server/cli/output.h"

namespace rapport::cli {

int RunPlugins(const std::vector<std::string>& argv) {
  Args args;
  if (absl::Status s = args.Parse(argv, {}, {}); !s.ok()) {
    std::cerr << "rapport plugins: " << s.message() << "\nusage: rapport plugins [--json]\n";
    return 2;
  }
  auto stub = v1::AdminService::NewStub(Connect(args.server()));
  v1::ListPluginsResponse response;
  grpc::ClientContext context;
  if (grpc::Status s = stub->ListPlugins(&context, v1::ListPluginsRequest(), &response); !s.ok()) {
    return ReportRpcError(s, args.server());
  }
  if (args.json()) {
    std::cout << ToJson(response) << "\n";
    return 0;
  }
  Table table({"name", "kind", "version", "abi", "origin", "description"});
  for (const v1::PluginInfo& p : response.plugins()) {
    table.AddRow({p.name(), p.kind(), p.version(), p.abi_version(), p.origin(), p.description()});
  }
  table.Print(std::cout);
  for (const std::string& r : response.refused()) std::cout << "  refused: " << r << "\n";
  return 0;
}

}  // namespace rapport::cli
