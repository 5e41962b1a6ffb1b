#include "ingest/ingestor.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/log.h"
#include "event/event.h"
#include "rapport/internal/state.pb.h"
#include "store/keys.h"
#include "ticket/ticket.h"

namespace rapport {
namespace {

// An accepted event with its sort position.
struct Pending {
  const v1::TicketEvent* event;
  int64_t occurred_us;
  uint64_t arrival;
};

bool SortsBefore(const Pending& a, const Pending& b) {
  if (a.occurred_us != b.occurred_us) return a.occurred_us < b.occurred_us;
  return a.arrival < b.arrival;
}

v1::EventError MakeError(uint32_t index, const v1::TicketEvent& event, const char* code,
                         std::string message) {
  v1::EventError error;
  error.set_index(index);
  error.set_event_id(event.event_id());
  error.set_code(code);
  error.set_message(std::move(message));
  return error;
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
  v1::BatchAck ack;
  ack.set_sequence(batch.sequence());
  const int64_t now = options_.now_micros();

  // 1. Validate; collect the dedupe keys of the valid events.
  std::vector<uint32_t> valid;
  std::vector<std::string> dedupe_keys;
  valid.reserve(batch.events_size());
  dedupe_keys.reserve(batch.events_size());
  for (int i = 0; i < batch.events_size(); ++i) {
    const v1::TicketEvent& event = batch.events(i);
    uint32_t index = static_cast<uint32_t>(i);
    if (static_cast<size_t>(i) >= options_.limits.max_batch_events) {
      *ack.add_rejected() = MakeError(
          index, event, "TOO_LARGE",
          absl::StrFormat("the batch holds %d events; at most %d are taken per batch, send the "
                          "rest in another batch",
                          batch.events_size(), options_.limits.max_batch_events));
      continue;
    }
    if (auto error = ValidateEvent(event, now, options_.limits)) {
      error->set_index(index);
      *ack.add_rejected() = std::move(*error);
      continue;
    }
    valid.push_back(index);
    dedupe_keys.push_back(keys::Dedupe(event.tenant(), event.event_id()));
  }

  // 2. Duplicates: seen in the store, or earlier in this batch.
  std::vector<std::string> existing;
  std::vector<bool> found;
  if (absl::Status s = store_->MultiGet(Family::kDedupe, dedupe_keys, &existing, &found); !s.ok()) {
    return s;
  }
  absl::flat_hash_set<absl::string_view> in_batch;
  std::vector<Pending> accepted;
  accepted.reserve(valid.size());
  uint64_t duplicates = 0, conflicting = 0;
  for (size_t k = 0; k < valid.size(); ++k) {
    const v1::TicketEvent& event = batch.events(valid[k]);
    if (found[k]) {
      ++duplicates;
      std::string stored;
      if (store_->Get(Family::kEvents, existing[k], &stored).ok() &&
          stored != event.SerializeAsString()) {
        ++conflicting;
        Log(LogLevel::kWarning, "conflicting duplicate: first write wins",
            {{"tenant", event.tenant()}, {"event_id", event.event_id()}});
      }
      continue;
    }
    if (!in_batch.insert(dedupe_keys[k]).second) {
      ++duplicates;
      continue;
    }
    accepted.push_back({&event, ToMicros(event.occurred_at()), 0});
  }

  // 3. Arrival order, then group by ticket.
  for (Pending& p : accepted) p.arrival = next_arrival_++;
  using TicketKey = std::pair<std::string, std::string>;
  absl::flat_hash_map<TicketKey, std::vector<Pending>> by_ticket;
  std::vector<TicketKey> ticket_order;
  for (const Pending& p : accepted) {
    TicketKey key{p.event->tenant(), p.event->ticket_id()};
    auto [it, inserted] = by_ticket.try_emplace(key);
    if (inserted) ticket_order.push_back(key);
    it->second.push_back(p);
  }

  Store::Batch writes(*store_);
  absl::flat_hash_map<std::string, internal::TenantState> tenants;
  uint64_t rebuilds = 0;
  for (const TicketKey& key : ticket_order) {
    std::vector<Pending>& fresh = by_ticket[key];
    std::sort(fresh.begin(), fresh.end(), SortsBefore);
    const std::string ticket_key = keys::Ticket(key.first, key.second);

    internal::TicketState state;
    std::string bytes;
    absl::Status got = store_->Get(Family::kTickets, ticket_key, &bytes);
    if (got.ok()) {
      if (!state.ParseFromString(bytes)) {
        return absl::DataLossError(absl::StrCat("ticket state of ", key.second, " is unreadable"));
      }
    } else if (!absl::IsNotFound(got)) {
      return got;
    }
    const bool new_ticket = state.event_count() == 0;

    if (ticket::IsInOrder(state, fresh.front().occurred_us, fresh.front().arrival)) {
      for (const Pending& p : fresh) ticket::Apply(*p.event, p.arrival, &state);
    } else {
      // A late event: refold the whole ticket from its stored events.
      ++rebuilds;
      std::vector<v1::TicketEvent> stored;
      std::vector<Pending> all;
      absl::Status scan = store_->Scan(
          Family::kEvents, keys::TicketEventsPrefix(key.first, key.second),
          [&](absl::string_view k, absl::string_view v) {
            stored.emplace_back();
            stored.back().ParseFromArray(v.data(), static_cast<int>(v.size()));
            // The arrival number is the key's last 8 bytes.
            uint64_t arrival = keys::GetBigEndian64(k.substr(k.size() - 8));
            all.push_back({nullptr, ToMicros(stored.back().occurred_at()), arrival});
            return true;
          });
      if (!scan.ok()) return scan;
      for (size_t i = 0; i < stored.size(); ++i) all[i].event = &stored[i];
      all.insert(all.end(), fresh.begin(), fresh.end());
      std::sort(all.begin(), all.end(), SortsBefore);
      state.Clear();
      for (const Pending& p : all) ticket::Apply(*p.event, p.arrival, &state);
    }

    for (const Pending& p : fresh) {
      std::string event_key = keys::Event(key.first, key.second, p.occurred_us, p.arrival);
      writes.Put(Family::kEvents, event_key, p.event->SerializeAsString());
      writes.Put(Family::kDedupe, keys::Dedupe(key.first, p.event->event_id()), event_key);
    }
    writes.Put(Family::kTickets, ticket_key, state.SerializeAsString());

    auto [tenant_it, first_seen] = tenants.try_emplace(key.first);
    internal::TenantState& tenant = tenant_it->second;
    if (first_seen) {
      std::string tenant_bytes;
      absl::Status t = store_->Get(Family::kMeta, keys::TenantMeta(key.first), &tenant_bytes);
      if (t.ok()) {
        tenant.ParseFromString(tenant_bytes);
      } else if (!absl::IsNotFound(t)) {
        return t;
      }
      tenant.set_tenant(key.first);
    }
    tenant.set_events(tenant.events() + fresh.size());
    if (new_ticket) tenant.set_tickets(tenant.tickets() + 1);
    for (const Pending& p : fresh) {
      tenant.set_watermark_us(std::max(tenant.watermark_us(), p.occurred_us));
    }
  }
  for (const auto& [name, tenant] : tenants) {
    writes.Put(Family::kMeta, keys::TenantMeta(name), tenant.SerializeAsString());
  }
  if (!accepted.empty()) {
    std::string arrival;
    keys::PutBigEndian64(&arrival, next_arrival_);
    writes.Put(Family::kMeta, keys::kNextArrival, arrival);
    if (absl::Status s = store_->Commit(&writes); !s.ok()) return s;
  }

  ack.set_accepted(static_cast<uint32_t>(accepted.size()));
  ack.set_duplicates(static_cast<uint32_t>(duplicates));
  absl::MutexLock lock(&counters_mu_);
  counters_.batches++;
  counters_.accepted += accepted.size();
  counters_.duplicates += duplicates;
  counters_.conflicting_duplicates += conflicting;
  counters_.rebuilds += rebuilds;
  for (const v1::EventError& e : ack.rejected()) counters_.rejected_by_code[e.code()]++;
  return ack;
}

}  // namespace rapport
