// jira: Jira (Cloud, Server/Data Center) and Jira Service Management
// webhooks -> canonical events.
//
// jira:issue_created gives the creation; jira:issue_updated one event per
// changelog item (status, assignee, priority) plus the comment it may carry;
// comment_created a comment, public when jsdPublic is true (an internal JSM
// note has jsdPublic false); comment_updated an edit of that comment (the
// latest text counts) and comment_deleted its withdrawal (it leaves tone and
// findings) — both as EVENT_KIND_FIELDS_UPDATED revisions naming the
// comment's event (adapter_util.h). Server/Data Center comment webhooks may
// carry no `issue`: the issue is then the one the comment's `self` URL names,
// by its key when an earlier payload to this adapter gave it.
//
// Ids come from the source: the webhook identifier header
// (x-atlassian-webhook-identifier, stable across retries), else the
// changelog id; a comment's id (and, for an edit, its update time). Status
// names are per workflow: the configuration maps them ({"status_map":
// {"Waiting for customer": "pending_requester"}}); unmapped names fall back
// to the status category (new, indeterminate, done). Every default priority
// scheme maps without configuration. Comment bodies may be wiki markup
// (rendered as a person reads it, quotations as "> " lines and code as ```
// fences) or Atlassian Document Format (flattened the same way).
//
// Roles: the reporter (by accountId, name, key or email) is the requester;
// the assignee is staff, and in a service project (projectTypeKey
// service_desk, or a customer reporter) so is every Atlassian account,
// while a customer account that is not the reporter is OTHER; anyone else
// is OTHER with the reason (jsdPublic alone does not say: software projects
// carry it too).
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

// A line of wiki markup with inline marks dropped: *bold*, _italic_,
// {color:x}…{color}, [text|link] -> text, [~user] -> @user.
std::string WikiInline(const std::string& line) {
  std::string out;
  // A '[' after the last ']' opens nothing: no search for it (keeps the scan linear).
  const size_t last_close = line.rfind(']') == std::string::npos ? 0 : line.rfind(']');
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '{' && line.compare(i, 6, "{color") == 0) {
      size_t close = line.find('}', i);
      if (close != std::string::npos) {
        i = close;
        continue;
      }
    }
    if (c == '[' && i < last_close) {
      size_t close = line.find(']', i);
      if (close != std::string::npos) {
        std::string inner = line.substr(i + 1, close - i - 1);
        size_t bar = inner.find('|');
        if (!inner.empty() && inner[0] == '~') {
          out += "@" + inner.substr(inner.rfind(':') == std::string::npos ? 1 : inner.rfind(':') + 1);
        } else {
          out += bar == std::string::npos ? inner : inner.substr(0, bar);
        }
        i = close;
        continue;
      }
    }
    if (c == '*' || c == '_') {
      // A mark opens before a word and closes after one.
      const bool opens = (i == 0 || !std::isalnum(static_cast<unsigned char>(line[i - 1]))) && i + 1 < line.size() &&
                         !std::isspace(static_cast<unsigned char>(line[i + 1])) && line.find(c, i + 1) != std::string::npos;
      const bool closes = i > 0 && !std::isspace(static_cast<unsigned char>(line[i - 1])) &&
                          (i + 1 == line.size() || !std::isalnum(static_cast<unsigned char>(line[i + 1])));
      if (opens || closes) continue;
    }
    out += c;
  }
  return out;
}

// Jira wiki markup as a person reads it: {quote} blocks and "bq." lines as
// "> " lines, {code} and {noformat} blocks in ``` fences (the tone engine
// sets both aside), heading markers and inline marks dropped.
std::string WikiToText(const std::string& wiki) {
  std::string out;
  bool quote = false, code = false;
  size_t start = 0;
  while (start <= wiki.size()) {
    size_t end = wiki.find('\n', start);
    std::string line = wiki.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    start = end == std::string::npos ? wiki.size() + 1 : end + 1;
    // Block markers may share a line with text: "{quote}text{quote}".
    std::string_view rest = line;
    std::string text;
    while (!rest.empty()) {
      size_t q = code ? std::string::npos : rest.find("{quote}");
      size_t c1 = rest.find("{code");
      size_t c2 = rest.find("{noformat");
      size_t marker = std::min({q, c1, c2});
      if (marker == std::string::npos) {
        text += rest;
        break;
      }
      size_t close = rest.find('}', marker);
      if (close == std::string::npos) {
        text += rest;
        break;
      }
      text += rest.substr(0, marker);
      if (!text.empty() || marker > 0) {
        if (!text.empty()) out += (quote ? "> " : "") + (code ? text : WikiInline(text)) + "\n";
        text.clear();
      }
      if (marker == q) {
        quote = !quote;
      } else {
        code = !code;
        out += "```\n";
      }
      rest = rest.substr(close + 1);
    }
    if (text.empty() && rest.empty() && line != text && line.find('{') != std::string::npos) continue;  // marker-only line
    if (code) {
      out += text + "\n";
      continue;
    }
    if (text.rfind("bq. ", 0) == 0) {
      out += "> " + WikiInline(text.substr(4)) + "\n";
      continue;
    }
    if (text.size() > 3 && text[0] == 'h' && text[1] >= '1' && text[1] <= '6' && text[2] == '.' && text[3] == ' ') {
      text = text.substr(4);
    }
    out += (quote ? "> " : "") + WikiInline(text) + "\n";
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// Every identifier a Jira user object gives: accountId (Cloud), name and
// key (Server/Data Center), email.
std::vector<std::string> UserIds(const Json& user) {
  if (!user.is_object()) return {};
  return {Text(user, "accountId"), Text(user, "name"), Text(user, "key"), Text(user, "emailAddress")};
}

// The id Rapport keeps for a user: accountId, else name, else key.
std::string UserId(const Json& user) {
  for (const std::string& id : UserIds(user)) {
    if (!id.empty()) return id;
  }
  return "";
}

const Json& Member(const Json& object, const char* key) {
  static const Json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
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
    if (body.is_array()) return Users(body, out, error);
    const std::string type = Text(body, "webhookEvent");
    if (type.empty()) return Fail(error, "missing field 'webhookEvent'");
    const Json& comment = Member(body, "comment");
    const bool comment_event = type.rfind("comment_", 0) == 0;
    const Json& issue = Member(body, "issue");
    std::string key = Text(issue, "key");
    if (!issue.is_object()) {
      if (!comment_event || !comment.is_object()) return Fail(error, "missing field 'issue'");
      // Server/Data Center comment webhooks name the issue only in the comment's URL.
      const std::string self = Text(comment, "self");
      size_t at = self.find("/issue/");
      size_t end = at == std::string::npos ? at : self.find('/', at + 7);
      const std::string issue_id = end == std::string::npos ? "" : self.substr(at + 7, end - at - 7);
      auto known = keys_.find(issue_id);
      if (issue_id.empty()) return Fail(error, "missing field 'issue' (and 'comment.self' names no issue)");
      key = known != keys_.end() ? known->second : issue_id;
    } else if (key.empty()) {
      return Fail(error, "missing field 'issue.key'");
    } else if (!Text(issue, "id").empty() && keys_.size() < 100000) {
      keys_[Text(issue, "id")] = key;
    }
    const Json& fields = Member(issue, "fields");
    std::string delivery(payload.Header("x-atlassian-webhook-identifier"));
    if (delivery.empty() && !Text(Member(body, "changelog"), "id").empty()) {
      delivery = key + ":changelog:" + Text(Member(body, "changelog"), "id");
    }
    std::optional<int64_t> at;
    if (body.contains("timestamp") && body["timestamp"].is_number()) {
      const double ms = body["timestamp"].get<double>();
      // Milliseconds since the epoch; anything outside years 1970..5000 is not one.
      if (!(ms >= 0 && ms < 9.5e13)) return Fail(error, "field 'timestamp' is not milliseconds since the epoch");
      at = static_cast<int64_t>(ms) * 1000;
    }
    if (delivery.empty() && at) delivery = key + ":" + std::to_string(*at / 1000) + ":" + type;
    const Roles roles = RolesOf(fields);
    const Json& user = Member(body, "user");
    // Everyone the payload names, by every id it gives them.
    if (auto fact_at = at ? at : ParseTime(Text(comment, "created"))) {
      for (const Json* u : {&user, &Member(fields, "reporter"), &Member(fields, "assignee"), &Member(fields, "creator"),
                            &Member(comment, "author"), &Member(comment, "updateAuthor")}) {
        if (!EmitIdentity(out, "jira", *fact_at, UserIds(*u))) return RAPPORT_OK;
      }
    }
    auto base = [&](const std::string& suffix, int32_t kind, int64_t when) {
      sdk::Event e;
      e.ticket_id = key;
      e.event_id = "jira:" + delivery + suffix;
      e.occurred_at_us = when;
      e.source = "jira";
      e.kind = kind;
      e.actor_id = UserId(user);
      SetRole(&e, RoleOf(roles, user, fields));
      return e;
    };

    if (type == "jira:issue_created") {
      auto created = ParseTime(Text(fields, "created"));
      if (!created && !at) return Fail(error, "missing field 'issue.fields.created'");
      sdk::Event e = base("", sdk::kCreated, created ? *created : *at);
      e.event_id = "jira:" + key + ":created";  // one creation per issue, whichever delivery carries it
      e.status = StatusOf(Member(fields, "status")).value_or(sdk::kNew);
      e.priority = PriorityByCommonName(TextAt(fields, {"priority", "name"}));
      const Json& reporter = Member(fields, "reporter");
      e.requester_id = UserId(reporter);
      if (!e.requester_id.empty()) {
        e.actor_id = e.requester_id;
        e.actor_role = sdk::kRequester;
        e.attributes.clear();
      }
      e.assignee_agent_id = UserId(Member(fields, "assignee"));
      e.category = TextAt(fields, {"issuetype", "name"});
      e.service = TextAt(fields, {"project", "key"});
      out.Emit(e);
      return RAPPORT_OK;
    }
    int emitted = 0;
    if (type == "jira:issue_updated" && body.contains("changelog") && body["changelog"].contains("items")) {
      if (!at) return Fail(error, "missing field 'timestamp'");
      int n = 0;
      for (const Json& item : body["changelog"]["items"]) {
        const std::string field = Lower(Text(item, "field"));
        const std::string suffix = ":" + std::to_string(n++);
        if (field == "status") {
          Json status = Json::object();
          status["name"] = Text(item, "toString");
          if (Text(Member(fields, "status"), "name") == Text(item, "toString")) status = fields["status"];
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
          e.priority = PriorityByCommonName(Text(item, "toString"));
          out.Emit(e);
          ++emitted;
        }
      }
    }
    if (comment.is_object()) {
      const std::string subtype = Text(body, "issue_event_type_name");
      const bool edited = type == "comment_updated" || subtype == "issue_comment_edited";
      const bool deleted = type == "comment_deleted" || subtype == "issue_comment_deleted";
      rapport_status s = Comment(comment, fields, key, roles, edited, deleted, at, out, error);
      if (s != RAPPORT_OK) return s;
      ++emitted;
    }
    if (emitted == 0) *error = "jira: event type " + type + ": nothing to record";
    return RAPPORT_OK;
  }

 private:
  static rapport_status Fail(std::string* error, std::string message) {
    *error = std::move(message);
    return RAPPORT_ERR_PERMANENT;
  }

  // Who is who: the reporter is the requester, the assignee staff; in a
  // service project every Atlassian account is staff too.
  // A user export (GET /rest/api/3/users/search, /rest/api/2/user/search):
  // alias facts only. A user object states no time: kTimelessFactUs.
  static rapport_status Users(const Json& users, sdk::Output& out, std::string* error) {
    uint64_t read = 0;
    for (uint64_t i = 0; i < users.size(); ++i) {
      const Json& u = users[i];
      if (!u.is_object() || UserId(u).empty()) {
        out.Reject(i, "MISSING_FIELD", "user " + std::to_string(i) + " has no accountId, name or key");
        continue;
      }
      ++read;
      if (!EmitIdentity(out, "jira", kTimelessFactUs, UserIds(u))) break;
    }
    if (read == 0 && !users.empty()) return Fail(error, "no user of the list has an accountId, name or key");
    return RAPPORT_OK;
  }

  static Roles RolesOf(const Json& fields) {
    Roles roles;
    const Json& reporter = Member(fields, "reporter");
    for (const std::string& id : UserIds(reporter)) roles.AddRequester(id);
    for (const std::string& id : UserIds(Member(fields, "assignee"))) roles.AddStaff(id);
    return roles;
  }

  static bool ServiceProject(const Json& fields) {
    return TextAt(fields, {"project", "projectTypeKey"}) == "service_desk" ||
           TextAt(fields, {"reporter", "accountType"}) == "customer";
  }

  Roles::Verdict RoleOf(const Roles& roles, const Json& user, const Json& fields) const {
    const auto ids = UserIds(user);
    if (ids.empty()) return {sdk::kSystem, ""};
    Roles::Verdict v = roles.Of(ids, "");
    if (v.role != sdk::kOther) return v;
    const std::string account = Text(user, "accountType");
    const bool service = ServiceProject(fields);
    if (account == "customer") return {sdk::kOther, "a customer account that is not the reporter (a request participant)"};
    if (service && (account == "atlassian" || account.empty())) return {sdk::kAgent, ""};
    return {sdk::kOther, "'" + UserId(user) + "' is not the reporter or the assignee, and a " +
                             (TextAt(fields, {"project", "projectTypeKey"}).empty()
                                  ? std::string("project that is not a service project")
                                  : TextAt(fields, {"project", "projectTypeKey"}) + " project") +
                             " does not mark staff"};
  }

  rapport_status Comment(const Json& c, const Json& fields, const std::string& key, const Roles& roles, bool edited, bool deleted,
                         std::optional<int64_t> at, sdk::Output& out, std::string* error) {
    const std::string id = Text(c, "id");
    if (id.empty()) return Fail(error, "missing field 'comment.id'");
    std::string text;
    if (c.contains("body") && c["body"].is_string()) {
      text = WikiToText(c["body"].get<std::string>());
    } else if (c.contains("body")) {
      FlattenAdf(c["body"], &text);
      while (!text.empty() && text.back() == '\n') text.pop_back();
    } else if (!deleted) {
      return Fail(error, "missing field 'comment.body'");
    }
    const std::string original = "jira:" + key + ":comment:" + id;
    auto created = ParseTime(Text(c, "created"));
    auto updated = ParseTime(Text(c, "updated"));
    std::optional<int64_t> when = edited ? (updated ? updated : at) : deleted ? (at ? at : updated) : (created ? created : at);
    if (!when) return Fail(error, "missing field 'comment.created' (or 'timestamp')");
    sdk::Event e;
    e.ticket_id = key;
    e.source = "jira";
    e.occurred_at_us = *when;
    e.event_id = original;
    e.kind = sdk::kCommentAdded;
    const Json& author = edited ? (Member(c, "updateAuthor").is_object() ? c["updateAuthor"] : Member(c, "author"))
                                : Member(c, "author");
    e.actor_id = UserId(author);
    SetRole(&e, RoleOf(roles, author, fields));
    // jsdPublic false is an internal note; without it, a restricted
    // visibility means internal too.
    if (c.contains("jsdPublic") && c["jsdPublic"].is_boolean()) {
      e.comment_public = c["jsdPublic"].get<bool>();
    } else {
      e.comment_public = !c.contains("visibility") || c["visibility"].is_null();
    }
    if (deleted) {
      e.kind = sdk::kFieldsUpdated;
      e.event_id = original + ":deleted";
      e.attributes.emplace_back(kWithdrawsAttribute, original);
    } else {
      e.has_comment = true;
      e.comment_text = text.empty() ? " " : text;
      if (edited) {
        e.kind = sdk::kFieldsUpdated;
        e.event_id = original + ":edit:" + Text(c, "updated");
        e.attributes.emplace_back(kEditOfAttribute, original);
      }
    }
    out.Emit(e);
    return RAPPORT_OK;
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

  std::map<std::string, int32_t> statuses_;
  std::map<std::string, std::string> keys_;  // issue id -> key, from earlier payloads
};

}  // namespace
}  // namespace rapport::adapters

RAPPORT_ADAPTER(rapport_builtin_jira, rapport::adapters::JiraAdapter, "jira", "1.1.0",
                "Jira Service Management webhooks: issue created/updated with changelog, comments with jsdPublic")
