// servicenow: Table API records -> canonical events.
//
// A payload is a Table API response ({"result": [...]} or {"result": {...}}),
// one record, or a list; it may mix task records (incidents and, when
// configured, other task tables), sys_journal_field rows (comments = visible
// to the caller, work_notes = internal), sys_audit rows (state, hold_reason,
// assignment and priority history) and sys_user rows (who is who). Journal
// and audit rows name their record by sys_id: the record must be in the
// same payload or an earlier one (the adapter keeps what those rows need of
// every record it read).
//
// Times: with sysparm_display_value=false (the default) or all, date-times
// are UTC "YYYY-MM-DD HH:MM:SS" (with all, the "value" member); with
// display_value=true they are in the API user's time zone, which the payload
// does not state, so such a payload is refused rather than misread. With
// all, a record also carries its journal as display text, in that zone:
// read when the payload has no journal rows for it, each time converted
// with the offset the record's own date-times show (see DisplayedJournal).
//
// A record is a snapshot. It yields the creation at opened_at (id
// "<number>:created"); a resolution at resolved_at by resolved_by and a
// closure at closed_at by closed_by (ids "<number>:resolved:<resolved_at>",
// "<number>:closed:<closed_at>"), so a resolved-then-closed record gives
// both, each at its own time; any other current state, and the current
// assignment and priority, at sys_updated_on (ids
// "<number>:<sys_mod_count>:<field>"). Restating an unchanged value changes
// nothing downstream, so polling the same record twice is harmless.
//
// State codes are per table (sys_class_name, else the number's prefix):
// incident codes apply to incidents only; other tables need their own map.
// Configuration (JSON): {"status_map": {"<incident state code or label>":
// "<status>"}, "hold_reason_map": {"<code>": "<status>"}, "tables":
// {"<table>": {"status_map": {...}}}}.
#include <map>
#include <set>

#include "common/adapter_util.h"

namespace rapport::adapters {
namespace {

// A journal entry's text: ServiceNow wraps rich-text (HTML) parts of a
// comment in [code]…[/code]; those parts become the text a person reads.
std::string JournalText(const std::string& value) {
  std::string out;
  size_t pos = 0;
  for (size_t open = value.find("[code]"); open != std::string::npos; open = value.find("[code]", pos)) {
    size_t close = value.find("[/code]", open + 6);
    if (close == std::string::npos) break;
    out.append(value, pos, open - pos);
    out.append(HtmlToText(std::string_view(value).substr(open + 6, close - open - 6)));
    pos = close + 7;
  }
  out.append(value, pos, std::string::npos);
  return out;
}

// The display value of a field (sysparm_display_value=all objects and
// display_value=true references); "" when the payload gives none.
std::string Display(const Json& r, const char* key) {
  if (!r.is_object()) return "";
  auto it = r.find(key);
  if (it == r.end() || !it->is_object()) return "";
  auto d = it->find("display_value");
  return d != it->end() && d->is_string() ? d->get<std::string>() : "";
}

// True when the record was fetched with sysparm_display_value=true: a
// reference object without its "value", or a label where the state code
// belongs.
bool DisplayOnly(const Json& r) {
  if (!r.is_object()) return false;
  for (const char* key : {"caller_id", "assigned_to", "opened_by", "assignment_group"}) {
    auto it = r.find(key);
    if (it != r.end() && it->is_object() && it->contains("display_value") && !it->contains("value")) return true;
  }
  // Choice fields hold codes ("2", "-5"); their display values are labels
  // ("In Progress", "3 - Moderate").
  for (const char* key : {"state", "incident_state", "priority", "urgency", "impact"}) {
    auto it = r.find(key);
    if (it == r.end() || !it->is_string()) continue;
    const std::string v = it->get<std::string>();
    if (!v.empty() && v.find_first_not_of("-0123456789") != std::string::npos) return true;
  }
  return false;
}

// One entry of a journal field's display value ("2016-12-13 12:30:14 -
// Joe Employee (Additional comments)\nHi David, ..."): the display time as
// written, the author's name, the field's label and the text.
struct DisplayedEntry {
  std::string time, author, label, text;
};

// The entries of a journal display value, newest first as ServiceNow writes
// them; a header is "<YYYY-MM-DD HH:MM:SS> - <name> (<label>)" on a line of
// its own. Text before the first header, or in a date format other than
// that one, gives no entry.
std::vector<DisplayedEntry> DisplayedEntries(const std::string& display) {
  std::vector<DisplayedEntry> entries;
  size_t pos = 0;
  while (pos <= display.size()) {
    size_t end = display.find('\n', pos);
    if (end == std::string::npos) end = display.size();
    std::string line = display.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t open = line.rfind(" (");
    const bool header = line.size() > 24 && line.compare(19, 3, " - ") == 0 && line.back() == ')' &&
                        open != std::string::npos && open > 22 && ParseTime(line.substr(0, 19)).has_value();
    if (header) {
      entries.push_back({line.substr(0, 19), line.substr(22, open - 22), line.substr(open + 2, line.size() - open - 3), ""});
    } else if (!entries.empty()) {
      entries.back().text += line + "\n";
    }
    pos = end + 1;
  }
  for (DisplayedEntry& e : entries) {
    while (!e.text.empty() && (e.text.back() == '\n' || e.text.back() == ' ')) e.text.pop_back();
  }
  return entries;
}

// The table of a task record: sys_class_name, else its number's prefix.
std::string TableOf(const Json& r) {
  std::string table = Text(r, "sys_class_name");
  if (!table.empty()) return Lower(table);
  const std::string number = Text(r, "number");
  static const std::pair<const char*, const char*> kPrefixes[] = {
      {"INC", "incident"}, {"PRB", "problem"}, {"CHG", "change_request"}, {"RITM", "sc_req_item"},
      {"REQ", "sc_request"}, {"SCTASK", "sc_task"}, {"CS", "sn_customerservice_case"}, {"TASK", "task"}};
  for (const auto& [prefix, name] : kPrefixes) {
    const size_t n = std::strlen(prefix);
    if (number.compare(0, n, prefix) == 0 && number.size() > n && std::isdigit(static_cast<unsigned char>(number[n]))) {
      return name;
    }
  }
  return "incident";  // numbering schemes without a prefix are incidents by default
}

class ServiceNowAdapter final : public sdk::Adapter {
 public:
  static std::unique_ptr<ServiceNowAdapter> Create(std::string_view config, std::string* error) {
    auto a = std::make_unique<ServiceNowAdapter>();
    a->states_ = {{"1", sdk::kNew},        {"2", sdk::kInProgress}, {"3", sdk::kPendingThirdParty},
                  {"4", sdk::kPendingRequester}, {"5", sdk::kPendingRequester}, {"6", sdk::kResolved},
                  {"7", sdk::kClosed},     {"8", sdk::kCanceled},   {"new", sdk::kNew},
                  {"in progress", sdk::kInProgress}, {"active", sdk::kInProgress}, {"on hold", sdk::kPendingThirdParty},
                  {"awaiting user info", sdk::kPendingRequester}, {"awaiting evidence", sdk::kPendingRequester},
                  {"awaiting problem", sdk::kPendingThirdParty}, {"awaiting vendor", sdk::kPendingThirdParty},
                  {"resolved", sdk::kResolved}, {"closed", sdk::kClosed}, {"canceled", sdk::kCanceled}};
    a->holds_ = {{"1", sdk::kPendingRequester}, {"awaiting caller", sdk::kPendingRequester},
                 {"3", sdk::kPendingThirdParty}, {"4", sdk::kPendingThirdParty}, {"5", sdk::kPendingThirdParty},
                 {"awaiting problem", sdk::kPendingThirdParty}, {"awaiting vendor", sdk::kPendingThirdParty},
                 {"awaiting change", sdk::kPendingThirdParty}};
    if (!ParseStatusMap(config, "status_map", &a->states_, error) ||
        !ParseStatusMap(config, "hold_reason_map", &a->holds_, error) || !a->ParseTables(config, error)) {
      return nullptr;
    }
    return a;
  }

  rapport_status Translate(const sdk::Payload& payload, sdk::Output& out, std::string* error) override {
    auto json = ParseJson(payload.body, error);
    if (!json) return RAPPORT_ERR_PERMANENT;
    std::vector<const Json*> rows;
    const Json* root = &*json;
    // The Table API's answer to a failed request, sent on by mistake.
    if (root->is_object() && root->contains("error") && !root->contains("result") && !root->contains("number")) {
      const Json& e = (*root)["error"];
      const std::string message = e.is_object() ? Text(e, "message") : Text(*root, "error");
      const std::string detail = e.is_object() ? Text(e, "detail") : "";
      return Fail(error, "the body is a ServiceNow error response, not records: " + message +
                             (detail.empty() ? "" : " (" + detail + ")"));
    }
    if (root->is_object() && root->contains("result")) root = &(*root)["result"];
    if (root->is_array()) {
      for (const Json& r : *root) rows.push_back(&r);
    } else {
      rows.push_back(root);
    }
    // Records and users first, so journal and audit rows can name them.
    records_.clear();
    users_.clear();
    work_note_authors_.clear();
    journaled_.clear();
    payload_time_ = 0;
    for (const Json* r : rows) {
      if (!r->is_object()) continue;
      if (r->contains("number")) {
        records_[Text(*r, "sys_id")] = r;
        Remember(*r);
        if (auto at = ParseTime(Text(*r, "sys_updated_on"))) payload_time_ = std::max(payload_time_, *at);
      }
      if (r->contains("user_name") && !r->contains("number")) users_.push_back(r);
      if (Text(*r, "element") == "work_notes") work_note_authors_.insert(Lower(Text(*r, "sys_created_by")));
      if (r->contains("element") && r->contains("element_id")) journaled_.insert(Text(*r, "element_id"));
      // Only staff write work notes: their authors' names in a record's
      // displayed journal mark them as staff too.
      for (const char* key : {"work_notes", "comments_and_work_notes"}) {
        for (const DisplayedEntry& e : DisplayedEntries(Display(*r, key))) {
          if (Lower(e.label) == "work notes") work_note_authors_.insert(Lower(e.author));
        }
      }
    }
    for (const auto& [sys_id, r] : records_) {
      if (DisplayOnly(*r)) {
        return Fail(error, "record " + Text(*r, "number") +
                               " was fetched with sysparm_display_value=true: its times are in the API user's time "
                               "zone, which the payload does not state; fetch with sysparm_display_value=all (or false)");
      }
    }
    uint64_t emitted = 0, rejected = 0;
    std::string first_reject;
    auto reject = [&](uint64_t i, const std::string& code, const std::string& message) {
      if (rejected++ == 0) first_reject = message;
      out.Reject(i, code, message);
    };
    for (uint64_t i = 0; i < rows.size(); ++i) {
      const Json& r = *rows[i];
      if (!r.is_object()) {
        reject(i, "INVALID_VALUE", "record " + std::to_string(i) + " is not a JSON object");
        continue;
      }
      std::string problem;
      if (r.contains("element") && r.contains("element_id")) {
        problem = Journal(r, out, &emitted);
      } else if (r.contains("fieldname") && r.contains("documentkey")) {
        problem = Audit(r, out, &emitted);
      } else if (r.contains("user_name") && !r.contains("number")) {
        problem = User(r, out, &emitted);  // also read above, for who is who
      } else {
        problem = Record(r, out, &emitted);
      }
      if (!problem.empty()) reject(i, problem.rfind("missing", 0) == 0 ? "MISSING_FIELD" : "INVALID_VALUE", problem);
    }
    records_.clear();
    users_.clear();
    if (emitted == 0 && rejected > 0) return Fail(error, first_reject);
    if (emitted == 0) {
      *error = rows.empty() ? "servicenow: an empty result: nothing to record"
                            : "servicenow: " + std::to_string(rows.size()) +
                                  " row(s) with nothing to record (journal fields other than comments and work "
                                  "notes, audit rows of other fields, or users named by one id only)";
    }
    return RAPPORT_OK;
  }

 private:
  static rapport_status Fail(std::string* error, std::string message) {
    *error = std::move(message);
    return RAPPORT_ERR_PERMANENT;
  }

  bool ParseTables(std::string_view config, std::string* error) {
    if (config.empty()) return true;
    auto json = ParseJson(config, error);
    if (!json || !json->is_object() || !json->contains("tables")) return true;  // ParseStatusMap said what is wrong
    const Json& tables = (*json)["tables"];
    if (!tables.is_object()) {
      *error = "configuration: tables must be an object of table name -> {\"status_map\": {...}}";
      return false;
    }
    for (const auto& [name, spec] : tables.items()) {
      std::map<std::string, int32_t> map;
      if (!ParseStatusMap(spec.dump(), "status_map", &map, error)) {
        *error = "configuration: tables." + name + ": " + *error;
        return false;
      }
      table_states_[Lower(name)] = std::move(map);
    }
    return true;
  }

  sdk::Event Base(const std::string& number, int64_t at, const std::string& id, int32_t kind) const {
    sdk::Event e;
    e.ticket_id = number;
    e.event_id = id;
    e.occurred_at_us = at;
    e.source = "servicenow";
    e.kind = kind;
    return e;
  }

  // The state map of `table`, or nullptr when that table's codes are unknown.
  const std::map<std::string, int32_t>* StatesOf(const std::string& table) const {
    auto it = table_states_.find(table);
    if (it != table_states_.end()) return &it->second;
    return table == "incident" ? &states_ : nullptr;
  }

  std::optional<int32_t> StateValue(const std::string& table, const std::string& state,
                                    const std::string& hold_reason) const {
    const auto* states = StatesOf(table);
    if (states == nullptr) return std::nullopt;
    auto it = states->find(Lower(state));
    if (it == states->end()) return std::nullopt;
    if (table == "incident" && it->second == sdk::kPendingThirdParty && (Lower(state) == "3" || Lower(state) == "on hold")) {
      auto hold = holds_.find(Lower(hold_reason));
      if (hold != holds_.end()) return hold->second;
    }
    return it->second;
  }

  static int32_t Priority(const std::string& p) {
    if (p.empty()) return 0;
    switch (p[0]) {
      case '1': return sdk::kCritical;
      case '2': return sdk::kHigh;
      case '3': return sdk::kMedium;
      default: return sdk::kLow;
    }
  }

  // Every identifier the payload gives for the user a reference field of
  // `r` names: its sys_id, display name, and the user name and email of its
  // sys_user row.
  std::vector<std::string> IdsOf(const Json& r, const char* key) const {
    std::vector<std::string> ids = {Text(r, key), Display(r, key)};
    for (const Json* u : users_) {
      if (!ids[0].empty() && Lower(Text(*u, "sys_id")) == Lower(ids[0])) {
        for (const char* k : {"user_name", "email", "name"}) ids.push_back(Text(*u, k));
      }
    }
    return ids;
  }

  // Who is who on record `r`: the caller is the requester; the assignee,
  // resolver, closer, users with an ITIL role and anyone who wrote a work
  // note (only staff can) are staff.
  Roles RolesOf(const Json& r) const {
    Roles roles;
    roles.MatchFolded(true);  // journal rows name people by user name ("beth.anglin"), references by name
    for (const std::string& id : IdsOf(r, "caller_id")) roles.AddRequester(id);
    for (const char* key : {"assigned_to", "resolved_by", "closed_by"}) {
      for (const std::string& id : IdsOf(r, key)) roles.AddStaff(id);
    }
    for (const Json* u : users_) {
      const std::string roles_text = Lower(Text(*u, "roles"));
      if (roles_text.find("itil") != std::string::npos || roles_text.find("agent") != std::string::npos) {
        for (const char* k : {"sys_id", "user_name", "email", "name"}) roles.AddStaff(Text(*u, k));
      }
    }
    for (const std::string& author : work_note_authors_) roles.AddStaff(author);
    roles.AddSystem("system");
    return roles;
  }

  // A sys_user row (a user export, or the authors beside a ticket): its
  // sys_id, user name, email and name are one person for the directory.
  std::string User(const Json& u, sdk::Output& out, uint64_t* emitted) const {
    auto at = ParseTime(!Text(u, "sys_updated_on").empty() ? Text(u, "sys_updated_on") : Text(u, "sys_created_on"));
    if (!at && payload_time_ == 0) {
      return "missing field 'sys_updated_on' of sys_user row '" + Text(u, "user_name") +
             "' (a user export needs each row's update time: add it to sysparm_fields)";
    }
    ++*emitted;
    EmitIdentity(out, "servicenow", at ? *at : payload_time_,
                 {Text(u, "sys_id"), Text(u, "user_name"), Text(u, "email"), Text(u, "name")});
    return "";
  }

  static std::string Unknown(const std::string& who) {
    return "'" + who + "' is not the caller and the payload does not mark them as staff (not the assignee, resolver " +
           "or closer, no work note, no sys_user row with an itil role)";
  }

  void Name(sdk::Event* e, const Json& r, const char* key) const {
    const std::string name = Display(r, key);
    if (!name.empty()) e->attributes.emplace_back(kActorNameAttribute, name);
  }

  std::string Record(const Json& r, sdk::Output& out, uint64_t* emitted) const {
    const std::string number = Text(r, "number");
    if (number.empty()) {
      const std::string table = Text(r, "sys_class_name");
      if (!table.empty()) return "missing field 'number': a " + table + " record, not a task record (incident, or a table mapped in the configuration)";
      return "missing field 'number' (the record number)";
    }
    const std::string table = TableOf(r);
    if (StatesOf(table) == nullptr) {
      return "record " + number + ": table '" + table + "' has its own state codes; map them in the adapter "
             "configuration ({\"tables\": {\"" + table + "\": {\"status_map\": {\"<code>\": \"<status>\"}}}})";
    }
    const std::string updated_text = Text(r, "sys_updated_on");
    const std::string opened_text = !Text(r, "opened_at").empty() ? Text(r, "opened_at") : Text(r, "sys_created_on");
    if (updated_text.empty() && opened_text.empty()) return "missing field 'sys_updated_on' of " + number;
    auto updated = ParseTime(updated_text.empty() ? opened_text : updated_text);
    auto opened = ParseTime(opened_text.empty() ? updated_text : opened_text);
    if (!updated || !opened) return "field 'sys_updated_on' of " + number + " is not a UTC time like 2016-12-12 15:19:57";
    std::string state = Text(r, "state");
    if (state.empty()) state = Text(r, "incident_state");
    auto status = StateValue(table, state, Text(r, "hold_reason"));
    if (!status) return "field 'state' of " + number + ": unknown " + table + " state '" + state + "' (map it in status_map)";
    const std::string mod = Text(r, "sys_mod_count").empty() ? "0" : Text(r, "sys_mod_count");
    const int32_t priority = Priority(Text(r, "priority"));
    const std::string caller = Text(r, "caller_id");
    const Roles roles = RolesOf(r);

    // Every person the record names, by every id the payload gives them.
    for (const char* key : {"caller_id", "opened_by", "assigned_to", "resolved_by", "closed_by"}) {
      if (!EmitIdentity(out, "servicenow", *updated, IdsOf(r, key))) return "";
    }

    // Every version of the record makes the same created event (its id has
    // no version in it), so it holds only what a version cannot change;
    // priority, category and service come with the version's snapshot.
    // Opened when the record says it was (demo data may even have been
    // updated "before" it was opened).
    sdk::Event created = Base(number, *opened, number + ":created", sdk::kCreated);
    created.status = sdk::kNew;
    created.requester_id = caller;
    if (!Display(r, "caller_id").empty()) created.attributes.emplace_back("rapport.requester_name", Display(r, "caller_id"));
    created.actor_id = Text(r, "opened_by").empty() ? caller : Text(r, "opened_by");
    {
      auto ids = IdsOf(r, Text(r, "opened_by").empty() ? "caller_id" : "opened_by");
      SetRole(&created, roles.Of(ids, Unknown(created.actor_id)));
      Name(&created, r, Text(r, "opened_by").empty() ? "caller_id" : "opened_by");
    }
    if (!out.Emit(created)) return "";
    ++*emitted;

    const std::string by = Text(r, "sys_updated_by");
    // Every task record counts its own group reassignments and reopens; they
    // ride on the events of this version of the record (ids with its
    // sys_mod_count or its stated times), so a later version is no conflict.
    auto counted = [&](sdk::Event* e) {
      AddSourceCount(e, kSourceTeamReassignmentCountAttribute, Text(r, "reassignment_count"));
      AddSourceCount(e, kSourceReopenCountAttribute, Text(r, "reopen_count"));
    };
    auto snapshot = [&](const char* field, int32_t kind) {
      sdk::Event e = Base(number, *updated, number + ":" + mod + ":" + field, kind);
      e.actor_id = by;
      SetRole(&e, roles.Of({by}, Unknown(by)));
      counted(&e);
      return e;
    };
    sdk::Event assignment = snapshot("assignment", sdk::kAssignmentChanged);
    assignment.assignee_agent_id = Text(r, "assigned_to");
    assignment.assignee_team = Text(r, "assignment_group");
    if (!Display(r, "assigned_to").empty()) assignment.attributes.emplace_back("rapport.assignee_name", Display(r, "assigned_to"));
    if (!Display(r, "assignment_group").empty()) assignment.attributes.emplace_back("rapport.team_name", Display(r, "assignment_group"));
    if (!assignment.assignee_agent_id.empty() || !assignment.assignee_team.empty()) {
      out.Emit(assignment);
      ++*emitted;
    }
    if (priority != 0) {
      sdk::Event p = snapshot("priority", sdk::kPriorityChanged);
      p.priority = priority;
      out.Emit(p);
      ++*emitted;
    }
    const std::string category = Text(r, "category");
    const std::string service = !Text(r, "business_service").empty() ? Text(r, "business_service") : Text(r, "cmdb_ci");
    if (!category.empty() || !service.empty()) {
      sdk::Event f = snapshot("fields", sdk::kFieldsUpdated);
      f.category = category;
      f.service = service;
      out.Emit(f);
      ++*emitted;
    }
    DisplayedJournal(r, number, roles, out, emitted);
    if (mod == "0" && *status == sdk::kNew) return "";  // nothing has happened since the creation
    auto resolution = [&](sdk::Event* e) {
      if (!Text(r, "close_code").empty() || !Text(r, "close_notes").empty()) {
        e->has_resolution = true;
        e->resolution_code = Text(r, "close_code");
        e->resolution_notes = Text(r, "close_notes");
      }
    };
    // A resolution and a closure happened when the record says they did,
    // by whom it says, not at its last update.
    auto stated = [&](const char* at_key, const char* by_key, const char* what, int32_t to) -> std::string {
      const std::string at_text = Text(r, at_key);
      auto at = ParseTime(at_text);
      if (!at_text.empty() && !at) return "field '" + std::string(at_key) + "' of " + number + " is not a UTC time";
      sdk::Event e = Base(number, at ? *at : *updated, number + ":" + what + ":" + (at ? at_text : mod), sdk::kStatusChanged);
      const std::string who = Text(r, by_key).empty() ? by : Text(r, by_key);
      e.actor_id = who;
      auto ids = Text(r, by_key).empty() ? std::vector<std::string>{by} : IdsOf(r, by_key);
      SetRole(&e, roles.Of(ids, Unknown(who)));
      Name(&e, r, by_key);
      e.status = to;
      resolution(&e);
      counted(&e);
      out.Emit(e);
      ++*emitted;
      return "";
    };
    if (*status == sdk::kResolved || (*status == sdk::kClosed && !Text(r, "resolved_at").empty())) {
      if (std::string p = stated("resolved_at", "resolved_by", "resolved", sdk::kResolved); !p.empty()) return p;
    }
    if (*status == sdk::kClosed) return stated("closed_at", "closed_by", "closed", sdk::kClosed);
    if (*status == sdk::kResolved) return "";
    sdk::Event s = snapshot("status", sdk::kStatusChanged);
    s.status = *status;
    s.status_reason = Text(r, "hold_reason");
    out.Emit(s);
    ++*emitted;
    return "";
  }

  // The record `sys_id` names: in this payload, else as an earlier payload
  // gave it (journal and audit rows are often fetched apart from it).
  const Json* RecordFor(const std::string& sys_id) const {
    auto it = records_.find(sys_id);
    if (it != records_.end()) return it->second;
    auto seen = seen_.find(sys_id);
    return seen == seen_.end() ? nullptr : &seen->second;
  }

  // Keeps what journal and audit rows of a later payload need of record
  // `r`: its number, table, people and assignment.
  void Remember(const Json& r) {
    const std::string sys_id = Text(r, "sys_id");
    if (sys_id.empty()) return;
    if (seen_.size() >= kRememberedRecords && !seen_.count(sys_id)) seen_.clear();  // bounded; the payload's own rows still work
    Json kept = Json::object();
    for (const char* key : {"number", "sys_id", "sys_class_name", "caller_id", "opened_by", "assigned_to", "resolved_by",
                            "closed_by", "assignment_group"}) {
      if (r.contains(key)) kept[key] = r[key];
    }
    seen_[sys_id] = std::move(kept);
  }
  static constexpr size_t kRememberedRecords = 100000;

  // With sysparm_display_value=all a record carries its journal as display
  // values: comments and work notes, each entry under a header with its time
  // in the API user's time zone. Unless the payload has the record's
  // sys_journal_field rows (which say the same with UTC times), each entry
  // becomes a comment. Its time is made UTC with the offset between display
  // and value of the record's own date-times, taken from the one nearest the
  // entry (so a daylight-saving change between the record's dates is
  // followed); its id keeps the display time as written, which a later poll
  // gives alike.
  void DisplayedJournal(const Json& r, const std::string& number, const Roles& roles, sdk::Output& out,
                        uint64_t* emitted) const {
    if (journaled_.count(Text(r, "sys_id"))) return;
    std::vector<std::pair<int64_t, int64_t>> offsets;  // display time (read as UTC), display - value
    for (const auto& [key, field] : r.items()) {
      if (!field.is_object() || !field.contains("display_value") || !field.contains("value")) continue;
      auto value = ParseTime(Text(r, key.c_str()));
      auto display = field["display_value"].is_string() ? ParseTime(field["display_value"].get<std::string>()) : std::nullopt;
      if (value && display && Text(r, key.c_str()).size() == 19) offsets.emplace_back(*display, *display - *value);
    }
    if (offsets.empty()) return;  // not a display_value=all record: no display times to convert
    std::vector<DisplayedEntry> entries;
    for (const char* key : {"comments", "work_notes"}) {
      auto more = DisplayedEntries(Display(r, key));
      entries.insert(entries.end(), more.begin(), more.end());
    }
    if (entries.empty()) entries = DisplayedEntries(Display(r, "comments_and_work_notes"));
    for (const DisplayedEntry& entry : entries) {
      const std::string label = Lower(entry.label);
      if (label != "additional comments" && label != "work notes") continue;  // other journal fields are not conversation
      const int64_t shown = *ParseTime(entry.time);
      int64_t offset = offsets.front().second, distance = -1;
      for (const auto& [display, diff] : offsets) {
        const int64_t d = display > shown ? display - shown : shown - display;
        if (distance < 0 || d < distance) {
          distance = d;
          offset = diff;
        }
      }
      const bool work_note = label == "work notes";
      sdk::Event e = Base(number, shown - offset,
                          number + ":journal:" + (work_note ? "work_notes" : "comments") + ":" + entry.time + ":" +
                              StableId(entry.author + "\n" + entry.text),
                          sdk::kCommentAdded);
      e.actor_id = entry.author;
      SetRole(&e, roles.Of({entry.author}, Unknown(entry.author)));
      e.attributes.emplace_back(kActorNameAttribute, entry.author);
      e.has_comment = true;
      e.comment_text = JournalText(entry.text);
      if (e.comment_text.empty()) e.comment_text = " ";
      e.comment_public = !work_note;
      if (!out.Emit(e)) return;
      ++*emitted;
    }
  }

  std::string Journal(const Json& j, sdk::Output& out, uint64_t* emitted) const {
    const std::string element = Text(j, "element");
    if (element != "comments" && element != "work_notes") return "";  // other journal fields are not conversation
    const Json* record = RecordFor(Text(j, "element_id"));
    if (record == nullptr) {
      return "field 'element_id' " + Text(j, "element_id") + ": its " + (Text(j, "name").empty() ? "task" : Text(j, "name")) +
             " record is neither in the payload nor in an earlier one (send the record, with sysparm_display_value=all, "
             "with or before its journal rows)";
    }
    auto at = ParseTime(Text(j, "sys_created_on"));
    if (!at) return "missing field 'sys_created_on' (a UTC time) of journal entry " + Text(j, "sys_id");
    const std::string number = Text(*record, "number");
    sdk::Event e = Base(number, *at, number + ":journal:" + Text(j, "sys_id"), sdk::kCommentAdded);
    const std::string author = Text(j, "sys_created_by");
    e.actor_id = author;
    SetRole(&e, RolesOf(*record).Of({author}, Unknown(author)));
    e.has_comment = true;
    e.comment_text = JournalText(Text(j, "value"));
    e.comment_public = element == "comments";
    out.Emit(e);
    ++*emitted;
    return "";
  }

  std::string Audit(const Json& a, sdk::Output& out, uint64_t* emitted) const {
    const Json* record = RecordFor(Text(a, "documentkey"));
    if (record == nullptr) {
      return "field 'documentkey' " + Text(a, "documentkey") + ": its " +
             (Text(a, "tablename").empty() ? "task" : Text(a, "tablename")) +
             " record is neither in the payload nor in an earlier one (send the record with or before its audit rows)";
    }
    auto at = ParseTime(Text(a, "sys_created_on"));
    if (!at) return "missing field 'sys_created_on' (a UTC time) of audit row " + Text(a, "sys_id");
    const std::string number = Text(*record, "number");
    const std::string table = TableOf(*record);
    const std::string field = Text(a, "fieldname");
    const std::string value = Text(a, "newvalue");
    sdk::Event e = Base(number, *at, number + ":audit:" + Text(a, "sys_id"), 0);
    e.actor_id = Text(a, "user");
    SetRole(&e, RolesOf(*record).Of({e.actor_id}, Unknown(e.actor_id)));
    if (field == "state" || field == "incident_state") {
      auto s = StateValue(table, value, "");
      if (!s) return "field 'newvalue' of audit row " + Text(a, "sys_id") + ": unknown " + table + " state '" + value + "'";
      e.kind = sdk::kStatusChanged;
      e.status = *s;
    } else if (field == "hold_reason") {
      auto it = holds_.find(Lower(value));
      if (it == holds_.end()) return "";
      e.kind = sdk::kStatusChanged;
      e.status = it->second;
      e.status_reason = value;
    } else if (field == "assigned_to" || field == "assignment_group") {
      e.kind = sdk::kAssignmentChanged;
      (field == "assigned_to" ? e.assignee_agent_id : e.assignee_team) = value;
      // The other half of the assignment is the record's current one.
      if (field == "assigned_to") e.assignee_team = Text(*record, "assignment_group");
    } else if (field == "priority") {
      e.kind = sdk::kPriorityChanged;
      e.priority = Priority(value);
    } else {
      return "";
    }
    out.Emit(e);
    ++*emitted;
    return "";
  }

  std::map<std::string, int32_t> states_, holds_;
  std::map<std::string, std::map<std::string, int32_t>> table_states_;
  // During one Translate:
  std::map<std::string, const Json*> records_;  // by sys_id
  std::vector<const Json*> users_;             // sys_user rows
  int64_t payload_time_ = 0;                   // the latest record time, for user rows without their own
  std::set<std::string> work_note_authors_;     // user names, lower case
  std::set<std::string> journaled_;             // sys_ids of records with journal rows in the payload
  // Across payloads: records by sys_id (see Remember).
  std::map<std::string, Json> seen_;
};

}  // namespace
}  // namespace rapport::adapters

RAPPORT_ADAPTER(rapport_builtin_servicenow, rapport::adapters::ServiceNowAdapter, "servicenow", "1.1.0",
                "ServiceNow Table API records, journal entries, audit rows and sys_user rows")
