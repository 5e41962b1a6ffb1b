// jira: Jira (Cloud, Server/Data Center) and Jira Service Management
// webhooks and REST API reads -> canonical events.
//
// jira:issue_created gives the creation; jira:issue_updated one event per
// changelog item (status, assignee, priority; a resolution set or cleared
// alone gives the issue's status) plus the comment it may carry;
// comment_created a comment, public when jsdPublic is true (an internal JSM
// note has jsdPublic false); comment_updated an edit of that comment (the
// latest text counts) and comment_deleted its withdrawal (it leaves tone and
// findings) — both as EVENT_KIND_FIELDS_UPDATED revisions naming the
// comment's event (adapter_util.h). Older Server webhooks name no subtype:
// an issue update carrying a comment updated after its creation is an edit.
// Server/Data Center comment webhooks may carry no `issue`: the issue is
// then the one the comment's `self` URL names, by its key when an earlier
// payload to this adapter gave it. Webhooks about no issue (links,
// worklogs, projects, sprints, users) are noted as nothing to record.
//
// REST reads (no webhookEvent): an issue (GET /rest/api/2|3/issue/{key},
// best with ?expand=changelog: each history is its changes at its own time
// by its author, the creation's values are what the first changes changed
// from, comments at their created time), a search result ({"issues":
// [...]}), a comment page, a changelog page, a service desk request and
// its comments (`public`, dates as {"iso8601", "epochMillis"}).
//
// Ids come from the source: the changelog id (the same whether a webhook
// or the REST history brings it), else the webhook identifier header
// (x-atlassian-webhook-identifier, stable across retries); a comment's id
// (and, for an edit, its update time). Status names are per workflow: the
// configuration maps them ({"status_map": {"Waiting for customer":
// "pending_requester"}}); unmapped names fall back to the status category
// (new, indeterminate, done). Every default priority scheme maps without
// configuration. Comment bodies may be wiki markup (rendered as a person
// reads it, quotations as "> " lines and code as ``` fences) or Atlassian
// Document Format (flattened the same way; mentions as @name, hard breaks
// as line breaks).
//
// Roles: the reporter (by accountId, name, key or email) is the requester;
// the assignee is staff, and in a service project (projectTypeKey
// service_desk, or a customer reporter) so is every Atlassian account,
// while a customer account that is not the reporter is OTHER; an app
// account (automation) is SYSTEM; anyone else is OTHER with the reason
// (jsdPublic alone does not say: software projects carry it too).
#include <cstring>
#include <map>
#include <vector>

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
    const Json& attrs = node.contains("attrs") ? node["attrs"] : Json();
    if (type == "text" && node.contains("text") && node["text"].is_string()) {
      *out += node["text"].get<std::string>();
    } else if (type == "hardBreak") {
      *out += '\n';
    } else if (type == "mention") {
      // attrs.text is the name as shown ("@Chris"); an id alone says no name.
      const std::string name = Text(attrs, "text");
      *out += name.empty() ? "@" + Text(attrs, "id") : name[0] == '@' ? name : "@" + name;
    } else if (type == "emoji" || type == "status" || type == "date") {
      *out += !Text(attrs, "text").empty() ? Text(attrs, "text") : Text(attrs, "shortName");
    } else if (type == "inlineCard" || type == "blockCard" || type == "embedCard") {
      *out += Text(attrs, "url");
    } else if ((type == "tableCell" || type == "tableHeader") && !out->empty() && out->back() != '\n' &&
               out->back() != ' ') {
      *out += ' ';
    } else if (type == "listItem") {  // as wiki list items read: "- item"
      if (!out->empty() && out->back() != '\n') *out += '\n';
      *out += "- ";
    }
    if (node.contains("content")) FlattenAdf(node["content"], out);
    if ((type == "paragraph" || type == "heading" || type == "listItem" || type == "tableRow" || type == "rule" ||
         type == "mediaSingle" || type == "panel") &&
        !out->empty() && out->back() != '\n') {
      *out += '\n';
    }
  } else if (node.is_array()) {
    for (const Json& child : node) FlattenAdf(child, out);
  }
}

// Whether `c` may sit right outside an inline mark ("*bold*," but not "2*3").
bool MarkBoundary(const std::string& line, size_t i) {
  return i >= line.size() || !std::isalnum(static_cast<unsigned char>(line[i]));
}

// The closing mark of the inline mark `c` opening at `open`, or npos: the
// same character after a non-space, followed by no letter or digit, on the
// same line. A lone mark ("2*3", "well-known", "- item") pairs with nothing.
size_t CloseOfMark(const std::string& line, size_t open, char c) {
  if (open > 0 && !MarkBoundary(line, open - 1)) return std::string::npos;
  if (open + 1 >= line.size() || std::isspace(static_cast<unsigned char>(line[open + 1])) || line[open + 1] == c) {
    return std::string::npos;
  }
  for (size_t j = line.find(c, open + 2); j != std::string::npos; j = line.find(c, j + 1)) {
    if (!std::isspace(static_cast<unsigned char>(line[j - 1])) && line[j - 1] != c && MarkBoundary(line, j + 1) &&
        (j + 1 >= line.size() || line[j + 1] != c)) {
      return j;
    }
  }
  return std::string::npos;
}

// A line of wiki markup as a person reads it: *bold*, _italic_, -deleted-,
// +inserted+, ^sup^, ~sub~, ??citation?? and {{monospace}} marks dropped,
// {color:x}…{color} and panel markers dropped, [text|link] -> text,
// [~user] -> @user, [^attachment] -> attachment, !image.png! dropped,
// backslash escapes read as the character and "\\" as a line break, table
// cell bars as spaces.
std::string WikiInline(const std::string& line) {
  std::string out;
  // A '[' after the last ']' opens nothing: no search for it (keeps the scan linear).
  const size_t last_close = line.rfind(']') == std::string::npos ? 0 : line.rfind(']');
  const bool table = !line.empty() && line[0] == '|';
  std::vector<bool> dropped(line.size(), false);
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (dropped[i]) continue;
    if (c == '\\' && i + 1 < line.size()) {
      if (line[i + 1] == '\\') {
        out += '\n';
      } else {
        out += line[i + 1];
      }
      ++i;
      continue;
    }
    if (c == '{' && line.compare(i, 2, "{{") == 0) {
      size_t close = line.find("}}", i + 2);
      if (close != std::string::npos) {
        out += line.substr(i + 2, close - i - 2);
        i = close + 1;
        continue;
      }
    }
    if (c == '{') {
      static const char* kMacros[] = {"{color", "{panel", "{anchor", "{section", "{column", "{expand", "{tip", "{info",
                                      "{note", "{warning", "{status"};
      bool macro = false;
      for (const char* m : kMacros) macro = macro || line.compare(i, std::strlen(m), m) == 0;
      size_t close = line.find('}', i);
      if (macro && close != std::string::npos) {
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
        } else if (!inner.empty() && inner[0] == '^') {
          out += inner.substr(1);
        } else {
          out += bar == std::string::npos ? inner : inner.substr(0, bar);
        }
        i = close;
        continue;
      }
    }
    if (c == '!' && i + 1 < line.size() && !std::isspace(static_cast<unsigned char>(line[i + 1]))) {
      // An embedded image or file: "!screenshot.png!", "!a.png|thumbnail!".
      size_t close = line.find('!', i + 1);
      if (close != std::string::npos) {
        std::string inner = line.substr(i + 1, close - i - 1);
        if (inner.find('.') != std::string::npos && inner.find(' ') == std::string::npos &&
            inner.find_first_of(" \t") == std::string::npos) {
          i = close;
          continue;
        }
      }
    }
    if (c == '?' && line.compare(i, 2, "??") == 0) {
      size_t close = line.find("??", i + 2);
      if (close != std::string::npos && close > i + 2) {
        dropped[close] = dropped[close + 1] = true;
        ++i;
        continue;
      }
    }
    if (c == '*' || c == '_' || c == '-' || c == '+' || c == '^' || c == '~') {
      size_t close = CloseOfMark(line, i, c);
      if (close != std::string::npos) {
        dropped[close] = true;
        continue;
      }
    }
    if (c == '|' && table) {
      if (!out.empty() && out.back() != ' ') out += ' ';
      continue;
    }
    out += c;
  }
  if (table) {
    while (!out.empty() && out.back() == ' ') out.pop_back();
    size_t first = out.find_first_not_of(' ');
    out = first == std::string::npos ? "" : out.substr(first);
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
    // A line of a quotation, each of its forced breaks ("\\") quoted too.
    auto emit = [&out](bool quoted, const std::string& inline_text) {
      size_t from = 0;
      do {
        size_t nl = inline_text.find('\n', from);
        out += (quoted ? "> " : "") + inline_text.substr(from, nl == std::string::npos ? nl : nl - from) + "\n";
        from = nl == std::string::npos ? nl : nl + 1;
      } while (from != std::string::npos);
    };
    if (text.rfind("bq. ", 0) == 0) {
      emit(true, WikiInline(text.substr(4)));
      continue;
    }
    if (text.size() > 3 && text[0] == 'h' && text[1] >= '1' && text[1] <= '6' && text[2] == '.' && text[3] == ' ') {
      text = text.substr(4);
    }
    if (text.size() >= 4 && text.find_first_not_of('-') == std::string::npos) continue;  // a horizontal rule
    // List items ("* a", "## b", "- c") read as "- " items.
    const size_t bullet = text.find_first_not_of("*#-");
    if (bullet != std::string::npos && bullet > 0 && text[bullet] == ' ' && (text[0] != '-' || bullet == 1)) {
      text = "- " + text.substr(bullet + 1);
      emit(quote, "- " + WikiInline(text.substr(2)));
      continue;
    }
    emit(quote, WikiInline(text));
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// A priority by its name: every default scheme (PriorityByCommonName), else
// a level the name states ("P1 - Critical", "Sev 2", "S3"; 1 is the most
// urgent), else a known word in it ("Very High").
int32_t PriorityOfName(const std::string& name) {
  if (int32_t p = PriorityByCommonName(name)) return p;
  const std::string n = Lower(name);
  for (const char* prefix : {"p", "sev", "s", "priority "}) {
    for (size_t at = n.find(prefix); at != std::string::npos; at = n.find(prefix, at + 1)) {
      if (at > 0 && std::isalnum(static_cast<unsigned char>(n[at - 1]))) continue;
      size_t digit = at + std::strlen(prefix);
      while (digit < n.size() && n[digit] == ' ') ++digit;
      if (digit >= n.size() || n[digit] < '1' || n[digit] > '5') continue;
      if (digit + 1 < n.size() && std::isalnum(static_cast<unsigned char>(n[digit + 1]))) continue;
      static const int32_t kLevels[] = {sdk::kCritical, sdk::kHigh, sdk::kMedium, sdk::kLow, sdk::kLow};
      return kLevels[n[digit] - '1'];
    }
  }
  std::string word;
  for (size_t i = 0; i <= n.size(); ++i) {
    if (i < n.size() && std::isalpha(static_cast<unsigned char>(n[i]))) {
      word += n[i];
      continue;
    }
    if (int32_t p = word.empty() ? 0 : PriorityByCommonName(word)) return p;
    word.clear();
  }
  return 0;
}

// Every identifier a Jira user object gives: accountId (Cloud), name and
// key (Server/Data Center), email.
std::vector<std::string> UserIds(const Json& user) {
  if (!user.is_object()) return {};
  std::vector<std::string> ids = {Text(user, "accountId"), Text(user, "name"), Text(user, "key"),
                                  Text(user, "emailAddress")};
  if (ids[0].empty() && ids[1].empty() && ids[2].empty()) {
    // A user object stripped to its URL still names the user there:
    // ".../user?accountId=…", "?username=…", "?key=…".
    const std::string self = Text(user, "self");
    for (const char* param : {"accountId=", "username=", "key="}) {
      size_t at = self.find(param);
      if (at == std::string::npos || (at > 0 && self[at - 1] != '?' && self[at - 1] != '&')) continue;
      at += std::strlen(param);
      ids[0] = self.substr(at, self.find('&', at) == std::string::npos ? std::string::npos : self.find('&', at) - at);
      break;
    }
  }
  // Hidden addresses (Cloud privacy settings) say nothing about anyone.
  if (ids[3].find('@') == std::string::npos) ids[3].clear();
  return ids;
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
    if (type.empty()) return Rest(body, out, error);
    const Json& comment = Member(body, "comment");
    const bool comment_event = type.rfind("comment_", 0) == 0;
    const Json& issue = Member(body, "issue");
    std::string key = Text(issue, "key");
    if (!issue.is_object()) {
      if (!comment_event && type.rfind("jira:issue_", 0) != 0) {
        // Links, worklogs, attachments, projects, versions, sprints, users: no ticket event.
        *error = "jira: event type " + type + ": nothing to record";
        return RAPPORT_OK;
      }
      if (!comment_event || !comment.is_object()) return Fail(error, "missing field 'issue'");
      // Server/Data Center comment webhooks name the issue only in the comment's URL.
      const std::string issue_id = IssueOfSelf(Text(comment, "self"));
      if (issue_id.empty()) return Fail(error, "missing field 'issue' (and 'comment.self' names no issue)");
      key = KeyOf(issue_id);
    } else if (key.empty()) {
      return Fail(error, "missing field 'issue.key'");
    } else {
      Learn(issue);
    }
    const Json& fields = Member(issue, "fields");
    // The changelog id names the change itself, whichever webhook (or REST
    // read of the history) delivers it; the delivery header names one
    // webhook's delivery.
    std::string delivery;
    if (!Text(Member(body, "changelog"), "id").empty()) {
      delivery = key + ":changelog:" + Text(Member(body, "changelog"), "id");
    } else {
      delivery = std::string(payload.Header("x-atlassian-webhook-identifier"));
    }
    std::optional<int64_t> at;
    if (body.contains("timestamp") && body["timestamp"].is_number()) {
      const double ms = body["timestamp"].get<double>();
      // Milliseconds since the epoch; anything outside years 1970..5000 is not one.
      if (!(ms >= 0 && ms < 9.5e13)) return Fail(error, "field 'timestamp' is not milliseconds since the epoch");
      at = static_cast<int64_t>(ms) * 1000;
    }
    // Without the webhook's own time, an update happened when the issue says it was last updated.
    if (!at && type == "jira:issue_updated") at = ParseTime(Text(fields, "updated"));
    if (delivery.empty() && at) delivery = key + ":" + std::to_string(*at / 1000) + ":" + type;
    const Roles roles = RolesOf(fields);
    const Json& user = Member(body, "user");
    // Everyone the payload names, by every id it gives them.
    if (auto fact_at = at ? at : ParseTime(Text(comment, "created"))) {
      if (!EmitPeople(out, *fact_at, {&user, &Member(fields, "reporter"), &Member(fields, "assignee"),
                                      &Member(fields, "creator"), &Member(comment, "author"),
                                      &Member(comment, "updateAuthor")})) {
        return RAPPORT_OK;
      }
    }

    if (type == "jira:issue_created") {
      auto created = ParseTime(Text(fields, "created"));
      if (!created && !at) return Fail(error, "missing field 'issue.fields.created'");
      sdk::Event e = Created(key, fields, roles, user, created ? *created : *at);
      e.status = StatusOf(Member(fields, "status")).value_or(sdk::kNew);
      e.priority = PriorityOfName(TextAt(fields, {"priority", "name"}));
      e.assignee_agent_id = UserId(Member(fields, "assignee"));
      out.Emit(e);
      return RAPPORT_OK;
    }
    int emitted = 0;
    if (type == "jira:issue_updated" && Member(body, "changelog").contains("items")) {
      if (!at) return Fail(error, "missing field 'timestamp'");
      rapport_status s =
          Changes(body["changelog"]["items"], fields, key, "jira:" + delivery, *at, user, roles, true, out, &emitted, error);
      if (s != RAPPORT_OK) return s;
    }
    // An assignment whose changelog came empty: the issue names the assignee.
    if (emitted == 0 && Text(body, "issue_event_type_name") == "issue_assigned" && at && !delivery.empty()) {
      sdk::Event e;
      e.ticket_id = key;
      e.event_id = "jira:" + delivery + ":assignee";
      e.occurred_at_us = *at;
      e.source = "jira";
      e.kind = sdk::kAssignmentChanged;
      e.actor_id = UserId(user);
      SetRole(&e, RoleOf(roles, user, fields));
      e.assignee_agent_id = UserId(Member(fields, "assignee"));
      e.assignee_team = TextAt(fields, {"project", "key"});
      out.Emit(e);
      ++emitted;
    }
    if (comment.is_object()) {
      const std::string subtype = Text(body, "issue_event_type_name");
      bool edited = type == "comment_updated" || subtype == "issue_comment_edited";
      const bool deleted = type == "comment_deleted" || subtype == "issue_comment_deleted";
      // Older Server/Data Center webhooks name no subtype: an issue update
      // carrying a comment updated after its creation is an edit of it.
      if (type == "jira:issue_updated" && subtype.empty() && !deleted) {
        auto c = ParseTime(Text(comment, "created"));
        auto u = ParseTime(Text(comment, "updated"));
        edited = c && u && *u > *c + 1'000'000;
      }
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

  // The issue a REST URL names: ".../issue/10013/comment/10082" -> 10013,
  // ".../issue/TT-1/changelog?..." -> TT-1, ".../request/2000/comment/1" -> 2000.
  static std::string IssueOfSelf(const std::string& self) {
    for (const char* marker : {"/issue/", "/request/"}) {
      size_t at = self.find(marker);
      if (at == std::string::npos) continue;
      at += std::strlen(marker);
      size_t end = self.find_first_of("/?#", at);
      return self.substr(at, end == std::string::npos ? std::string::npos : end - at);
    }
    return "";
  }

  // An issue's key by its id, when an earlier payload gave both.
  std::string KeyOf(const std::string& id) const {
    auto known = keys_.find(id);
    return known != keys_.end() ? known->second : id;
  }
  void Learn(const Json& issue) {
    const std::string id = !Text(issue, "id").empty() ? Text(issue, "id") : Text(issue, "issueId");
    const std::string key = !Text(issue, "key").empty() ? Text(issue, "key") : Text(issue, "issueKey");
    if (!id.empty() && !key.empty() && keys_.size() < 100000) keys_[id] = key;
  }

  // The time a field states: an ISO string, or a service desk date object
  // ({"iso8601": …, "epochMillis": …}).
  static std::optional<int64_t> TimeOf(const Json& v) {
    if (v.is_string()) return ParseTime(v.get<std::string>());
    if (!v.is_object()) return std::nullopt;
    if (auto t = ParseTime(Text(v, "iso8601"))) return t;
    if (auto t = ParseTime(Text(v, "jira"))) return t;
    const Json& ms = Member(v, "epochMillis");
    if (ms.is_number() && ms.get<double>() >= 0 && ms.get<double>() < 9.5e13) {
      return static_cast<int64_t>(ms.get<double>()) * 1000;
    }
    return std::nullopt;
  }

  static bool EmitPeople(sdk::Output& out, int64_t at, std::initializer_list<const Json*> users) {
    for (const Json* u : users) {
      if (!EmitIdentity(out, "jira", at, UserIds(*u))) return false;
    }
    return true;
  }

  // The creation of an issue: the reporter is its requester and, when named,
  // its actor.
  sdk::Event Created(const std::string& key, const Json& fields, const Roles& roles, const Json& user, int64_t at) const {
    sdk::Event e;
    e.ticket_id = key;
    e.event_id = "jira:" + key + ":created";  // one creation per issue, whichever delivery carries it
    e.occurred_at_us = at;
    e.source = "jira";
    e.kind = sdk::kCreated;
    e.actor_id = UserId(user);
    SetRole(&e, RoleOf(roles, user, fields));
    e.requester_id = UserId(Member(fields, "reporter"));
    if (!e.requester_id.empty()) {
      e.actor_id = e.requester_id;
      e.actor_role = sdk::kRequester;
      e.attributes.clear();
    }
    e.category = TextAt(fields, {"issuetype", "name"});
    e.service = TextAt(fields, {"project", "key"});
    return e;
  }

  // A status by name: the configured and built-in names, else the category
  // of the issue's current status when the names agree.
  std::optional<int32_t> StatusNamed(const std::string& name, const Json& fields) const {
    Json status = Json::object();
    status["name"] = name;
    // Member, not operator[]: `fields` may lack a status, and a const
    // operator[] on a missing key reads out of bounds.
    if (Text(Member(fields, "status"), "name") == name) status = Member(fields, "status");
    return StatusOf(status);
  }

  // The events of one change (a webhook's changelog or a REST history):
  // status, assignee and priority items, ids `prefix`:<item>. `webhook`:
  // the issue's fields describe the state right after this change.
  rapport_status Changes(const Json& items, const Json& fields, const std::string& key, const std::string& prefix,
                         int64_t at, const Json& user, const Roles& roles, bool webhook, sdk::Output& out, int* emitted,
                         std::string* error) const {
    if (!items.is_array()) return RAPPORT_OK;
    auto base = [&](size_t n, int32_t kind) {
      sdk::Event e;
      e.ticket_id = key;
      e.event_id = prefix + ":" + std::to_string(n);
      e.occurred_at_us = at;
      e.source = "jira";
      e.kind = kind;
      e.actor_id = UserId(user);
      SetRole(&e, RoleOf(roles, user, fields));
      return e;
    };
    bool resolution_changed = false, status_changed = false;
    size_t resolution_item = 0;
    std::string resolution;
    for (size_t n = 0; n < items.size(); ++n) {
      const std::string field = Lower(Text(items[n], "field"));
      status_changed = status_changed || field == "status";
      if (field == "resolution") {
        resolution_changed = true;
        resolution_item = n;
        resolution = Text(items[n], "toString");
      }
    }
    // The resolution this change set: its own item, else (a webhook) the issue's.
    const std::string code = resolution_changed ? resolution : webhook ? TextAt(fields, {"resolution", "name"}) : "";
    for (size_t n = 0; n < items.size(); ++n) {
      const Json& item = items[n];
      const std::string field = Lower(Text(item, "field"));
      if (field == "status") {
        auto s = StatusNamed(Text(item, "toString"), fields);
        if (!s) {
          const std::string message = "field 'changelog.items.toString': unmapped status '" + Text(item, "toString") +
                                      "' (add it to status_map)";
          if (webhook) return Fail(error, message);
          out.Reject(0, "UNMAPPED_STATUS", "issue " + key + ": " + message);
          continue;
        }
        sdk::Event e = base(n, sdk::kStatusChanged);
        e.status = *s;
        if (*s == sdk::kResolved || *s == sdk::kClosed) {
          e.has_resolution = !code.empty();
          e.resolution_code = code;
        }
        out.Emit(e);
        ++*emitted;
      } else if (field == "assignee") {
        sdk::Event e = base(n, sdk::kAssignmentChanged);
        e.assignee_agent_id = Text(item, "to");
        e.assignee_team = TextAt(fields, {"project", "key"});
        out.Emit(e);
        ++*emitted;
      } else if (field == "priority") {
        sdk::Event e = base(n, sdk::kPriorityChanged);
        e.priority = PriorityOfName(Text(item, "toString"));
        out.Emit(e);
        ++*emitted;
      }
    }
    // A resolution set or cleared alone (Jira may send it apart from the
    // transition): the issue's status says where the issue now stands.
    if (webhook && resolution_changed && !status_changed) {
      if (auto s = StatusOf(Member(fields, "status"))) {
        sdk::Event e = base(resolution_item, sdk::kStatusChanged);
        e.status = *s;
        if ((*s == sdk::kResolved || *s == sdk::kClosed) && !resolution.empty()) {
          e.has_resolution = true;
          e.resolution_code = resolution;
        }
        out.Emit(e);
        ++*emitted;
      }
    }
    return RAPPORT_OK;
  }

  // REST API reads (no webhookEvent): an issue (GET /rest/api/2|3/issue/{key},
  // best with ?expand=changelog), a search result ({"issues": [...]}), a
  // comment page (GET …/issue/{key}/comment, or a service desk request's
  // comments), a changelog page (GET …/issue/{key}/changelog), a service
  // desk request (GET /rest/servicedeskapi/request/{key}).
  rapport_status Rest(const Json& body, sdk::Output& out, std::string* error) {
    if (!body.is_object()) return Fail(error, "expected a JSON object (a webhook or a REST API response) or a user list");
    if (Member(body, "fields").is_object() && !Text(body, "key").empty()) return RestIssue(body, 0, out, error);
    // An automation rule's web request with the issue data ({"issue": {...}}), no webhook event.
    if (Member(Member(body, "issue"), "fields").is_object() && !TextAt(body, {"issue", "key"}).empty()) {
      return RestIssue(body["issue"], 0, out, error);
    }
    if (Member(body, "issues").is_array()) {
      uint64_t read = 0, index = 0;
      std::string first;
      for (const Json& issue : body["issues"]) {
        std::string problem;
        if (RestIssue(issue, index, out, &problem) == RAPPORT_OK) {
          ++read;
        } else {
          if (first.empty()) first = problem;
          out.Reject(index, "MISSING_FIELD", problem);
        }
        ++index;
      }
      if (read == 0 && index > 0) return Fail(error, first);
      if (index == 0) *error = "jira: the search result holds no issue: nothing to record";
      return RAPPORT_OK;
    }
    const Json& list = Member(body, "comments").is_array()  ? body["comments"]
                       : Member(body, "values").is_array()  ? body["values"]
                       : Member(body, "histories").is_array() ? body["histories"]
                                                              : Json();
    if (list.is_array()) {
      if (list.empty()) {
        *error = "jira: the page holds no comment or change: nothing to record";
        return RAPPORT_OK;
      }
      if (Member(list[0], "items").is_array()) return RestHistories(list, IssueOfSelf(Text(body, "self")), out, error);
      if (list[0].is_object() && list[0].contains("body")) return RestComments(list, out, error);
      return Fail(error, "the page's entries are neither comments (with 'body') nor changes (with 'items')");
    }
    if (!Text(body, "issueKey").empty()) return ServiceDeskRequest(body, out, error);
    return Fail(error,
                "missing field 'webhookEvent': expected a Jira webhook, a REST issue (GET /rest/api/2/issue/{key}"
                "?expand=changelog), a search result, a comment or changelog page, a service desk request, or a "
                "user list");
  }

  rapport_status RestIssue(const Json& issue, uint64_t index, sdk::Output& out, std::string* error) {
    const std::string key = Text(issue, "key");
    const Json& fields = Member(issue, "fields");
    if (key.empty() || !fields.is_object()) return Fail(error, "issue " + std::to_string(index) + " has no 'key' or 'fields'");
    auto created = ParseTime(Text(fields, "created"));
    if (!created) return Fail(error, "missing field 'fields.created' of issue " + key);
    Learn(issue);
    const Roles roles = RolesOf(fields);
    if (!EmitPeople(out, *created, {&Member(fields, "reporter"), &Member(fields, "assignee"), &Member(fields, "creator")})) {
      return RAPPORT_OK;
    }
    // The changes in time order (Jira lists them oldest first, but says nothing).
    std::vector<std::pair<int64_t, const Json*>> histories;
    const Json& changelog = Member(issue, "changelog");
    const bool has_changelog = Member(changelog, "histories").is_array();
    if (has_changelog) {
      for (const Json& h : changelog["histories"]) {
        if (auto t = ParseTime(Text(h, "created"))) histories.emplace_back(*t, &h);
      }
      std::stable_sort(histories.begin(), histories.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
    }
    // The values the issue was created with: what its first change of each changed from.
    auto first_from = [&](const char* field, const char* member) -> std::optional<std::string> {
      for (const auto& [t, h] : histories) {
        for (const Json& item : Member(*h, "items").is_array() ? (*h)["items"] : Json::array()) {
          if (Lower(Text(item, "field")) == field) return Text(item, member);
        }
      }
      return std::nullopt;
    };
    const Json& creator = Member(fields, "creator").is_object() ? Member(fields, "creator") : Member(fields, "reporter");
    sdk::Event e = Created(key, fields, roles, creator, *created);
    const auto current = StatusOf(Member(fields, "status"));
    if (auto from = first_from("status", "fromString")) {
      e.status = StatusNamed(*from, fields).value_or(sdk::kNew);
    } else {
      e.status = has_changelog || current == sdk::kNew ? current.value_or(sdk::kNew) : sdk::kNew;
    }
    auto priority = first_from("priority", "fromString");
    e.priority = PriorityOfName(priority ? *priority : TextAt(fields, {"priority", "name"}));
    // Without a history, the current assignee stands for the first.
    auto assignee = first_from("assignee", "from");
    e.assignee_agent_id = assignee ? *assignee : UserId(Member(fields, "assignee"));
    out.Emit(e);
    int emitted = 1;
    for (const auto& [t, h] : histories) {
      const std::string id = Text(*h, "id");
      if (id.empty()) continue;
      rapport_status s = Changes(Member(*h, "items"), fields, key, "jira:" + key + ":changelog:" + id, t,
                                 Member(*h, "author"), roles, false, out, &emitted, error);
      if (s != RAPPORT_OK) return s;
    }
    if (!has_changelog && current && *current != sdk::kNew) {
      // Without the history, the fields that state when the issue reached
      // its status: resolutiondate, else statuscategorychangedate.
      const bool done = *current == sdk::kResolved || *current == sdk::kClosed || *current == sdk::kCanceled;
      const std::string when = done && !Text(fields, "resolutiondate").empty() ? Text(fields, "resolutiondate")
                                                                               : Text(fields, "statuscategorychangedate");
      if (auto t = ParseTime(when)) {
        sdk::Event s;
        s.ticket_id = key;
        s.event_id = "jira:" + key + ":status:" + when;
        s.occurred_at_us = *t;
        s.source = "jira";
        s.kind = sdk::kStatusChanged;
        s.status = *current;
        SetRole(&s, {sdk::kOther, "the issue without its changelog does not say who changed the status (fetch it with "
                                  "?expand=changelog)"});
        if (done && !TextAt(fields, {"resolution", "name"}).empty()) {
          s.has_resolution = true;
          s.resolution_code = TextAt(fields, {"resolution", "name"});
        }
        out.Emit(s);
      }
    }
    const Json& comments = Member(Member(fields, "comment"), "comments");
    if (comments.is_array()) {
      for (const Json& c : comments) {
        if (EmitPeople(out, TimeOf(Member(c, "created")).value_or(*created), {&Member(c, "author")}) == false) break;
        std::string problem;
        if (Comment(c, fields, key, roles, false, false, std::nullopt, out, &problem) != RAPPORT_OK) {
          out.Reject(index, "MISSING_FIELD", "issue " + key + ": " + problem);
        }
      }
    }
    return RAPPORT_OK;
  }

  // A changelog page: its issue is the one its own URL names.
  rapport_status RestHistories(const Json& list, const std::string& issue, sdk::Output& out, std::string* error) {
    if (issue.empty()) return Fail(error, "missing field 'self' (the changelog page's URL names its issue)");
    const std::string key = KeyOf(issue);
    const Roles roles;
    int emitted = 0;
    for (const Json& h : list) {
      auto t = ParseTime(Text(h, "created"));
      if (!t || Text(h, "id").empty()) continue;
      rapport_status s = Changes(Member(h, "items"), Json::object(), key, "jira:" + key + ":changelog:" + Text(h, "id"),
                                 *t, Member(h, "author"), roles, false, out, &emitted, error);
      if (s != RAPPORT_OK) return s;
    }
    if (emitted == 0) *error = "jira: the changelog page changes no status, assignee or priority: nothing to record";
    return RAPPORT_OK;
  }

  // A comment page: each comment's issue is the one its URL names.
  rapport_status RestComments(const Json& list, sdk::Output& out, std::string* error) {
    uint64_t read = 0, index = 0;
    std::string first;
    for (const Json& c : list) {
      const uint64_t record = index++;
      const std::string self = !Text(c, "self").empty() ? Text(c, "self") : TextAt(c, {"_links", "self"});
      const std::string issue = IssueOfSelf(self);
      std::string problem = issue.empty() ? "comment " + Text(c, "id") + ": its 'self' URL names no issue" : "";
      if (problem.empty()) {
        if (auto t = TimeOf(Member(c, "created"))) EmitPeople(out, *t, {&Member(c, "author")});
        Comment(c, Json::object(), KeyOf(issue), Roles(), false, false, std::nullopt, out, &problem);
      }
      if (!problem.empty()) {
        if (first.empty()) first = problem;
        out.Reject(record, "MISSING_FIELD", problem);
        continue;
      }
      ++read;
    }
    if (read == 0) return Fail(error, first);
    return RAPPORT_OK;
  }

  // A service desk request: its creation by the reporter, and its current
  // status at the time the request states for it.
  rapport_status ServiceDeskRequest(const Json& r, sdk::Output& out, std::string* error) {
    const std::string key = Text(r, "issueKey");
    auto created = TimeOf(Member(r, "createdDate"));
    if (!created) return Fail(error, "missing field 'createdDate' of request " + key);
    Learn(r);
    Json fields = Json::object();
    fields["project"] = Json{{"projectTypeKey", "service_desk"}};
    if (Member(r, "reporter").is_object()) fields["reporter"] = r["reporter"];
    const Json& current = Member(r, "currentStatus");
    fields["status"] = Json{{"name", Text(current, "status")},
                            {"statusCategory", Json{{"key", Lower(Text(current, "statusCategory"))}}}};
    const Roles roles = RolesOf(fields);
    if (!EmitPeople(out, *created, {&Member(r, "reporter")})) return RAPPORT_OK;
    sdk::Event e = Created(key, fields, roles, Member(r, "reporter"), *created);
    const auto status = StatusOf(fields["status"]);
    auto since = TimeOf(Member(current, "statusDate"));
    const bool later = status && since && *since > *created;
    e.status = later ? sdk::kNew : status.value_or(sdk::kNew);
    out.Emit(e);
    if (later) {
      sdk::Event s;
      s.ticket_id = key;
      s.event_id = "jira:" + key + ":status:" + std::to_string(*since);
      s.occurred_at_us = *since;
      s.source = "jira";
      s.kind = sdk::kStatusChanged;
      s.status = *status;
      SetRole(&s, {sdk::kOther, "a service desk request does not say who changed its status"});
      out.Emit(s);
    }
    if (Member(Member(r, "comments"), "values").is_array() && !r["comments"]["values"].empty()) {
      return RestComments(r["comments"]["values"], out, error);
    }
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
    if (ids.empty()) return {sdk::kSystem, ""};  // no user: Jira itself
    if (UserId(user).empty()) return {sdk::kOther, "the user object names no accountId, name or key"};
    Roles::Verdict v = roles.Of(ids, "");
    if (v.role != sdk::kOther) return v;
    const std::string account = Text(user, "accountType");
    const bool service = ServiceProject(fields);
    if (account == "app") return {sdk::kSystem, ""};  // automation rules, integrations
    if (account == "customer") {
      return {sdk::kOther, Member(fields, "reporter").is_object()
                               ? "a customer account that is not the reporter (a request participant)"
                               : "a customer account, and the payload does not name the reporter (the requester or "
                                 "a request participant)"};
    }
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
    auto created = TimeOf(Member(c, "created"));
    auto updated = TimeOf(Member(c, "updated"));
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
    } else if (c.contains("public") && c["public"].is_boolean()) {  // the service desk API's name for it
      e.comment_public = c["public"].get<bool>();
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
