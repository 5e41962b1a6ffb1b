// Typed readers of the stored records: one per record kind, the only code
// that reads a record's bytes as its message. "Not there" and "there but
// unreadable" never look alike:
//
//   absl::StatusOr<std::optional<internal::TicketState>> state = records::ReadTicketState(store, tenant, ticket);
//   if (!state.ok()) return state.status();        // a read error, or DATA_LOSS
//   if (!state->has_value()) ...                   // no such ticket
//
// A record that does not parse is DATA_LOSS with a message naming the record
// kind, the tenant and the ticket (or event, or finding) and what to do; a
// read error keeps its code and gains the same names. Callers pass them on:
// the write path abandons its batch, a read RPC answers with the error.
//
// The Parse functions are for records a scan found (the key is known, the
// bytes are in hand); the Read functions look a record up by its key.
#ifndef RAPPORT_STORE_RECORDS_H_
#define RAPPORT_STORE_RECORDS_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rapport/internal/state.pb.h"
#include "rapport/v1/events.pb.h"
#include "rapport/v1/findings.pb.h"
#include "store/store.h"
#include "store/sums.h"

namespace rapport::records {

// tickets: tenant ∅ ticket -> internal.TicketState
absl::StatusOr<std::optional<internal::TicketState>> ReadTicketState(const Store& store, absl::string_view tenant,
                                                                      absl::string_view ticket);
absl::Status ParseTicketState(absl::string_view bytes, absl::string_view tenant, absl::string_view ticket,
                              internal::TicketState* out);
// A ticket state found by a scan of keys::TenantPrefix(tenant).
absl::Status ParseTicketStateAt(absl::string_view key, absl::string_view bytes, absl::string_view tenant,
                                internal::TicketState* out);

// meta: "tenant" ∅ tenant -> internal.TenantState
absl::StatusOr<std::optional<internal::TenantState>> ReadTenantState(const Store& store, absl::string_view tenant);
absl::Status ParseTenantState(absl::string_view bytes, absl::string_view tenant, internal::TenantState* out);

// events: by its key (keys::Event, or the value of its dedupe key).
absl::StatusOr<std::optional<v1::TicketEvent>> ReadEvent(const Store& store, absl::string_view key,
                                                          absl::string_view tenant, absl::string_view ticket);
absl::Status ParseEvent(absl::string_view bytes, absl::string_view tenant, absl::string_view ticket,
                        v1::TicketEvent* out);

// findings: tenant ∅ ticket ∅ finding_id -> v1.Finding, found by a scan.
absl::Status ParseFinding(absl::string_view key, absl::string_view bytes, absl::string_view tenant,
                          v1::Finding* out);

// The sums of a ticket's score record (internal.TicketScoreRecord, kept in
// its state), added to *sums.
absl::Status AddTicketScore(const internal::TicketState& state, SumVector* sums);

// aggregates: tenant ∅ kind scope_id ∅ be64(day) -> sums, added to *sums.
absl::Status AddAggregate(absl::string_view key, absl::string_view bytes, absl::string_view tenant, SumVector* sums);

// index: "al" ∅ tenant ∅ id ∅ -> the person `id` resolves to (keys::Person,
// its id copied). nullopt: no fact named `id`, so it is a person of its own.
struct PersonRecord {
  uint64_t birth = 0;
  std::string id;
};
absl::StatusOr<std::optional<PersonRecord>> ReadAlias(const Store& store, absl::string_view tenant,
                                                      absl::string_view id);

}  // namespace rapport::records

#endif  // RAPPORT_STORE_RECORDS_H_
