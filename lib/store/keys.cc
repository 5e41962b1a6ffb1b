#include "store/keys.h"

#include "absl/strings/str_cat.h"
#include <vector>

#include "absl/strings/str_split.h"

namespace rapport::keys {
namespace {

constexpr uint64_t kBias = uint64_t{1} << 40;  // days and months before 1970 still sort

void AppendBiased(std::string* out, int64_t n) { PutBigEndian64(out, static_cast<uint64_t>(n) + kBias); }

int64_t BiasedAt(absl::string_view eight_bytes) {
  return static_cast<int64_t>(GetBigEndian64(eight_bytes) - kBias);
}

// "name ∅ tenant ∅": the start of every key of one of the index family's indexes.
std::string IndexPrefix(absl::string_view index, absl::string_view tenant) {
  return absl::StrCat(index, kSep, tenant, kSep);
}

}  // namespace

const Layout kLayouts[] = {
    {"events", "", "tenant ∅ ticket ∅ be64(occurred) be64(arrival)"},
    {"dedupe", "", "tenant ∅ event_id"},
    {"tickets", "", "tenant ∅ ticket"},
    {"findings", "", "tenant ∅ ticket ∅ finding_id"},
    {"aggregates", "", "tenant ∅ kind scope_id ∅ be64(day), and the scope's months: ∅ 'm' be64(month)"},
    {"default", kSchemaVersion, "\"schema_version\""},
    {"default", kDerivedVersion, "\"derived_version\""},
    {"default", kDerivedSettings, "\"derived_settings\""},
    {"default", kNextArrival, "\"next_arrival\""},
    {"default", kTenantMetaPrefix, "\"tenant\" ∅ tenant"},
    {"index", absl::string_view("dl\0", 3), "\"dl\" ∅ tenant ∅ be64(deadline) ticket"},
    {"index", absl::string_view("sc\0", 3), "\"sc\" ∅ tenant ∅ kind scope_id ∅ be64(day) ticket"},
    {"index", absl::string_view("mc\0", 3), "\"mc\" ∅ tenant ∅ agent ∅ be64(resolved) ticket"},
    {"index", absl::string_view("bp\0", 3), "\"bp\" ∅ tenant ∅ notes_hash ∅ be64(resolved) ticket"},
    {"index", absl::string_view("rr\0", 3), "\"rr\" ∅ tenant ∅ requester ∅ service ∅ be64(resolved) ticket"},
    {"index", absl::string_view("rc\0", 3), "\"rc\" ∅ tenant ∅ requester ∅ service ∅ be64(created) ticket"},
    {"index", absl::string_view("er\0", 3), "\"er\" ∅ tenant ∅ be64(resolved) ticket"},
    {"index", absl::string_view("al\0", 3), "\"al\" ∅ tenant ∅ id ∅"},
    {"index", absl::string_view("pm\0", 3), "\"pm\" ∅ tenant ∅ person ∅ id"},
    {"index", absl::string_view("it\0", 3), "\"it\" ∅ tenant ∅ id ∅ ticket"},
    {"alerts", absl::string_view("lg\0", 3), "\"lg\" ∅ tenant ∅ be64(cursor)"},
    {"alerts", absl::string_view("nc\0", 3), "\"nc\" ∅ tenant"},
    {"alerts", absl::string_view("op\0", 3), "\"op\" ∅ tenant ∅ rule ∅ subject"},
    {"alerts", absl::string_view("qd\0", 3), "\"qd\" ∅ tenant ∅ be64(quiet deadline) rule ∅ subject"},
    {"alerts", absl::string_view("rw\0", 3), "\"rw\" ∅ tenant ∅ rule"},
    {"alerts", absl::string_view("sd\0", 3), "\"sd\" ∅ tenant ∅ sink"},
};
const size_t kLayoutCount = sizeof(kLayouts) / sizeof(kLayouts[0]);

// -- meta -------------------------------------------------------------------

std::string TenantMeta(absl::string_view tenant) { return absl::StrCat(kTenantMetaPrefix, tenant); }

absl::string_view TenantOfMeta(absl::string_view key) { return key.substr(kTenantMetaPrefix.size()); }

// -- events, dedupe, tickets, findings --------------------------------------

std::string TicketEventsPrefix(absl::string_view tenant, absl::string_view ticket) {
  std::string key;
  key.reserve(tenant.size() + ticket.size() + 2);
  absl::StrAppend(&key, tenant, kSep, ticket, kSep);
  return key;
}

std::string Event(absl::string_view tenant, absl::string_view ticket, int64_t occurred_us, uint64_t arrival) {
  std::string key = TicketEventsPrefix(tenant, ticket);
  PutBigEndian64(&key, static_cast<uint64_t>(occurred_us));
  PutBigEndian64(&key, arrival);
  return key;
}

bool IsEventOf(absl::string_view key, absl::string_view ticket_prefix) {
  return key.size() == ticket_prefix.size() + 16;
}

uint64_t EventArrival(absl::string_view key) { return GetBigEndian64(key.substr(key.size() - 8)); }

std::string Dedupe(absl::string_view tenant, absl::string_view event_id) {
  return absl::StrCat(tenant, kSep, event_id);
}

std::string Ticket(absl::string_view tenant, absl::string_view ticket) { return absl::StrCat(tenant, kSep, ticket); }

std::string TenantPrefix(absl::string_view tenant) { return absl::StrCat(tenant, kSep); }

absl::string_view TenantOfKey(absl::string_view key) { return key.substr(0, key.find(kSep[0])); }

absl::string_view TicketOfKey(absl::string_view key, absl::string_view tenant) {
  if (key.size() <= tenant.size()) return absl::string_view();
  absl::string_view rest = key.substr(tenant.size() + 1);
  return rest.substr(0, rest.find(kSep[0]));
}

std::string TicketFindingsPrefix(absl::string_view tenant, absl::string_view ticket) {
  return TicketEventsPrefix(tenant, ticket);  // the same shape in another family
}

std::string Finding(absl::string_view tenant, absl::string_view ticket, absl::string_view finding_id) {
  return absl::StrCat(TicketFindingsPrefix(tenant, ticket), finding_id);
}

// -- aggregates and the scope index ------------------------------------------

std::string AggregateScopePrefix(absl::string_view tenant, absl::string_view scope_tag) {
  return absl::StrCat(tenant, kSep, scope_tag, kSep);
}

std::string AggregateKindPrefix(absl::string_view tenant, int scope_kind) {
  std::string prefix = absl::StrCat(tenant, kSep);
  prefix.push_back(static_cast<char>(scope_kind));
  return prefix;
}

std::string Aggregate(absl::string_view tenant, absl::string_view scope_tag, int64_t day) {
  std::string key = AggregateScopePrefix(tenant, scope_tag);
  AppendBiased(&key, day);
  return key;
}

std::string AggregateRollupsPrefix(absl::string_view tenant, absl::string_view scope_tag, char period) {
  std::string prefix = AggregateScopePrefix(tenant, scope_tag);
  prefix.push_back(period);
  return prefix;
}

std::string AggregateRollup(absl::string_view tenant, absl::string_view scope_tag, char period, int64_t number) {
  std::string key = AggregateRollupsPrefix(tenant, scope_tag, period);
  AppendBiased(&key, number);
  return key;
}

int64_t AggregateRollupOfKey(absl::string_view key) { return BiasedAt(key.substr(key.size() - 8)); }

bool IsAggregateDayOf(absl::string_view key, absl::string_view scope_prefix) {
  return key.size() == scope_prefix.size() + 8;
}

int64_t AggregateDay(absl::string_view key) { return BiasedAt(key.substr(key.size() - 8)); }

bool ParseAggregate(absl::string_view key, size_t tenant_size, std::string* scope_tag, int64_t* day) {
  // tenant ∅ tag ∅ be64(day): the tag ends at the separator 9 bytes from the end.
  if (key.size() < tenant_size + 1 + 1 + 1 + 8 || key[key.size() - 9] != kSep[0]) return false;
  *scope_tag = std::string(key.substr(tenant_size + 1, key.size() - 9 - tenant_size - 1));
  *day = BiasedAt(key.substr(key.size() - 8));
  return true;
}

std::string ScopeIndexPrefix(absl::string_view tenant, absl::string_view scope_tag) {
  return absl::StrCat(IndexPrefix(kScopeIndex, tenant), scope_tag, kSep);
}

std::string ScopeIndexDay(absl::string_view tenant, absl::string_view scope_tag, int64_t day) {
  std::string key = ScopeIndexPrefix(tenant, scope_tag);
  AppendBiased(&key, day);
  return key;
}

std::string ScopeIndex(absl::string_view tenant, absl::string_view scope_tag, int64_t day, absl::string_view ticket) {
  return absl::StrCat(ScopeIndexDay(tenant, scope_tag, day), ticket);
}

absl::string_view ScopeIndexTicket(absl::string_view key, absl::string_view prefix) {
  return key.substr(prefix.size() + 8);
}

// -- index ------------------------------------------------------------------

std::string DeadlinePrefix(absl::string_view tenant) { return IndexPrefix(kDeadlineIndex, tenant); }

std::string Deadline(absl::string_view tenant, int64_t deadline_us, absl::string_view ticket) {
  return TimedEntry(DeadlinePrefix(tenant), deadline_us, ticket);
}

std::string CrossTicketPrefix(absl::string_view index, absl::string_view tenant, absl::string_view match) {
  return absl::StrCat(IndexPrefix(index, tenant), match, kSep);
}

std::string RequesterService(absl::string_view requester, absl::string_view service) {
  return absl::StrCat(requester, kSep, service);
}

std::string EdgeResolutionsPrefix(absl::string_view tenant) { return IndexPrefix(kEdgeResolutionIndex, tenant); }

std::string EdgeResolutionValue(absl::string_view agent, absl::string_view team, bool at_edge) {
  return absl::StrCat(agent, kSep, team, kSep, at_edge ? "1" : "0");
}

bool ParseEdgeResolutionValue(absl::string_view value, EdgeResolution* out) {
  std::vector<absl::string_view> parts = absl::StrSplit(value, kSep);
  if (parts.size() != 3) return false;
  *out = {parts[0], parts[1], parts[2] == "1"};
  return true;
}

std::string Alias(absl::string_view tenant, absl::string_view id) {
  return absl::StrCat(IndexPrefix(kAliasIndex, tenant), id, kSep);
}

std::string AliasValue(uint64_t birth, absl::string_view person) {
  std::string value;
  PutBigEndian64(&value, birth);
  absl::StrAppend(&value, person);
  return value;
}

bool ParseAliasValue(absl::string_view value, Person* out) {
  if (value.size() < 8) return false;
  *out = {GetBigEndian64(value.substr(0, 8)), value.substr(8)};
  return true;
}

std::string PersonIdsPrefix(absl::string_view tenant, absl::string_view person) {
  return absl::StrCat(IndexPrefix(kPersonIdsIndex, tenant), person, kSep);
}

std::string PersonId(absl::string_view tenant, absl::string_view person, absl::string_view id) {
  return absl::StrCat(PersonIdsPrefix(tenant, person), id);
}

std::string IdTicketsPrefix(absl::string_view tenant, absl::string_view id) {
  return absl::StrCat(IndexPrefix(kIdTicketsIndex, tenant), id, kSep);
}

std::string IdTicket(absl::string_view tenant, absl::string_view id, absl::string_view ticket) {
  return absl::StrCat(IdTicketsPrefix(tenant, id), ticket);
}

std::string TimedStart(absl::string_view prefix, int64_t at_us) {
  std::string key(prefix);
  PutBigEndian64(&key, static_cast<uint64_t>(at_us));
  return key;
}

std::string TimedEnd(absl::string_view prefix, int64_t at_us) {
  std::string key = TimedStart(prefix, at_us);
  key.push_back('\xff');  // after every ticket id at `at_us`: ids are printable
  return key;
}

std::string TimedEntry(absl::string_view prefix, int64_t at_us, absl::string_view ticket) {
  std::string key = TimedStart(prefix, at_us);
  absl::StrAppend(&key, ticket);
  return key;
}

Timed ParseTimedEntry(absl::string_view key, absl::string_view prefix) {
  return {static_cast<int64_t>(GetBigEndian64(key.substr(prefix.size(), 8))), key.substr(prefix.size() + 8)};
}

// -- alerts -----------------------------------------------------------------

std::string AlertLogPrefix(absl::string_view tenant) { return IndexPrefix(kAlertLog, tenant); }

std::string AlertLog(absl::string_view tenant, uint64_t cursor) {
  std::string key = AlertLogPrefix(tenant);
  PutBigEndian64(&key, cursor);
  return key;
}

uint64_t AlertLogCursor(absl::string_view key) { return GetBigEndian64(key.substr(key.size() - 8)); }

std::string AlertNextCursor(absl::string_view tenant) { return absl::StrCat(kAlertNextCursor, kSep, tenant); }

std::string OpenAlertsPrefix(absl::string_view tenant) { return IndexPrefix(kOpenAlert, tenant); }

std::string OpenAlert(absl::string_view tenant, absl::string_view rule, absl::string_view subject) {
  return absl::StrCat(OpenAlertsPrefix(tenant), rule, kSep, subject);
}

std::string AlertQuietPrefix(absl::string_view tenant) { return IndexPrefix(kAlertQuiet, tenant); }

std::string AlertQuiet(absl::string_view tenant, int64_t deadline_us, absl::string_view rule,
                       absl::string_view subject) {
  std::string key = TimedStart(AlertQuietPrefix(tenant), deadline_us);
  absl::StrAppend(&key, rule, kSep, subject);
  return key;
}

bool ParseAlertQuiet(absl::string_view key, absl::string_view prefix, QuietEntry* out) {
  if (key.size() < prefix.size() + 8) return false;
  Timed timed = ParseTimedEntry(key, prefix);
  const size_t sep = timed.ticket.find(kSep);
  if (sep == absl::string_view::npos) return false;
  *out = {timed.at_us, timed.ticket.substr(0, sep), timed.ticket.substr(sep + 1)};
  return true;
}

std::string AlertRateWindow(absl::string_view tenant, absl::string_view rule) {
  return absl::StrCat(IndexPrefix(kAlertRateWindow, tenant), rule);
}

std::string SinkDelivered(absl::string_view tenant, absl::string_view sink) {
  return absl::StrCat(IndexPrefix(kSinkDelivered, tenant), sink);
}

// -- encoding ---------------------------------------------------------------

void PutBigEndian64(std::string* out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>((value >> shift) & 0xff));
}

uint64_t GetBigEndian64(absl::string_view bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < 8 && i < bytes.size(); ++i) {
    value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return value;
}

std::string PrefixEnd(absl::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last != 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return end;  // empty: no upper bound
}

}  // namespace rapport::keys
