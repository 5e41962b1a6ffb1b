// zendesk: ticket event webhooks (zen:event-type:ticket.*) and ticket audits
// ({"audits": [...]}, from /api/v2/tickets/{id}/audits or the incremental
// /api/v2/ticket_audits, best with ?include=users,tickets) -> canonical
// events.
//
// Webhook ids are the event's uuid; audit event ids are
// "<audit id>:<event id>". Statuses: new, open, pending (waiting for the
// requester), hold (waiting for a third party), solved, closed; the
// configuration may map custom ones ({"status_map": {"awaiting parts":
// "pending_third_party"}}). A custom status (ticket.custom_status_changed,
// or an audit's custom_status_id change) counts as its category — the
// ticket's status — unless the configuration maps its id
// ({"custom_status_map": {"8447320465790": "pending_third_party"}}).
//
// Ticket metrics (/api/v2/ticket_metrics, /api/v2/tickets/{id}/metrics, or
// sideloaded with ?include=metric_sets) are Zendesk's own counters: each
// becomes a fields-updated event, id "zendesk:metrics:<id>:<updated_at>",
// stating reopens, assignee_stations − 1 and group_stations − 1 as the
// ticket's source counts (docs/adapters.md).
//
// Roles: the ticket's requester_id (the webhook's detail, the payload's
// "ticket" or sideloaded "tickets") is the requester under every id the
// sideloaded "users" give them (id, email); users whose role is agent or
// admin, a comment author with is_staff true, and the assignee are staff;
// the system user (-1) is SYSTEM; an end-user who is not the requester and
// anyone the payload does not describe are OTHER, with the reason.
#include <map>

#include "common/adapter_util.h"

namespace rapport::adapters {
namespace {

const Json& Member(const Json& object, const char* key) {
  static const Json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

class ZendeskAdapter final : public sdk::Adapter {
 public:
  static std::unique_ptr<ZendeskAdapter> Create(std::string_view config, std::string* error) {
    auto a = std::make_unique<ZendeskAdapter>();
    a->statuses_ = {{"new", sdk::kNew}, {"open", sdk::kInProgress}, {"pending", sdk::kPendingRequester},
                    {"hold", sdk::kPendingThirdParty}, {"solved", sdk::kResolved}, {"closed", sdk::kClosed},
                    {"deleted", sdk::kCanceled}};
    if (!ParseStatusMap(config, "status_map", &a->statuses_, error) ||
        !ParseStatusMap(config, "custom_status_map", &a->custom_statuses_, error)) {
      return nullptr;
    }
    return a;
  }

  rapport_status Translate(const sdk::Payload& payload, sdk::Output& out, std::string* error) override {
    auto json = ParseJson(payload.body, error);
    if (!json) return RAPPORT_ERR_PERMANENT;
    if (json->is_object() && json->contains("audits")) {
      EmitUsers(Member(*json, "users"), out);
      return Audits(*json, out, error);
    }
    if (json->is_object() && (json->contains("ticket_metrics") || json->contains("ticket_metric"))) {
      const uint64_t emitted = Metrics(*json, out);
      if (emitted == 0) *error = "zendesk: the ticket metrics carry nothing to record (no ticket_id and updated_at)";
      return RAPPORT_OK;
    }
    if (json->is_object() && (Member(*json, "users").is_array() || Member(*json, "user").is_object())) {
      return Users(*json, out, error);
    }
    if (json->is_object() && Text(*json, "type").rfind("zen:event-type:ticket.", 0) == 0) return Webhook(*json, out, error);
    *error = "field 'type': expected a zen:event-type:ticket.* webhook, an {\"audits\": [...]} list, ticket metrics "
             "or a {\"users\": [...]} export";
    return RAPPORT_ERR_PERMANENT;
  }

 private:
  static int32_t PriorityOf(const std::string& p) { return PriorityByCommonName(p); }

  std::optional<int32_t> StatusOf(const std::string& s) const {
    auto it = statuses_.find(Lower(s));
    if (it == statuses_.end()) return std::nullopt;
    return it->second;
  }

  static std::string UnknownUser(const std::string& id) {
    return "the payload does not say whether user " + id +
           " is staff (fetch audits with ?include=users,tickets; webhooks say it only for comment authors)";
  }

  rapport_status Webhook(const Json& body, sdk::Output& out, std::string* error) const {
    const std::string type = Text(body, "type").substr(22);  // after "zen:event-type:ticket."
    const Json& detail = Member(body, "detail");
    const Json& event = Member(body, "event");
    const std::string ticket = Text(detail, "id");
    if (ticket.empty()) return Fail(error, "missing field 'detail.id' (the ticket id)");
    const std::string id = Text(body, "id");
    if (id.empty()) return Fail(error, "missing field 'id' (the event id)");
    auto at = ParseTime(Text(body, "time"));
    if (!at) return Fail(error, "missing field 'time' (an ISO 8601 time)");
    sdk::Event e;
    e.ticket_id = ticket;
    e.event_id = "zendesk:" + id;
    e.occurred_at_us = *at;
    e.source = "zendesk";
    e.actor_id = Text(detail, "actor_id");
    const std::string requester = Text(detail, "requester_id");
    Roles roles;
    roles.AddRequester(requester);
    roles.AddStaff(Text(detail, "assignee_id"));
    roles.AddSystem("-1");
    SetRole(&e, roles.Of({e.actor_id}, UnknownUser(e.actor_id)));
    if (type == "created") {
      e.kind = sdk::kCreated;
      e.status = StatusOf(Text(detail, "status")).value_or(sdk::kNew);
      e.priority = PriorityOf(Text(detail, "priority"));
      e.requester_id = requester;
      e.assignee_agent_id = Text(detail, "assignee_id");
      e.assignee_team = Text(detail, "group_id");
      e.category = Lower(Text(detail, "type"));
    } else if (type == "status_changed") {
      auto s = StatusOf(Text(event, "current"));
      if (!s) return Fail(error, "field 'event.current': unknown status '" + Text(event, "current") + "'");
      e.kind = sdk::kStatusChanged;
      e.status = *s;
    } else if (type == "custom_status_changed") {
      // A custom status counts as its category (the ticket's status) unless mapped.
      auto mapped = custom_statuses_.find(Lower(Text(event, "current")));
      auto s = mapped != custom_statuses_.end() ? std::optional<int32_t>(mapped->second) : StatusOf(Text(detail, "status"));
      if (!s) {
        return Fail(error, "field 'detail.status': unknown status category '" + Text(detail, "status") +
                               "' for custom status " + Text(event, "current") + " (map it in custom_status_map)");
      }
      e.kind = sdk::kStatusChanged;
      e.status = *s;
      e.status_reason = Text(event, "current");
    } else if (type == "priority_changed") {
      e.kind = sdk::kPriorityChanged;
      e.priority = PriorityOf(Text(event, "current"));
    } else if (type == "agent_assignment_changed" || type == "group_assignment_changed") {
      e.kind = sdk::kAssignmentChanged;
      e.assignee_agent_id = type == "agent_assignment_changed" ? Text(event, "current") : Text(detail, "assignee_id");
      e.assignee_team = type == "group_assignment_changed" ? Text(event, "current") : Text(detail, "group_id");
    } else if (type == "comment_added") {
      const Json& c = Member(event, "comment");
      if (!c.is_object()) return Fail(error, "missing field 'event.comment'");
      e.kind = sdk::kCommentAdded;
      e.has_comment = true;
      e.comment_text = !Text(c, "body").empty() ? Text(c, "body") : HtmlToText(Text(c, "html_body"));
      e.comment_public = !c.contains("is_public") || !c["is_public"].is_boolean() || c["is_public"].get<bool>();
      const Json& author = Member(c, "author");
      e.actor_id = Text(author, "id");
      e.attributes.clear();
      const Json& staff = Member(author, "is_staff");
      if (roles.IsRequester(e.actor_id)) {
        e.actor_role = sdk::kRequester;
      } else if (staff.is_boolean()) {
        SetRole(&e, staff.get<bool>() ? Roles::Verdict{sdk::kAgent, ""}
                                      : Roles::Verdict{sdk::kOther, "an end-user who is not the ticket's requester"});
      } else {
        SetRole(&e, roles.Of({e.actor_id}, UnknownUser(e.actor_id)));
      }
    } else {
      *error = "zendesk: event type " + type + ": nothing to record";
      return RAPPORT_OK;
    }
    out.Emit(e);
    return RAPPORT_OK;
  }

  // Each user's id and email are one person for the directory, at the
  // time the user record states (kTimelessFactUs when none). Returns how
  // many users gave a fact.
  static uint64_t EmitUsers(const Json& users, sdk::Output& out) {
    uint64_t facts = 0;
    if (!users.is_array()) return 0;
    for (const Json& u : users) {
      if (Text(u, "id").empty() || Text(u, "email").empty()) continue;
      auto at = ParseTime(!Text(u, "updated_at").empty() ? Text(u, "updated_at") : Text(u, "created_at"));
      ++facts;
      if (!EmitIdentity(out, "zendesk", at ? *at : kTimelessFactUs, {Text(u, "id"), Text(u, "email")})) break;
    }
    return facts;
  }

  // A user export (GET /api/v2/users, or one {"user": {...}}): alias facts only.
  static rapport_status Users(const Json& body, sdk::Output& out, std::string* error) {
    Json list = Member(body, "users").is_array() ? body["users"] : Json::array({body["user"]});
    for (uint64_t i = 0; i < list.size(); ++i) {
      if (Text(list[i], "id").empty()) out.Reject(i, "MISSING_FIELD", "user " + std::to_string(i) + " has no id");
    }
    if (EmitUsers(list, out) == 0 && !list.empty()) {
      return Fail(error, "no user of the export has both an id and an email (nothing names one person twice)");
    }
    return RAPPORT_OK;
  }

  // Who is who on `ticket_id`, from the payload's ticket(s) and users.
  static std::string RequesterOf(const Json& body, const std::string& ticket_id) {
    std::string requester = TextAt(body, {"ticket", "requester_id"});
    if (Text(Member(body, "ticket"), "id") != ticket_id && !Text(Member(body, "ticket"), "id").empty()) requester.clear();
    if (Member(body, "tickets").is_array()) {
      for (const Json& t : body["tickets"]) {
        if (Text(t, "id") == ticket_id) requester = Text(t, "requester_id");
      }
    }
    return requester;
  }

  Roles AuditRoles(const Json& body, const std::string& ticket_id) const {
    Roles roles;
    const std::string requester = RequesterOf(body, ticket_id);
    roles.AddRequester(requester);
    roles.AddSystem("-1");
    if (Member(body, "users").is_array()) {
      for (const Json& u : body["users"]) {
        const std::string role = Lower(Text(u, "role"));
        if (!requester.empty() && Text(u, "id") == requester) {
          roles.AddRequester(Text(u, "email"));
        } else if (role == "agent" || role == "admin") {
          roles.AddStaff(Text(u, "id"));
          roles.AddStaff(Text(u, "email"));
        }
      }
    }
    return roles;
  }

  // The reason for a user the payload calls an end-user but not the requester.
  static std::string EndUserReason(const Json& body, const std::string& id) {
    if (Member(body, "users").is_array()) {
      for (const Json& u : body["users"]) {
        if (Text(u, "id") == id && Lower(Text(u, "role")) == "end-user") {
          return "user " + id + " is an end-user who is not the ticket's requester (a CC or follower)";
        }
      }
    }
    return UnknownUser(id);
  }

  rapport_status Audits(const Json& body, sdk::Output& out, std::string* error) const {
    if (!body["audits"].is_array()) return Fail(error, "field 'audits' must be a list");
    uint64_t emitted = 0, index = 0, rejected = 0;
    std::string first;
    for (const Json& audit : body["audits"]) {
      const uint64_t record = index++;
      const std::string ticket_id = Text(audit, "ticket_id");
      auto at = ParseTime(Text(audit, "created_at"));
      std::string problem = ticket_id.empty() ? "missing field 'ticket_id' of audit " + Text(audit, "id")
                            : !at            ? "missing field 'created_at' of audit " + Text(audit, "id")
                            : !audit.contains("events") || !audit["events"].is_array()
                                ? "missing field 'events' of audit " + Text(audit, "id")
                                : "";
      if (!problem.empty()) {
        if (rejected++ == 0) first = problem;
        out.Reject(record, "MISSING_FIELD", problem);
        continue;
      }
      const Roles roles = AuditRoles(body, ticket_id);
      const std::string requester = RequesterOf(body, ticket_id);
      const std::string author = Text(audit, "author_id");
      for (const Json& ev : audit["events"]) {
        const std::string type = Text(ev, "type");
        sdk::Event e;
        e.ticket_id = ticket_id;
        e.event_id = "zendesk:" + Text(audit, "id") + ":" + Text(ev, "id");
        e.occurred_at_us = *at;
        e.source = "zendesk";
        e.actor_id = !Text(ev, "author_id").empty() ? Text(ev, "author_id") : author;
        SetRole(&e, roles.Of({e.actor_id}, EndUserReason(body, e.actor_id)));
        if (type == "Create" || type == "Change") {
          const std::string field = Text(ev, "field_name");
          const std::string value = Text(ev, "value");
          if (field == "status") {
            auto s = StatusOf(value);
            if (!s) continue;
            e.kind = type == "Create" ? sdk::kCreated : sdk::kStatusChanged;
            e.status = *s;
            if (type == "Create") e.requester_id = requester.empty() ? author : requester;
          } else if (field == "custom_status_id" && type == "Change") {
            // Only a mapped custom status says more than the status change beside it.
            auto mapped = custom_statuses_.find(Lower(value));
            if (mapped == custom_statuses_.end()) continue;
            e.kind = sdk::kStatusChanged;
            e.status = mapped->second;
            e.status_reason = value;
          } else if (field == "priority" && type == "Change") {
            e.kind = sdk::kPriorityChanged;
            e.priority = PriorityOf(value);
          } else if ((field == "assignee_id" || field == "group_id") && type == "Change") {
            e.kind = sdk::kAssignmentChanged;
            (field == "assignee_id" ? e.assignee_agent_id : e.assignee_team) = value;
          } else {
            continue;
          }
        } else if (type == "Comment") {
          e.kind = sdk::kCommentAdded;
          e.has_comment = true;
          e.comment_text = !Text(ev, "plain_body").empty() ? Text(ev, "plain_body") : Text(ev, "body");
          if (e.comment_text.empty()) e.comment_text = HtmlToText(Text(ev, "html_body"));
          e.comment_public = !ev.contains("public") || !ev["public"].is_boolean() || ev["public"].get<bool>();
        } else {
          continue;  // notifications and undocumented types
        }
        out.Emit(e);
        ++emitted;
      }
    }
    emitted += Metrics(body, out);
    if (emitted == 0 && rejected > 0) return Fail(error, first);
    if (emitted == 0) *error = "zendesk: the audits carry nothing to record (no status, priority, assignment or comment)";
    return RAPPORT_OK;
  }

  // The ticket metrics a payload carries, wherever the API put them.
  static std::vector<const Json*> MetricRecords(const Json& body) {
    std::vector<const Json*> records;
    if (Member(body, "ticket_metric").is_object()) records.push_back(&body["ticket_metric"]);
    for (const char* list : {"ticket_metrics", "metric_sets"}) {
      if (!Member(body, list).is_array()) continue;
      for (const Json& m : body[list]) records.push_back(&m);
    }
    return records;
  }

  // A station count of n means n − 1 changes after the first.
  static std::string ChangesOf(const Json& metric, const char* stations) {
    const std::string n = Text(metric, stations);
    if (n.empty() || n.size() > 9 || n.find_first_not_of("0123456789") != std::string::npos) return "";
    return n == "0" ? "" : std::to_string(std::stoul(n) - 1);
  }

  static uint64_t Metrics(const Json& body, sdk::Output& out) {
    uint64_t emitted = 0;
    for (const Json* m : MetricRecords(body)) {
      auto at = ParseTime(Text(*m, "updated_at"));
      if (Text(*m, "ticket_id").empty() || !at) continue;
      sdk::Event e;
      e.ticket_id = Text(*m, "ticket_id");
      e.event_id = "zendesk:metrics:" + Text(*m, "id") + ":" + Text(*m, "updated_at");
      e.occurred_at_us = *at;
      e.source = "zendesk";
      e.kind = sdk::kFieldsUpdated;
      e.actor_id = "-1";
      e.actor_role = sdk::kSystem;
      AddSourceCount(&e, kSourceReopenCountAttribute, Text(*m, "reopens"));
      AddSourceCount(&e, kSourceReassignmentCountAttribute, ChangesOf(*m, "assignee_stations"));
      AddSourceCount(&e, kSourceTeamReassignmentCountAttribute, ChangesOf(*m, "group_stations"));
      if (e.attributes.empty()) continue;
      out.Emit(e);
      ++emitted;
    }
    return emitted;
  }

  static rapport_status Fail(std::string* error, std::string message) {
    *error = std::move(message);
    return RAPPORT_ERR_PERMANENT;
  }

  std::map<std::string, int32_t> statuses_, custom_statuses_;
};

}  // namespace
}  // namespace rapport::adapters

RAPPORT_ADAPTER(rapport_builtin_zendesk, rapport::adapters::ZendeskAdapter, "zendesk", "1.1.0",
                "Zendesk ticket event webhooks and ticket audits (with users and tickets sideloaded)")
