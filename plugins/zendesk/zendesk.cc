// zendesk: ticket event webhooks (zen:event-type:ticket.*), ticket audits
// ({"audits": [...]}, one {"audit": {...}} or a bare list, from
// /api/v2/tickets/{id}/audits or the incremental /api/v2/ticket_audits,
// best with ?include=users,tickets), the incremental ticket events export
// ({"ticket_events": [...]}, /api/v2/incremental/ticket_events, best with
// ?include=comment_events: each record is read as the audit it is, its
// child events as that audit's events) and satisfaction ratings
// (/api/v2/satisfaction_ratings) -> canonical events. A ticket record
// alone states only the current state and is refused with what to send.
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
// Satisfaction ratings (an audit's satisfaction_score change to good or
// bad, a SatisfactionRating event, or the ratings API) are the requester's
// surveys: good 1, bad 0 on a 0..1 scale, with the rating's comment.
//
// Roles: the ticket's requester_id (the webhook's detail, the payload's
// "ticket" or sideloaded "tickets", else the audits' own requester_id
// change or creation) is the requester under every id the sideloaded
// "users" give them (id, email); users whose role is agent or admin, a
// comment author with is_staff true, and every assignee the payload names
// (the ticket's, an audit's assignee_id change) are staff;
// the system user (-1) is SYSTEM; an end-user who is not the requester and
// anyone the payload does not describe are OTHER, with the reason.
#include <cstdio>
#include <map>
#include <vector>

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
    // One audit (GET /api/v2/tickets/{id}/audits/{audit_id}), or a bare list of them.
    if (json->is_object() && Member(*json, "audit").is_object()) {
      Json body = *json;
      body["audits"] = Json::array({body["audit"]});
      EmitUsers(Member(body, "users"), out);
      return Audits(body, out, error);
    }
    if (json->is_array() && !json->empty() && (*json)[0].is_object() && (*json)[0].contains("events") &&
        (*json)[0].contains("ticket_id")) {
      return Audits(Json{{"audits", *json}}, out, error);
    }
    if (json->is_object() && Member(*json, "ticket_events").is_array()) {
      EmitUsers(Member(*json, "users"), out);
      return Audits(TicketEventsAsAudits(*json), out, error);
    }
    if (json->is_object() && (Member(*json, "satisfaction_ratings").is_array() ||
                              Member(*json, "satisfaction_rating").is_object())) {
      return SatisfactionRatings(*json, out, error);
    }
    if (json->is_object() && (json->contains("ticket_metrics") || json->contains("ticket_metric"))) {
      const uint64_t emitted = Metrics(*json, out);
      if (emitted == 0) *error = "zendesk: the ticket metrics carry nothing to record (no ticket_id and updated_at)";
      return RAPPORT_OK;
    }
    if (json->is_object() && (Member(*json, "ticket").is_object() || Member(*json, "tickets").is_array())) {
      return Fail(error, "a ticket record states only the ticket's current state: send its audits "
                         "(GET /api/v2/tickets/{id}/audits?include=users,tickets), the incremental ticket events "
                         "export (?include=comment_events) or ticket event webhooks");
    }
    if (json->is_object() && (Member(*json, "users").is_array() || Member(*json, "user").is_object())) {
      return Users(*json, out, error);
    }
    if (json->is_object() && (Text(*json, "type").rfind("zen:event-type:ticket.", 0) == 0 ||
                              Text(*json, "type").rfind("zen:event-type:messaging_ticket.", 0) == 0)) {
      return Webhook(*json, out, error);
    }
    *error = "field 'type': expected a zen:event-type:ticket.* webhook, ticket audits ({\"audits\": [...]}), the "
             "incremental ticket events export ({\"ticket_events\": [...]}), satisfaction ratings, ticket metrics "
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
    const std::string full_type = Text(body, "type");
    const bool messaging = full_type.rfind("zen:event-type:messaging_ticket.", 0) == 0;
    const std::string type = full_type.substr(full_type.find('.') + 1);  // after "…ticket."
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
    if (messaging && type == "message_added") {
      // A messaging conversation (web widget, mobile SDK, social channels):
      // its actor says whether the customer, an agent or a bot wrote.
      const Json& actor = Member(event, "actor");
      const Json& message = Member(event, "message");
      if (!message.is_object()) return Fail(error, "missing field 'event.message'");
      const std::string kind = Lower(Text(actor, "type"));
      e.kind = sdk::kCommentAdded;
      e.has_comment = true;
      e.comment_text = Text(message, "body").empty() ? " " : Text(message, "body");
      e.comment_public = true;
      e.actor_id = Text(actor, "id");
      e.attributes.clear();
      if (kind == "system" || kind == "bot" || kind == "business_bot") {
        e.actor_role = sdk::kSystem;
      } else if (kind == "agent" || kind == "business") {
        e.actor_role = sdk::kAgent;
      } else if ((kind == "end_user" || kind == "customer" || kind == "user") &&
                 (requester.empty() || requester == e.actor_id)) {
        e.actor_role = sdk::kRequester;  // the conversation's one end user
      } else {
        SetRole(&e, {sdk::kOther, "messaging actor type '" + kind + "' does not say who wrote"});
      }
    } else if (messaging) {
      *error = "zendesk: event type messaging_ticket." + type + ": nothing to record";
      return RAPPORT_OK;
    } else if (type == "created") {
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

  // Who requested `ticket_id`: the payload's ticket(s) say it; else the
  // audits' own requester_id (set at creation, or changed later: the last one).
  static std::string RequesterOf(const Json& body, const std::string& ticket_id) {
    std::string requester = TextAt(body, {"ticket", "requester_id"});
    if (Text(Member(body, "ticket"), "id") != ticket_id && !Text(Member(body, "ticket"), "id").empty()) requester.clear();
    if (Member(body, "tickets").is_array()) {
      for (const Json& t : body["tickets"]) {
        if (Text(t, "id") == ticket_id) requester = Text(t, "requester_id");
      }
    }
    if (!requester.empty() || !Member(body, "audits").is_array()) return requester;
    for (const Json& audit : body["audits"]) {
      if (Text(audit, "ticket_id") != ticket_id || !Member(audit, "events").is_array()) continue;
      for (const Json& ev : audit["events"]) {
        const std::string type = Text(ev, "type");
        if ((type == "Create" || type == "Change") && Text(ev, "field_name") == "requester_id" &&
            !Text(ev, "value").empty()) {
          requester = Text(ev, "value");
        }
      }
    }
    return requester;
  }

  // Who is who on `ticket_id`: the requester; staff are the users whose
  // role is agent or admin, and whoever the audits make (or made) the
  // assignee; -1 is the system.
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
    if (Member(body, "tickets").is_array()) {
      for (const Json& t : body["tickets"]) {
        if (Text(t, "id") == ticket_id) roles.AddStaff(Text(t, "assignee_id"));
      }
    }
    if (Text(Member(body, "ticket"), "id") == ticket_id) roles.AddStaff(TextAt(body, {"ticket", "assignee_id"}));
    if (Member(body, "audits").is_array()) {
      for (const Json& audit : body["audits"]) {
        if (Text(audit, "ticket_id") != ticket_id || !Member(audit, "events").is_array()) continue;
        for (const Json& ev : audit["events"]) {
          const std::string type = Text(ev, "type");
          if ((type == "Create" || type == "Change") && Text(ev, "field_name") == "assignee_id") {
            roles.AddStaff(Text(ev, "value"));
            roles.AddStaff(Text(ev, "previous_value"));
          } else if (type == "SatisfactionRating") {
            roles.AddStaff(Text(ev, "assignee_id"));
          }
        }
      }
    }
    return roles;
  }

  // The incremental ticket events export (GET /api/v2/incremental/ticket_events,
  // best with ?include=comment_events) as audits: each record is an audit
  // (same id) whose child events name the field they set as a key
  // ({"status": "open", "previous_value": "new", "event_type": "Change"}).
  static Json TicketEventsAsAudits(const Json& body) {
    static const char* kFields[] = {"status", "priority", "assignee_id", "group_id", "requester_id", "custom_status_id",
                                    "satisfaction_score", "satisfaction_comment", "type"};
    Json audits = Json::array();
    for (const Json& record : body["ticket_events"]) {
      Json audit = Json::object();
      for (const char* k : {"id", "ticket_id", "created_at", "via"}) {
        if (record.is_object() && record.contains(k)) audit[k] = record[k];
      }
      if (Text(record, "created_at").empty() && Member(record, "timestamp").is_number_integer()) {
        const int64_t t = record["timestamp"].get<int64_t>();
        if (t >= 0 && t < 100'000'000'000LL) {
          // Seconds since the epoch, as "YYYY-MM-DDTHH:MM:SSZ".
          const int64_t days = t / 86400, secs = t % 86400;
          int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
          int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365, y = yoe + era * 400;
          int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
          int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
          char text[32];
          std::snprintf(text, sizeof(text), "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", static_cast<long long>(y + (m <= 2)),
                        static_cast<long long>(m), static_cast<long long>(d), static_cast<long long>(secs / 3600),
                        static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
          audit["created_at"] = text;
        }
      }
      audit["author_id"] = Member(record, "updater_id");
      Json events = Json::array();
      const Json& children = Member(record, "child_events");
      for (const Json& child : children.is_array() ? children : Json::array()) {
        std::string type = Text(child, "event_type");
        if (type.empty()) type = Text(child, "type");
        Json ev = Json::object();
        ev["id"] = Member(child, "id");
        ev["type"] = type;
        if (type == "Comment") {
          for (const char* k : {"author_id", "body", "plain_body", "html_body", "public"}) {
            if (child.contains(k)) ev[k] = child[k];
          }
          if (!child.contains("public") && Member(child, "comment_public").is_boolean()) ev["public"] = child["comment_public"];
          // Without include=comment_events only the fact of a comment is known.
          if (!child.contains("body") && !child.contains("plain_body") && !child.contains("html_body")) ev["body"] = " ";
          events.push_back(ev);
          continue;
        }
        if (child.contains("field_name")) {
          events.push_back(child);
          events.back()["type"] = type;
          continue;
        }
        for (const char* field : kFields) {
          if (!child.is_object() || !child.contains(field)) continue;
          Json change = ev;
          change["field_name"] = field;
          change["value"] = child[field];
          if (child.contains("previous_value")) change["previous_value"] = child["previous_value"];
          events.push_back(change);
        }
      }
      audit["events"] = events;
      audits.push_back(audit);
    }
    Json out = Json::object();
    out["audits"] = audits;
    for (const char* k : {"users", "tickets"}) {
      if (body.contains(k)) out[k] = body[k];
    }
    return out;
  }

  // A satisfaction rating as a survey: good 1, bad 0 on a 0..1 scale.
  static bool SurveyScore(const std::string& score, sdk::Event* e) {
    const std::string s = Lower(score);
    if (s != "good" && s != "bad") return false;  // offered, unoffered: no answer yet
    e->kind = sdk::kSurveyReceived;
    e->has_survey = true;
    e->survey_score = s == "good" ? 1 : 0;
    e->survey_scale_min = 0;
    e->survey_scale_max = 1;
    return true;
  }

  // Satisfaction ratings (GET /api/v2/satisfaction_ratings, or one): each
  // answered rating is the requester's survey, at the time it was given.
  static rapport_status SatisfactionRatings(const Json& body, sdk::Output& out, std::string* error) {
    Json list = Member(body, "satisfaction_ratings").is_array() ? body["satisfaction_ratings"]
                                                                 : Json::array({body["satisfaction_rating"]});
    uint64_t emitted = 0;
    for (uint64_t i = 0; i < list.size(); ++i) {
      const Json& r = list[i];
      auto at = ParseTime(!Text(r, "updated_at").empty() ? Text(r, "updated_at") : Text(r, "created_at"));
      if (Text(r, "ticket_id").empty() || Text(r, "id").empty() || !at) {
        out.Reject(i, "MISSING_FIELD", "satisfaction rating " + std::to_string(i) + " has no id, ticket_id or time");
        continue;
      }
      sdk::Event e;
      if (!SurveyScore(Text(r, "score"), &e)) continue;
      e.ticket_id = Text(r, "ticket_id");
      e.event_id = "zendesk:satisfaction:" + Text(r, "id") + ":" + Lower(Text(r, "score"));
      e.occurred_at_us = *at;
      e.source = "zendesk";
      e.actor_id = Text(r, "requester_id");
      e.actor_role = e.actor_id.empty() ? sdk::kOther : sdk::kRequester;
      if (e.actor_id.empty()) e.attributes.emplace_back(kRoleReasonAttribute, "the rating names no requester");
      e.survey_text = Text(r, "comment");
      out.Emit(e);
      ++emitted;
    }
    if (emitted == 0) *error = "zendesk: no satisfaction rating was answered (good or bad): nothing to record";
    return RAPPORT_OK;
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
    std::map<std::string, std::pair<Roles, std::string>> people;  // ticket -> roles, requester
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
      // Once per ticket: both read every audit of the payload.
      auto known = people.find(ticket_id);
      if (known == people.end()) {
        known = people.emplace(ticket_id, std::make_pair(AuditRoles(body, ticket_id), RequesterOf(body, ticket_id))).first;
      }
      const Roles& roles = known->second.first;
      const std::string& requester = known->second.second;
      const std::string author = Text(audit, "author_id");
      // What the creation set besides the status, and the rating's comment.
      std::map<std::string, std::string> created;
      std::string rating_comment;
      for (const Json& ev : audit["events"]) {
        if (Text(ev, "type") == "Create") created[Text(ev, "field_name")] = Text(ev, "value");
        if (Text(ev, "field_name") == "satisfaction_comment") rating_comment = Text(ev, "value");
      }
      // The creation first: an audit's first comment is no older than its ticket.
      std::vector<const Json*> ordered;
      for (const Json& ev : audit["events"]) {
        if (Text(ev, "type") == "Create") ordered.push_back(&ev);
      }
      for (const Json& ev : audit["events"]) {
        if (Text(ev, "type") != "Create") ordered.push_back(&ev);
      }
      for (const Json* event : ordered) {
        const Json& ev = *event;
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
            if (type == "Create") {
              e.requester_id = !created["requester_id"].empty() ? created["requester_id"]
                               : !requester.empty()             ? requester
                                                                : author;
              e.priority = PriorityOf(created["priority"]);
              e.assignee_agent_id = created["assignee_id"];
              e.assignee_team = created["group_id"];
              e.category = Lower(created["type"]);
              // A ticket is created on its requester's behalf unless staff opened it.
              if (e.actor_role != sdk::kAgent && roles.IsRequester(e.requester_id)) {
                e.actor_id = e.requester_id;
                e.actor_role = sdk::kRequester;
                e.attributes.clear();
              }
            }
          } else if (field == "satisfaction_score" && type == "Change") {
            if (!SurveyScore(value, &e)) continue;
            e.survey_text = rating_comment;
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
        } else if (type == "Comment" || type == "VoiceComment") {
          e.kind = sdk::kCommentAdded;
          e.has_comment = true;
          e.comment_text = !Text(ev, "plain_body").empty() ? Text(ev, "plain_body") : Text(ev, "body");
          if (e.comment_text.empty()) e.comment_text = HtmlToText(Text(ev, "html_body"));
          if (e.comment_text.empty()) e.comment_text = TextAt(ev, {"data", "transcription_text"});
          if (e.comment_text.empty()) e.comment_text = " ";  // a comment whose text the payload omits
          e.comment_public = !ev.contains("public") || !ev["public"].is_boolean() || ev["public"].get<bool>();
        } else if (type == "SatisfactionRating") {
          if (!SurveyScore(Text(ev, "score"), &e)) continue;
          e.survey_text = Text(ev, "body");
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
