// rapport ingest: replays a file through StreamEvents: canonical events, or a
// native export translated here by the same adapters rapportd runs. Line
// formats (canonical JSONL, native payloads one per line, CSV) are read as
// they are sent, so memory stays bounded whatever the file size; a single
// JSON document is read whole, up to the IngestRaw size limit.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "builtin/builtins.h"
#include "event/json.h"
#include "event/validate.h"
#include "plugin/registry.h"
#include "rapport/v1/ingest.pb.h"
#include "server/cli/args.h"
#include "server/cli/commands.h"
#include "server/cli/output.h"
#include "server/client/stream_ingester.h"

namespace rapport::cli {
namespace {

// Rejections by code: a count and the first few messages of each.
struct Rejections {
  static constexpr size_t kExamples = 5;
  std::map<std::string, std::pair<size_t, std::vector<std::string>>> by_code;
  size_t total = 0;
  // What the adapter said about payloads it read without events ("zendesk:
  // event type tags_changed: nothing to record"), with how many said it.
  std::map<std::string, size_t> notes;

  void Add(const std::string& code, std::string message) {
    Example(code, std::move(message));
    Count(code, 1);
  }
  void Example(const std::string& code, std::string message) {
    auto& examples = by_code[code].second;
    if (examples.size() < kExamples) examples.push_back(std::move(message));
  }
  void Count(const std::string& code, size_t n) {
    by_code[code].first += n;
    total += n;
  }
};

// `text` as a JSON string literal.
std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += absl::StrFormat("\\u%04x", c);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// One event read from the file, with its input line (0: not known, as for
// an event of a whole-document payload).
struct Item {
  v1::TicketEvent event;
  size_t line;
};

// A file read a line, a CSV record or a whole document at a time.
class InputFile {
 public:
  absl::Status Open(const std::string& path) {
    file_.open(path, std::ios::binary);
    if (!file_) return absl::NotFoundError(absl::StrCat("cannot open ", path));
    struct stat info;
    if (stat(path.c_str(), &info) == 0) size_ = static_cast<uint64_t>(info.st_size);
    return absl::OkStatus();
  }
  // The next line, without its end; false at the end of the file.
  bool Line(std::string* line) {
    if (!std::getline(file_, *line)) return false;
    ++line_;
    bytes_ += line->size() + 1;
    return true;
  }
  // The next CSV record: lines up to one that closes every quote.
  bool Record(std::string* record) {
    record->clear();
    std::string line;
    bool quoted = false;
    do {
      if (!Line(&line)) return !record->empty();
      if (!record->empty()) *record += '\n';
      *record += line;
      for (char c : line) quoted ^= c == '"';
    } while (quoted);
    return true;
  }
  std::string Rest() {
    std::stringstream whole;
    whole << file_.rdbuf();
    bytes_ = size_;
    return whole.str();
  }
  size_t line() const { return line_; }  // of the last line read
  uint64_t bytes() const { return bytes_; }
  uint64_t size() const { return size_; }

 private:
  std::ifstream file_;
  size_t line_ = 0;
  uint64_t bytes_ = 0, size_ = 0;
};

// The cells of one CSV record (RFC 4180 quoting).
std::vector<std::string> CsvCells(absl::string_view record) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (size_t i = 0; i < record.size(); ++i) {
    const char c = record[i];
    if (quoted && c == '"' && i + 1 < record.size() && record[i + 1] == '"') {
      cells.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      cells.emplace_back();
    } else if (c != '\r' || quoted) {
      cells.back() += c;
    }
  }
  return cells;
}

// One CSV record and the file line it starts on.
struct CsvRecord {
  std::string text;
  size_t line = 0;
};

// The events of a file in input order, read as the stream asks for them.
class EventReader {
 public:
  // Records per CSV chunk before the next cut between tickets.
  static constexpr size_t kCsvChunkRecords = 500;
  // Records read to find the ticket column before the file is refused.
  static constexpr size_t kCsvProbeRecords = 1000;

  absl::Status Open(const Args& args, const std::string& path, Rejections* rejections) {
    rejections_ = rejections;
    tenant_ = args.Get("tenant");
    if (absl::Status s = file_.Open(path); !s.ok()) return s;
    if (!args.Has("adapter")) {
      format_ = Format::kCanonical;
      return absl::OkStatus();
    }
    if (tenant_.empty()) return absl::InvalidArgumentError("--adapter needs --tenant");
    registry_ = std::make_unique<PluginRegistry>();
    if (absl::Status s = RegisterBuiltinPlugins(registry_.get()); !s.ok()) return s;
    if (args.Has("plugin-dir")) {
      if (absl::Status s = registry_->LoadDirectory(args.Get("plugin-dir")); !s.ok()) return s;
    }
    auto adapter = CreateAdapter(*registry_, args);
    if (!adapter.ok()) return adapter.status();
    adapter_ = std::move(*adapter);
    const bool per_line = absl::EndsWith(path, ".jsonl") || absl::EndsWith(path, ".ndjson");
    if (per_line || args.Get("adapter") == "jsonl") {
      format_ = Format::kPayloadPerLine;
    } else if (absl::EndsWith(path, ".csv")) {
      format_ = Format::kCsv;
    } else {
      format_ = Format::kDocument;
      const uint64_t limit = Limits().max_message_bytes;
      if (file_.size() > limit) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "%s is one JSON document of %.1f MiB; one payload may be at most %.1f MiB (the IngestRaw "
            "size limit), and only line formats are streamed: split the export into pages of at most "
            "%.1f MiB, or write it as one payload per line (.jsonl)",
            path, file_.size() / 1048576.0, limit / 1048576.0, limit / 1048576.0));
      }
    }
    return absl::OkStatus();
  }

  // Adds the next events, at most `max`, to `batch` and their lines to
  // `lines`; none at the end of the file.
  absl::Status Next(size_t max, v1::EventBatch* batch, std::vector<size_t>* lines) {
    while (ready_.size() < max && !at_end_) {
      auto more = ReadMore();
      if (!more.ok()) return more.status();
      at_end_ = !*more;
    }
    for (; !ready_.empty() && static_cast<size_t>(batch->events_size()) < max; ready_.pop_front()) {
      *batch->add_events() = std::move(ready_.front().event);
      lines->push_back(ready_.front().line);
    }
    read_ += batch->events_size();
    return absl::OkStatus();
  }

  // Events taken for sending plus records refused before sending.
  uint64_t events_read() const { return read_ + local_rejects_; }
  const InputFile& file() const { return file_; }

 private:
  enum class Format { kCanonical, kPayloadPerLine, kCsv, kDocument };

  static absl::StatusOr<std::unique_ptr<AdapterHandle>> CreateAdapter(const PluginRegistry& registry,
                                                                      const Args& args) {
    std::string config;
    auto read = [](const std::string& path, std::string* text) {
      std::ifstream file(path);
      if (!file) return false;
      std::stringstream all;
      all << file.rdbuf();
      *text = all.str();
      return true;
    };
    if (args.Has("adapter-config")) {
      if (!read(args.Get("adapter-config"), &config)) {
        return absl::NotFoundError(absl::StrCat("cannot open ", args.Get("adapter-config")));
      }
    } else if (args.Has("mapping")) {
      // A built-in mapping's name, or a mapping file.
      std::string mapping;
      config = read(args.Get("mapping"), &mapping) ? absl::StrCat("{\"mapping\": ", mapping, "}")
                                                   : absl::StrCat("{\"mapping\": \"", args.Get("mapping"), "\"}");
    }
    return registry.CreateAdapter(args.Get("adapter"), config);
  }

  // Reads one unit of the file into ready_ (and rejections_); false at its end.
  absl::StatusOr<bool> ReadMore() {
    switch (format_) {
      case Format::kCanonical:
        return ReadCanonicalLine();
      case Format::kPayloadPerLine:
        return ReadPayloadLine();
      case Format::kCsv:
        return ReadCsvChunk();
      case Format::kDocument:
        if (document_read_) return false;
        document_read_ = true;
        Translate(file_.Rest(), "application/json", 0);
        return true;
    }
    return false;
  }

  bool ReadCanonicalLine() {
    std::string line;
    if (!file_.Line(&line)) return false;
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text[0] == '#') return true;
    auto event = ParseEventJson(text);
    if (!event.ok()) {
      Reject(absl::StrCat("line ", file_.line(), ": "), "INVALID_JSON", event.status().message());
      return true;
    }
    if (!tenant_.empty()) {
      if (event->tenant().empty()) {
        event->set_tenant(tenant_);
      } else if (event->tenant() != tenant_) {
        Reject(absl::StrCat("line ", file_.line(), ": "), "INVALID_VALUE",
               absl::StrCat("event names tenant '", event->tenant(), "' but --tenant is '", tenant_, "'"));
        return true;
      }
    }
    ready_.push_back({std::move(*event), file_.line()});
    return true;
  }

  bool ReadPayloadLine() {
    std::string line;
    if (!file_.Line(&line)) return false;
    if (!absl::StripAsciiWhitespace(line).empty()) Translate(line, "application/json", file_.line());
    return true;
  }

  // Header plus about kCsvChunkRecords records, cut only where the ticket
  // changes: the adapter derives a ticket's events from consecutive rows, so
  // each ticket's rows must reach it in one payload.
  absl::StatusOr<bool> ReadCsvChunk() {
    if (csv_header_.empty()) {
      CsvRecord header;
      if (!NextCsvRecord(&header)) return false;
      csv_header_ = std::move(header.text);
      if (absl::Status s = FindTicketColumn(); !s.ok()) return s;
    }
    CsvRecord record;
    if (!NextCsvRecord(&record)) return false;
    std::string chunk = absl::StrCat(csv_header_, "\n");
    std::vector<size_t> lines;
    std::string ticket = TicketOf(record.text);
    do {
      const std::string next_ticket = TicketOf(record.text);
      if (next_ticket != ticket) {
        if (lines.size() >= kCsvChunkRecords) {
          csv_ahead_.push_front(std::move(record));
          break;
        }
        ticket = next_ticket;
      }
      if (next_ticket != last_ticket_ && !tickets_seen_.insert(std::hash<std::string>()(next_ticket)).second) {
        return absl::InvalidArgumentError(absl::StrCat(
            "line ", record.line, ": ticket '", next_ticket, "' has rows earlier in the file, apart from "
            "these; the CSV is streamed a ticket at a time, so sort it by ticket first (the events before this line "
            "are sent)"));
      }
      last_ticket_ = next_ticket;
      absl::StrAppend(&chunk, record.text, "\n");
      lines.push_back(record.line);
    } while (NextCsvRecord(&record));
    TranslateCsv(chunk, lines);
    return true;
  }

  // The next record not yet sent (blank ones skipped, as the adapter skips
  // them); false at the end of the file.
  bool NextCsvRecord(CsvRecord* record) {
    if (!csv_ahead_.empty()) {
      *record = std::move(csv_ahead_.front());
      csv_ahead_.pop_front();
      return true;
    }
    while (file_.Record(&record->text)) {
      record->line = file_.line() - static_cast<size_t>(std::count(record->text.begin(), record->text.end(), '\n'));
      if (!absl::StripAsciiWhitespace(record->text).empty()) return true;
    }
    return false;
  }

  // The adapter's mapping names the ticket column; the CLI finds it as the
  // column that holds the ticket id of the first record the adapter makes an
  // event of. Bad records before it are kept and sent, so each gets its own
  // error; only a file of which no record among the first kCsvProbeRecords
  // reads is refused whole.
  absl::Status FindTicketColumn() {
    std::string first_error;
    CsvRecord record;
    bool ended = false;
    while (csv_ahead_.size() < kCsvProbeRecords) {
      if (!file_.Record(&record.text)) {
        ended = true;
        break;
      }
      record.line = file_.line() - static_cast<size_t>(std::count(record.text.begin(), record.text.end(), '\n'));
      if (absl::StripAsciiWhitespace(record.text).empty()) continue;
      csv_ahead_.push_back(record);
      auto probe = adapter_->Translate(tenant_, absl::StrCat(csv_header_, "\n", record.text, "\n"), "text/csv",
                                       {}, 1);
      if (!probe.ok()) {  // the file as a whole does not fit the mapping
        return absl::InvalidArgumentError(
            absl::StrCat(probe.status().message(), "; check --mapping against the header"));
      }
      if (first_error.empty() && !probe->rejected.empty()) first_error = probe->rejected[0].message();
      if (probe->events.empty()) continue;
      const std::vector<std::string> cells = CsvCells(record.text);
      for (size_t i = 0; i < cells.size(); ++i) {
        if (cells[i] == probe->events[0].ticket_id()) {
          csv_ticket_column_ = i;
          csv_ticket_column_known_ = true;
          return absl::OkStatus();
        }
      }
      first_error = "no column holds the ticket id of its event";
      break;
    }
    // No record of a short file reads (or it has none): each is sent and
    // refused with its own error.
    if (ended) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(
        "line ", csv_ahead_.front().line, ": the adapter makes no event of the first ", csv_ahead_.size(),
        " records (", StripLine(first_error), "), so the ticket column is unknown; check --mapping against the header"));
  }

  // "" for every record while the ticket column is unknown (no record of
  // the file reads): they go in one payload.
  std::string TicketOf(const std::string& record) const {
    if (!csv_ticket_column_known_) return "";
    std::vector<std::string> cells = CsvCells(record);
    return csv_ticket_column_ < cells.size() ? cells[csv_ticket_column_] : "";
  }

  // Translates a payload read whole or a line at a time; `line` names the
  // line of a payload per line (0: the file is one payload).
  void Translate(const std::string& body, const std::string& content_type, size_t line) {
    auto out = adapter_->Translate(tenant_, body, content_type, {}, Rejections::kExamples);
    const std::string where = line > 0 ? absl::StrCat("line ", line) : "the payload";
    if (!out.ok()) {
      Reject(absl::StrCat(where, ": "), "TRANSLATION", out.status().message(), 1);
      return;
    }
    TakeRejections(*out, [&](const v1::EventError& r) {
      return line > 0 ? absl::StrCat(where, ": ") : absl::StrCat("record ", r.index(), " of the payload: ");
    });
    if (!out->note.empty()) ++rejections_->notes[out->note];
    for (v1::TicketEvent& e : out->events) {
      e.set_tenant(tenant_);
      ready_.push_back({std::move(e), line});
    }
  }

  // A CSV chunk: `lines` holds the file line of each record after the header.
  void TranslateCsv(const std::string& chunk, const std::vector<size_t>& lines) {
    auto out = adapter_->Translate(tenant_, chunk, "text/csv", {}, Rejections::kExamples);
    if (!out.ok()) {
      Reject(absl::StrCat("line ", lines.empty() ? 0 : lines[0], ": "), "TRANSLATION", out.status().message(),
             lines.size());
      return;
    }
    TakeRejections(*out, [&](const v1::EventError& r) {
      return absl::StrCat("line ", r.index() < lines.size() ? lines[r.index()] : 0, ": ");
    });
    for (v1::TicketEvent& e : out->events) {
      e.set_tenant(tenant_);
      ready_.push_back({std::move(e), 0});
    }
  }

  // The adapter's refusals: the first few in detail, every one counted.
  template <typename Where>
  void TakeRejections(const Translation& out, const Where& where) {
    uint64_t total = 0;
    for (const auto& [code, n] : out.rejected_by_code) {
      rejections_->Count(code, n);
      total += n;
    }
    local_rejects_ += total;
    for (const v1::EventError& r : out.rejected) {
      rejections_->Example(r.code(), absl::StrCat(where(r), StripLine(r.message())));
    }
  }

  // An adapter's message without its own "line N: " (a line of the payload,
  // which the caller restates as a line of the file).
  static absl::string_view StripLine(absl::string_view message) {
    absl::string_view rest = message;
    size_t n = 0;
    if (!absl::ConsumePrefix(&rest, "line ")) return message;
    const size_t colon = rest.find(": ");
    if (colon == absl::string_view::npos || !absl::SimpleAtoi(rest.substr(0, colon), &n)) return message;
    return rest.substr(colon + 2);
  }

  // `count` records refused for one reason.
  void Reject(const std::string& where, const std::string& code, absl::string_view message, size_t count = 1) {
    local_rejects_ += count;
    rejections_->Example(code, absl::StrCat(where, message));
    rejections_->Count(code, count);
  }

  Format format_ = Format::kCanonical;
  InputFile file_;
  std::string tenant_;
  std::unique_ptr<PluginRegistry> registry_;
  std::unique_ptr<AdapterHandle> adapter_;
  Rejections* rejections_ = nullptr;
  std::deque<Item> ready_;
  bool at_end_ = false;
  bool document_read_ = false;
  uint64_t read_ = 0;
  uint64_t local_rejects_ = 0;
  std::string csv_header_, last_ticket_;
  std::deque<CsvRecord> csv_ahead_;  // read, not yet sent
  size_t csv_ticket_column_ = 0;
  bool csv_ticket_column_known_ = false;
  // Every ticket of the chunks sent (hashes: 8 bytes a ticket, not a row).
  absl::flat_hash_set<uint64_t> tickets_seen_;
};

}  // namespace

int RunIngest(const std::vector<std::string>& argv) {
  Args args;
  if (absl::Status s = args.Parse(argv, {"batch-size", "in-flight", "retry-for", "adapter", "mapping",
                                         "adapter-config", "plugin-dir"},
                                  {"quiet"});
      !s.ok()) {
    std::cerr << "rapport ingest: " << s.message() << "\n";
    return 2;
  }
  if (args.positionals().size() != 1) {
    std::cerr << "usage: rapport ingest [--tenant T] [--batch-size N] [--in-flight N] [--quiet] FILE.jsonl\n"
                 "       rapport ingest --adapter servicenow|jira|zendesk|freshservice|jsonl|csv --tenant T\n"
                 "              [--mapping NAME|FILE.json] [--adapter-config FILE.json] [--plugin-dir DIR] FILE\n";
    return 2;
  }
  const std::string path = args.positionals()[0];
  client::StreamIngester::Options options;
  options.target = args.server();
  int batch_size = 100, in_flight = 16, retry_for = 60;
  if ((args.Has("batch-size") && !absl::SimpleAtoi(args.Get("batch-size"), &batch_size)) ||
      (args.Has("in-flight") && !absl::SimpleAtoi(args.Get("in-flight"), &in_flight)) ||
      (args.Has("retry-for") && !absl::SimpleAtoi(args.Get("retry-for"), &retry_for)) ||
      batch_size < 1 || in_flight < 1 || retry_for < 1) {
    std::cerr << "rapport ingest: --batch-size, --in-flight (un-acked batches) and --retry-for (seconds) take "
                 "positive numbers\n";
    return 2;
  }
  Rejections rejections;
  EventReader reader;
  if (absl::Status s = reader.Open(args, path, &rejections); !s.ok()) {
    std::cerr << "rapport ingest: " << s.message() << "\n";
    return 1;
  }
  options.batch_size = static_cast<size_t>(batch_size);
  options.in_flight = in_flight;
  options.retry_for = absl::Seconds(retry_for);

  // The input line of each event of the batches not yet acked.
  std::map<size_t, std::vector<size_t>> lines;
  size_t batches = 0;
  const absl::Time start = absl::Now();
  absl::Duration first_ack = absl::ZeroDuration();
  auto next = [&](size_t max, v1::EventBatch* batch) {
    std::vector<size_t> batch_lines;
    absl::Status s = reader.Next(max, batch, &batch_lines);
    if (s.ok() && batch->events_size() > 0) lines[batches++] = std::move(batch_lines);
    return s;
  };
  options.on_ack = [&](size_t b, const v1::BatchAck& ack) {
    if (b == 0) first_ack = absl::Now() - start;
    const std::vector<size_t>& batch_lines = lines[b];
    // The ack lists its first rejections in detail and counts every one.
    for (const v1::EventError& e : ack.rejected()) {
      const size_t line = e.index() < batch_lines.size() ? batch_lines[e.index()] : 0;
      rejections.Example(e.code(), line > 0 ? absl::StrCat("line ", line, " (event ", e.event_id(), "): ", e.message())
                                            : absl::StrCat("event ", e.event_id(), ": ", e.message()));
    }
    std::map<std::string, uint64_t> counts;
    client::CountRejections(ack, &counts);
    for (const auto& [code, n] : counts) rejections.Count(code, n);
    lines.erase(b);
  };

  // Progress on stderr: a line rewritten in place on a terminal, else one
  // every few seconds; none with --quiet or --json.
  const bool tty = isatty(STDERR_FILENO) == 1;
  const bool quiet = args.Flag("quiet") || args.json();
  absl::Time last_line = absl::InfinitePast();
  const InputFile& file = reader.file();
  options.on_progress = [&](const client::IngestProgress& p) {
    if (quiet) return;
    const bool done = p.input_done && p.events_acked == p.events_total;
    if (!done && absl::Now() - last_line < (tty ? absl::Milliseconds(200) : absl::Seconds(5))) return;
    last_line = absl::Now();
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    std::cerr << absl::StrFormat(
        "%s%.0f%% of %.1f MB read, %d events acked (%d accepted, %d duplicates, %d rejected), %.0f events/s%s%s",
        tty ? "\r" : "", file.size() > 0 ? 100.0 * file.bytes() / file.size() : 100.0, file.size() / 1e6,
        p.events_acked, p.accepted, p.duplicates, p.rejected, seconds > 0 ? p.events_acked / seconds : 0.0,
        p.reconnects > 0 ? absl::StrCat(", ", p.reconnects, " reconnects") : "", tty && !done ? "" : "\n");
  };

  auto result = client::StreamIngester(options).Run(next);
  if (!result.ok()) {
    std::cerr << (tty && !quiet ? "\n" : "") << "rapport ingest: " << result.status().message() << "\n";
    return 1;
  }
  double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const auto& t = *result;
  const size_t rejected = rejections.total;
  // A run that stored nothing and refused something failed, whatever the
  // summary says of it: scripts must not read it as success.
  const int exit_code = t.accepted == 0 && rejected > 0 ? 1 : 0;
  if (exit_code != 0) {
    std::cerr << "rapport ingest: nothing accepted, " << rejected << " rejected (see the summary)\n";
  }

  if (args.json()) {
    std::cout << "{\"file\": \"" << path << "\", \"events_read\": " << reader.events_read()
              << ", \"accepted\": " << t.accepted << ", \"duplicates\": " << t.duplicates
              << ", \"conflicts\": " << t.conflicts
              << ", \"rejected\": " << rejected << ", \"reconnects\": " << t.reconnects
              << ", \"seconds\": " << absl::StrFormat("%.3f", seconds) << ", \"seconds_to_first_ack\": "
              << absl::StrFormat("%.3f", absl::ToDoubleSeconds(first_ack)) << ", \"rejected_by_code\": {";
    bool first = true;
    for (const auto& [code, list] : rejections.by_code) {
      std::cout << (first ? "" : ", ") << "\"" << code << "\": " << list.first;
      first = false;
    }
    std::cout << "}, \"notes\": {";
    first = true;
    for (const auto& [note, count] : rejections.notes) {
      std::cout << (first ? "" : ", ") << JsonString(note) << ": " << count;
      first = false;
    }
    std::cout << "}}\n";
    return exit_code;
  }
  std::cout << "Ingested " << path << (args.Has("adapter") ? absl::StrCat(" (adapter ", args.Get("adapter"), ")") : "")
            << " into " << options.target << "\n";
  std::cout << absl::StrFormat(
      "  events read   %8d\n  accepted      %8d\n  duplicates    %8d\n  conflicts     %8d\n  rejected      %8d\n",
      reader.events_read(), t.accepted, t.duplicates, t.conflicts, rejected);
  for (const auto& [code, list] : rejections.by_code) {
    const auto& [count, examples] = list;
    std::cout << absl::StrFormat("    %-14s %d\n", code, count);
    for (const std::string& example : examples) std::cout << "      " << Abbreviate(example, 150) << "\n";
    if (count > examples.size()) std::cout << "      … and " << count - examples.size() << " more\n";
  }
  for (const auto& [note, count] : rejections.notes) {
    std::cout << "  note: " << note << (count > 1 ? absl::StrCat(" (", count, " payloads)") : "") << "\n";
  }
  std::cout << absl::StrFormat("  %d batches, %d reconnects, %.1f s (%.0f events/s), first ack after %.2f s\n",
                               batches, t.reconnects, seconds, seconds > 0 ? t.events_total / seconds : 0.0,
                               absl::ToDoubleSeconds(first_ack));
  return exit_code;
}

}  // namespace rapport::cli
