// jira: Jira Service Management webhooks -> canonical events.
//
// jira:issue_created gives the creation; jira:issue_updated one event per
// changelog item (status, assignee, priority) plus the comment it may carry;
// comment_created a comment, public when jsdPublic is true (an internal JSM
// note has jsdPublic false). The webhook identifier header
// (x-atlassian-webhook-identifier, stable across retries) makes the event
// ids, so a retried delivery is a duplicate. Status names are per workflow:
// the configuration maps them ({"status_map": {"Waiting for customer":
// "pending_requester"}}); unmapped names fall back to the status category
// (new, indeterminate, done). Comment bodies may be wiki text or Atlassian
// Document Format; ADF is flattened to its text.
#include <map>

#include "common/adapter_util.h"

namespace rapport::adapters {
namespace {

void FlattenAdf(const Json& node, std::string* out);

// A block whose text is someone else's (a quotation) or not prose (code),
// written the way the tone engine recognises and sets aside: "> " lines
// and ``` fences.
void FlattenAdfBlock(const Json& node, const std::string& type, std::string* out) {
  std::string inner;
  if (node.contains("content")) FlattenAdf(node["content"], &inner);
  while (!inner.empty() && inner.back() == '\n') inner.pop_back();
  if (!out->empty() && out->back() != '\n') *out += '\n';
  if (type == "codeBlock") {
    *out += "```\n" + inner + "\n```\n";
    return;
  }
  size_t start = 0;
  do {
    size_t end = inner.find('\n', start);
    *out += "> " + inner.substr(start, end == std::string::npos ? std::string::npos : end - start) + "\n";
    start = end == std::string::npos ? end : end + 1;
  } while (start != std::string::npos);
}

void FlattenAdf(const Json& node, std::string* out) {
  if (node.is_object()) {
    const std::string type = node.value("type", "");
    if (type == "blockquote" || type == "codeBlock") return FlattenAdfBlock(node, type, out);
    if (type == "text" && node.contains("text") && node["text"].is_string()) {
      *out += node["text"].get<std::string>();
    }
    if (node.contains("content")) FlattenAdf(node["content"], out);
    if ((type == "paragraph" || type == "heading" || type == "listItem") && !out->empty() && out->back() != '\n') {
      *out += '\n';
    }
  } else if (node.is_array()) {
    for (const Json& child : node) FlattenAdf(child, out);
  }
}

class JiraAdapter final : public sdk::Adapter {
 public:
  static std::unique_ptr<JiraAdapter> Create(std::string_view config, std::string* error) {
    auto a = std::make_unique<JiraAdapter>();
    a->statuses_ = {{"open", sdk::kNew}, {"to do", sdk::kNew}, {"waiting for support", sdk::kInProgress},
                    {"in progress", sdk::kInProgress}, {"waiting for customer", sdk::kPendingRequester},
                    {"pending", sdk::kPendingThirdParty}, {"escalated", sdk::kInProgress},
                    {"resolved", sdk::kResolved}, {"done", sdk::kResolved}, {"closed", sdk::kClosed},
                    {"canceled", sdk::kCanceled}, {"cancelled", sdk::kCanceled}, {"declined", sdk::kCanceled}};
    if (!ParseStatusMap(config, "status_map", &a->statuses_, error)) return nullptr;
    return a;
  }

  rapport_status Translate(const sdk::Payload& payload, sdk::Output& out, std::string* error) override {
    auto json = ParseJson(payload.body, error);
    if (!json) return RAPPORT_ERR_PERMANENT;
    const Json& body = *json;
    const std::string type = Text(body, "webhookEvent");
    if (type.empty()) return Fail(error, "missing field 'webhookEvent'");
    if (!body.contains("issue") || !body["issue"].is_object()) return Fail(error, "missing field 'issue'");
    const Json& issue = body["issue"];
    const std::string key = Text(issue, "key");
    if (key.empty()) return Fail(error, "missing field 'issue.key'");
    const Json fields = issue.contains("fields") && issue["fields"].is_object() ? issue["fields"] : Json::object();
    // The delivery's id: the webhook identifier, else a hash of the body.
    std::string delivery(payload.Header("x-atlassian-webhook-identifier"));
    if (delivery.empty()) delivery = StableId(payload.body);
    const std::string reporter = TextAt(fields, {"reporter", "accountId"});
    std::optional<int64_t> at;
    if (body.contains("timestamp") && body["timestamp"].is_number()) {
      const double ms = body["timestamp"].get<double>();
      // Milliseconds since the epoch; anything outside years 1970..5000 is not one.
      if (!(ms >= 0 && ms < 9.5e13)) return Fail(error, "field 'timestamp' is not milliseconds since the epoch");
      at = static_cast<int64_t>(ms) * 1000;
    }
    const std::string user = TextAt(body, {"user", "accountId"});
    auto base = [&](const std::string& suffix, int32_t kind, int64_t when) {
      sdk::Event e;
      e.ticket_id = key;
      e.event_id = "jira:" + delivery + suffix;
      e.occurred_at_us = when;
      e.source = "jira";
      e.kind = kind;
      e.actor_id = user;
      e.actor_role = user.empty() ? sdk::kSystem : user == reporter ? sdk::kRequester : sdk::kAgent;
      return e;
    };

    if (type == "jira:issue_created") {
      auto created = ParseTime(Text(fields, "created"));
      if (!created && !at) return Fail(error, "missing field 'issue.fields.created'");
      sdk::Event e = base("", sdk::kCreated, created ? *created : *at);
      e.event_id = "jira:" + key + ":created";  // one creation per issue, whichever delivery carries it
      e.status = StatusOf(fields.contains("status") ? fields["status"] : Json()).value_or(sdk::kNew);
      e.priority = PriorityOf(TextAt(fields, {"priority", "name"}));
      e.requester_id = reporter;
      e.actor_id = reporter.empty() ? user : reporter;
      e.actor_role = sdk::kRequester;
      e.assignee_agent_id = TextAt(fields, {"assignee", "accountId"});
      e.category = TextAt(fields, {"issuetype", "name"});
      e.service = TextAt(fields, {"project", "key"});
      out.Emit(e);
      return RAPPORT_OK;
    }
    if (!at) return Fail(error, "missing field 'timestamp'");
    int emitted = 0;
    if (type == "jira:issue_updated" && body.contains("changelog") && body["changelog"].contains("items")) {
      int n = 0;
      for (const Json& item : body["changelog"]["items"]) {
        const std::string field = Lower(Text(item, "field"));
        const std::string suffix = ":" + std::to_string(n++);
        if (field == "status") {
          Json status = Json::object();
          status["name"] = Text(item, "toString");
          if (fields.contains("status") && Text(fields["status"], "name") == Text(item, "toString")) status = fields["status"];
          sdk::Event e = base(suffix, sdk::kStatusChanged, *at);
          auto s = StatusOf(status);
          if (!s) return Fail(error, "field 'changelog.items.toString': unmapped status '" + Text(item, "toString") +
                                         "' (add it to status_map)");
          e.status = *s;
          if (*s == sdk::kResolved || *s == sdk::kClosed) {
            e.has_resolution = !TextAt(fields, {"resolution", "name"}).empty();
            e.resolution_code = TextAt(fields, {"resolution", "name"});
          }
          out.Emit(e);
          ++emitted;
        } else if (field == "assignee") {
          sdk::Event e = base(suffix, sdk::kAssignmentChanged, *at);
          e.assignee_agent_id = Text(item, "to");
          e.assignee_team = TextAt(fields, {"project", "key"});
          out.Emit(e);
          ++emitted;
        } else if (field == "priority") {
          sdk::Event e = base(suffix, sdk::kPriorityChanged, *at);
          e.priority = PriorityOf(Text(item, "toString"));
          out.Emit(e);
          ++emitted;
        }
      }
    }
    if (body.contains("comment") && body["comment"].is_object()) {
      const Json& c = body["comment"];
      std::string text;
      if (c.contains("body") && c["body"].is_string()) {
        text = c["body"].get<std::string>();
      } else if (c.contains("body")) {
        FlattenAdf(c["body"], &text);
        while (!text.empty() && text.back() == '\n') text.pop_back();
      } else {
        return Fail(error, "missing field 'comment.body'");
      }
      auto created = ParseTime(Text(c, "created"));
      sdk::Event e = base("", sdk::kCommentAdded, created ? *created : *at);
      const std::string id = Text(c, "id");
      e.event_id = id.empty() ? e.event_id + ":comment" : "jira:" + key + ":comment:" + id;
      const std::string author = TextAt(c, {"author", "accountId"});
      e.actor_id = author;
      e.actor_role = TextAt(c, {"author", "accountType"}) == "customer" || (!author.empty() && author == reporter)
                         ? sdk::kRequester
                         : sdk::kAgent;
      e.has_comment = true;
      e.comment_text = text;
      // jsdPublic false is an internal note; without it, a restricted
      // visibility means internal too.
      if (c.contains("jsdPublic") && c["jsdPublic"].is_boolean()) {
        e.comment_public = c["jsdPublic"].get<bool>();
      } else {
        e.comment_public = !c.contains("visibility") || c["visibility"].is_null();
      }
      out.Emit(e);
      ++emitted;
    }
    if (emitted == 0 && type != "jira:issue_updated" && type != "comment_updated" && type != "comment_deleted") {
      return Fail(error, "field 'webhookEvent': '" + type + "' carries nothing Rapport reads");
    }
    return RAPPORT_OK;
  }

 private:
  static rapport_status Fail(std::string* error, std::string message) {
    *error = std::move(message);
    return RAPPORT_ERR_PERMANENT;
  }

  std::optional<int32_t> StatusOf(const Json& status) const {
    auto it = statuses_.find(Lower(Text(status, "name")));
    if (it != statuses_.end()) return it->second;
    const std::string category = Lower(TextAt(status, {"statusCategory", "key"}));
    if (category == "new") return sdk::kNew;
    if (category == "indeterminate") return sdk::kInProgress;
    if (category == "done") return sdk::kResolved;
    return std::nullopt;
  }

  static int32_t PriorityOf(const std::string& name) {
    const std::string n = Lower(name);
    if (n == "highest" || n == "critical" || n == "blocker") return sdk::kCritical;
    if (n == "high") return sdk::kHigh;
    if (n == "medium") return sdk::kMedium;
    if (n == "low" || n == "lowest") return sdk::kLow;
    return 0;
  }

  std::map<std::string, int32_t> statuses_;
};

}  // namespace
}  // namespace rapport::adapters

RAPPORT_ADAPTER(rapport_builtin_jira, rapport::adapters::JiraAdapter, "jira", "1.0.0",
                "Jira Service Management webhooks: issue created/updated with changelog, comments with jsdPublic")
