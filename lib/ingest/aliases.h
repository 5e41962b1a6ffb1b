// The per-tenant alias directory: every id an identity fact named, and the
// person it resolves to (keys::Alias, keys::PersonId in the index family).
//
// Rules (docs/adapters.md, "Identities and roles"):
// - A person's id is the first id of the first fact that named them (the
//   adapters list the source's primary id first), so whether a fact comes
//   before or after the tickets it explains, the person has the same id.
// - A fact that names ids of two persons merges them: the later-born (the
//   person first named by a later event) merges into the earlier.
// - An id no fact named is a person of its own.
// Facts travel on events (TicketEvent.identities), which are stored as
// sent, so the directory is derived data: a rebuild replays it.
//
// One directory serves one batch: it reads the store and keeps what the
// batch taught it, writing each change into the batch's WriteBatch.
#ifndef RAPPORT_INGEST_ALIASES_H_
#define RAPPORT_INGEST_ALIASES_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "rapport/v1/events.pb.h"
#include "store/records.h"
#include "store/store.h"

namespace rapport {

class AliasDirectory {
 public:
  explicit AliasDirectory(const Store& store) : store_(store) {}

  // The person `id` resolves to: the id itself when no fact named it.
  absl::StatusOr<std::string> Resolve(const std::string& tenant, const std::string& id);

  // Learns that `identity`'s ids name one person (taught by the event of
  // arrival number `birth`), writing the changes into `writes`. Appends to
  // *changed every id whose person changed (new ids that name an existing
  // person, every id of a merged person) and returns how many ids the
  // directory gained.
  absl::StatusOr<uint64_t> Learn(const std::string& tenant, const v1::Identity& identity, uint64_t birth,
                                 Store::Batch* writes, std::vector<std::string>* changed);

 private:
  using Key = std::pair<std::string, std::string>;  // tenant, id
  absl::StatusOr<std::optional<records::PersonRecord>> Lookup(const std::string& tenant, const std::string& id);
  // A person's ids as the store and this batch know them.
  absl::StatusOr<std::vector<std::string>*> Members(const std::string& tenant, const std::string& person);
  void Assign(const std::string& tenant, const std::string& id, const records::PersonRecord& person,
              Store::Batch* writes);

  const Store& store_;
  absl::flat_hash_map<Key, std::optional<records::PersonRecord>> aliases_;
  std::map<Key, std::vector<std::string>> members_;  // stable addresses: Learn holds two
};

}  // namespace rapport

#endif  // RAPPORT_INGEST_ALIASES_H_
