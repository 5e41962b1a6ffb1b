#include "ingest/aliases.h"

#include <algorithm>
#include <utility>

#include "store/keys.h"

namespace rapport {

absl::StatusOr<std::optional<records::PersonRecord>> AliasDirectory::Lookup(const std::string& tenant,
                                                                           const std::string& id) {
  Key key{tenant, id};
  if (auto it = aliases_.find(key); it != aliases_.end()) return it->second;
  auto stored = records::ReadAlias(store_, tenant, id);
  if (!stored.ok()) return stored.status();
  return aliases_.emplace(std::move(key), std::move(*stored)).first->second;
}

absl::StatusOr<std::string> AliasDirectory::Resolve(const std::string& tenant, const std::string& id) {
  auto person = Lookup(tenant, id);
  if (!person.ok()) return person.status();
  return person->has_value() ? (*person)->id : id;
}

absl::StatusOr<std::vector<std::string>*> AliasDirectory::Members(const std::string& tenant,
                                                                  const std::string& person) {
  Key key{tenant, person};
  if (auto it = members_.find(key); it != members_.end()) return &it->second;
  std::vector<std::string> ids;
  const std::string prefix = keys::PersonIdsPrefix(tenant, person);
  absl::Status scan = store_.Scan(Family::kIndex, prefix, [&](absl::string_view k, absl::string_view) {
    ids.emplace_back(k.substr(prefix.size()));
    return true;
  });
  if (!scan.ok()) return scan;
  return &members_.emplace(std::move(key), std::move(ids)).first->second;
}

void AliasDirectory::Assign(const std::string& tenant, const std::string& id, const records::PersonRecord& person,
                            Store::Batch* writes) {
  writes->Put(Family::kIndex, keys::Alias(tenant, id), keys::AliasValue(person.birth, person.id));
  writes->Put(Family::kIndex, keys::PersonId(tenant, person.id, id), "");
  aliases_[{tenant, id}] = person;
}

absl::StatusOr<uint64_t> AliasDirectory::Learn(const std::string& tenant, const v1::Identity& identity,
                                               uint64_t birth, Store::Batch* writes,
                                               std::vector<std::string>* changed) {
  std::vector<records::PersonRecord> persons;  // distinct, as found
  std::vector<std::string> fresh;              // ids no fact named yet
  for (const std::string& id : identity.ids()) {
    auto person = Lookup(tenant, id);
    if (!person.ok()) return person.status();
    if (!person->has_value()) {
      if (std::find(fresh.begin(), fresh.end(), id) == fresh.end()) fresh.push_back(id);
    } else if (std::none_of(persons.begin(), persons.end(), [&](const auto& p) { return p.id == (*person)->id; })) {
      persons.push_back(**person);
    }
  }
  if (persons.empty() && fresh.empty()) return 0;
  records::PersonRecord winner{birth, persons.empty() ? fresh.front() : persons.front().id};
  for (const records::PersonRecord& p : persons) {
    if (p.birth < winner.birth || (p.birth == winner.birth && p.id < winner.id)) winner = p;
  }
  auto winner_members = Members(tenant, winner.id);
  if (!winner_members.ok()) return winner_members.status();
  for (const std::string& id : fresh) {
    Assign(tenant, id, winner, writes);
    (*winner_members)->push_back(id);
    if (id != winner.id) changed->push_back(id);
  }
  for (const records::PersonRecord& merged : persons) {
    if (merged.id == winner.id) continue;
    auto ids = Members(tenant, merged.id);
    if (!ids.ok()) return ids.status();
    for (const std::string& id : **ids) {
      Assign(tenant, id, winner, writes);
      writes->Delete(Family::kIndex, keys::PersonId(tenant, merged.id, id));
      (*winner_members)->push_back(id);
      changed->push_back(id);
    }
    (*ids)->clear();
  }
  return fresh.size();
}

}  // namespace rapport
