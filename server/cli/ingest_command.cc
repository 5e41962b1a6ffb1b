// rapport ingest: replays a file through StreamEvents: canonical events, or a
// native export translated here by the same adapters rapportd runs.
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>

#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "builtin/builtins.h"
#include "plugin/registry.h"
#include "server/cli/args.h"
#include "server/cli/commands.h"
#include "server/cli/output.h"
#include "server/client/stream_ingester.h"
#include "event/json.h"
#include "rapport/v1/ingest.pb.h"

namespace rapport::cli {
namespace {

// A problem with one input line, found before anything is sent.
struct LocalReject {
  size_t line;
  std::string code;
  std::string message;
};

struct Input {
  std::vector<v1::TicketEvent> events;
  std::vector<size_t> lines;  // input line of each event
  std::vector<LocalReject> rejects;
};

absl::Status ReadJsonl(const std::string& path, const std::string& tenant, Input* input) {
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::string line;
  size_t number = 0;
  while (std::getline(file, line)) {
    ++number;
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text[0] == '#') continue;
    auto event = ParseEventJson(text);
    if (!event.ok()) {
      input->rejects.push_back({number, "INVALID_JSON", std::string(event.status().message())});
      continue;
    }
    if (!tenant.empty()) {
      if (event->tenant().empty()) {
        event->set_tenant(tenant);
      } else if (event->tenant() != tenant) {
        input->rejects.push_back({number, "INVALID_VALUE",
                                  absl::StrCat("event names tenant '", event->tenant(),
                                               "' but --tenant is '", tenant, "'")});
        continue;
      }
    }
    input->events.push_back(std::move(*event));
    input->lines.push_back(number);
  }
  return absl::OkStatus();
}

// Reads `path` through a built-in (or --plugin-dir) adapter: a .jsonl/.ndjson
// file holds one native payload per line (recorded webhooks), any other file
// is one payload (a Table API response, a CSV export).
absl::Status ReadNative(const Args& args, const std::string& path, Input* input) {
  const std::string tenant = args.Get("tenant");
  if (tenant.empty()) return absl::InvalidArgumentError("--adapter needs --tenant");
  PluginRegistry registry;
  if (absl::Status s = RegisterBuiltinPlugins(&registry); !s.ok()) return s;
  if (args.Has("plugin-dir")) {
    if (absl::Status s = registry.LoadDirectory(args.Get("plugin-dir")); !s.ok()) return s;
  }
  std::string config;
  if (args.Has("adapter-config")) {
    std::ifstream file(args.Get("adapter-config"));
    if (!file) return absl::NotFoundError(absl::StrCat("cannot open ", args.Get("adapter-config")));
    std::stringstream text;
    text << file.rdbuf();
    config = text.str();
  } else if (args.Has("mapping")) {
    // A built-in mapping's name, or a mapping file.
    std::ifstream file(args.Get("mapping"));
    if (file) {
      std::stringstream text;
      text << file.rdbuf();
      config = absl::StrCat("{\"mapping\": ", text.str(), "}");
    } else {
      config = absl::StrCat("{\"mapping\": \"", args.Get("mapping"), "\"}");
    }
  }
  auto adapter = registry.CreateAdapter(args.Get("adapter"), config);
  if (!adapter.ok()) return adapter.status();
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream whole;
  whole << file.rdbuf();
  std::vector<std::pair<size_t, std::string>> payloads;  // first line, body
  const bool per_line = absl::EndsWith(path, ".jsonl") || absl::EndsWith(path, ".ndjson");
  if (per_line && args.Get("adapter") != "jsonl") {
    std::string line;
    size_t number = 0;
    while (std::getline(whole, line)) {
      ++number;
      if (!absl::StripAsciiWhitespace(line).empty()) payloads.emplace_back(number, line);
    }
  } else {
    payloads.emplace_back(1, whole.str());
  }
  for (const auto& [line, body] : payloads) {
    auto out = (*adapter)->Translate(tenant, body, absl::EndsWith(path, ".csv") ? "text/csv" : "application/json");
    if (!out.ok()) {
      input->rejects.push_back({line, "TRANSLATION", std::string(out.status().message())});
      continue;
    }
    for (v1::EventError& r : out->rejected) {
      input->rejects.push_back({per_line ? line : r.index() + 1, r.code(), r.message()});
    }
    for (v1::TicketEvent& e : out->events) {
      e.set_tenant(tenant);
      input->events.push_back(std::move(e));
      input->lines.push_back(per_line ? line : 0);  // 0: a whole-file payload has no line per event
    }
  }
  return absl::OkStatus();
}

}  // namespace

int RunIngest(const std::vector<std::string>& argv) {
  Args args;
  if (absl::Status s = args.Parse(argv, {"batch-size", "window", "retry-for", "adapter", "mapping", "adapter-config",
                                         "plugin-dir"},
                                  {"quiet"});
      !s.ok()) {
    std::cerr << "rapport ingest: " << s.message() << "\n";
    return 2;
  }
  if (args.positionals().size() != 1) {
    std::cerr << "usage: rapport ingest [--tenant T] [--batch-size N] [--window N] FILE.jsonl\n"
                 "       rapport ingest --adapter servicenow|jira|zendesk|freshservice|jsonl|csv --tenant T\n"
                 "              [--mapping NAME|FILE.json] [--adapter-config FILE.json] [--plugin-dir DIR] FILE\n";
    return 2;
  }
  const std::string path = args.positionals()[0];
  Input input;
  if (absl::Status s = args.Has("adapter") ? ReadNative(args, path, &input) : ReadJsonl(path, args.Get("tenant"), &input);
      !s.ok()) {
    std::cerr << "rapport ingest: " << s.message() << "\n";
    return 1;
  }

  client::StreamIngester::Options options;
  options.target = args.server();
  int batch_size = 100, window = 16, retry_for = 60;
  if ((args.Has("batch-size") && !absl::SimpleAtoi(args.Get("batch-size"), &batch_size)) ||
      (args.Has("window") && !absl::SimpleAtoi(args.Get("window"), &window)) ||
      (args.Has("retry-for") && !absl::SimpleAtoi(args.Get("retry-for"), &retry_for)) ||
      batch_size < 1 || window < 1 || retry_for < 1) {
    std::cerr << "rapport ingest: --batch-size, --window and --retry-for (seconds) take positive numbers\n";
    return 2;
  }
  options.batch_size = static_cast<size_t>(batch_size);
  options.window = window;
  options.retry_for = absl::Seconds(retry_for);
  const bool tty = isatty(STDERR_FILENO) == 1;
  const bool quiet = args.Flag("quiet") || args.json();
  absl::Time last_line = absl::InfinitePast();
  const absl::Time start = absl::Now();
  options.on_progress = [&](const client::IngestProgress& p) {
    if (quiet) return;
    bool done = p.events_acked == p.events_total;
    if (!tty && !done && absl::Now() - last_line < absl::Seconds(2)) return;
    last_line = absl::Now();
    std::cerr << absl::StrFormat("%s%d/%d events acked (%d accepted, %d duplicates, %d rejected)%s%s",
                                 tty ? "\r" : "", p.events_acked, p.events_total, p.accepted,
                                 p.duplicates, p.rejected,
                                 p.reconnects > 0 ? absl::StrCat(", ", p.reconnects, " reconnects") : "",
                                 tty && !done ? "" : "\n");
  };

  auto result = client::StreamIngester(options).Run(input.events);
  if (!result.ok()) {
    std::cerr << "\nrapport ingest: " << result.status().message() << "\n";
    return 1;
  }
  double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const auto& t = result->totals;

  // Rejections by code, each with its first few examples.
  std::map<std::string, std::vector<std::string>> by_code;
  for (const LocalReject& r : input.rejects) {
    by_code[r.code].push_back(absl::StartsWith(r.message, "line ") ? r.message
                                                                    : absl::StrCat("line ", r.line, ": ", r.message));
  }
  for (const v1::EventError& e : result->rejections) {
    const size_t line = input.lines[e.index()];
    by_code[e.code()].push_back(line > 0 ? absl::StrCat("line ", line, " (event ", e.event_id(), "): ", e.message())
                                         : absl::StrCat("event ", e.event_id(), ": ", e.message()));
  }
  // Counts from the acks: they list only their first rejections in detail.
  std::map<std::string, uint64_t> counts = result->rejected_by_code;
  for (const LocalReject& r : input.rejects) ++counts[r.code];
  size_t rejected = input.rejects.size() + t.rejected;

  if (args.json()) {
    std::cout << "{\"file\": \"" << path << "\", \"events_read\": " << input.events.size() + input.rejects.size()
              << ", \"accepted\": " << t.accepted << ", \"duplicates\": " << t.duplicates
              << ", \"conflicts\": " << t.conflicts
              << ", \"rejected\": " << rejected << ", \"reconnects\": " << t.reconnects
              << ", \"seconds\": " << absl::StrFormat("%.3f", seconds) << ", \"rejected_by_code\": {";
    bool first = true;
    for (const auto& [code, count] : counts) {
      std::cout << (first ? "" : ", ") << "\"" << code << "\": " << count;
      first = false;
    }
    std::cout << "}}\n";
    return 0;
  }
  std::cout << "Ingested " << path << (args.Has("adapter") ? absl::StrCat(" (adapter ", args.Get("adapter"), ")") : "")
            << " into " << options.target << "\n";
  std::cout << absl::StrFormat(
      "  events read   %8d\n  accepted      %8d\n  duplicates    %8d\n  conflicts     %8d\n  rejected      %8d\n",
      input.events.size() + input.rejects.size(), t.accepted, t.duplicates, t.conflicts, rejected);
  for (const auto& [code, count] : counts) {
    std::cout << absl::StrFormat("    %-14s %d\n", code, count);
    const std::vector<std::string>& list = by_code[code];
    for (size_t i = 0; i < list.size() && i < 5; ++i) std::cout << "      " << Abbreviate(list[i], 150) << "\n";
    if (count > std::min<size_t>(list.size(), 5)) {
      std::cout << "      … and " << count - std::min<size_t>(list.size(), 5) << " more\n";
    }
  }
  std::cout << absl::StrFormat("  %d batches, %d reconnects, %.1f s (%.0f events/s)\n", result->acks.size(),
                               t.reconnects, seconds, seconds > 0 ? input.events.size() / seconds : 0.0);
  return 0;
}

}  // namespace rapport::cli
