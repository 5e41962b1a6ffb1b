// servicenow: Table API records (display_value=false or all) -> canonical events.
//
// A payload is a Table API response ({"result": [...]} or {"result": {...}}),
// one record, or a list; it may mix incident records, sys_journal_field rows
// (comments = visible to the caller, work_notes = internal) and sys_audit
// rows (state, hold_reason, assignment and priority history). Journal and
// audit rows name their incident by sys_id, so the incident record must be in
// the same payload. Times are UTC "YYYY-MM-DD HH:MM:SS".
//
// An incident record is a snapshot: it yields the creation (id
// "<number>:created") and its current state, assignment and priority at
// sys_updated_on (ids "<number>:<sys_mod_count>:<field>"); restating an
// unchanged value changes nothing downstream, so polling the same record
// twice is harmless. Configuration (JSON): {"status_map": {"<state code or
// label>": "<status>"}, "hold_reason_map": {"<code>": "<status>"}}.
#include <map>

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
                 {"3", sdk::kPendingThirdParty}, {"4", sdk::kPendingThirdParty}, {"5", sdk::kPendingThirdParty}};
    if (!ParseStatusMap(config, "status_map", &a->states_, error) ||
        !ParseStatusMap(config, "hold_reason_map", &a->holds_, error)) {
      return nullptr;
    }
    return a;
  }

  rapport_status Translate(const sdk::Payload& payload, sdk::Output& out, std::string* error) override {
    auto json = ParseJson(payload.body, error);
    if (!json) return RAPPORT_ERR_PERMANENT;
    std::vector<const Json*> records;
    const Json* root = &*json;
    if (root->is_object() && root->contains("result")) root = &(*root)["result"];
    if (root->is_array()) {
      for (const Json& r : *root) records.push_back(&r);
    } else {
      records.push_back(root);
    }
    // Incidents first, so journal and audit rows can name them.
    for (const Json* r : records) {
      if (r->is_object() && r->contains("number")) incidents_[Text(*r, "sys_id")] = r;
    }
    uint64_t emitted = 0, rejected = 0;
    std::string first_reject;
    auto reject = [&](uint64_t i, const std::string& code, const std::string& message) {
      if (rejected++ == 0) first_reject = message;
      out.Reject(i, code, message);
    };
    for (uint64_t i = 0; i < records.size(); ++i) {
      const Json& r = *records[i];
      if (!r.is_object()) {
        reject(i, "INVALID_VALUE", "record " + std::to_string(i) + " is not a JSON object");
        continue;
      }
      std::string problem;
      if (r.contains("element") && r.contains("element_id")) {
        problem = Journal(r, out, &emitted);
      } else if (r.contains("fieldname") && r.contains("documentkey")) {
        problem = Audit(r, out, &emitted);
      } else {
        problem = Incident(r, out, &emitted);
      }
      if (!problem.empty()) reject(i, problem.rfind("missing", 0) == 0 ? "MISSING_FIELD" : "INVALID_VALUE", problem);
    }
    incidents_.clear();
    if (emitted == 0 && rejected > 0) {
      *error = first_reject;
      return RAPPORT_ERR_PERMANENT;
    }
    return RAPPORT_OK;
  }

 private:
  sdk::Event Base(const std::string& number, int64_t at, const std::string& id, int32_t kind) const {
    sdk::Event e;
    e.ticket_id = number;
    e.event_id = id;
    e.occurred_at_us = at;
    e.source = "servicenow";
    e.kind = kind;
    return e;
  }

  std::optional<int32_t> State(const Json& r) const {
    std::string state = Text(r, "state");
    if (state.empty()) state = Text(r, "incident_state");
    auto it = states_.find(Lower(state));
    if (it == states_.end()) return std::nullopt;
    if (it->second == sdk::kPendingThirdParty && (Lower(state) == "3" || Lower(state) == "on hold")) {
      auto hold = holds_.find(Lower(Text(r, "hold_reason")));
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

  std::string Incident(const Json& r, sdk::Output& out, uint64_t* emitted) const {
    const std::string number = Text(r, "number");
    if (number.empty()) return "missing field 'number' (the incident number)";
    const std::string updated_text = Text(r, "sys_updated_on");
    const std::string opened_text = !Text(r, "opened_at").empty() ? Text(r, "opened_at") : Text(r, "sys_created_on");
    if (updated_text.empty() && opened_text.empty()) return "missing field 'sys_updated_on' of " + number;
    auto updated = ParseTime(updated_text.empty() ? opened_text : updated_text);
    auto opened = ParseTime(opened_text.empty() ? updated_text : opened_text);
    if (!updated || !opened) return "field 'sys_updated_on' of " + number + " is not a UTC time like 2016-12-12 15:19:57";
    auto status = State(r);
    if (!status) return "field 'state' of " + number + ": unknown state '" + Text(r, "state") + "' (map it in status_map)";
    const std::string mod = Text(r, "sys_mod_count").empty() ? "0" : Text(r, "sys_mod_count");
    const int32_t priority = Priority(Text(r, "priority"));
    const std::string caller = Text(r, "caller_id");

    sdk::Event created = Base(number, std::min(*opened, *updated), number + ":created", sdk::kCreated);
    created.status = sdk::kNew;
    created.priority = priority;
    created.requester_id = caller;
    created.category = Text(r, "category");
    created.service = !Text(r, "business_service").empty() ? Text(r, "business_service") : Text(r, "cmdb_ci");
    created.actor_id = Text(r, "opened_by").empty() ? caller : Text(r, "opened_by");
    created.actor_role = Text(r, "opened_by").empty() || Text(r, "opened_by") == caller ? sdk::kRequester : sdk::kOther;
    if (!out.Emit(created)) return "";
    ++*emitted;
    if (mod == "0" && *status == sdk::kNew) return "";

    const std::string by = Text(r, "sys_updated_by");
    auto snapshot = [&](const char* field, int32_t kind) {
      sdk::Event e = Base(number, *updated, number + ":" + mod + ":" + field, kind);
      e.actor_id = by;
      e.actor_role = by.empty() ? sdk::kSystem : sdk::kAgent;
      return e;
    };
    sdk::Event assignment = snapshot("assignment", sdk::kAssignmentChanged);
    assignment.assignee_agent_id = Text(r, "assigned_to");
    assignment.assignee_team = Text(r, "assignment_group");
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
    sdk::Event s = snapshot("status", sdk::kStatusChanged);
    s.status = *status;
    s.status_reason = Text(r, "hold_reason");
    if ((*status == sdk::kResolved || *status == sdk::kClosed) &&
        (!Text(r, "close_code").empty() || !Text(r, "close_notes").empty())) {
      s.has_resolution = true;
      s.resolution_code = Text(r, "close_code");
      s.resolution_notes = Text(r, "close_notes");
    }
    out.Emit(s);
    ++*emitted;
    return "";
  }

  const Json* IncidentFor(const std::string& sys_id) const {
    auto it = incidents_.find(sys_id);
    return it == incidents_.end() ? nullptr : it->second;
  }

  std::string Journal(const Json& j, sdk::Output& out, uint64_t* emitted) const {
    const std::string element = Text(j, "element");
    if (element != "comments" && element != "work_notes") return "";  // other journal fields are not conversation
    const Json* incident = IncidentFor(Text(j, "element_id"));
    if (incident == nullptr) {
      return "field 'element_id' " + Text(j, "element_id") + ": its incident record is not in the payload";
    }
    auto at = ParseTime(Text(j, "sys_created_on"));
    if (!at) return "missing field 'sys_created_on' (a UTC time) of journal entry " + Text(j, "sys_id");
    const std::string number = Text(*incident, "number");
    sdk::Event e = Base(number, *at, number + ":journal:" + Text(j, "sys_id"), sdk::kCommentAdded);
    const std::string author = Text(j, "sys_created_by");
    e.actor_id = author;
    // The caller writes additional comments from the portal; everyone else on
    // the incident is staff.
    const std::string caller = Text(*incident, "caller_id");
    const std::string caller_name = incident->contains("caller_id") && (*incident)["caller_id"].is_object()
                                        ? Text((*incident)["caller_id"], "display_value")
                                        : "";
    e.actor_role = !author.empty() && (Lower(author) == Lower(caller) || Lower(author) == Lower(caller_name))
                       ? sdk::kRequester
                       : sdk::kAgent;
    e.has_comment = true;
    e.comment_text = JournalText(Text(j, "value"));
    e.comment_public = element == "comments";
    out.Emit(e);
    ++*emitted;
    return "";
  }

  std::string Audit(const Json& a, sdk::Output& out, uint64_t* emitted) const {
    const Json* incident = IncidentFor(Text(a, "documentkey"));
    if (incident == nullptr) {
      return "field 'documentkey' " + Text(a, "documentkey") + ": its incident record is not in the payload";
    }
    auto at = ParseTime(Text(a, "sys_created_on"));
    if (!at) return "missing field 'sys_created_on' (a UTC time) of audit row " + Text(a, "sys_id");
    const std::string number = Text(*incident, "number");
    const std::string field = Text(a, "fieldname");
    const std::string value = Text(a, "newvalue");
    sdk::Event e = Base(number, *at, number + ":audit:" + Text(a, "sys_id"), 0);
    e.actor_id = Text(a, "user");
    e.actor_role = sdk::kAgent;
    if (field == "state" || field == "incident_state") {
      auto it = states_.find(Lower(value));
      if (it == states_.end()) return "field 'newvalue' of audit row " + Text(a, "sys_id") + ": unknown state '" + value + "'";
      e.kind = sdk::kStatusChanged;
      e.status = it->second;
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
      if (field == "assigned_to") e.assignee_team = Text(*incident, "assignment_group");
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
  std::map<std::string, const Json*> incidents_;  // by sys_id, during one Translate
};

}  // namespace
}  // namespace rapport::adapters

RAPPORT_ADAPTER(rapport_builtin_servicenow, rapport::adapters::ServiceNowAdapter, "servicenow", "1.0.0",
                "ServiceNow Table API incident records, journal entries and audit rows")
