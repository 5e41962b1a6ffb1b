// freshservice: webhook JSON written by a Workflow Automator "Trigger
// webhook" node from the template in docs/adapters.md -> canonical events.
//
// Freshservice sends status and priority as numbers: status 2 Open,
// 3 Pending (waiting for the requester), 4 Resolved, 5 Closed, 6 and up
// custom (map them: {"status_map": {"6": "pending_third_party"}}); priority
// 1 Low, 2 Medium, 3 High, 4 Urgent. A ticket_updated webhook restates the
// ticket's status, assignment and priority (restating an unchanged value
// changes nothing). Conversations carry `incoming` (from the requester) and
// `private` (an internal note).
//
// Built both into rapportd and as a loadable module (freshservice.so).
#include <map>

#include "common/adapter_util.h"

namespace rapport::adapters {
namespace {

class FreshserviceAdapter final : public sdk::Adapter {
 public:
  static std::unique_ptr<FreshserviceAdapter> Create(std::string_view config, std::string* error) {
    auto a = std::make_unique<FreshserviceAdapter>();
    a->statuses_ = {{"2", sdk::kInProgress}, {"3", sdk::kPendingRequester}, {"4", sdk::kResolved}, {"5", sdk::kClosed},
                    {"open", sdk::kInProgress}, {"pending", sdk::kPendingRequester}, {"resolved", sdk::kResolved},
                    {"closed", sdk::kClosed}};
    if (!ParseStatusMap(config, "status_map", &a->statuses_, error)) return nullptr;
    return a;
  }

  rapport_status Translate(const sdk::Payload& payload, sdk::Output& out, std::string* error) override {
    auto json = ParseJson(payload.body, error);
    if (!json) return RAPPORT_ERR_PERMANENT;
    const Json& body = *json;
    if (!body.is_object()) return Fail(error, "the body must be a JSON object (see the template in docs/adapters.md)");
    const std::string event = Text(body, "event");
    if (event.empty()) return Fail(error, "missing field 'event'");
    if (!body.contains("ticket") || !body["ticket"].is_object()) return Fail(error, "missing field 'ticket'");
    const Json& t = body["ticket"];
    const std::string ticket = Text(t, "id");
    if (ticket.empty()) return Fail(error, "missing field 'ticket.id'");
    std::string when_text = Text(body, "occurred_at");
    if (when_text.empty()) when_text = event == "ticket_created" ? Text(t, "created_at") : Text(t, "updated_at");
    auto at = ParseTime(when_text);
    if (!at) return Fail(error, "missing field 'occurred_at' (or ticket.updated_at): an ISO 8601 time");
    std::string id = Text(body, "event_id");
    if (id.empty()) id = StableId(ticket + "|" + event + "|" + when_text + "|" + TextAt(body, {"conversation", "id"}));

    sdk::Event e;
    e.ticket_id = ticket;
    e.event_id = "freshservice:" + id;
    e.occurred_at_us = *at;
    e.source = "freshservice";
    e.actor_id = TextAt(body, {"actor", "id"});
    const std::string actor_type = Lower(TextAt(body, {"actor", "type"}));
    e.actor_role = actor_type == "requester" ? sdk::kRequester : actor_type == "agent" ? sdk::kAgent : sdk::kSystem;

    auto status = [&]() -> std::optional<int32_t> {
      auto it = statuses_.find(Lower(Text(t, "status")));
      if (it == statuses_.end()) return std::nullopt;
      return it->second;
    };
    if (event == "ticket_created" || event == "ticket_updated") {
      auto s = status();
      if (!s) {
        return Fail(error, "field 'ticket.status': unknown status '" + Text(t, "status") +
                               "' (custom statuses need a status_map entry)");
      }
      const int32_t priority = PriorityOf(Text(t, "priority"));
      if (event == "ticket_created") {
        e.kind = sdk::kCreated;
        e.status = *s == sdk::kInProgress ? sdk::kNew : *s;
        e.priority = priority;
        e.requester_id = !Text(t, "requester_id").empty() ? Text(t, "requester_id") : Text(t, "requester_email");
        e.requester_department = Text(t, "department");
        e.requester_vip = Lower(Text(t, "requester_vip")) == "true";
        e.assignee_agent_id = Text(t, "responder_id");
        e.assignee_team = Text(t, "group");
        e.category = Text(t, "category");
        e.service = Text(t, "service");
        if (e.actor_role == sdk::kSystem) e.actor_role = sdk::kRequester;
        out.Emit(e);
        return RAPPORT_OK;
      }
      sdk::Event assignment = e;
      assignment.event_id += ":assignment";
      assignment.kind = sdk::kAssignmentChanged;
      assignment.assignee_agent_id = Text(t, "responder_id");
      assignment.assignee_team = Text(t, "group");
      if (!assignment.assignee_agent_id.empty() || !assignment.assignee_team.empty()) out.Emit(assignment);
      if (priority != 0) {
        sdk::Event p = e;
        p.event_id += ":priority";
        p.kind = sdk::kPriorityChanged;
        p.priority = priority;
        out.Emit(p);
      }
      e.event_id += ":status";
      e.kind = sdk::kStatusChanged;
      e.status = *s;
      if ((*s == sdk::kResolved || *s == sdk::kClosed) && !Text(t, "resolution_notes").empty()) {
        e.has_resolution = true;
        e.resolution_notes = Text(t, "resolution_notes");
      }
      out.Emit(e);
      return RAPPORT_OK;
    }
    if (event == "reply_added" || event == "note_added") {
      if (!body.contains("conversation") || !body["conversation"].is_object()) {
        return Fail(error, "missing field 'conversation'");
      }
      const Json& c = body["conversation"];
      e.kind = sdk::kCommentAdded;
      e.has_comment = true;
      e.comment_text = !Text(c, "body_text").empty() ? Text(c, "body_text") : HtmlToText(Text(c, "body"));
      const bool is_private = Lower(Text(c, "private")) == "true" || event == "note_added";
      e.comment_public = !is_private;
      const std::string incoming = Lower(Text(c, "incoming"));
      if (!incoming.empty()) e.actor_role = incoming == "true" ? sdk::kRequester : sdk::kAgent;
      if (!Text(c, "user_id").empty()) e.actor_id = Text(c, "user_id");
      out.Emit(e);
      return RAPPORT_OK;
    }
    if (event == "survey_received") {
      const Json s = body.contains("survey") ? body["survey"] : Json::object();
      char* end = nullptr;
      const std::string rating = Text(s, "rating");
      double score = std::strtod(rating.c_str(), &end);
      if (rating.empty() || end == rating.c_str()) return Fail(error, "missing field 'survey.rating'");
      e.kind = sdk::kSurveyReceived;
      e.actor_role = sdk::kRequester;
      e.has_survey = true;
      e.survey_score = score;
      e.survey_scale_min = Text(s, "scale_min").empty() ? 1 : std::strtod(Text(s, "scale_min").c_str(), nullptr);
      e.survey_scale_max = Text(s, "scale_max").empty() ? 5 : std::strtod(Text(s, "scale_max").c_str(), nullptr);
      e.survey_text = Text(s, "comment");
      out.Emit(e);
      return RAPPORT_OK;
    }
    return Fail(error, "field 'event': '" + event +
                           "' is not one of ticket_created, ticket_updated, reply_added, note_added, survey_received");
  }

 private:
  static rapport_status Fail(std::string* error, std::string message) {
    *error = std::move(message);
    return RAPPORT_ERR_PERMANENT;
  }

  static int32_t PriorityOf(const std::string& p) {
    const std::string n = Lower(p);
    if (n == "4" || n == "urgent") return sdk::kCritical;
    if (n == "3" || n == "high") return sdk::kHigh;
    if (n == "2" || n == "medium") return sdk::kMedium;
    if (n == "1" || n == "low") return sdk::kLow;
    return 0;
  }

  std::map<std::string, int32_t> statuses_;
};

}  // namespace
}  // namespace rapport::adapters

RAPPORT_ADAPTER(rapport_builtin_freshservice, rapport::adapters::FreshserviceAdapter, "freshservice", "1.0.0",
                "Freshservice webhooks from the documented Workflow Automator template")
#ifdef RAPPORT_PLUGIN_MODULE
RAPPORT_EXPORT_ENTRY(rapport_builtin_freshservice)
#endif
