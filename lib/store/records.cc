#include "store/records.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "store/keys.h"

namespace rapport::records {
namespace {

// Every record but an event is derived from the events, so a rebuild
// replaces it; an event has no other copy.
constexpr absl::string_view kRebuild = "rebuild the derived records with rapportd --rebuild, or restore a backup";
constexpr absl::string_view kRestore = "events have no other copy: restore the store from a backup";

std::string Subject(absl::string_view tenant, absl::string_view ticket) {
  return ticket.empty() ? absl::StrCat("tenant '", tenant, "'")
                        : absl::StrCat("tenant '", tenant, "' ticket '", ticket, "'");
}

absl::Status Unreadable(absl::string_view kind, absl::string_view subject, size_t size, absl::string_view todo) {
  return absl::DataLossError(absl::StrCat("the stored ", kind, " of ", subject, " is unreadable (", size,
                                          " bytes that do not parse); ", todo));
}

absl::Status ReadFailed(absl::string_view kind, absl::string_view subject, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat("reading the ", kind, " of ", subject, ": ", s.message()));
}

// The record at `key`: nullopt when absent, the store's error named otherwise.
absl::StatusOr<std::optional<std::string>> Get(const Store& store, Family family, absl::string_view key,
                                               absl::string_view kind, absl::string_view subject) {
  std::string bytes;
  absl::Status s = store.Get(family, key, &bytes);
  if (absl::IsNotFound(s)) return std::nullopt;
  if (!s.ok()) return ReadFailed(kind, subject, s);
  return bytes;
}

template <typename Message>
bool ParseInto(absl::string_view bytes, Message* out) {
  return out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

}  // namespace

absl::Status ParseTicketState(absl::string_view bytes, absl::string_view tenant, absl::string_view ticket,
                              internal::TicketState* out) {
  if (ParseInto(bytes, out)) return absl::OkStatus();
  return Unreadable("ticket state", Subject(tenant, ticket), bytes.size(), kRebuild);
}

absl::Status ParseTicketStateAt(absl::string_view key, absl::string_view bytes, absl::string_view tenant,
                                internal::TicketState* out) {
  return ParseTicketState(bytes, tenant, keys::TicketOfKey(key, tenant), out);
}

absl::StatusOr<std::optional<internal::TicketState>> ReadTicketState(const Store& store, absl::string_view tenant,
                                                                      absl::string_view ticket) {
  auto bytes = Get(store, Family::kTickets, keys::Ticket(tenant, ticket), "ticket state", Subject(tenant, ticket));
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return std::nullopt;
  internal::TicketState state;
  if (absl::Status s = ParseTicketState(**bytes, tenant, ticket, &state); !s.ok()) return s;
  return state;
}

absl::Status ParseTenantState(absl::string_view bytes, absl::string_view tenant, internal::TenantState* out) {
  if (ParseInto(bytes, out)) return absl::OkStatus();
  return Unreadable("tenant record", Subject(tenant, ""), bytes.size(), kRebuild);
}

absl::StatusOr<std::optional<internal::TenantState>> ReadTenantState(const Store& store, absl::string_view tenant) {
  auto bytes = Get(store, Family::kMeta, keys::TenantMeta(tenant), "tenant record", Subject(tenant, ""));
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return std::nullopt;
  internal::TenantState state;
  if (absl::Status s = ParseTenantState(**bytes, tenant, &state); !s.ok()) return s;
  return state;
}

absl::Status ParseEvent(absl::string_view bytes, absl::string_view tenant, absl::string_view ticket,
                        v1::TicketEvent* out) {
  if (ParseInto(bytes, out)) return absl::OkStatus();
  return Unreadable("event", Subject(tenant, ticket), bytes.size(), kRestore);
}

absl::StatusOr<std::optional<v1::TicketEvent>> ReadEvent(const Store& store, absl::string_view key,
                                                          absl::string_view tenant, absl::string_view ticket) {
  auto bytes = Get(store, Family::kEvents, key, "event", Subject(tenant, ticket));
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return std::nullopt;
  v1::TicketEvent event;
  if (absl::Status s = ParseEvent(**bytes, tenant, ticket, &event); !s.ok()) return s;
  return event;
}

absl::Status ParseFinding(absl::string_view key, absl::string_view bytes, absl::string_view tenant,
                          v1::Finding* out) {
  if (ParseInto(bytes, out)) return absl::OkStatus();
  return Unreadable("finding", Subject(tenant, keys::TicketOfKey(key, tenant)), bytes.size(), kRebuild);
}

absl::Status AddTicketScore(const internal::TicketState& state, SumVector* sums) {
  absl::Status s = AddEncodedSums(state.score().counted().sums(), sums);
  if (s.ok()) return s;
  return absl::DataLossError(absl::StrCat("the score record in the stored ticket state of ",
                                          Subject(state.tenant(), state.ticket_id()), " is unreadable (", s.message(),
                                          "); ", kRebuild));
}

absl::Status AddAggregate(absl::string_view key, absl::string_view bytes, absl::string_view tenant, SumVector* sums) {
  absl::Status s = AddEncodedSums(bytes, sums);
  if (s.ok()) return s;
  std::string tag;
  int64_t day = 0;
  const std::string where = keys::ParseAggregate(key, tenant.size(), &tag, &day)
                                ? absl::StrCat(Subject(tenant, ""), " scope kind ", tag.empty() ? 0 : int{static_cast<unsigned char>(tag[0])},
                                               " id '", absl::string_view(tag).substr(tag.empty() ? 0 : 1), "' day ", day)
                                : Subject(tenant, "");
  return absl::DataLossError(absl::StrCat("the stored aggregate of ", where, " is unreadable (", s.message(), "); ",
                                          kRebuild));
}

absl::StatusOr<std::optional<PersonRecord>> ReadAlias(const Store& store, absl::string_view tenant,
                                                      absl::string_view id) {
  const std::string subject = absl::StrCat("tenant '", tenant, "' id '", id, "'");
  auto bytes = Get(store, Family::kIndex, keys::Alias(tenant, id), "alias", subject);
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return std::nullopt;
  keys::Person person;
  if (!keys::ParseAliasValue(**bytes, &person)) return Unreadable("alias", subject, (*bytes)->size(), kRebuild);
  return PersonRecord{person.birth, std::string(person.id)};
}

}  // namespace rapport::records
