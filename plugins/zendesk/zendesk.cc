// zendesk: ticket event webhooks (zen:event-type:ticket.*) and ticket audits
// ({"audits": [...]}, from /api/v2/tickets/{id}/audits) -> canonical events.
//
// Webhook ids are the event's uuid; audit event ids are
// "<audit id>:<event id>". Statuses: new, open, pending (waiting for the
// requester), hold (waiting for a third party), solved, closed; the
// configuration may map custom ones ({"status_map": {"awaiting parts":
// "pending_third_party"}}). A comment's author is the requester when
// author.is_staff is false (webhooks) or the author is the ticket's
// requester_id (audits, when the payload carries "ticket": {...}).
#include <map>

#include "common/adapter_util.h"

namespace rapport::adapters {
namespace {

class ZendeskAdapter final : public sdk::Adapter {
 public:
  static std::unique_ptr<ZendeskAdapter> Create(std::string_view config, std::string* error) {
    auto a = std::make_unique<ZendeskAdapter>();
    a->statuses_ = {{"new", sdk::kNew}, {"open", sdk::kInProgress}, {"pending", sdk::kPendingRequester},
                    {"hold", sdk::kPendingThirdParty}, {"solved", sdk::kResolved}, {"closed", sdk::kClosed},
                    {"deleted", sdk::kCanceled}};
    if (!ParseStatusMap(config, "status_map", &a->statuses_, error)) return nullptr;
    return a;
  }

  rapport_status Translate(const sdk::Payload& payload, sdk::Output& out, std::string* error) override {
    auto json = ParseJson(payload.body, error);
    if (!json) return RAPPORT_ERR_PERMANENT;
    if (json->is_object() && json->contains("audits")) return Audits(*json, out, error);
    if (json->is_object() && Text(*json, "type").rfind("zen:event-type:ticket.", 0) == 0) return Webhook(*json, out, error);
    *error = "field 'type': expected a zen:event-type:ticket.* webhook or an {\"audits\": [...]} list";
    return RAPPORT_ERR_PERMANENT;
  }

 private:
  static int32_t PriorityOf(const std::string& p) {
    const std::string n = Lower(p);
    return n == "urgent" ? sdk::kCritical : n == "high" ? sdk::kHigh : n == "normal" ? sdk::kMedium : n == "low" ? sdk::kLow : 0;
  }

  std::optional<int32_t> StatusOf(const std::string& s) const {
    auto it = statuses_.find(Lower(s));
    if (it == statuses_.end()) return std::nullopt;
    return it->second;
  }

  rapport_status Webhook(const Json& body, sdk::Output& out, std::string* error) const {
    const std::string type = Text(body, "type").substr(22);  // after "zen:event-type:ticket."
    const Json detail = body.contains("detail") ? body["detail"] : Json::object();
    const Json event = body.contains("event") ? body["event"] : Json::object();
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
    e.actor_role = e.actor_id.empty() ? sdk::kSystem : e.actor_id == requester ? sdk::kRequester : sdk::kAgent;
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
    } else if (type == "priority_changed") {
      e.kind = sdk::kPriorityChanged;
      e.priority = PriorityOf(Text(event, "current"));
    } else if (type == "agent_assignment_changed" || type == "group_assignment_changed") {
      e.kind = sdk::kAssignmentChanged;
      e.assignee_agent_id = type == "agent_assignment_changed" ? Text(event, "current") : Text(detail, "assignee_id");
      e.assignee_team = type == "group_assignment_changed" ? Text(event, "current") : Text(detail, "group_id");
    } else if (type == "comment_added") {
      if (!event.contains("comment") || !event["comment"].is_object()) return Fail(error, "missing field 'event.comment'");
      const Json& c = event["comment"];
      e.kind = sdk::kCommentAdded;
      e.has_comment = true;
      e.comment_text = !Text(c, "body").empty() ? Text(c, "body") : HtmlToText(Text(c, "html_body"));
      e.comment_public = !c.contains("is_public") || !c["is_public"].is_boolean() || c["is_public"].get<bool>();
      e.actor_id = TextAt(c, {"author", "id"});
      const bool staff = c.contains("author") && c["author"].is_object() && c["author"].value("is_staff", true);
      e.actor_role = staff ? sdk::kAgent : sdk::kRequester;
    } else {
      return RAPPORT_OK;  // other ticket events carry nothing Rapport reads
    }
    out.Emit(e);
    return RAPPORT_OK;
  }

  rapport_status Audits(const Json& body, sdk::Output& out, std::string* error) const {
    if (!body["audits"].is_array()) return Fail(error, "field 'audits' must be a list");
    const Json ticket = body.contains("ticket") && body["ticket"].is_object() ? body["ticket"] : Json::object();
    const std::string requester = Text(ticket, "requester_id");
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
      const std::string author = Text(audit, "author_id");
      for (const Json& ev : audit["events"]) {
        const std::string type = Text(ev, "type");
        sdk::Event e;
        e.ticket_id = ticket_id;
        e.event_id = "zendesk:" + Text(audit, "id") + ":" + Text(ev, "id");
        e.occurred_at_us = *at;
        e.source = "zendesk";
        e.actor_id = !Text(ev, "author_id").empty() ? Text(ev, "author_id") : author;
        e.actor_role = e.actor_id == "-1" || e.actor_id.empty() ? sdk::kSystem
                       : e.actor_id == requester                ? sdk::kRequester
                                                                : sdk::kAgent;
        if (type == "Create" || type == "Change") {
          const std::string field = Text(ev, "field_name");
          const std::string value = Text(ev, "value");
          if (field == "status") {
            auto s = StatusOf(value);
            if (!s) continue;
            e.kind = type == "Create" ? sdk::kCreated : sdk::kStatusChanged;
            e.status = *s;
            if (type == "Create") e.requester_id = requester.empty() ? author : requester;
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
          e.comment_public = !ev.contains("public") || !ev["public"].is_boolean() || ev["public"].get<bool>();
        } else {
          continue;  // notifications and undocumented types
        }
        out.Emit(e);
        ++emitted;
      }
    }
    if (emitted == 0 && rejected > 0) return Fail(error, first);
    return RAPPORT_OK;
  }

  static rapport_status Fail(std::string* error, std::string message) {
    *error = std::move(message);
    return RAPPORT_ERR_PERMANENT;
  }

  std::map<std::string, int32_t> statuses_;
};

}  // namespace
}  // namespace rapport::adapters

RAPPORT_ADAPTER(rapport_builtin_zendesk, rapport::adapters::ZendeskAdapter, "zendesk", "1.0.0",
                "Zendesk ticket event webhooks and ticket audits")
