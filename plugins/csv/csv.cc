// csv: a generic ticket log (CSV with a header row) -> canonical events,
// driven by a column mapping (data/csv-mappings/*.json; two are built in:
// `servicenow-incident-log` and `bpic2013`).
//
// Rows are snapshots of a ticket after each update, or events that restate
// its state: rows are grouped by ticket, ordered by time then sequence, and
// events come from the differences between consecutive rows — the first row
// opens the ticket (id "<ticket>:created"), a later row yields a status,
// assignment or priority change only where its value differs from the row
// before (ids "<ticket>:<sequence>:<field>"). A time column may list several
// formats, tried in order, so one mapping reads an export as published and as
// re-saved by a spreadsheet. A row that cannot be read (unknown status,
// unreadable time, a counter that is not a number) is rejected with its line
// and the column; the others go on, also when no row of the payload could be
// read. Mapped `attributes` columns travel on every event of their row (the
// source's own counters among them: lib/ticket reconciles with them). Sources
// without comments stamp rapport.conversation=false.
//
// Configuration (JSON): {"mapping": "<built-in name>"} or {"mapping": {…}}.
#include <algorithm>
#include <map>
#include <set>

#include "common/adapter_util.h"

extern const unsigned char kMappingServiceNowIncidentLog[];
extern const size_t kMappingServiceNowIncidentLog_size;
extern const unsigned char kMappingBpic2013[];
extern const size_t kMappingBpic2013_size;

namespace rapport::adapters {
namespace {

// RFC 4180: quoted fields, doubled quotes, line breaks inside quotes.
std::vector<std::vector<std::string>> ParseCsv(std::string_view text, std::vector<uint64_t>* lines) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, any = false;
  uint64_t line = 1, row_line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && field.empty()) {
      quoted = any = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !field.empty()) {
        row.push_back(std::move(field));
        rows.push_back(std::move(row));
        lines->push_back(row_line);
      }
      row.clear();
      field.clear();
      any = false;
      row_line = ++line;
    } else {
      field += c;
      any = true;
    }
  }
  if (any || !field.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
    lines->push_back(row_line);
  }
  return rows;
}

// An event attribute taken from a column: text as it is, a boolean in any
// case ("TRUE", "true", "1" -> "true"), or a count (digits only).
struct AttributeColumn {
  enum class Type { kText, kBool, kCount };
  std::string name, column;
  Type type = Type::kText;
};

struct Mapping {
  std::string name, source, ticket, time, opened, sequence;
  std::vector<std::string> time_formats, opened_formats;
  std::vector<AttributeColumn> attributes;
  std::set<std::string> missing = {""};
  bool conversation = true;
  std::vector<std::string> status_columns;
  std::map<std::string, int32_t> status_map;
  std::string priority_column;
  bool priority_first_word = false;
  std::map<std::string, int32_t> priority_map;
  std::string actor, actor_team, creator;
  int32_t actor_role = sdk::kAgent, creator_role = sdk::kOther;
  std::string agent, team, requester, service, category, resolution_code;
};

int32_t RoleByName(const std::string& name) {
  const std::string n = Lower(name);
  return n == "requester" ? sdk::kRequester : n == "agent" ? sdk::kAgent : n == "system" ? sdk::kSystem : sdk::kOther;
}

// "format": one format or a list tried in order.
bool ReadFormats(const Json& spec, std::vector<std::string>* formats) {
  const Json* f = spec.contains("format") ? &spec["format"] : nullptr;
  if (f == nullptr || f->is_null()) {
    formats->push_back("");
  } else if (f->is_string()) {
    formats->push_back(f->get<std::string>());
  } else if (f->is_array() && !f->empty()) {
    for (const Json& one : *f) {
      if (!one.is_string()) return false;
      formats->push_back(one.get<std::string>());
    }
  } else {
    return false;
  }
  return true;
}

std::optional<int64_t> ParseTimeAny(const std::string& text, const std::vector<std::string>& formats) {
  for (const std::string& f : formats) {
    if (auto at = ParseTime(text, f)) return at;
  }
  return std::nullopt;
}

// The value of an attribute column, or nullopt when the cell does not read
// as its type.
std::optional<std::string> AttributeValue(const AttributeColumn& a, const std::string& cell) {
  switch (a.type) {
    case AttributeColumn::Type::kText:
      return cell;
    case AttributeColumn::Type::kBool: {
      const std::string v = Lower(cell);
      if (v == "true" || v == "1" || v == "yes") return "true";
      if (v == "false" || v == "0" || v == "no") return "false";
      return std::nullopt;
    }
    case AttributeColumn::Type::kCount:
      if (cell.empty() || cell.size() > 9 ||
          !std::all_of(cell.begin(), cell.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
      }
      return std::to_string(std::stol(cell));
  }
  return std::nullopt;
}

bool ReadAttributes(const Json& j, Mapping* m, std::string* error) {
  if (!j.contains("attributes")) return true;
  if (!j["attributes"].is_object()) {
    *error = "mapping: 'attributes' is an object {attribute name: column or {column, type}}";
    return false;
  }
  for (const auto& [name, spec] : j["attributes"].items()) {
    AttributeColumn a;
    a.name = name;
    a.column = spec.is_string() ? spec.get<std::string>() : Text(spec, "column");
    const std::string type = spec.is_object() ? Text(spec, "type") : "";
    if (type == "bool") {
      a.type = AttributeColumn::Type::kBool;
    } else if (type == "count") {
      a.type = AttributeColumn::Type::kCount;
    } else if (!type.empty() && type != "text") {
      *error = "mapping: attributes." + name + ".type is text, bool or count, not '" + type + "'";
      return false;
    }
    if (name.empty() || a.column.empty()) {
      *error = "mapping: attributes." + name + " names no column";
      return false;
    }
    m->attributes.push_back(std::move(a));
  }
  return true;
}

bool ReadMapping(const Json& j, Mapping* m, std::string* error) {
  auto fail = [&](const std::string& what) {
    *error = "mapping: " + what;
    return false;
  };
  if (!j.is_object()) return fail("expected a JSON object");
  m->name = Text(j, "name");
  m->source = Text(j, "source").empty() ? "csv" : Text(j, "source");
  m->ticket = Text(j, "ticket");
  if (m->ticket.empty()) return fail("'ticket' (the ticket id column) is required");
  if (!j.contains("time") || !j["time"].is_object() || Text(j["time"], "column").empty()) {
    return fail("'time' {column, format} is required");
  }
  m->time = Text(j["time"], "column");
  if (!ReadFormats(j["time"], &m->time_formats)) return fail("time.format is a format or a list of formats");
  if (j.contains("opened") && j["opened"].is_object()) {
    m->opened = Text(j["opened"], "column");
    if (!ReadFormats(j["opened"], &m->opened_formats)) return fail("opened.format is a format or a list of formats");
  }
  m->sequence = Text(j, "sequence");
  if (j.contains("missing") && j["missing"].is_array()) {
    for (const Json& v : j["missing"]) {
      if (v.is_string()) m->missing.insert(v.get<std::string>());
    }
  }
  if (j.contains("conversation") && j["conversation"].is_boolean()) m->conversation = j["conversation"].get<bool>();
  if (!j.contains("status") || !j["status"].is_object() || !j["status"].contains("columns") || !j["status"].contains("map")) {
    return fail("'status' {columns, map} is required");
  }
  for (const Json& c : j["status"]["columns"]) m->status_columns.push_back(c.is_string() ? c.get<std::string>() : "");
  for (const auto& [k, v] : j["status"]["map"].items()) {
    auto s = v.is_string() ? StatusByName(v.get<std::string>()) : std::nullopt;
    if (!s) return fail("status.map." + k + " is not a status");
    m->status_map[k] = *s;
  }
  if (j.contains("priority") && j["priority"].is_object()) {
    m->priority_column = Text(j["priority"], "column");
    m->priority_first_word = j["priority"].value("first_word", false);
    if (j["priority"].contains("map")) {
      for (const auto& [k, v] : j["priority"]["map"].items()) {
        auto p = v.is_string() ? PriorityByName(v.get<std::string>()) : std::nullopt;
        if (!p) return fail("priority.map." + k + " is not a priority");
        m->priority_map[k] = *p;
      }
    }
  }
  if (j.contains("actor") && j["actor"].is_object()) {
    m->actor = Text(j["actor"], "column");
    m->actor_team = Text(j["actor"], "team");
    m->actor_role = RoleByName(Text(j["actor"], "role"));
  }
  if (j.contains("creator") && j["creator"].is_object()) {
    m->creator = Text(j["creator"], "column");
    m->creator_role = RoleByName(Text(j["creator"], "role"));
  }
  if (j.contains("assignee") && j["assignee"].is_object()) {
    m->agent = Text(j["assignee"], "agent");
    m->team = Text(j["assignee"], "team");
  }
  m->requester = Text(j, "requester");
  m->service = Text(j, "service");
  m->category = Text(j, "category");
  m->resolution_code = Text(j, "resolution_code");
  return ReadAttributes(j, m, error);
}

class CsvAdapter final : public sdk::Adapter {
 public:
  static std::unique_ptr<CsvAdapter> Create(std::string_view config, std::string* error) {
    auto a = std::make_unique<CsvAdapter>();
    if (config.empty()) {
      *error = "the csv adapter needs a mapping: {\"mapping\": \"servicenow-incident-log\" | \"bpic2013\" | {...}}";
      return nullptr;
    }
    auto json = ParseJson(config, error);
    if (!json || !json->is_object() || !json->contains("mapping")) {
      *error = "configuration: expected {\"mapping\": <name or object>}";
      return nullptr;
    }
    Json mapping = (*json)["mapping"];
    if (mapping.is_string()) {
      const std::string name = mapping.get<std::string>();
      std::string_view text;
      if (name == "servicenow-incident-log") {
        text = {reinterpret_cast<const char*>(kMappingServiceNowIncidentLog), kMappingServiceNowIncidentLog_size};
      } else if (name == "bpic2013") {
        text = {reinterpret_cast<const char*>(kMappingBpic2013), kMappingBpic2013_size};
      } else {
        *error = "no built-in mapping '" + name + "' (built in: servicenow-incident-log, bpic2013; or pass a mapping object)";
        return nullptr;
      }
      auto parsed = ParseJson(text, error);
      if (!parsed) return nullptr;
      mapping = *parsed;
    }
    if (!ReadMapping(mapping, &a->m_, error)) return nullptr;
    return a;
  }

  rapport_status Translate(const sdk::Payload& payload, sdk::Output& out, std::string* error) override {
    std::vector<uint64_t> lines;
    auto rows = ParseCsv(payload.body, &lines);
    if (rows.empty()) return Fail(error, "the CSV has no header row");
    std::map<std::string, size_t> columns;
    for (size_t i = 0; i < rows[0].size(); ++i) columns[rows[0][i]] = i;
    // Every mapped column must exist.
    std::vector<std::string> needed = {m_.ticket, m_.time};
    for (const auto& c : m_.status_columns) needed.push_back(c);
    for (const std::string* c : {&m_.opened, &m_.sequence, &m_.priority_column, &m_.actor, &m_.actor_team, &m_.creator,
                                 &m_.agent, &m_.team, &m_.requester, &m_.service, &m_.category, &m_.resolution_code}) {
      if (!c->empty()) needed.push_back(*c);
    }
    for (const AttributeColumn& a : m_.attributes) needed.push_back(a.column);
    for (const std::string& c : needed) {
      if (!columns.count(c)) return Fail(error, "column '" + c + "' of mapping '" + m_.name + "' is not in the header");
    }
    auto cell = [&](const std::vector<std::string>& row, const std::string& column) -> std::string {
      if (column.empty()) return "";
      size_t i = columns[column];
      if (i >= row.size() || m_.missing.count(row[i])) return "";
      return row[i];
    };

    struct Row {
      size_t index;
      int64_t at;
      int64_t opened;
      long long sequence;
      int32_t status;
      int32_t priority;
      std::vector<std::pair<std::string, std::string>> attributes;
    };
    std::map<std::string, std::vector<Row>> tickets;
    std::vector<std::string> order;
    auto reject = [&](size_t r, const std::string& code, const std::string& message) {
      std::string text = "line " + std::to_string(lines[r]) + ": " + message;
      out.Reject(r - 1, code, text);
    };
    for (size_t r = 1; r < rows.size(); ++r) {
      const auto& row = rows[r];
      const std::string ticket = cell(row, m_.ticket);
      if (ticket.empty()) {
        reject(r, "MISSING_FIELD", "column '" + m_.ticket + "' (the ticket id) is empty");
        continue;
      }
      auto at = ParseTimeAny(cell(row, m_.time), m_.time_formats);
      if (!at) {
        reject(r, "INVALID_VALUE", "column '" + m_.time + "': '" + cell(row, m_.time) + "' is not a time (" +
                                       FormatList(m_.time_formats) + ")");
        continue;
      }
      std::optional<int64_t> opened = at;
      if (!m_.opened.empty()) opened = ParseTimeAny(cell(row, m_.opened), m_.opened_formats);
      std::string status_key;
      for (size_t i = 0; i < m_.status_columns.size(); ++i) {
        status_key += (i ? "/" : "") + cell(row, m_.status_columns[i]);
      }
      auto status = m_.status_map.find(status_key);
      if (status == m_.status_map.end()) {
        reject(r, "INVALID_VALUE", "column '" + m_.status_columns[0] + "': unknown status '" + status_key + "'");
        continue;
      }
      std::string p = cell(row, m_.priority_column);
      if (m_.priority_first_word) p = p.substr(0, p.find(' '));
      auto priority = m_.priority_map.find(p);
      char* end = nullptr;
      const std::string seq = cell(row, m_.sequence);
      long long sequence = std::strtoll(seq.c_str(), &end, 10);
      if (seq.empty() || *end != '\0') sequence = static_cast<long long>(r);
      std::vector<std::pair<std::string, std::string>> attributes;
      const AttributeColumn* unreadable = nullptr;
      for (const AttributeColumn& a : m_.attributes) {
        const std::string value = cell(row, a.column);
        if (value.empty()) continue;
        auto read = AttributeValue(a, value);
        if (!read) {
          unreadable = &a;
          break;
        }
        attributes.emplace_back(a.name, std::move(*read));
      }
      if (unreadable != nullptr) {
        reject(r, "INVALID_VALUE", "column '" + unreadable->column + "': '" + cell(row, unreadable->column) +
                                       "' is not " + (unreadable->type == AttributeColumn::Type::kBool ? "a boolean"
                                                                                                       : "a count"));
        continue;
      }
      auto [it, inserted] = tickets.try_emplace(ticket);
      if (inserted) order.push_back(ticket);
      it->second.push_back({r, *at, opened ? std::min(*opened, *at) : *at, sequence, status->second,
                            priority == m_.priority_map.end() ? 0 : priority->second, std::move(attributes)});
    }

    for (const std::string& ticket : order) {
      auto& list = tickets[ticket];
      std::stable_sort(list.begin(), list.end(), [](const Row& a, const Row& b) {
        return a.at != b.at ? a.at < b.at : a.sequence < b.sequence;
      });
      const Row* previous = nullptr;
      std::string prev_agent, prev_team;
      for (const Row& row_info : list) {
        const auto& row = rows[row_info.index];
        const std::string seq = std::to_string(row_info.sequence);
        auto base = [&](const std::string& id, int32_t kind, int64_t at) {
          sdk::Event e;
          e.ticket_id = ticket;
          e.event_id = ticket + ":" + id;
          e.occurred_at_us = at;
          e.source = m_.source;
          e.kind = kind;
          e.actor_id = cell(row, m_.actor);
          e.actor_role = m_.actor_role;
          e.actor_team = cell(row, m_.actor_team);
          if (!m_.conversation) e.attributes.emplace_back("rapport.conversation", "false");
          for (const auto& a : row_info.attributes) e.attributes.push_back(a);
          return e;
        };
        const std::string agent = cell(row, m_.agent), team = cell(row, m_.team);
        if (previous == nullptr) {
          sdk::Event created = base("created", sdk::kCreated, row_info.opened);
          created.status = sdk::kNew;
          created.priority = row_info.priority;
          created.requester_id = cell(row, m_.requester);
          created.service = cell(row, m_.service);
          created.category = cell(row, m_.category);
          if (!m_.creator.empty()) {
            created.actor_id = cell(row, m_.creator);
            created.actor_role = m_.creator_role;
          }
          out.Emit(created);
        }
        if ((previous == nullptr && (!agent.empty() || !team.empty())) ||
            (previous != nullptr && (agent != prev_agent || team != prev_team))) {
          sdk::Event e = base(seq + ":assignment", sdk::kAssignmentChanged, row_info.at);
          e.assignee_agent_id = agent;
          e.assignee_team = team;
          out.Emit(e);
        }
        if (previous != nullptr && row_info.priority != 0 && row_info.priority != previous->priority) {
          sdk::Event e = base(seq + ":priority", sdk::kPriorityChanged, row_info.at);
          e.priority = row_info.priority;
          out.Emit(e);
        }
        const int32_t before = previous == nullptr ? static_cast<int32_t>(sdk::kNew) : previous->status;
        if (row_info.status != before) {
          sdk::Event e = base(seq + ":status", sdk::kStatusChanged, row_info.at);
          e.status = row_info.status;
          const std::string code = cell(row, m_.resolution_code);
          if ((row_info.status == sdk::kResolved || row_info.status == sdk::kClosed) && !code.empty()) {
            e.has_resolution = true;
            e.resolution_code = code;
          }
          out.Emit(e);
        }
        previous = &row_info;
        prev_agent = agent;
        prev_team = team;
      }
    }
    // Rows were refused one by one, each with its line: a payload whose
    // every row is bad still answers per row, not as one error.
    return RAPPORT_OK;
  }

 private:
  static std::string FormatList(const std::vector<std::string>& formats) {
    std::string list;
    for (const std::string& f : formats) list += (list.empty() ? "" : " or ") + (f.empty() ? "iso8601" : f);
    return list;
  }

  static rapport_status Fail(std::string* error, std::string message) {
    *error = std::move(message);
    return RAPPORT_ERR_PERMANENT;
  }

  Mapping m_;
};

}  // namespace
}  // namespace rapport::adapters

RAPPORT_ADAPTER(rapport_builtin_csv, rapport::adapters::CsvAdapter, "csv", "1.0.0",
                "generic CSV ticket logs with a column mapping (servicenow-incident-log, bpic2013 built in)")
