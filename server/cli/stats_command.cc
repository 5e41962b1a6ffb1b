// rapport stats: what the running server has ingested and what it stores.
#include <iostream>

#include "absl/strings/str_format.h"
#include "event/event.h"
#include "grpcpp/client_context.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "server/cli/args.h"
#include "server/cli/commands.h"
#include "server/cli/output.h"

namespace rapport::cli {

int RunStats(const std::vector<std::string>& argv) {
  Args args;
  if (absl::Status s = args.Parse(argv, {}, {}); !s.ok() || !args.positionals().empty()) {
    std::cerr << "usage: rapport stats [--tenant T]\n";
    return 2;
  }
  v1::GetStatsRequest request;
  request.set_tenant(args.Get("tenant"));
  v1::GetStatsResponse stats;
  grpc::ClientContext context;
  grpc::Status status = v1::AdminService::NewStub(Connect(args.server()))->GetStats(&context, request, &stats);
  if (!status.ok()) return ReportRpcError(status, args.server());
  if (args.json()) {
    std::cout << ToJson(stats) << "\n";
    return 0;
  }
  std::cout << absl::StrFormat(
      "since start (%s): %d batches, %d events accepted (%.0f/s), %d duplicates (%d conflicting), %d rejected, "
      "%d tickets rebuilt for late events\n",
      FormatDuration(stats.uptime().seconds() * 1'000'000), stats.batches(), stats.events_accepted(),
      stats.accepted_per_second(), stats.events_duplicate(), stats.events_conflicting_duplicate(),
      stats.events_rejected(), stats.ticket_rebuilds());
  for (const auto& [code, count] : stats.rejected_by_code()) std::cout << "  rejected " << code << ": " << count << "\n";
  Table tenants({"tenant", "events", "tickets", "watermark"});
  for (const v1::TenantStats& t : stats.tenants()) {
    tenants.AddRow({t.tenant(), std::to_string(t.events()), std::to_string(t.tickets()),
                    FormatMicros(ToMicros(t.watermark()))});
  }
  std::cout << "\n";
  tenants.Print(std::cout);
  Table store({"column family", "keys (est.)", "live bytes (est.)"});
  for (const v1::FamilyStats& f : stats.store()) {
    store.AddRow({f.name(), std::to_string(f.estimated_keys()), std::to_string(f.live_bytes())});
  }
  std::cout << "\n";
  store.Print(std::cout);
  return 0;
}

}  // namespace rapport::cli
