// Key grammar of the column families. Identifiers never contain control
// characters (validation refuses them), so NUL separates key parts and keys of
// one tenant, or one ticket, share a prefix that a range scan can walk.
//
//   events   tenant \0 ticket_id \0 be64(occurred_us) be64(arrival)  -> TicketEvent
//   dedupe   tenant \0 event_id                                       -> events key
//   tickets  tenant \0 ticket_id                                      -> TicketState
//   meta     "schema_version" | "next_arrival" | "tenant\0" tenant    -> ...
//   index    "dl\0" tenant \0 be64(deadline_us) ticket_id            -> ""  (a ticket's next deadline)
//   aggregates tenant \0 scope_tag \0 be64(day + 2^40)               -> sums of a scope-day (score/aggregates.h)
//              tenant \0 scope_tag \0 'm' be64(month + 2^40)         -> sums of a scope-month (the roll-up)
#ifndef RAPPORT_STORE_KEYS_H_
#define RAPPORT_STORE_KEYS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace rapport::keys {

std::string Event(absl::string_view tenant, absl::string_view ticket, int64_t occurred_us,
                  uint64_t arrival);
// Prefix of every event key of one ticket.
std::string TicketEventsPrefix(absl::string_view tenant, absl::string_view ticket);
std::string Dedupe(absl::string_view tenant, absl::string_view event_id);
// A ticket's finding, by its id (Family::kFindings).
std::string Finding(absl::string_view tenant, absl::string_view ticket, absl::string_view finding_id);
std::string Ticket(absl::string_view tenant, absl::string_view ticket);
// Prefix of every ticket key of one tenant.
std::string TenantPrefix(absl::string_view tenant);
std::string TenantMeta(absl::string_view tenant);

// The deadline index (Family::kIndex): each ticket with a pending deadline,
// in deadline order per tenant, so the watermark finds what came due.
std::string DeadlinePrefix(absl::string_view tenant);
std::string Deadline(absl::string_view tenant, int64_t deadline_us, absl::string_view ticket);

// A scope's month roll-up of the score sums (Family::kAggregates), beside its
// days: `month` counts months from January 1970. A day's biased big-endian
// number starts with a zero byte, so a scope's days all sort before its
// months, and a scan of its days stops at the first key of another length.
std::string AggregateMonth(absl::string_view tenant, absl::string_view scope_tag, int64_t month);
// The first month key of a scope: where a scan of its months starts.
std::string AggregateMonthsPrefix(absl::string_view tenant, absl::string_view scope_tag);
// The month of an AggregateMonth key.
int64_t AggregateMonthOfKey(absl::string_view key);

inline constexpr absl::string_view kSchemaVersion = "schema_version";
inline constexpr absl::string_view kNextArrival = "next_arrival";
// The version of the derivation that wrote the derived data (ingest/rebuild.h).
inline constexpr absl::string_view kDerivedVersion = "derived_version";
inline constexpr absl::string_view kTenantMetaPrefix = absl::string_view("tenant\0", 7);

void PutBigEndian64(std::string* out, uint64_t value);
uint64_t GetBigEndian64(absl::string_view bytes);

// The smallest key greater than every key starting with `prefix`.
std::string PrefixEnd(absl::string_view prefix);

}  // namespace rapport::keys

#endif  // RAPPORT_STORE_KEYS_H_
