// Helpers shared by the built-in adapters: times, JSON fields, status
// mappings and stable ids. Header-light: nlohmann::json for JSON.
#ifndef RAPPORT_PLUGINS_COMMON_ADAPTER_UTIL_H_
#define RAPPORT_PLUGINS_COMMON_ADAPTER_UTIL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "rapport/adapter_sdk.h"

namespace rapport::adapters {

using Json = nlohmann::json;

// ISO 8601 ("2025-11-12T10:31:02.000+0000", "…Z", "…+02:00", fractions up to
// nanoseconds), "YYYY-MM-DD HH:MM:SS" (UTC), or a strptime-like `format` of
// %Y %m %d %H %M %S and literals (UTC). Microseconds since the epoch.
std::optional<int64_t> ParseTime(std::string_view text, std::string_view format = "");

// The string at `key` (numbers are rendered, null and absent give ""); for
// ServiceNow display_value=all objects and references, the "value" member.
std::string Text(const Json& object, const char* key);
// The same through a path of keys ("fields", "status", "name").
std::string TextAt(const Json& object, std::initializer_list<const char*> path);

// FNV-1a 64, hex: a stable id for payloads without one.
std::string StableId(std::string_view text);

// "pending_requester", "PENDING_REQUESTER", "TICKET_STATUS_PENDING_REQUESTER" -> kPendingRequester.
std::optional<int32_t> StatusByName(std::string_view name);
std::optional<int32_t> PriorityByName(std::string_view name);

// Parses an adapter configuration: JSON, or empty. Fills `out` from the
// "status_map" object (source value, matched case-insensitively -> canonical
// status name). Returns false with *error naming the bad entry.
bool ParseStatusMap(std::string_view config, const char* key, std::map<std::string, int32_t>* out,
                    std::string* error);

std::string Lower(std::string_view text);

// The text a person reads in an HTML fragment (a rich-text comment): tags
// dropped, entities decoded, paragraphs and <br> as line breaks, and
// <blockquote> content as "> " lines so the tone engine can set it aside.
std::string HtmlToText(std::string_view html);

// Parses `body` as JSON; on failure *error says where.
std::optional<Json> ParseJson(std::string_view body, std::string* error);

// The attribute that says why an actor's role is OTHER (shown with the
// event in the ticket's timeline), and the one that keeps a person's name
// beside the id a source gives (ServiceNow display values).
inline constexpr const char* kRoleReasonAttribute = "rapport.role_reason";
inline constexpr const char* kActorNameAttribute = "rapport.actor_name";
// A revision of an earlier comment, on an EVENT_KIND_FIELDS_UPDATED event:
// `rapport.edit_of` names the comment's event id and the event's comment is
// its new text (the latest edit counts); `rapport.withdraws` names a comment
// the source deleted (it leaves tone and findings). See docs/adapters.md.
inline constexpr const char* kEditOfAttribute = "rapport.edit_of";
inline constexpr const char* kWithdrawsAttribute = "rapport.withdraws";
// A source's own counters of changes on the ticket, some of which Rapport
// may never have seen (snapshots miss what happened between two of them);
// the host reconciles a ticket's counts with them (docs/adapters.md).
inline constexpr const char* kSourceReopenCountAttribute = "rapport.source.reopen_count";
inline constexpr const char* kSourceReassignmentCountAttribute = "rapport.source.reassignment_count";
inline constexpr const char* kSourceTeamReassignmentCountAttribute = "rapport.source.team_reassignment_count";

// Adds the counter `key` = `count` when `count` is a whole number; anything
// else (empty, a display text) says nothing rather than costing the event,
// which validation would refuse whole.
void AddSourceCount(sdk::Event* e, const char* key, const std::string& count);

// Who is who on one ticket, from what the source itself states. The
// requester is the person the source names as such (ServiceNow caller_id,
// Jira reporter, Zendesk/Freshservice requester_id); staff are those the
// source marks as staff (assignees, agent roles, is_staff, outgoing
// replies). A person is known by every identifier the payload reveals for
// them (sys_id, user name, display name, accountId, name/key, email, id),
// compared case-insensitively. Precedence, in order: the requester (under
// any of their identifiers) -> REQUESTER; a system identity -> SYSTEM;
// staff -> AGENT; anyone else -> OTHER with the reason the caller gives.
class Roles {
 public:
  struct Verdict {
    int32_t role = 0;
    std::string reason;  // set for OTHER: why the source could not tell
  };

  void AddRequester(const std::string& id);
  void AddStaff(const std::string& id);
  void AddSystem(const std::string& id);
  // Also match identifiers through `Fold` ("Beth Anglin" = "beth.anglin"):
  // for sources whose user names are derived from display names.
  void MatchFolded(bool on) { folded_ = on; }

  bool IsRequester(const std::string& id) const { return Has(requester_, id); }
  bool IsStaff(const std::string& id) const { return Has(staff_, id); }
  // The role of a person known by any of `ids` (empty ones are ignored);
  // `unknown` is the reason given when nothing decides.
  Verdict Of(const std::vector<std::string>& ids, const std::string& unknown) const;
  Verdict Of(std::initializer_list<std::string> ids, const std::string& unknown) const {
    return Of(std::vector<std::string>(ids), unknown);
  }

  // Lower-case letters and digits only: "Beth Anglin" and "beth.anglin" fold alike.
  static std::string Fold(std::string_view id);

 private:
  bool Has(const std::vector<std::string>& set, const std::string& id) const;
  std::vector<std::string> requester_, staff_, system_;
  bool folded_ = false;
};

// Sets the event's actor role from `v`, with the reason for OTHER as an attribute.
void SetRole(sdk::Event* e, const Roles::Verdict& v);

// Reports that `ids` name one person (the source's primary id first; empty
// ids and repeats are dropped, and fewer than two left report nothing) as
// an IDENTITY event of `source` at `at_us`. Its event id is derived from the
// ids and the time, so the same record sent again is a duplicate, never a
// conflict. False when the host asked to stop.
// The time of a fact from a user export that states none (Jira users):
// 1990-01-01, the earliest time the host takes. Facts apply in arrival
// order whatever their time, and a fixed time keeps a re-sent export a
// duplicate.
inline constexpr int64_t kTimelessFactUs = 631'152'000'000'000LL;
bool EmitIdentity(sdk::Output& out, const std::string& source, int64_t at_us, const std::vector<std::string>& ids);

// Priority names of every default Jira-style scheme and of the common tools:
// Blocker, Highest, Urgent -> CRITICAL; Critical, High, Major -> HIGH;
// Medium, Normal, Moderate -> MEDIUM; Minor, Low, Lowest, Trivial, Planning
// -> LOW. A name with a suffix ("Trivial (Sev5)") is read by its first word.
int32_t PriorityByCommonName(std::string_view name);

}  // namespace rapport::adapters

#endif  // RAPPORT_PLUGINS_COMMON_ADAPTER_UTIL_H_
