// rapport score | top | explain: the support-experience score for people.
#include <algorithm>
#include <iostream>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "detect/findings.h"
#include "event/event.h"
#include "grpcpp/client_context.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "rapport/v1/experience.grpc.pb.h"
#include "server/cli/args.h"
#include "server/cli/commands.h"
#include "server/cli/output.h"
#include "server/cli/window.h"

namespace rapport::cli {
namespace {

const std::pair<const char*, v1::ScopeKind> kScopeFlags[] = {
    {"agent", v1::SCOPE_KIND_AGENT},           {"team", v1::SCOPE_KIND_TEAM},
    {"requester", v1::SCOPE_KIND_REQUESTER},   {"department", v1::SCOPE_KIND_DEPARTMENT},
    {"service", v1::SCOPE_KIND_SERVICE},       {"ticket", v1::SCOPE_KIND_TICKET}};

std::string Signed(double v) { return absl::StrFormat("%+.1f", v); }

std::string QuadrantName(v1::Relationship r) {
  switch (r) {
    case v1::RELATIONSHIP_PARTNER: return "partner";
    case v1::RELATIONSHIP_SERVICE_GAP: return "service gap";
    case v1::RELATIONSHIP_COMMUNICATION_GAP: return "communication gap";
    case v1::RELATIONSHIP_BROKEN: return "broken";
    default: return "-";
  }
}

// "most frequent kinds first": "PING_PONG 4, STALE 2".
std::string TopFindings(const v1::ScoreReport& r, size_t n) {
  std::vector<v1::FindingCount> counts(r.findings().begin(), r.findings().end());
  std::stable_sort(counts.begin(), counts.end(), [](auto& a, auto& b) { return a.count() > b.count(); });
  std::string out;
  for (size_t i = 0; i < counts.size() && i < n; ++i) {
    absl::StrAppend(&out, i ? ", " : "", absl::AsciiStrToLower(detect::KindName(counts[i].kind())), " ",
                    counts[i].count());
  }
  return out.empty() ? "-" : out;
}

bool ParseScope(const Args& args, v1::Scope* scope) {
  scope->set_kind(v1::SCOPE_KIND_TENANT);
  for (auto [flag, kind] : kScopeFlags) {
    if (args.Has(flag)) {
      scope->set_kind(kind);
      scope->set_id(args.Get(flag));
    }
  }
  return true;
}

std::set<std::string> ScopeAndWindowFlags() {
  std::set<std::string> flags = kWindowFlags;
  for (auto [flag, kind] : kScopeFlags) flags.insert(flag);
  return flags;
}

void PrintReport(const v1::ScoreReport& r) {
  if (!r.scored()) {
    std::cout << "  no scored tickets in this window\n";
    return;
  }
  Table table({"", ""});
  table.AddRow({"score", Signed(r.score())});
  table.AddRow({"services", Signed(r.services_score())});
  table.AddRow({"communications", Signed(r.communications_score())});
  table.AddRow({"relationship", QuadrantName(r.relationship())});
  table.AddRow({"tickets", absl::StrFormat("%d (weighted %.1f)", r.tickets(), r.weighted_tickets())});
  if (r.has_trend()) table.AddRow({"trend", Signed(r.trend())});
  if (r.has_surveys()) {
    table.AddRow({"survey happiness", absl::StrFormat("%+.0f%% of %d surveys", r.survey_happiness(), r.surveys())});
    table.AddRow({"expectation gap", Signed(r.expectation_gap())});
  }
  for (const v1::ComponentScore& c : r.components()) {
    table.AddRow({absl::StrCat("  ", c.component()), c.applicable() ? Signed(c.score()) : "n/a"});
  }
  table.AddRow({"findings", TopFindings(r, 5)});
  table.Print(std::cout);
}

// The arguments `score` and `explain` share: tenant, scope and window.
// Returns 0, or the exit code of a usage error (already reported).
int ParseScoreRequest(const std::vector<std::string>& argv, const char* command, Args* args,
                      v1::GetScoreRequest* request) {
  if (absl::Status s = args->Parse(argv, ScopeAndWindowFlags(), {}); !s.ok() || !args->Has("tenant")) {
    std::cerr << (s.ok() ? "" : std::string(s.message()) + "\n") << "usage: rapport " << command
              << " --tenant T [--agent A | --team T | --requester R | --department D | --service S |\n"
                 "       --ticket ID] [--window 30d | --window A..B | --since A [--until B]] [--json]\n"
                 "  --window: back from the tenant's latest event (30d, 12h, 90m), or a range of dates or RFC 3339 "
                 "times\n";
    return 2;
  }
  request->set_tenant(args->Get("tenant"));
  ParseScope(*args, request->mutable_scope());
  return WindowFromArgs(*args, command, request->mutable_window());
}

}  // namespace

int RunScore(const std::vector<std::string>& argv) {
  Args args;
  v1::GetScoreRequest request;
  if (int code = ParseScoreRequest(argv, "score", &args, &request); code != 0) return code;
  auto stub = v1::ExperienceService::NewStub(Connect(args.server()));
  v1::ScoreReport report;
  grpc::ClientContext context;
  if (grpc::Status s = stub->GetScore(&context, request, &report); !s.ok()) return ReportRpcError(s, args.server());
  if (args.json()) {
    std::cout << ToJson(report) << "\n";
    return 0;
  }
  PrintReport(report);
  return 0;
}

int RunTop(const std::vector<std::string>& argv) {
  Args args;
  const char* usage =
      "usage: rapport top agents|teams|requesters|departments|services|tickets --tenant T [--window 30d |\n"
      "       --window A..B | --since A [--until B]] [--order worst|best|declined|improved] [--limit N] [--json]\n";
  std::set<std::string> flags = kWindowFlags;
  flags.insert({"order", "limit"});
  if (absl::Status s = args.Parse(argv, flags, {}); !s.ok() || !args.Has("tenant") || args.positionals().size() != 1) {
    std::cerr << (s.ok() ? "" : std::string(s.message()) + "\n") << usage;
    return 2;
  }
  const std::string what = absl::AsciiStrToLower(args.positionals()[0]);
  v1::ListScoresRequest request;
  request.set_tenant(args.Get("tenant"));
  const std::pair<const char*, v1::ScopeKind> kinds[] = {
      {"agents", v1::SCOPE_KIND_AGENT},           {"teams", v1::SCOPE_KIND_TEAM},
      {"requesters", v1::SCOPE_KIND_REQUESTER},   {"departments", v1::SCOPE_KIND_DEPARTMENT},
      {"services", v1::SCOPE_KIND_SERVICE},       {"tickets", v1::SCOPE_KIND_TICKET}};
  for (auto [name, kind] : kinds) {
    if (what == name || what + "s" == name) request.set_kind(kind);
  }
  if (request.kind() == v1::SCOPE_KIND_UNSPECIFIED) {
    std::cerr << "rapport top: rank agents, teams, requesters, departments, services or tickets\n" << usage;
    return 2;
  }
  const std::string order = args.Get("order", "worst");
  if (order == "worst") request.set_order(v1::SCORE_ORDER_WORST_FIRST);
  else if (order == "best") request.set_order(v1::SCORE_ORDER_BEST_FIRST);
  else if (order == "declined") request.set_order(v1::SCORE_ORDER_MOST_DECLINED);
  else if (order == "improved") request.set_order(v1::SCORE_ORDER_MOST_IMPROVED);
  else {
    std::cerr << "rapport top: --order is worst, best, declined or improved\n";
    return 2;
  }
  int limit = 10;
  if (args.Has("limit") && (!absl::SimpleAtoi(args.Get("limit"), &limit) || limit < 1)) {
    std::cerr << "rapport top: --limit takes a positive number\n";
    return 2;
  }
  request.set_page_size(static_cast<uint32_t>(std::min(limit, 1000)));
  if (int code = WindowFromArgs(args, "top", request.mutable_window()); code != 0) return code;
  auto stub = v1::ExperienceService::NewStub(Connect(args.server()));
  v1::ListScoresResponse response;
  for (;;) {
    v1::ListScoresResponse page;
    grpc::ClientContext context;
    if (grpc::Status s = stub->ListScores(&context, request, &page); !s.ok()) return ReportRpcError(s, args.server());
    response.set_total(page.total());
    for (v1::ScoreReport& r : *page.mutable_scores()) {
      if (response.scores_size() < limit) *response.add_scores() = std::move(r);
    }
    if (page.next_page_token().empty() || response.scores_size() >= limit) break;
    request.set_page_token(page.next_page_token());
  }
  if (args.json()) {
    std::cout << ToJson(response) << "\n";
    return 0;
  }
  Table table({"#", what.substr(0, what.size() - (what.back() == 's' ? 1 : 0)), "score", "services", "comms",
               "relationship", "tickets", "trend", "top findings"});
  int rank = 0;
  for (const v1::ScoreReport& r : response.scores()) {
    table.AddRow({std::to_string(++rank), r.scope().id(), Signed(r.score()), Signed(r.services_score()),
                  Signed(r.communications_score()), QuadrantName(r.relationship()), std::to_string(r.tickets()),
                  r.has_trend() ? Signed(r.trend()) : "-", TopFindings(r, 2)});
  }
  table.Print(std::cout);
  std::cout << "  (" << response.scores_size() << " of " << response.total() << ")\n";
  return 0;
}

int RunExplain(const std::vector<std::string>& argv) {
  Args args;
  v1::GetScoreRequest request;
  if (int code = ParseScoreRequest(argv, "explain", &args, &request); code != 0) return code;
  auto stub = v1::ExperienceService::NewStub(Connect(args.server()));
  v1::ScoreExplanation ex;
  grpc::ClientContext context;
  if (grpc::Status s = stub->ExplainScore(&context, request, &ex); !s.ok()) return ReportRpcError(s, args.server());
  if (args.json()) {
    std::cout << ToJson(ex) << "\n";
    return 0;
  }
  std::cout << "  score " << Signed(ex.score()) << " (" << QuadrantName(ex.report().relationship()) << ", "
            << ex.report().tickets() << (ex.report().tickets() == 1 ? " ticket" : " tickets") << ") =\n";
  Table table({"points", "component", "why", "tickets"});
  for (const v1::Contribution& c : ex.contributions()) {
    std::string tickets;
    for (const std::string& id : c.ticket_ids()) absl::StrAppend(&tickets, tickets.empty() ? "" : " ", id);
    table.AddRow({Signed(c.points()), c.component(), c.summary(), tickets});
  }
  table.Print(std::cout);
  bool header = false;
  for (const v1::Contribution& c : ex.contributions()) {
    for (const v1::Evidence& e : c.evidence()) {
      if (!header) std::cout << "\n  evidence:\n";
      header = true;
      std::cout << "    [" << c.component() << "] " << Abbreviate(e.note(), 110);
      if (!e.text().empty()) std::cout << " \"" << Abbreviate(e.text(), 60) << "\"";
      std::cout << "\n";
    }
  }
  return 0;
}

}  // namespace rapport::cli
