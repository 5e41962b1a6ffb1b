// freshservice: Freshservice (and Freshdesk) ticket JSON -> canonical events.
// These shapes are read:
//
//  - the webhook a Workflow Automator "Trigger webhook" node sends from the
//    template in docs/adapters.md ({"event": "ticket_updated", ...});
//  - the API ticket, GET /api/v2/tickets/:id?include=conversations
//    ({"ticket": {...}} or the bare ticket), a snapshot: its creation at
//    created_at, its current status, priority and assignment (responder,
//    group) at the times stats states for them, else updated_at — a
//    resolution or closure at stats.resolved_at / closed_at when given — and
//    each conversation at its created_at (an edited one also as an edit);
//  - lists as the APIs return them: {"tickets": [...]}, Freshdesk's bare
//    arrays of tickets or of a ticket's conversations, {"conversations"},
//    {"results"} and satisfaction ratings; and a Freshworks app's product
//    event ({"data": {"ticket", "requester", "conversation"}});
//  - a Freshdesk-style automation webhook ({"freshdesk_webhook": {...}},
//    "triggered_event" like "{status:{from:2,to:4}}"), whose status and
//    priority are labels; it must carry a time ("ticket_updated_at").
//
// Freshservice sends status and priority as numbers: status 2 Open,
// 3 Pending (waiting for the requester), 4 Resolved, 5 Closed, 6 and up
// custom (map them: {"status_map": {"6": "pending_third_party"}}); priority
// 1 Low, 2 Medium, 3 High, 4 Urgent. A ticket_updated webhook restates the
// ticket's status, assignment and priority (restating an unchanged value
// changes nothing).
//
// Roles: the ticket's requester (requester_id, or the email) is the
// requester; a private note or an outgoing reply (incoming false) is
// staff's, as is the responder; an incoming message from someone else is
// OTHER (a CC), with the reason.
//
// Built both into rapportd and as a loadable module (freshservice.so).
#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>

#include "common/adapter_util.h"

namespace rapport::adapters {
namespace {

// The first of `keys` that `t` gives.
std::string First(const Json& t, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    if (std::string v = Text(t, k); !v.empty()) return v;
  }
  return "";
}

// The number of a ticket id as the API gives it: placeholders and the UI
// show a display id ("#INC-42", "SR-42", "#42") where the API says 42.
// Only the ticket prefixes: problems (PRB-), changes (CHN-) and releases
// number themselves apart, so their 42 is not ticket 42.
std::string TicketNumber(std::string id) {
  if (!id.empty() && id[0] == '#') id.erase(0, 1);
  for (const char* prefix : {"INC-", "SR-"}) {
    const size_t n = std::strlen(prefix);
    if (id.size() > n && Lower(id.substr(0, n)) == Lower(prefix) &&
        std::all_of(id.begin() + n, id.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      return id.substr(n);
    }
  }
  return id;
}

// The address in a sender field: "Alex Doe <alex@example.com>" or the bare address.
std::string Address(const std::string& from) {
  const size_t open = from.rfind('<');
  const size_t close = from.rfind('>');
  if (open != std::string::npos && close != std::string::npos && close > open + 1) return from.substr(open + 1, close - open - 1);
  return from;
}

// The text a person reads in a conversation: the HTML body (quoted earlier
// mail set apart as "> " lines), else the plain text the API derives from
// it, which runs the quotation into the reply.
std::string ConversationText(const Json& c) {
  std::string text = HtmlToText(Text(c, "body"));
  if (text.empty()) text = Text(c, "body_text");
  return text;
}

// Whether `j` is a ticket of the API (GET /api/v2/tickets/:id, a list entry,
// a product event's ticket) rather than a conversation or a user.
bool LooksLikeTicket(const Json& j) {
  return j.is_object() && j.contains("id") && (j.contains("requester_id") || j.contains("status")) &&
         !j.contains("ticket_id");
}
bool LooksLikeRating(const Json& j) {
  return j.is_object() && j.contains("ticket_id") && j.contains("ratings") && j["ratings"].is_object();
}
bool LooksLikeConversation(const Json& j) {
  return j.is_object() && j.contains("id") && j.contains("ticket_id") &&
         (j.contains("body") || j.contains("body_text") || j.contains("incoming") || j.contains("private"));
}

class FreshserviceAdapter final : public sdk::Adapter {
 public:
  static std::unique_ptr<FreshserviceAdapter> Create(std::string_view config, std::string* error) {
    auto a = std::make_unique<FreshserviceAdapter>();
    a->statuses_ = {{"2", sdk::kInProgress}, {"3", sdk::kPendingRequester}, {"4", sdk::kResolved}, {"5", sdk::kClosed},
                    {"open", sdk::kInProgress}, {"pending", sdk::kPendingRequester}, {"resolved", sdk::kResolved},
                    {"closed", sdk::kClosed}, {"waiting on customer", sdk::kPendingRequester},
                    {"waiting on third party", sdk::kPendingThirdParty}};
    if (!ParseStatusMap(config, "status_map", &a->statuses_, error)) return nullptr;
    return a;
  }

  rapport_status Translate(const sdk::Payload& payload, sdk::Output& out, std::string* error) override {
    auto json = ParseJson(payload.body, error);
    if (!json) return RAPPORT_ERR_PERMANENT;
    const Json& body = *json;
    // A list as the API returns it: Freshdesk's bare arrays of tickets or
    // of a ticket's conversations, Freshservice's {"tickets": [...]}.
    if (body.is_array()) return List(body, out, error);
    if (!body.is_object()) return Fail(error, "the body must be a JSON object (see the template in docs/adapters.md)");
    if (body.contains("freshdesk_webhook")) return FreshdeskWebhook(body["freshdesk_webhook"], out, error);
    // A Freshworks app's product event (onTicketCreate, onTicketUpdate,
    // onConversationCreate): the ticket or conversation under "data".
    if (body.contains("data") && body["data"].is_object() &&
        (body["data"].contains("ticket") || body["data"].contains("conversation"))) {
      const Json& data = body["data"];
      const bool has_ticket = data.contains("ticket") && data["ticket"].is_object();
      const bool has_conversation = data.contains("conversation") && data["conversation"].is_object();
      Json items = Json::array();
      if (has_ticket) {
        // The event's requester and conversation belong to its ticket: read
        // together, the conversation's author is known.
        Json ticket = data["ticket"];
        if (data.contains("requester") && data["requester"].is_object() && !ticket.contains("requester")) {
          ticket["requester"] = data["requester"];
        }
        if (has_conversation) ticket["conversations"] = Json::array({data["conversation"]});
        items.push_back(std::move(ticket));
      } else if (has_conversation) {
        items.push_back(data["conversation"]);
      }
      return List(items, out, error);
    }
    for (const char* list : {"tickets", "conversations", "results", "satisfaction_ratings"}) {
      if (body.contains(list) && body[list].is_array() && !LooksLikeTicket(body)) return List(body[list], out, error);
    }
    const bool ticket_shape = LooksLikeTicket(body) ||
                              (body.contains("ticket") && LooksLikeTicket(body["ticket"]) && !body.contains("event"));
    if (!ticket_shape) {
      for (const char* list : {"requesters", "agents", "requester", "agent"}) {
        if (body.contains(list) && (body[list].is_array() || body[list].is_object())) return Users(body[list], out, error);
      }
    }
    const std::string event = Text(body, "event");
    if (event.empty()) {
      const Json& t = body.contains("ticket") && body["ticket"].is_object() ? body["ticket"] : body;
      if (t.contains("id") && (t.contains("requester_id") || t.contains("status"))) {
        std::string problem = ApiTicket(t, out);
        if (!problem.empty()) return Fail(error, problem);
        return RAPPORT_OK;
      }
      return Fail(error, "missing field 'event' (the template's), and the body is not an API ticket "
                         "({\"ticket\": {\"id\", \"status\", \"requester_id\", ...}}), a list of tickets or "
                         "conversations, or a Freshdesk webhook ({\"freshdesk_webhook\": {...}})");
    }
    if (!body.contains("ticket") || !body["ticket"].is_object()) return Fail(error, "missing field 'ticket'");
    const Json& t = body["ticket"];
    const std::string ticket = TicketNumber(Text(t, "id"));
    if (ticket.empty()) return Fail(error, "missing field 'ticket.id'");
    std::string when_text = Text(body, "occurred_at");
    if (when_text.empty()) when_text = event == "ticket_created" ? Text(t, "created_at") : Text(t, "updated_at");
    auto at = ParseTime(when_text);
    if (!at) return Fail(error, "missing field 'occurred_at' (or ticket.updated_at): an ISO 8601 time");
    std::string id = Text(body, "event_id");
    if (id.empty()) id = StableId(ticket + "|" + event + "|" + when_text + "|" + TextAt(body, {"conversation", "id"}));

    if (!EmitIdentity(out, "freshservice", *at, {Text(t, "requester_id"), Text(t, "requester_email")})) return RAPPORT_OK;
    sdk::Event e;
    e.ticket_id = ticket;
    e.event_id = "freshservice:" + id;
    e.occurred_at_us = *at;
    e.source = "freshservice";
    e.actor_id = TextAt(body, {"actor", "id"});
    const std::string actor_type = Lower(TextAt(body, {"actor", "type"}));
    const std::string requester = Text(t, "requester_id");
    e.actor_role = actor_type == "requester" ? sdk::kRequester : actor_type == "agent" ? sdk::kAgent : sdk::kSystem;
    if (!e.actor_id.empty() && (e.actor_id == requester || Lower(e.actor_id) == Lower(Text(t, "requester_email")))) {
      e.actor_role = sdk::kRequester;  // whatever the rule said, the requester is the requester
    }

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
        e.requester_department = First(t, {"department", "department_name", "department_id"});
        e.requester_vip = Lower(Text(t, "requester_vip")) == "true";
        e.assignee_agent_id = Text(t, "responder_id");
        e.assignee_team = First(t, {"group", "group_name", "group_id"});
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
      assignment.assignee_team = First(t, {"group", "group_name", "group_id"});
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
      e.comment_text = ConversationText(c);
      const bool is_private = Lower(Text(c, "private")) == "true" || event == "note_added";
      e.comment_public = !is_private;
      if (!Text(c, "user_id").empty()) e.actor_id = Text(c, "user_id");
      e.actor_role = sdk::kSystem;
      if (requester.empty() && Text(t, "requester_email").empty() && Lower(Text(c, "incoming")) == "true") {
        SetRole(&e, {sdk::kRequester, ""});  // the template's reply without ids: its ticket's requester wrote in
      } else {
        SetRole(&e, ConversationRole(c, {requester, Text(t, "requester_email")}, Text(t, "responder_id")));
      }
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
    if (n == "4") return sdk::kCritical;
    if (n == "3") return sdk::kHigh;
    if (n == "2") return sdk::kMedium;
    if (n == "1") return sdk::kLow;
    return PriorityByCommonName(n);
  }

  // Who wrote a conversation: the requester by id or e-mail; staff for a
  // private note, an outgoing reply or the responder; else OTHER.
  static Roles::Verdict ConversationRole(const Json& c, const std::vector<std::string>& requester,
                                         const std::string& responder) {
    Roles roles;
    bool requester_known = false;
    for (const std::string& id : requester) {
      roles.AddRequester(id);
      requester_known = requester_known || !id.empty();
    }
    roles.AddStaff(responder);
    const std::string user = Text(c, "user_id");
    Roles::Verdict v = roles.Of({user, Address(Text(c, "from_email"))}, "");
    if (v.role == sdk::kRequester || v.role == sdk::kAgent) return v;
    const std::string incoming = Lower(Text(c, "incoming"));
    if (Lower(Text(c, "private")) == "true" || incoming == "false") return {sdk::kAgent, ""};
    if (incoming == "true") {
      if (!requester_known) {
        return {sdk::kOther, "an incoming message from " + (user.empty() ? std::string("someone") : "user " + user) +
                                 ", and the payload does not name the ticket's requester (send the ticket with "
                                 "include=conversations)"};
      }
      return {sdk::kOther, "an incoming message from " + (user.empty() ? std::string("someone") : "user " + user) +
                               " who is not the ticket's requester (a CC)"};
    }
    return {sdk::kOther, "the conversation says neither who wrote it nor whether it was incoming"};
  }

  std::optional<int32_t> StatusCode(const std::string& code) const {
    auto it = statuses_.find(Lower(code));
    if (it == statuses_.end()) return std::nullopt;
    return it->second;
  }

  // GET /api/v2/tickets/:id?include=conversations: a snapshot of the ticket.
  // A requester or agent export (GET /api/v2/requesters, /api/v2/agents):
  // each user's id and email are one person; alias facts only.
  static rapport_status Users(const Json& users, sdk::Output& out, std::string* error) {
    const Json list = users.is_array() ? users : Json::array({users});
    uint64_t facts = 0;
    for (uint64_t i = 0; i < list.size(); ++i) {
      const Json& u = list[i];
      const std::string email = !Text(u, "primary_email").empty() ? Text(u, "primary_email") : Text(u, "email");
      if (Text(u, "id").empty() || email.empty()) {
        out.Reject(i, "MISSING_FIELD", "user " + std::to_string(i) + " lacks an id or a primary_email");
        continue;
      }
      auto at = ParseTime(!Text(u, "updated_at").empty() ? Text(u, "updated_at") : Text(u, "created_at"));
      ++facts;
      if (!EmitIdentity(out, "freshservice", at ? *at : kTimelessFactUs, {Text(u, "id"), email})) break;
    }
    if (facts == 0 && !list.empty()) return Fail(error, "no user of the export has both an id and a primary_email");
    return RAPPORT_OK;
  }

  // A list of API tickets or conversations (bare, under "tickets" or
  // "conversations", or a product event's): each entry on its own, a bad one
  // rejected alone.
  rapport_status List(const Json& items, sdk::Output& out, std::string* error) const {
    uint64_t read = 0, rejected = 0;
    std::string first_problem;
    for (uint64_t i = 0; i < items.size(); ++i) {
      const Json& item = items[i];
      std::string problem;
      if (LooksLikeRating(item)) {
        problem = Rating(item, out);
      } else if (LooksLikeConversation(item)) {
        problem = Conversation(item, TicketNumber(Text(item, "ticket_id")), {}, out);
      } else if (LooksLikeTicket(item)) {
        problem = ApiTicket(item, out);
      } else {
        problem = "entry " + std::to_string(i) + " is neither a ticket ({\"id\", \"status\", \"requester_id\", ...}) "
                  "nor a conversation ({\"id\", \"ticket_id\", \"body\", ...})";
      }
      if (problem.empty()) {
        ++read;
        continue;
      }
      if (rejected++ == 0) first_problem = problem;
      out.Reject(i, problem.rfind("missing", 0) == 0 ? "MISSING_FIELD" : "INVALID_VALUE", problem);
    }
    if (read == 0 && rejected > 0) return Fail(error, first_problem);
    if (items.empty()) *error = "freshservice: an empty list: nothing to record";
    return RAPPORT_OK;
  }

  // A satisfaction rating (GET /api/v2/tickets/:id/satisfaction_ratings):
  // the default question's answer on Freshdesk's scale -103 (extremely
  // unhappy) … 100 (neutral) … 103 (extremely happy), read as 1 … 7.
  std::string Rating(const Json& r, sdk::Output& out) const {
    const std::string ticket = TicketNumber(Text(r, "ticket_id"));
    auto at = ParseTime(Text(r, "created_at"));
    if (!at) return "missing field 'created_at' of satisfaction rating " + Text(r, "id");
    static const std::map<std::string, double> kScale = {{"-103", 1}, {"-102", 2}, {"-101", 3}, {"100", 4},
                                                         {"101", 5},  {"102", 6},  {"103", 7}};
    auto it = kScale.find(Text(r["ratings"], "default_question"));
    if (it == kScale.end()) {
      return "field 'ratings.default_question' of satisfaction rating " + Text(r, "id") + ": '" +
             Text(r["ratings"], "default_question") + "' is not one of -103..-101, 100..103";
    }
    sdk::Event e;
    e.ticket_id = ticket;
    e.event_id = "freshservice:" + ticket + ":rating:" + Text(r, "id");
    e.occurred_at_us = *at;
    e.source = "freshservice";
    e.kind = sdk::kSurveyReceived;
    e.actor_id = Text(r, "user_id");
    // Only the ticket's contact answers its survey.
    e.actor_role = sdk::kRequester;
    e.has_survey = true;
    e.survey_score = it->second;
    e.survey_scale_min = 1;
    e.survey_scale_max = 7;
    e.survey_text = Text(r, "feedback");
    out.Emit(e);
    return "";
  }

  // Who is who on one ticket, as far as the payload says.
  struct People {
    std::vector<std::string> requester;  // id and e-mail addresses
    std::string responder;
  };

  // One conversation of ticket `ticket`: a comment at its created_at (an
  // edited one also as an edit at its updated_at).
  std::string Conversation(const Json& conv, const std::string& ticket, const People& people, sdk::Output& out) const {
    const std::string id = Text(conv, "id");
    auto at = ParseTime(Text(conv, "created_at"));
    if (ticket.empty()) return "missing field 'ticket_id' of conversation " + id;
    if (id.empty() || !at) return "conversation " + id + " of ticket " + ticket + ": missing field 'id' or 'created_at'";
    sdk::Event e;
    e.ticket_id = ticket;
    e.event_id = "freshservice:" + ticket + ":conversation:" + id;
    e.occurred_at_us = *at;
    e.source = "freshservice";
    e.kind = sdk::kCommentAdded;
    e.actor_id = Text(conv, "user_id");
    SetRole(&e, ConversationRole(conv, people.requester, people.responder));
    e.has_comment = true;
    e.comment_text = ConversationText(conv);
    if (e.comment_text.empty()) e.comment_text = " ";
    e.comment_public = Lower(Text(conv, "private")) != "true";
    const std::string original = e.event_id;
    // Freshdesk states the last edit (last_edited_at, null when none);
    // without it, a later updated_at is one.
    const std::string edited_text = conv.contains("last_edited_at") ? Text(conv, "last_edited_at") : Text(conv, "updated_at");
    auto edited = ParseTime(edited_text);
    if (!out.Emit(e)) return "";
    if (edited && *edited > *at) {
      // The text is the edited one; the original is not in the payload.
      sdk::Event edit = e;
      edit.kind = sdk::kFieldsUpdated;
      edit.event_id = original + ":edit:" + edited_text;
      edit.occurred_at_us = *edited;
      edit.attributes.emplace_back(kEditOfAttribute, original);
      out.Emit(edit);
    }
    return "";
  }

  // GET /api/v2/tickets/:id?include=conversations,requester,stats: a
  // snapshot of the ticket. "" when read, else what is wrong.
  std::string ApiTicket(const Json& t, sdk::Output& out) const {
    const std::string ticket = TicketNumber(Text(t, "id"));
    if (ticket.empty()) return "missing field 'ticket.id'";
    auto created = ParseTime(Text(t, "created_at"));
    auto updated = ParseTime(Text(t, "updated_at"));
    if (!created || !updated) return "missing field 'ticket.created_at' or 'ticket.updated_at' (ISO 8601 times) of ticket " + ticket;
    auto status = StatusCode(Text(t, "status"));
    if (!status) {
      return "field 'ticket.status' of ticket " + ticket + ": unknown status '" + Text(t, "status") +
             "' (custom statuses need a status_map entry)";
    }
    const std::string requester = Text(t, "requester_id");
    const std::string responder = Text(t, "responder_id");
    const std::string updated_text = Text(t, "updated_at");
    // The requester by id and e-mail (the requester object with
    // include=requester, or the ticket's own requester_email).
    const Json& requester_object = t.contains("requester") && t["requester"].is_object() ? t["requester"] : Json();
    People people;
    people.requester = {requester, Text(t, "requester_email"), Text(requester_object, "email"),
                        Text(requester_object, "primary_email")};
    people.responder = responder;
    if (!EmitIdentity(out, "freshservice", *updated, people.requester)) return "";
    auto event = [&](const std::string& id, int64_t at, int32_t kind) {
      sdk::Event e;
      e.ticket_id = ticket;
      e.event_id = "freshservice:" + ticket + ":" + id;
      e.occurred_at_us = at;
      e.source = "freshservice";
      e.kind = kind;
      // A snapshot does not say who changed what.
      e.actor_role = sdk::kSystem;
      return e;
    };
    const int32_t priority = PriorityOf(Text(t, "priority"));
    const std::string group = Text(t, "group_id");
    sdk::Event c = event("created", *created, sdk::kCreated);
    c.status = sdk::kNew;
    c.priority = priority;
    c.requester_id = requester;
    c.actor_id = requester;
    c.actor_role = requester.empty() ? sdk::kSystem : sdk::kRequester;
    c.requester_department = Text(t, "department_id");
    c.category = Text(t, "category");
    c.assignee_agent_id = responder;
    c.assignee_team = group;
    if (!out.Emit(c)) return "";
    // Times the ticket states for its changes (include=stats), else its last update.
    const Json stats = t.contains("stats") && t["stats"].is_object() ? t["stats"] : Json::object();
    auto stated = [&](const char* key) -> std::string {
      return !Text(stats, key).empty() ? Text(stats, key) : Text(t, key);
    };
    if (!responder.empty() || !group.empty()) {
      const std::string at_text = ParseTime(stated("assigned_at")) ? stated("assigned_at") : updated_text;
      sdk::Event a = event(at_text + ":assignment", *ParseTime(at_text), sdk::kAssignmentChanged);
      a.assignee_agent_id = responder;
      a.assignee_team = group;
      out.Emit(a);
    }
    if (priority != 0) {
      sdk::Event p = event(updated_text + ":priority", *updated, sdk::kPriorityChanged);
      p.priority = priority;
      out.Emit(p);
    }
    // A resolution or closure at the time the ticket states for it.
    const std::string resolved_text = stated("resolved_at");
    auto resolved_at = ParseTime(resolved_text);
    if (*status == sdk::kResolved || (*status == sdk::kClosed && resolved_at)) {
      sdk::Event r = event("resolved:" + (resolved_at ? resolved_text : updated_text), resolved_at ? *resolved_at : *updated,
                           sdk::kStatusChanged);
      r.status = sdk::kResolved;
      out.Emit(r);
    }
    if (*status != sdk::kResolved) {
      // Closed at closed_at; waiting since pending_since; any other status
      // since status_updated_at (Freshdesk's stats).
      std::string at_text = *status == sdk::kClosed ? stated("closed_at")
                            : *status == sdk::kPendingRequester || *status == sdk::kPendingThirdParty
                                ? stated("pending_since")
                                : "";
      if (!ParseTime(at_text)) at_text = stated("status_updated_at");
      const bool stated_time = ParseTime(at_text).has_value();
      sdk::Event s = stated_time ? event("status:" + Lower(Text(t, "status")) + ":" + at_text, *ParseTime(at_text), sdk::kStatusChanged)
                                 : event(updated_text + ":status", *updated, sdk::kStatusChanged);
      s.status = *status;
      out.Emit(s);
    }
    if (t.contains("conversations") && t["conversations"].is_array()) {
      uint64_t index = 0;
      for (const Json& conv : t["conversations"]) {
        const uint64_t record = index++;
        std::string problem = Conversation(conv, ticket, people, out);
        if (!problem.empty()) out.Reject(record, "MISSING_FIELD", problem);
      }
    }
    return "";
  }

  // A Freshdesk-style automation webhook: labels, the first matching change.
  rapport_status FreshdeskWebhook(const Json& w, sdk::Output& out, std::string* error) const {
    if (!w.is_object()) return Fail(error, "field 'freshdesk_webhook' must be an object");
    const std::string ticket = TicketNumber(Text(w, "ticket_id"));
    if (ticket.empty()) return Fail(error, "missing field 'freshdesk_webhook.ticket_id'");
    const std::string trigger = Text(w, "triggered_event");
    if (trigger.find("ticket_action:created") == std::string::npos && trigger.find("{status:") != 0 &&
        trigger.find("{priority:") != 0) {
      *error = "freshservice: event type " + (trigger.empty() ? std::string("(none)") : trigger) +
               ": nothing to record (a note webhook carries no text)";
      return RAPPORT_OK;
    }
    std::string when = Text(w, "ticket_updated_at");
    if (when.empty()) when = Text(w, "updated_at");
    auto at = ParseTime(when);
    if (!at) {
      return Fail(error, "missing field 'freshdesk_webhook.ticket_updated_at': a Freshdesk webhook states no time by "
                         "itself; add \"ticket_updated_at\": \"{{ticket.updated_at}}\" to its content, or send the API "
                         "ticket (GET /api/v2/tickets/:id?include=conversations)");
    }
    sdk::Event e;
    e.ticket_id = ticket;
    e.event_id = "freshservice:" + ticket + ":" + when + ":" + trigger;
    e.occurred_at_us = *at;
    e.source = "freshservice";
    e.actor_role = sdk::kSystem;
    auto status = StatusCode(Text(w, "ticket_status"));
    const int32_t priority = PriorityOf(Text(w, "ticket_priority"));
    if (trigger.find("ticket_action:created") != std::string::npos) {
      e.kind = sdk::kCreated;
      // A rule may set a status on creation (Pending); Open is new.
      e.status = !status || *status == sdk::kInProgress ? sdk::kNew : *status;
      e.priority = priority;
      e.requester_id = Text(w, "requester_email");
      e.actor_id = e.requester_id;
      e.actor_role = e.requester_id.empty() ? sdk::kSystem : sdk::kRequester;
      e.category = Text(w, "ticket_type");
    } else if (trigger.find("{status:") == 0) {
      if (!status) {
        return Fail(error, "field 'freshdesk_webhook.ticket_status': unknown status '" + Text(w, "ticket_status") +
                               "' (map the label in status_map)");
      }
      e.kind = sdk::kStatusChanged;
      e.status = *status;
    } else {  // {priority:...}
      e.kind = sdk::kPriorityChanged;
      e.priority = priority;
    }
    out.Emit(e);
    return RAPPORT_OK;
  }

  std::map<std::string, int32_t> statuses_;
};

}  // namespace
}  // namespace rapport::adapters

RAPPORT_ADAPTER(rapport_builtin_freshservice, rapport::adapters::FreshserviceAdapter, "freshservice", "1.1.0",
                "Freshservice webhooks (the documented template), API tickets with conversations, Freshdesk-style webhooks")
#ifdef RAPPORT_PLUGIN_MODULE
RAPPORT_EXPORT_ENTRY(rapport_builtin_freshservice)
#endif
