// Key grammar: the layout of every key of every column family, and the only
// place that builds or takes keys apart.
//
// Identifiers never contain control characters (validation refuses them), so
// kSep (NUL) separates key parts, and the keys of one tenant, one ticket or
// one index name share a prefix that a range scan walks. Integers are
// big-endian, so byte order is numeric order; times are microseconds since
// the epoch (always positive: validation keeps them after 1990); days are
// days since the epoch plus 2^40, so days before 1970 still sort (months,
// counted from January 1970, likewise).
//
//   family      key                                                      value
//   ----------  -------------------------------------------------------  --------------------------
//   events      tenant ∅ ticket ∅ be64(occurred) be64(arrival)           v1.TicketEvent
//   dedupe      tenant ∅ event_id                                        the event's events key
//   tickets     tenant ∅ ticket                                          internal.TicketState
//   findings    tenant ∅ ticket ∅ finding_id                             v1.Finding
//   aggregates  tenant ∅ kind scope_id ∅ be64(day)                       sums (store/sums.h), merged
//               tenant ∅ kind scope_id ∅ 'm' be64(month)                 the month's roll-up, merged
//               tenant ∅ kind scope_id ∅ 'w' be64(week)                  the week's roll-up, merged
//   meta        "schema_version"                                         decimal kSchemaVersion
//               "derived_version"                                        decimal kDerivedDataVersion
//               "next_arrival"                                           be64(next arrival number)
//               "tenant" ∅ tenant                                        internal.TenantState
//   index       "dl" ∅ tenant ∅ be64(deadline) ticket                    ""  a ticket's next deadline
//               "sc" ∅ tenant ∅ kind scope_id ∅ be64(day) ticket         ""  tickets of a scope, by creation day
//               "mc" ∅ tenant ∅ agent ∅ be64(resolved) ticket            ""  resolutions by agent
//               "bp" ∅ tenant ∅ notes_hash ∅ be64(resolved) ticket       ""  resolutions by notes text
//               "rr" ∅ tenant ∅ requester ∅ service ∅ be64(resolved) ticket  ""  resolutions by requester+service
//               "rc" ∅ tenant ∅ requester ∅ service ∅ be64(created) ticket   ""  creations by requester+service
//               "er" ∅ tenant ∅ be64(resolved) ticket                    agent ∅ team ∅ "1"|"0" (at the SLA edge)
//               "al" ∅ tenant ∅ id ∅                                     be64(birth) person  the alias directory
//               "pm" ∅ tenant ∅ person ∅ id                              ""  a person's ids
//               "it" ∅ tenant ∅ id ∅ ticket                              ""  tickets that name an id
//   alerts      "lg" ∅ tenant ∅ be64(cursor)                             v1.Alert  the alert log
//               "nc" ∅ tenant                                            be64(next cursor)
//               "op" ∅ tenant ∅ rule ∅ subject                           internal.OpenAlert
//               "qd" ∅ tenant ∅ be64(quiet deadline) rule ∅ subject      ""  open alerts by quiet deadline
//               "rw" ∅ tenant ∅ rule                                     internal.RateWindow
//               "sd" ∅ tenant ∅ sink                                     be64(cursor delivered) (alert/sink_runner.h)
//
// `kind` is one byte, the v1::ScopeKind; the tenant scope has an empty id. A
// scope tag (score/aggregates.h) is that byte followed by the id.
//
// The index family holds several indexes: each starts with its own two-byte
// name and a separator, so no index's keys are a prefix scan of another's
// (kLayouts lists them; tests/core/keys_test.cc checks it). The indexes whose
// entries end in be64(time) ticket share TimedEntry / ParseTimedEntry.
#ifndef RAPPORT_STORE_KEYS_H_
#define RAPPORT_STORE_KEYS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace rapport::keys {

// The separator between key parts.
inline constexpr absl::string_view kSep = absl::string_view("\0", 1);

// One row of the table above, for the tests and for tools: the family's
// name (FamilyName in store.h), the fixed bytes every key of the layout
// starts with (empty for keys that start with the tenant) and the layout.
struct Layout {
  absl::string_view family;
  absl::string_view prefix;
  absl::string_view layout;
};

// -- meta -------------------------------------------------------------------
inline constexpr absl::string_view kSchemaVersion = "schema_version";
// The version of the derivation that wrote the derived data (ingest/rebuild.h).
inline constexpr absl::string_view kDerivedVersion = "derived_version";
// The digest of the settings the derived data was computed under.
inline constexpr absl::string_view kDerivedSettings = "derived_settings";
inline constexpr absl::string_view kNextArrival = "next_arrival";
inline constexpr absl::string_view kTenantMetaPrefix = absl::string_view("tenant\0", 7);
std::string TenantMeta(absl::string_view tenant);
// The tenant of a key under kTenantMetaPrefix.
absl::string_view TenantOfMeta(absl::string_view key);

// -- events, dedupe, tickets, findings --------------------------------------
std::string Event(absl::string_view tenant, absl::string_view ticket, int64_t occurred_us, uint64_t arrival);
// Prefix of every event key of one ticket.
std::string TicketEventsPrefix(absl::string_view tenant, absl::string_view ticket);
// Whether an event key found under TicketEventsPrefix(tenant, ticket) is one
// of that ticket's (the prefix plus two be64 numbers), and its arrival number.
bool IsEventOf(absl::string_view key, absl::string_view ticket_prefix);
uint64_t EventArrival(absl::string_view key);

std::string Dedupe(absl::string_view tenant, absl::string_view event_id);
std::string Ticket(absl::string_view tenant, absl::string_view ticket);
// Prefix of every ticket key (and every finding key) of one tenant.
std::string TenantPrefix(absl::string_view tenant);
// The tenant of a key in the events, dedupe, tickets or findings family, and
// the ticket of a key of `tenant` in the events, tickets or findings family.
absl::string_view TenantOfKey(absl::string_view key);
absl::string_view TicketOfKey(absl::string_view key, absl::string_view tenant);
// A ticket's finding, by its id, and the prefix of all of one ticket's.
std::string Finding(absl::string_view tenant, absl::string_view ticket, absl::string_view finding_id);
std::string TicketFindingsPrefix(absl::string_view tenant, absl::string_view ticket);

// -- aggregates and the scope index (score/aggregates.h) ---------------------
// One scope's sums of one day; `scope_tag` is the kind byte and the id.
std::string Aggregate(absl::string_view tenant, absl::string_view scope_tag, int64_t day);
// Prefix of every day of one scope, and of every scope of one kind.
std::string AggregateScopePrefix(absl::string_view tenant, absl::string_view scope_tag);
std::string AggregateKindPrefix(absl::string_view tenant, int scope_kind);
// Whether `key` under AggregateScopePrefix is a day of that scope (not of a
// scope whose id extends it), and the day of an aggregate key.
bool IsAggregateDayOf(absl::string_view key, absl::string_view scope_prefix);
int64_t AggregateDay(absl::string_view key);
// Parses an aggregate key of a tenant whose name is `tenant_size` bytes long.
bool ParseAggregate(absl::string_view key, size_t tenant_size, std::string* scope_tag, int64_t* day);
// A scope's roll-up of the same sums over a whole period, beside its days:
// the scope prefix, the period's letter ('m': months from January 1970; 'w':
// weeks from Monday 1969-12-29), then be64(number + 2^40). A biased day starts
// with a zero byte, so a scope's days all sort before its roll-ups, and
// neither IsAggregateDayOf nor ParseAggregate takes a roll-up key for a day.
std::string AggregateRollup(absl::string_view tenant, absl::string_view scope_tag, char period, int64_t number);
// The first key of a scope's roll-ups of one period: where a scan of them starts.
std::string AggregateRollupsPrefix(absl::string_view tenant, absl::string_view scope_tag, char period);
// The period number of an AggregateRollup key.
int64_t AggregateRollupOfKey(absl::string_view key);

// The tickets of one scope by creation day (Family::kIndex).
std::string ScopeIndexPrefix(absl::string_view tenant, absl::string_view scope_tag);
std::string ScopeIndexDay(absl::string_view tenant, absl::string_view scope_tag, int64_t day);
std::string ScopeIndex(absl::string_view tenant, absl::string_view scope_tag, int64_t day, absl::string_view ticket);
// The ticket of a scope index key found under `prefix`.
absl::string_view ScopeIndexTicket(absl::string_view key, absl::string_view prefix);

// -- index: entries "name ∅ tenant ∅ [match ∅] be64(time) ticket" -----------
inline constexpr absl::string_view kDeadlineIndex = "dl";
inline constexpr absl::string_view kScopeIndex = "sc";
inline constexpr absl::string_view kMassClosureIndex = "mc";
inline constexpr absl::string_view kBoilerplateIndex = "bp";
inline constexpr absl::string_view kResolvedIndex = "rr";
inline constexpr absl::string_view kCreatedIndex = "rc";
inline constexpr absl::string_view kEdgeResolutionIndex = "er";

// The deadline index: each ticket with a pending deadline, in deadline order
// per tenant, so the watermark finds what came due.
std::string DeadlinePrefix(absl::string_view tenant);
std::string Deadline(absl::string_view tenant, int64_t deadline_us, absl::string_view ticket);

// The cross-ticket indexes (detect/cross_ticket.h): `index` is one of
// kMassClosureIndex, kBoilerplateIndex, kResolvedIndex, kCreatedIndex, and
// `match` what its entries share (the agent, the notes hash, RequesterService).
std::string CrossTicketPrefix(absl::string_view index, absl::string_view tenant, absl::string_view match);
std::string RequesterService(absl::string_view requester, absl::string_view service);

// The resolutions of a tenant with their agent, team and whether they came
// at the SLA edge, for the daily edge-rate review.
std::string EdgeResolutionsPrefix(absl::string_view tenant);
std::string EdgeResolutionValue(absl::string_view agent, absl::string_view team, bool at_edge);
struct EdgeResolution {
  absl::string_view agent, team;
  bool at_edge = false;
};
// False when the value is not three parts.
bool ParseEdgeResolutionValue(absl::string_view value, EdgeResolution* out);

// The alias directory (ingest/aliases.h): every id a fact named -> its
// person (an id itself) and the person's birth (the arrival number of the
// event that first named it; the later of two persons merges into the
// earlier). Derived from the events' identities, so a rebuild restores it.
inline constexpr absl::string_view kAliasIndex = "al";
inline constexpr absl::string_view kPersonIdsIndex = "pm";
inline constexpr absl::string_view kIdTicketsIndex = "it";
std::string Alias(absl::string_view tenant, absl::string_view id);
std::string AliasValue(uint64_t birth, absl::string_view person);
struct Person {
  uint64_t birth = 0;
  absl::string_view id;
};
// False when the value is shorter than its be64 birth.
bool ParseAliasValue(absl::string_view value, Person* out);
// A person's ids, and the entry of one of them (its id after the prefix).
std::string PersonIdsPrefix(absl::string_view tenant, absl::string_view person);
std::string PersonId(absl::string_view tenant, absl::string_view person, absl::string_view id);
// The tickets whose events name `id` as the source said it (actor,
// requester, assignee), so a fact that changes whom the id resolves to
// finds the tickets to refold. An entry's ticket follows the prefix.
std::string IdTicketsPrefix(absl::string_view tenant, absl::string_view id);
std::string IdTicket(absl::string_view tenant, absl::string_view id, absl::string_view ticket);

// -- alerts (alert/alert_stage.h, alert/alert_log.h) ------------------------
// Every record of the alert stage and of the sinks. The log of a tenant is
// in cursor order; an open alert is found by its rule and subject (a subject
// is the subject kind's letter and its id, AlertSubjectKey in
// alert/rules.h); the quiet index lists open alerts in the order they go
// quiet, so the watermark finds what to resolve without reading them all.
inline constexpr absl::string_view kAlertLog = "lg";
inline constexpr absl::string_view kAlertNextCursor = "nc";
inline constexpr absl::string_view kOpenAlert = "op";
inline constexpr absl::string_view kAlertQuiet = "qd";
inline constexpr absl::string_view kAlertRateWindow = "rw";
inline constexpr absl::string_view kSinkDelivered = "sd";
std::string AlertLogPrefix(absl::string_view tenant);
std::string AlertLog(absl::string_view tenant, uint64_t cursor);
// The cursor of a key under AlertLogPrefix(tenant).
uint64_t AlertLogCursor(absl::string_view key);
std::string AlertNextCursor(absl::string_view tenant);
std::string OpenAlertsPrefix(absl::string_view tenant);
std::string OpenAlert(absl::string_view tenant, absl::string_view rule, absl::string_view subject);
std::string AlertQuietPrefix(absl::string_view tenant);
// "rule ∅ subject" after be64(deadline): the open alert's name in the quiet index.
std::string AlertQuiet(absl::string_view tenant, int64_t deadline_us, absl::string_view rule,
                       absl::string_view subject);
struct QuietEntry {
  int64_t deadline_us;
  absl::string_view rule, subject;
};
// An entry found under AlertQuietPrefix; false when it is not deadline, rule and subject.
bool ParseAlertQuiet(absl::string_view key, absl::string_view prefix, QuietEntry* out);
std::string AlertRateWindow(absl::string_view tenant, absl::string_view rule);
std::string SinkDelivered(absl::string_view tenant, absl::string_view sink);

// An entry of a time-ordered index: prefix be64(at) ticket.
std::string TimedEntry(absl::string_view prefix, int64_t at_us, absl::string_view ticket);
// Where a scan of `prefix` from time `at_us` starts (before any ticket at it),
// and where a backward scan from `at_us` starts (after every ticket at it).
std::string TimedStart(absl::string_view prefix, int64_t at_us);
std::string TimedEnd(absl::string_view prefix, int64_t at_us);
struct Timed {
  int64_t at_us;
  absl::string_view ticket;
};
// An entry found under `prefix`, which the scan guarantees it starts with.
Timed ParseTimedEntry(absl::string_view key, absl::string_view prefix);

// Every layout above, in the order of the table.
extern const Layout kLayouts[];
extern const size_t kLayoutCount;

// -- encoding ---------------------------------------------------------------
void PutBigEndian64(std::string* out, uint64_t value);
uint64_t GetBigEndian64(absl::string_view bytes);

// The smallest key greater than every key starting with `prefix`.
std::string PrefixEnd(absl::string_view prefix);

}  // namespace rapport::keys

#endif  // RAPPORT_STORE_KEYS_H_
