// rapport alerts (the alert log as a table) and rapport watch (follow it
// live, resuming from a saved cursor).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "event/event.h"
#include "grpcpp/client_context.h"
#include "rapport/v1/alerts.grpc.pb.h"
#include "server/cli/args.h"
#include "server/cli/commands.h"
#include "server/cli/output.h"

namespace rapport::cli {
namespace {

// Consecutive failed connections `rapport watch` tries before it gives up.
constexpr int kMaxReconnects = 30;

std::string When(const google::protobuf::Timestamp& ts) {
  std::string when = FormatMicros(ToMicros(ts)).substr(0, 16);
  if (when.size() > 10) when[10] = ' ';
  return when;
}

std::string Subject(const v1::Alert& a) {
  const v1::AlertSubjects& s = a.subjects();
  if (!s.ticket_id().empty()) return "ticket " + s.ticket_id();
  if (!s.agent_id().empty()) return "agent " + s.agent_id();
  if (!s.team().empty()) return "team " + s.team();
  if (!s.requester_id().empty()) return "requester " + s.requester_id();
  if (!s.service().empty()) return "service " + s.service();
  if (!s.scope().id().empty()) return s.scope().id();
  return "tenant";
}

std::string StateText(const v1::Alert& a) {
  if (a.state() == v1::ALERT_STATE_RESOLVED) return "resolved";
  return a.cursor() == a.alert_id() ? "firing" : "updated";
}

std::string SeverityText(v1::Severity s) {
  std::string name = v1::Severity_Name(s);
  return absl::AsciiStrToLower(name.substr(name.find('_') + 1));
}

// The cursor saved in `path`: 0 when the file does not exist yet; -1 (and a
// message) when it holds something else.
int64_t LoadCursor(const std::string& path) {
  std::ifstream in(path);
  if (!in) return 0;
  std::string text;
  std::getline(in, text);
  uint64_t cursor = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &cursor)) {
    std::cerr << "rapport watch: " << path << " does not hold a cursor (a number); remove it to start from 0\n";
    return -1;
  }
  return static_cast<int64_t>(cursor);
}

// Replaces the file whole (write, then rename), so a crash leaves the old
// cursor or the new one, never half of one.
bool SaveCursor(const std::string& path, uint64_t cursor) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << cursor << "\n";
    if (!out.flush()) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

int RunAlerts(const std::vector<std::string>& argv) {
  Args args;
  const char* usage = "usage: rapport alerts --tenant T [--state firing|resolved] [--kind K[,K...]] [--limit N]\n";
  if (absl::Status s = args.Parse(argv, {"state", "kind", "limit"}, {}); !s.ok() || !args.Has("tenant")) {
    std::cerr << (s.ok() ? "" : std::string(s.message()) + "\n") << usage;
    return 2;
  }
  v1::ListAlertsRequest request;
  request.set_tenant(args.Get("tenant"));
  const std::string state = args.Get("state");
  if (state == "firing") {
    request.set_state(v1::ALERT_STATE_FIRING);
  } else if (state == "resolved") {
    request.set_state(v1::ALERT_STATE_RESOLVED);
  } else if (!state.empty()) {
    std::cerr << "rapport alerts: --state is firing or resolved\n" << usage;
    return 2;
  }
  if (args.Has("kind")) {
    for (absl::string_view k : absl::StrSplit(args.Get("kind"), ',')) request.add_kinds(absl::AsciiStrToUpper(k));
  }
  int limit = 50;
  if (args.Has("limit") && (!absl::SimpleAtoi(args.Get("limit"), &limit) || limit < 1 || limit > 1000)) {
    std::cerr << "rapport alerts: --limit takes a number from 1 to 1000\n";
    return 2;
  }
  request.set_page_size(static_cast<uint32_t>(limit));
  auto stub = v1::AlertService::NewStub(Connect(args.server()));
  v1::ListAlertsResponse response;
  grpc::ClientContext context;
  grpc::Status status = stub->ListAlerts(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status, args.server());
  if (args.json()) {
    std::cout << ToJson(response) << "\n";
    return 0;
  }
  Table table({"cursor", "last seen", "state", "severity", "rule", "kind", "subject", "count", "summary"});
  for (const v1::Alert& a : response.alerts()) {
    table.AddRow({std::to_string(a.cursor()), When(a.last_seen()), StateText(a), SeverityText(a.severity()), a.rule(),
                  a.kind(), Subject(a), std::to_string(a.count()), Abbreviate(a.summary(), 70)});
  }
  table.Print(std::cout);
  std::cout << "  (" << response.alerts_size() << " alerts" << (response.next_page_token().empty() ? "" : ", more")
            << ")\n";
  return 0;
}

int RunWatch(const std::vector<std::string>& argv) {
  Args args;
  const char* usage =
      "usage: rapport watch --tenant T [--kind K[,K...]] [--min-severity S] [--cursor-file F] [--no-follow]\n"
      "  prints each alert entry as it comes (one JSON object per line with --json); with --cursor-file it\n"
      "  resumes after the cursor saved there and saves each entry's cursor once printed; --no-follow stops\n"
      "  once the log is replayed\n";
  if (absl::Status s = args.Parse(argv, {"kind", "min-severity", "cursor-file"}, {"no-follow"});
      !s.ok() || !args.Has("tenant")) {
    std::cerr << (s.ok() ? "" : std::string(s.message()) + "\n") << usage;
    return 2;
  }
  v1::WatchAlertsRequest request;
  request.set_tenant(args.Get("tenant"));
  if (args.Has("kind")) {
    for (absl::string_view k : absl::StrSplit(args.Get("kind"), ',')) request.add_kinds(absl::AsciiStrToUpper(k));
  }
  if (args.Has("min-severity")) {
    v1::Severity severity;
    if (!v1::Severity_Parse("SEVERITY_" + absl::AsciiStrToUpper(args.Get("min-severity")), &severity)) {
      std::cerr << "rapport watch: --min-severity is one of low, medium, high, critical\n";
      return 2;
    }
    request.set_min_severity(severity);
  }
  const std::string cursor_file = args.Get("cursor-file");
  int64_t cursor = cursor_file.empty() ? 0 : LoadCursor(cursor_file);
  if (cursor < 0) return 2;
  auto stub = v1::AlertService::NewStub(Connect(args.server()));
  int failures = 0;
  for (;;) {
    request.set_after_cursor(static_cast<uint64_t>(cursor));
    grpc::ClientContext context;
    auto reader = stub->WatchAlerts(&context, request);
    v1::WatchAlertsResponse r;
    bool caught_up = false;
    while (reader->Read(&r)) {
      failures = 0;
      if (r.caught_up()) caught_up = true;
      if (r.caught_up() && args.Flag("no-follow")) {
        context.TryCancel();
        break;
      }
      if (!r.has_alert()) continue;
      const v1::Alert& a = r.alert();
      if (args.json()) {
        std::cout << ToJson(a) << std::endl;
      } else {
        std::cout << a.cursor() << "  " << When(a.last_seen()) << "  " << StateText(a) << "  "
                  << SeverityText(a.severity()) << "  " << a.rule() << "  " << Subject(a) << "  " << a.summary()
                  << std::endl;
      }
      cursor = static_cast<int64_t>(a.cursor());
      if (!cursor_file.empty() && !SaveCursor(cursor_file, a.cursor())) {
        std::cerr << "rapport watch: cannot write " << cursor_file << "\n";
        return 1;
      }
    }
    grpc::Status status = reader->Finish();
    if (caught_up && args.Flag("no-follow")) return 0;
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return ReportRpcError(status, args.server());
    if (++failures > kMaxReconnects) return ReportRpcError(status, args.server());
    std::cerr << "rapport watch: " << status.error_message() << "; reconnecting after cursor " << cursor << "\n";
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

}  // namespace rapport::cli
