#include "ingest/ingestor.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/log.h"
#include "event/event.h"
#include "google/protobuf/util/message_differencer.h"
#include "ingest/aliases.h"
#include "rapport/internal/state.pb.h"
#include "store/keys.h"
#include "store/records.h"
#include "ticket/identity.h"
#include "ticket/revisions.h"
#include "ticket/ticket.h"

namespace rapport {
namespace {

// An event to fold, with its sort position.
struct Pending {
  const v1::TicketEvent* event;
  int64_t occurred_us;
  uint64_t arrival;
};

bool SortsBefore(const Pending& a, const Pending& b) {
  if (a.occurred_us != b.occurred_us) return a.occurred_us < b.occurred_us;
  return a.arrival < b.arrival;
}

// Counts a rejection by its code; lists it in detail while the ack holds
// fewer than `max_detailed`, so an ack stays small however much is refused.
// `detail` makes the error only when it is listed.
template <typename MakeDetail>
void AddRejection(const char* code, size_t max_detailed, v1::BatchAck* ack, MakeDetail detail) {
  (*ack->mutable_rejected_by_code())[code]++;
  if (static_cast<size_t>(ack->rejected_size()) < max_detailed) *ack->add_rejected() = detail();
}

// Whether a duplicate says the same as the first write of its event_id.
// Equal bytes almost always decide; a map field (attributes) serializes in
// no fixed order, so differing bytes are compared as messages before the
// duplicate is called a conflict. DATA_LOSS when the first write is unreadable.
absl::StatusOr<bool> SameContent(const std::string& first_bytes, const std::string& again_bytes,
                                 const v1::TicketEvent& again) {
  if (first_bytes == again_bytes) return true;
  v1::TicketEvent first;
  if (absl::Status s = records::ParseEvent(first_bytes, again.tenant(), again.ticket_id(), &first); !s.ok()) return s;
  return google::protobuf::util::MessageDifferencer::Equals(first, again);
}

// What Ingestor::Prepare made for one event, found by the event's address.
struct EventPreparation {
  const std::string* bytes;
  const std::vector<std::unique_ptr<PreparedEvent>>* by_stage;
};
using Preparations = absl::flat_hash_map<const v1::TicketEvent*, EventPreparation>;

// The batch in progress: ticket and tenant records loaded once, changed in
// memory, written once at the end.
class BatchContext final : public StageContext {
 public:
  BatchContext(Store* store, int64_t now, const std::vector<TicketStage*>& stages, const Preparations& preparations)
      : store_(store), writes_(*store), now_(now), stages_(stages), preparations_(preparations) {}

  const Store& store() const override { return *store_; }
  Store::Batch& writes() override { return writes_; }
  int64_t now_micros() const override { return now_; }

  const PreparedEvent* Prepared(const TicketStage& stage, const v1::TicketEvent& event) const override {
    auto it = preparations_.find(&event);
    if (it == preparations_.end()) return nullptr;
    const auto& by_stage = *it->second.by_stage;
    for (size_t i = 0; i < stages_.size() && i < by_stage.size(); ++i) {
      if (stages_[i] == &stage) return by_stage[i].get();
    }
    return nullptr;
  }

  absl::StatusOr<internal::TicketState*> MutableTicket(const std::string& tenant,
                                                       const std::string& ticket_id) override {
    auto state = LoadTicket(tenant, ticket_id);
    if (!state.ok()) return state.status();
    if ((*state)->event_count() == 0) {
      return absl::NotFoundError(absl::StrCat("tenant '", tenant, "' has no ticket '", ticket_id, "'"));
    }
    return *state;
  }

  void ForEachTicket(const std::string& tenant,
                     const std::function<void(internal::TicketState*)>& visit) override {
    for (const std::string& key : order_) {
      internal::TicketState& state = tickets_[key];
      if (state.event_count() > 0 && state.tenant() == tenant) visit(&state);
    }
  }

  std::vector<v1::Finding> FindingsAtLoad(const std::string& tenant, const std::string& ticket_id) const override {
    std::vector<v1::Finding> out;
    auto it = findings_at_load_.find(keys::Ticket(tenant, ticket_id));
    if (it == findings_at_load_.end()) return out;
    out.reserve(it->second.size());
    for (const auto& [id, bytes] : it->second) {
      // Serialized from a parsed message by this batch: it parses.
      if (!out.emplace_back().ParseFromString(bytes)) out.pop_back();
    }
    return out;
  }

  // The cached state (empty for a ticket without events).
  absl::StatusOr<internal::TicketState*> LoadTicket(const std::string& tenant, const std::string& ticket_id) {
    std::string key = keys::Ticket(tenant, ticket_id);
    auto it = tickets_.find(key);
    if (it != tickets_.end()) return &it->second;
    auto stored = records::ReadTicketState(*store_, tenant, ticket_id);
    if (!stored.ok()) return stored.status();
    internal::TicketState state;
    if (stored->has_value()) state = std::move(**stored);
    if (state.findings_size() > 0) {
      auto& loaded = findings_at_load_[key];
      for (const v1::Finding& f : state.findings()) loaded[f.id()] = f.SerializeAsString();
    }
    order_.push_back(key);
    return &tickets_.emplace(std::move(key), std::move(state)).first->second;
  }

  absl::StatusOr<internal::TenantState*> LoadTenant(const std::string& tenant) {
    auto it = tenants_.find(tenant);
    if (it != tenants_.end()) return &it->second;
    auto stored = records::ReadTenantState(*store_, tenant);
    if (!stored.ok()) return stored.status();
    internal::TenantState state;
    if (stored->has_value()) state = std::move(**stored);
    state.set_tenant(tenant);
    tenant_order_.push_back(tenant);
    return &tenants_.emplace(tenant, std::move(state)).first->second;
  }

  // Writes every loaded record (unchanged ones cost a put, no more), and
  // each ticket's findings that the batch raised, changed or withdrew: the
  // findings family mirrors the findings in the ticket states.
  void WriteRecords() {
    static const absl::flat_hash_map<std::string, std::string> kNone;
    for (const std::string& key : order_) {
      const internal::TicketState& state = tickets_[key];
      if (state.event_count() == 0) continue;
      auto at_load = findings_at_load_.find(key);
      const auto& loaded = at_load == findings_at_load_.end() ? kNone : at_load->second;
      size_t kept = 0;
      for (const v1::Finding& f : state.findings()) {
        std::string bytes = f.SerializeAsString();
        auto old = loaded.find(f.id());
        if (old != loaded.end()) {
          ++kept;
        } else {
          ++raised_[f.kind()];
        }
        if (old == loaded.end() || old->second != bytes) {
          writes_.Put(Family::kFindings, keys::Finding(state.tenant(), state.ticket_id(), f.id()), bytes);
        }
      }
      if (kept < loaded.size()) {
        absl::flat_hash_set<absl::string_view> now;
        for (const v1::Finding& f : state.findings()) now.insert(f.id());
        for (const auto& [id, bytes] : loaded) {
          if (!now.contains(id)) writes_.Delete(Family::kFindings, keys::Finding(state.tenant(), state.ticket_id(), id));
        }
      }
      writes_.Put(Family::kTickets, key, state.SerializeAsString());
    }
    for (const std::string& tenant : tenant_order_) {
      writes_.Put(Family::kMeta, keys::TenantMeta(tenant), tenants_[tenant].SerializeAsString());
    }
  }

  const std::vector<std::string>& tenant_order() const { return tenant_order_; }
  // After WriteRecords: the findings new on their ticket, by kind.
  const std::map<int, uint64_t>& raised() const { return raised_; }

  // Whether the ticket had finding `id` when the batch loaded it.
  bool HadFindingAtLoad(const std::string& tenant, const std::string& ticket_id, const std::string& id) const {
    auto it = findings_at_load_.find(keys::Ticket(tenant, ticket_id));
    return it != findings_at_load_.end() && it->second.contains(id);
  }

 private:
  Store* store_;
  Store::Batch writes_;
  int64_t now_;
  const std::vector<TicketStage*>& stages_;
  const Preparations& preparations_;
  absl::flat_hash_map<std::string, internal::TicketState> tickets_;
  std::vector<std::string> order_;
  absl::flat_hash_map<std::string, internal::TenantState> tenants_;
  std::vector<std::string> tenant_order_;
  // Per ticket key: finding id -> its bytes when the batch loaded the ticket.
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, std::string>> findings_at_load_;
  std::map<int, uint64_t> raised_;
};

using TicketKey = std::pair<std::string, std::string>;  // tenant, ticket

// Teaches the directory the facts of `accepted` (in arrival order), counts
// the ids each tenant's directory gained, and adds to *refold every stored
// ticket that names an id whose person changed (keys::IdTicket).
absl::Status LearnIdentities(const std::vector<Pending>& accepted, AliasDirectory* directory, BatchContext* context,
                             absl::flat_hash_set<TicketKey>* refold) {
  std::vector<std::string> changed;
  for (const Pending& p : accepted) {
    if (p.event->identities().empty()) continue;
    const std::string& tenant = p.event->tenant();
    changed.clear();
    uint64_t gained = 0;
    for (const v1::Identity& identity : p.event->identities()) {
      auto learned = directory->Learn(tenant, identity, p.arrival, &context->writes(), &changed);
      if (!learned.ok()) return learned.status();
      gained += *learned;
    }
    auto record = context->LoadTenant(tenant);
    if (!record.ok()) return record.status();
    (*record)->set_aliases((*record)->aliases() + gained);
    for (const std::string& id : changed) {
      const std::string prefix = keys::IdTicketsPrefix(tenant, id);
      absl::Status scan = context->store().Scan(Family::kIndex, prefix, [&](absl::string_view k, absl::string_view) {
        refold->insert({tenant, std::string(k.substr(prefix.size()))});
        return true;
      });
      if (!scan.ok()) return scan;
    }
  }
  return absl::OkStatus();
}

// The ack's feedback for a batch that set want_scores: every ticket of its
// valid events (duplicates too, so a re-sent batch gets its answer again) as
// it stands after the group, with the findings the group raised on it.
absl::Status AddTicketScores(const v1::EventBatch& batch, const absl::flat_hash_set<const v1::TicketEvent*>& valid,
                             BatchContext& context, v1::BatchAck* ack) {
  absl::flat_hash_set<std::pair<std::string, std::string>> seen;
  for (int i = 0; i < batch.events_size(); ++i) {
    const v1::TicketEvent& event = batch.events(i);
    if (!valid.contains(&event) || !seen.insert({event.tenant(), event.ticket_id()}).second) continue;
    auto state = context.LoadTicket(event.tenant(), event.ticket_id());
    if (!state.ok()) return state.status();
    const internal::TicketScoreRecord& rec = (*state)->score().counted();
    v1::TicketScore* ts = ack->add_ticket_scores();
    ts->set_ticket_id(event.ticket_id());
    ts->set_scored(rec.scored());
    ts->set_score(rec.score());
    ts->set_relationship(static_cast<v1::Relationship>(rec.relationship()));
    ts->set_services_score(rec.services_score());
    ts->set_communications_score(rec.communications_score());
    for (const v1::Finding& f : (*state)->findings()) {
      if (!context.HadFindingAtLoad(event.tenant(), event.ticket_id(), f.id())) *ts->add_new_findings() = f;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Ingestor>> Ingestor::Create(Store* store, Options options) {
  if (!options.now_micros) options.now_micros = [] { return absl::ToUnixMicros(absl::Now()); };
  std::string value;
  uint64_t next_arrival = 1;
  absl::Status s = store->Get(Family::kMeta, keys::kNextArrival, &value);
  if (s.ok()) {
    next_arrival = keys::GetBigEndian64(value);
  } else if (!absl::IsNotFound(s)) {
    return s;
  }
  return std::unique_ptr<Ingestor>(new Ingestor(store, std::move(options), next_arrival));
}

Ingestor::Ingestor(Store* store, Options options, uint64_t next_arrival)
    : store_(store), options_(std::move(options)), next_arrival_(next_arrival) {}

IngestCounters Ingestor::counters() const {
  absl::MutexLock lock(&counters_mu_);
  return counters_;
}

absl::StatusOr<v1::BatchAck> Ingestor::Apply(const v1::EventBatch& batch) {
  auto acks = ApplyGroup({&batch});
  if (!acks.ok()) return acks.status();
  return std::move(acks->front());
}

std::unique_ptr<PreparedBatch> Ingestor::Prepare(const v1::EventBatch& batch) const {
  auto prepared = std::make_unique<PreparedBatch>();
  const size_t n = std::min<size_t>(batch.events_size(), options_.limits.max_batch_events);
  prepared->bytes.reserve(n);
  prepared->by_stage.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const v1::TicketEvent& event = batch.events(static_cast<int>(i));
    prepared->bytes.push_back(event.SerializeAsString());
    for (const TicketStage* stage : options_.stages) prepared->by_stage[i].push_back(stage->Prepare(event));
  }
  return prepared;
}

absl::StatusOr<std::vector<v1::BatchAck>> Ingestor::ApplyGroup(const std::vector<const v1::EventBatch*>& batches,
                                                               const std::vector<const PreparedBatch*>& prepared) {
  std::vector<v1::BatchAck> acks(batches.size());
  const int64_t now = options_.now_micros();
  Preparations preparations;
  for (size_t b = 0; b < prepared.size() && b < batches.size(); ++b) {
    if (prepared[b] == nullptr) continue;
    const size_t n = std::min<size_t>(prepared[b]->bytes.size(), batches[b]->events_size());
    for (size_t i = 0; i < n; ++i) {
      preparations[&batches[b]->events(static_cast<int>(i))] = {&prepared[b]->bytes[i], &prepared[b]->by_stage[i]};
    }
  }
  // An event's stored bytes: prepared, or serialized here (valid until the next call).
  std::string serialized;
  auto stored_bytes = [&](const v1::TicketEvent& event) -> const std::string& {
    if (auto it = preparations.find(&event); it != preparations.end()) return *it->second.bytes;
    serialized = event.SerializeAsString();
    return serialized;
  };

  // 1. Validate; collect the dedupe keys of the valid events.
  struct Candidate {
    size_t batch;
    const v1::TicketEvent* event;
  };
  std::vector<Candidate> valid;
  std::vector<std::string> dedupe_keys;
  for (size_t b = 0; b < batches.size(); ++b) {
    const v1::EventBatch& batch = *batches[b];
    v1::BatchAck& ack = acks[b];
    ack.set_sequence(batch.sequence());
    for (int i = 0; i < batch.events_size(); ++i) {
      const v1::TicketEvent& event = batch.events(i);
      uint32_t index = static_cast<uint32_t>(i);
      if (static_cast<size_t>(i) >= options_.limits.max_batch_events) {
        AddRejection("TOO_LARGE", options_.limits.max_ack_errors, &ack, [&] {
          v1::EventError error;
          error.set_index(index);
          error.set_event_id(EchoableEventId(event.event_id()));
          error.set_code("TOO_LARGE");
          error.set_message(absl::StrFormat("the batch holds %d events; at most %d are taken per batch, send "
                                            "the rest in another batch",
                                            batch.events_size(), options_.limits.max_batch_events));
          return error;
        });
        continue;
      }
      if (auto error = options_.validate ? ValidateEvent(event, now, options_.limits) : std::nullopt) {
        error->set_index(index);
        AddRejection(error->code().c_str(), options_.limits.max_ack_errors, &ack, [&] { return std::move(*error); });
        continue;
      }
      valid.push_back({b, &event});
      dedupe_keys.push_back(keys::Dedupe(event.tenant(), event.event_id()));
    }
  }

  // 2. Duplicates: seen in the store, or earlier in this group.
  std::vector<std::string> existing;
  std::vector<bool> found;
  if (absl::Status s = store_->MultiGet(Family::kDedupe, dedupe_keys, &existing, &found); !s.ok()) {
    return s;
  }
  // Dedupe key -> the group's first event with it.
  absl::flat_hash_map<absl::string_view, const v1::TicketEvent*> in_group;
  std::vector<Pending> accepted;
  accepted.reserve(valid.size());
  uint64_t duplicates = 0, conflicting = 0;
  for (size_t k = 0; k < valid.size(); ++k) {
    const v1::TicketEvent& event = *valid[k].event;
    v1::BatchAck& ack = acks[valid[k].batch];
    auto conflict = [&] {
      ++conflicting;
      ack.set_conflicts(ack.conflicts() + 1);
      Log(LogLevel::kWarning, "conflicting duplicate: first write wins",
          {{"tenant", event.tenant()}, {"event_id", event.event_id()}});
    };
    if (found[k]) {
      ++duplicates;
      ack.set_duplicates(ack.duplicates() + 1);
      // A read error, or a first write that no longer parses, abandons the
      // group: judged by a missing answer, a conflict would go unreported.
      std::string stored;
      absl::Status got = store_->Get(Family::kEvents, existing[k], &stored);
      if (!got.ok() && !absl::IsNotFound(got)) return got;
      if (got.ok()) {
        auto same = SameContent(stored, stored_bytes(event), event);
        if (!same.ok()) return same.status();
        if (!*same) conflict();
      }
      continue;
    }
    if (auto [first, inserted] = in_group.try_emplace(dedupe_keys[k], &event); !inserted) {
      ++duplicates;
      ack.set_duplicates(ack.duplicates() + 1);
      const std::string first_bytes = stored_bytes(*first->second);
      auto same = SameContent(first_bytes, stored_bytes(event), event);
      if (!same.ok()) return same.status();
      if (!*same) conflict();
      continue;
    }
    ack.set_accepted(ack.accepted() + 1);
    accepted.push_back({&event, ToMicros(event.occurred_at()), 0});
  }

  // 3. Arrival order, then group by ticket.
  for (Pending& p : accepted) p.arrival = next_arrival_++;
  absl::flat_hash_map<TicketKey, std::vector<Pending>> by_ticket;
  std::vector<TicketKey> ticket_order;
  std::vector<const Pending*> identity_only;  // user exports: no ticket
  for (const Pending& p : accepted) {
    if (p.event->kind() == v1::EVENT_KIND_IDENTITY) {
      identity_only.push_back(&p);
      continue;
    }
    TicketKey key{p.event->tenant(), p.event->ticket_id()};
    auto [it, inserted] = by_ticket.try_emplace(key);
    if (inserted) ticket_order.push_back(key);
    it->second.push_back(p);
  }

  // 4. Fold each ticket, running the stages on every folded event.
  bool committed = false;
  absl::Cleanup after_batch = [&] {
    for (TicketStage* stage : options_.stages) stage->AfterBatch(committed);
  };
  BatchContext context(store_, now, options_.stages, preparations);
  const bool want_scores = std::any_of(batches.begin(), batches.end(), [](auto* b) { return b->want_scores(); });
  absl::flat_hash_map<std::string, int64_t> watermark_after;
  for (const Pending& p : accepted) {
    if (p.event->kind() == v1::EVENT_KIND_IDENTITY) continue;  // a user export's time is not the tenant's clock
    auto tenant = context.LoadTenant(p.event->tenant());
    if (!tenant.ok()) return tenant.status();
    int64_t& w = watermark_after.try_emplace(p.event->tenant(), (*tenant)->watermark_us()).first->second;
    w = std::max(w, p.occurred_us);
  }
  absl::flat_hash_map<std::string, int64_t> watermark_before;
  uint64_t rebuilds = 0;

  // Identity facts, in arrival order, before anything is folded; a fact
  // that changes whom an id resolves to refolds every ticket naming it, so
  // the tickets read the same whether the fact came before or after them.
  AliasDirectory directory(*store_);
  absl::flat_hash_set<TicketKey> refold;
  if (absl::Status s = LearnIdentities(accepted, &directory, &context, &refold); !s.ok()) return s;
  std::vector<TicketKey> to_refold(refold.begin(), refold.end());
  std::sort(to_refold.begin(), to_refold.end());  // the same order on every replay
  for (const TicketKey& key : to_refold) {
    if (by_ticket.try_emplace(key).second) ticket_order.push_back(key);
  }
  absl::Status unresolved;
  auto person_of = [&](const std::string& tenant) {
    return [&, tenant](const std::string& id) {
      auto person = directory.Resolve(tenant, id);
      if (!person.ok()) {
        unresolved.Update(person.status());
        return id;
      }
      return *std::move(person);
    };
  };
  // Folds one event as the ticket's comment revisions make it read and with
  // its people resolved (a tenant without aliases has nothing to resolve).
  auto fold = [&](const Pending& p, const ticket::Revisions& revisions, bool resolve, internal::TicketState* state) {
    v1::TicketEvent revised, resolved;
    const v1::TicketEvent* event = &revisions.Effective(*p.event, &revised);
    if (resolve) {
      event = &ticket::ResolvePeople(*event, state->requester().id(), state->assignee().agent_id(),
                                     person_of(p.event->tenant()), &resolved);
    }
    // The copy reads the tone prepared for the event it copies.
    const bool copied = event == &resolved;
    if (copied) {
      // Copied out first: inserting may rehash the map and move what `it` points to.
      if (auto it = preparations.find(p.event); it != preparations.end()) {
        const auto prepared = it->second;
        preparations[&resolved] = prepared;
      }
    }
    for (TicketStage* stage : options_.stages) stage->BeforeEvent(*event, state, context);
    ticket::Transition t = ticket::Apply(*event, p.arrival, state);
    for (TicketStage* stage : options_.stages) stage->OnEvent(*event, t, state, context);
    if (copied) preparations.erase(&resolved);
  };
  // (id, ticket) pairs already written to the id -> tickets index.
  struct IdOfTicketHash {
    size_t operator()(const std::pair<const std::string*, const TicketKey*>& k) const {
      return absl::HashOf(*k.first, *k.second);
    }
  };
  struct IdOfTicketEq {
    bool operator()(const std::pair<const std::string*, const TicketKey*>& a,
                    const std::pair<const std::string*, const TicketKey*>& b) const {
      return *a.first == *b.first && *a.second == *b.second;
    }
  };
  absl::flat_hash_set<std::pair<const std::string*, const TicketKey*>, IdOfTicketHash, IdOfTicketEq> indexed_ids;
  for (const TicketKey& key : ticket_order) {
    std::vector<Pending>& fresh = by_ticket[key];
    std::sort(fresh.begin(), fresh.end(), SortsBefore);
    auto loaded = context.LoadTicket(key.first, key.second);
    if (!loaded.ok()) return loaded.status();
    internal::TicketState* state = *loaded;
    if (fresh.empty() && state->event_count() == 0) continue;  // an index entry of no stored ticket
    const bool was_new = state->event_count() == 0;
    auto tenant_record = context.LoadTenant(key.first);
    if (!tenant_record.ok()) return tenant_record.status();
    const bool resolve = (*tenant_record)->aliases() > 0;
    // A revision changes how an earlier comment reads, and a learned alias
    // who wrote it: the ticket is refolded, like for a late event.
    const bool revises = std::any_of(fresh.begin(), fresh.end(), [](const Pending& p) { return ticket::IsRevision(*p.event); });
    const bool rebuilt = revises || refold.contains(key) ||
                         !ticket::IsInOrder(*state, fresh.front().occurred_us, fresh.front().arrival);
    std::optional<internal::TicketState> refolded_from;

    std::vector<v1::TicketEvent> stored;  // keeps refolded events alive
    if (!rebuilt) {
      const ticket::Revisions none;
      for (const Pending& p : fresh) fold(p, none, resolve, state);
    } else {
      // A late event: refold the whole ticket from its stored events.
      ++rebuilds;
      std::vector<Pending> all;
      absl::Status unreadable;
      absl::Status scan = store_->Scan(
          Family::kEvents, keys::TicketEventsPrefix(key.first, key.second),
          [&](absl::string_view k, absl::string_view v) {
            stored.emplace_back();
            unreadable = records::ParseEvent(v, key.first, key.second, &stored.back());
            if (!unreadable.ok()) return false;
            all.push_back({nullptr, ToMicros(stored.back().occurred_at()), keys::EventArrival(k)});
            return true;
          });
      if (!scan.ok()) return scan;
      if (!unreadable.ok()) return unreadable;
      for (size_t i = 0; i < stored.size(); ++i) all[i].event = &stored[i];
      all.insert(all.end(), fresh.begin(), fresh.end());
      std::sort(all.begin(), all.end(), SortsBefore);
      refolded_from = std::move(*state);
      state->Clear();
      ticket::Revisions revisions;
      for (const Pending& p : all) revisions.Add(*p.event);
      for (const Pending& p : all) fold(p, revisions, resolve, state);
    }
    if (!unresolved.ok()) return unresolved;  // the directory could not be read: nothing is committed

    std::vector<const v1::TicketEvent*> new_events;
    new_events.reserve(fresh.size());
    for (const Pending& p : fresh) {
      new_events.push_back(p.event);
      std::string event_key = keys::Event(key.first, key.second, p.occurred_us, p.arrival);
      context.writes().Put(Family::kEvents, event_key, stored_bytes(*p.event));
      context.writes().Put(Family::kDedupe, keys::Dedupe(key.first, p.event->event_id()), event_key);
      for (const std::string* id : {&p.event->actor().id(), &p.event->requester().id(), &p.event->assignee().agent_id()}) {
        // A ticket's events name the same few ids: one put per id and group.
        if (!id->empty() && indexed_ids.insert({id, &key}).second) {
          context.writes().Put(Family::kIndex, keys::IdTicket(key.first, *id, key.second), "");
        }
      }
    }
    watermark_after.try_emplace(key.first, (*tenant_record)->watermark_us());
    TicketUpdate update{key.first, key.second, state, new_events, refolded_from ? &*refolded_from : nullptr,
                        watermark_after[key.first]};
    for (TicketStage* stage : options_.stages) {
      if (absl::Status s = stage->OnTicketUpdated(update, context); !s.ok()) {
        return absl::Status(s.code(), absl::StrCat(stage->name(), ": ", s.message()));
      }
    }

    auto tenant = context.LoadTenant(key.first);
    if (!tenant.ok()) return tenant.status();
    watermark_before.try_emplace(key.first, (*tenant)->watermark_us());
    (*tenant)->set_events((*tenant)->events() + fresh.size());
    if (was_new) (*tenant)->set_tickets((*tenant)->tickets() + 1);
    for (const Pending& p : fresh) {
      (*tenant)->set_watermark_us(std::max((*tenant)->watermark_us(), p.occurred_us));
    }
  }

  for (const Pending* p : identity_only) {
    std::string event_key = keys::Event(p->event->tenant(), "", p->occurred_us, p->arrival);
    context.writes().Put(Family::kEvents, event_key, stored_bytes(*p->event));
    context.writes().Put(Family::kDedupe, keys::Dedupe(p->event->tenant(), p->event->event_id()), event_key);
  }

  // 5. Time-based work once per tenant, then one atomic commit.
  for (const std::string& tenant : context.tenant_order()) {
    int64_t after = (*context.LoadTenant(tenant))->watermark_us();
    for (TicketStage* stage : options_.stages) {
      if (absl::Status s = stage->OnWatermark(tenant, watermark_before[tenant], after, context); !s.ok()) {
        return absl::Status(s.code(), absl::StrCat(stage->name(), ": ", s.message()));
      }
    }
  }
  if (want_scores) {
    absl::flat_hash_set<const v1::TicketEvent*> valid_events;
    for (const Candidate& c : valid) valid_events.insert(c.event);
    for (size_t b = 0; b < batches.size(); ++b) {
      if (!batches[b]->want_scores()) continue;
      if (absl::Status s = AddTicketScores(*batches[b], valid_events, context, &acks[b]); !s.ok()) return s;
    }
  }
  if (!accepted.empty()) {
    context.WriteRecords();
    std::string arrival;
    keys::PutBigEndian64(&arrival, next_arrival_);
    context.writes().Put(Family::kMeta, keys::kNextArrival, arrival);
    if (absl::Status s = store_->Commit(&context.writes()); !s.ok()) return s;
  }
  committed = true;

  absl::MutexLock lock(&counters_mu_);
  counters_.batches += batches.size();
  counters_.accepted += accepted.size();
  counters_.duplicates += duplicates;
  counters_.conflicting_duplicates += conflicting;
  counters_.rebuilds += rebuilds;
  for (const v1::BatchAck& ack : acks) {
    for (const auto& [code, count] : ack.rejected_by_code()) counters_.rejected_by_code[code] += count;
  }
  for (const auto& [kind, count] : context.raised()) counters_.findings_raised_by_kind[kind] += count;
  return acks;
}

}  // namespace rapport
