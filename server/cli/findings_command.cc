// rapport findings: what the detectors found, as a table.
#include <algorithm>
#include <iostream>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "detect/findings.h"
#include "event/event.h"
#include "grpcpp/client_context.h"
#include "rapport/v1/experience.grpc.pb.h"
#include "server/cli/args.h"
#include "server/cli/commands.h"
#include "server/cli/output.h"
#include "server/cli/window.h"

namespace rapport::cli {
namespace {

bool ParseKind(const std::string& name, v1::FindingKind* kind) {
  std::string upper = absl::AsciiStrToUpper(name);
  for (char& c : upper) c = c == '-' ? '_' : c;
  return v1::FindingKind_Parse(upper, kind) || v1::FindingKind_Parse("FINDING_KIND_" + upper, kind);
}

}  // namespace

int RunFindings(const std::vector<std::string>& argv) {
  Args args;
  const char* usage =
      "usage: rapport findings --tenant T [--kind K[,K...]] [--min-severity S] [--agent A | --team T | --requester R |\n"
      "       --ticket ID | --department D | --service S] [--window 30d | --window A..B | --since A [--until B]]\n"
      "       [--limit N] [--summary]\n"
      "  --window: back from the tenant's latest event (30d, 12h, 90m), or a range of dates or RFC 3339 times\n";
  if (absl::Status s = args.Parse(argv, {"kind", "agent", "team", "requester", "ticket", "department", "service",
                                         "since", "until", "window", "min-severity", "limit"},
                                  {"summary"});
      !s.ok() || !args.Has("tenant")) {
    std::cerr << (s.ok() ? "" : std::string(s.message()) + "\n") << usage;
    return 2;
  }
  v1::ListFindingsRequest request;
  request.set_tenant(args.Get("tenant"));
  for (auto [flag, kind] : {std::pair{"agent", v1::SCOPE_KIND_AGENT}, {"team", v1::SCOPE_KIND_TEAM},
                            {"requester", v1::SCOPE_KIND_REQUESTER}, {"ticket", v1::SCOPE_KIND_TICKET},
                            {"department", v1::SCOPE_KIND_DEPARTMENT}, {"service", v1::SCOPE_KIND_SERVICE}}) {
    if (args.Has(flag)) {
      request.mutable_scope()->set_kind(kind);
      request.mutable_scope()->set_id(args.Get(flag));
    }
  }
  if (args.Has("kind")) {
    std::string list = args.Get("kind");
    size_t start = 0;
    while (start <= list.size()) {
      size_t comma = list.find(',', start);
      std::string name = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      v1::FindingKind kind;
      if (!ParseKind(name, &kind)) {
        std::cerr << "rapport findings: unknown finding kind '" << name << "' (e.g. ping_pong, rude_reply)\n";
        return 2;
      }
      request.add_kinds(kind);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  if (int code = WindowFromArgs(args, "findings", request.mutable_window()); code != 0) return code;
  if (args.Has("min-severity")) {
    v1::Severity severity;
    std::string name = absl::AsciiStrToUpper(args.Get("min-severity"));
    if (!v1::Severity_Parse("SEVERITY_" + name, &severity)) {
      std::cerr << "rapport findings: --min-severity is one of low, medium, high, critical\n";
      return 2;
    }
    request.set_min_severity(severity);
  }
  int limit = 25;
  if (args.Has("limit") && (!absl::SimpleAtoi(args.Get("limit"), &limit) || limit < 1)) {
    std::cerr << "rapport findings: --limit takes a positive number\n";
    return 2;
  }
  const bool summary = args.Flag("summary");
  request.set_page_size(summary ? 1000 : static_cast<uint32_t>(std::min(limit, 1000)));
  auto stub = v1::ExperienceService::NewStub(Connect(args.server()));
  v1::ListFindingsResponse response;
  std::map<std::string, int> by_kind;
  for (;;) {
    v1::ListFindingsResponse page;
    grpc::ClientContext context;
    grpc::Status status = stub->ListFindings(&context, request, &page);
    if (!status.ok()) return ReportRpcError(status, args.server());
    response.set_total(page.total());
    for (const v1::Finding& f : page.findings()) {
      by_kind[detect::KindName(f.kind())]++;
      if (!summary && response.findings_size() < limit) *response.add_findings() = f;
    }
    if (page.next_page_token().empty() || (!summary && response.findings_size() >= limit)) break;
    request.set_page_token(page.next_page_token());
  }
  if (args.json()) {
    std::cout << ToJson(response) << "\n";
    return 0;
  }
  if (summary) {
    Table table({"finding", "count"});
    for (const auto& [kind, count] : by_kind) table.AddRow({kind, std::to_string(count)});
    table.Print(std::cout);
    std::cout << "  (" << response.total() << " findings)\n";
    return 0;
  }
  Table table({"when", "finding", "severity", "ticket", "agent", "team", "summary"});
  for (const v1::Finding& f : response.findings()) {
    std::string when = FormatMicros(ToMicros(f.at())).substr(0, 16);
    when[10] = ' ';
    table.AddRow({when, detect::KindName(f.kind()), detect::SeverityName(f.severity()), f.ticket_id(), f.agent_id(),
                  f.team(), Abbreviate(f.summary(), 80)});
  }
  table.Print(std::cout);
  std::cout << "  (" << response.findings_size() << " of " << response.total() << " findings)\n";
  return 0;
}

}  // namespace rapport::cli
