#include "ingest/rebuild.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/api_keys.h"
#include "store/keys.h"
#include "store/records.h"

namespace rapport {
namespace {

constexpr size_t kBatchEvents = 1000;

}  // namespace

absl::StatusOr<std::string> WhyDerivedDataIsStale(const Store& store, absl::string_view settings_digest) {
  bool has_events = false;
  absl::Status s = store.Scan(Family::kEvents, "", [&](absl::string_view, absl::string_view) {
    has_events = true;
    return false;
  });
  if (!s.ok()) return s;
  if (!has_events) return std::string();
  std::string value;
  s = store.Get(Family::kMeta, keys::kDerivedVersion, &value);
  if (!s.ok() && !absl::IsNotFound(s)) return s;
  if (value != std::to_string(kDerivedDataVersion)) {
    return absl::StrCat("derived data is from another version of rapportd (", value.empty() ? "none" : value,
                        ", this one derives ", kDerivedDataVersion, ")");
  }
  if (settings_digest.empty()) return std::string();
  std::string stored;
  s = store.Get(Family::kMeta, keys::kDerivedSettings, &stored);
  if (!s.ok() && !absl::IsNotFound(s)) return s;
  if (stored != settings_digest) {
    return absl::StrCat("derived data was computed under other detector or scoring settings (digest ",
                        stored.empty() ? "none" : stored, ", now ", settings_digest, ")");
  }
  return std::string();
}

absl::StatusOr<bool> DerivedDataIsCurrent(const Store& store, absl::string_view settings_digest) {
  auto why = WhyDerivedDataIsStale(store, settings_digest);
  if (!why.ok()) return why.status();
  return why->empty();
}

absl::Status MarkDerivedDataCurrent(Store* store, absl::string_view settings_digest) {
  Store::Batch batch(*store);
  batch.Put(Family::kMeta, keys::kDerivedVersion, std::to_string(kDerivedDataVersion));
  if (!settings_digest.empty()) batch.Put(Family::kMeta, keys::kDerivedSettings, settings_digest);
  return store->Commit(&batch);
}

absl::StatusOr<std::unique_ptr<Replayer>> Replayer::Create(const Store::Options& fresh_options,
                                                           const Ingestor::Options& ingest_options) {
  std::error_code ec;
  std::filesystem::remove_all(fresh_options.path, ec);
  std::unique_ptr<Replayer> replayer(new Replayer());
  Store::Options options = fresh_options;
  options.create_if_missing = true;
  if (absl::Status s = Store::Open(options, &replayer->fresh_); !s.ok()) return s;
  Ingestor::Options replay = ingest_options;
  replay.validate = false;
  replay.limits.max_batch_events = kBatchEvents;
  auto ingestor = Ingestor::Create(replayer->fresh_.get(), replay);
  if (!ingestor.ok()) return ingestor.status();
  replayer->ingestor_ = std::move(*ingestor);
  replayer->stages_ = ingest_options.stages;
  return replayer;
}

Replayer::~Replayer() = default;

namespace {

// Makes `family` of `fresh` a copy of `source`'s: the alert log is not
// derived data (its cursors are held by subscribers and sinks), so a
// rebuild keeps it as it was.
absl::Status CarryOver(const Store& source, Store* fresh, Family family) {
  constexpr size_t kPerCommit = 1000;
  Store::Batch batch(*fresh);
  auto flush = [&]() -> absl::Status {
    if (batch.Count() < kPerCommit) return absl::OkStatus();
    absl::Status s = fresh->Commit(&batch);
    batch.Clear();
    return s;
  };
  absl::Status failed;
  absl::Status scan = fresh->Scan(family, "", [&](absl::string_view key, absl::string_view) {
    batch.Delete(family, key);
    failed = flush();
    return failed.ok();
  });
  if (!scan.ok()) return scan;
  if (!failed.ok()) return failed;
  scan = source.Scan(family, "", [&](absl::string_view key, absl::string_view value) {
    batch.Put(family, key, value);
    failed = flush();
    return failed.ok();
  });
  if (!scan.ok()) return scan;
  if (!failed.ok()) return failed;
  return batch.Count() > 0 ? fresh->Commit(&batch) : absl::OkStatus();
}

}  // namespace

absl::Status Replayer::CatchUp(const Store& source, RebuildStats* stats, const std::atomic<bool>* cancel) {
  // Event keys end with the arrival number: replaying in that order feeds
  // the stages exactly what they saw the first time.
  std::vector<std::pair<uint64_t, std::string>> order;
  absl::Status scan = source.Scan(Family::kEvents, "", [&](absl::string_view key, absl::string_view) {
    if (cancel != nullptr && cancel->load()) return false;
    const uint64_t arrival = keys::EventArrival(key);
    if (!replayed_any_ || arrival > last_arrival_) order.emplace_back(arrival, std::string(key));
    return true;
  });
  if (!scan.ok()) return scan;
  // Arrival numbers come from the one writer, in commit order: every event
  // committed after a checkpoint was taken numbers above all in it.
  std::sort(order.begin(), order.end());
  for (size_t start = 0; start < order.size(); start += kBatchEvents) {
    if (cancel != nullptr && cancel->load()) return absl::CancelledError("the replay was cancelled");
    std::vector<std::string> batch_keys;
    for (size_t i = start; i < order.size() && i < start + kBatchEvents; ++i) batch_keys.push_back(order[i].second);
    std::vector<std::string> values;
    std::vector<bool> found;
    if (absl::Status s = source.MultiGet(Family::kEvents, batch_keys, &values, &found); !s.ok()) return s;
    v1::EventBatch batch;
    batch.set_sequence(++batches_);
    for (size_t i = 0; i < values.size(); ++i) {
      if (!found[i]) {
        return absl::DataLossError(absl::StrCat("stored event ", i + start, " vanished while read; nothing was changed"));
      }
      const absl::string_view key = batch_keys[i], tenant = keys::TenantOfKey(key);
      if (absl::Status s = records::ParseEvent(values[i], tenant, keys::TicketOfKey(key, tenant), batch.add_events());
          !s.ok()) {
        return absl::Status(s.code(), absl::StrCat(s.message(), "; nothing was changed"));
      }
    }
    auto ack = ingestor_->Apply(batch);
    if (!ack.ok()) return ack.status();
    if (!ack->rejected_by_code().empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("a stored event could not be replayed (",
                       ack->rejected_size() > 0 ? ack->rejected(0).message() : ack->rejected_by_code().begin()->first,
                       "); nothing was changed"));
    }
    stats->events += ack->accepted() + ack->duplicates();
    replayed_any_ = true;
    last_arrival_ = order[std::min(order.size(), start + kBatchEvents) - 1].first;
  }
  return absl::OkStatus();
}

absl::Status Replayer::Finish(const Store& source, absl::string_view settings_digest, RebuildStats* stats) {
  for (TicketStage* stage : stages_) {
    if (absl::Status s = stage->BeforeCarryOver(*fresh_); !s.ok()) return s;
  }
  if (absl::Status s = CarryOver(source, fresh_.get(), Family::kAlerts); !s.ok()) return s;
  for (TicketStage* stage : stages_) {
    if (absl::Status s = stage->AfterCarryOver(fresh_.get()); !s.ok()) return s;
  }
  if (absl::Status s = MarkDerivedDataCurrent(fresh_.get(), settings_digest); !s.ok()) return s;
  (void)fresh_->Scan(Family::kTickets, "", [&](absl::string_view, absl::string_view) {
    ++stats->tickets;
    return true;
  });
  ingestor_.reset();
  fresh_.reset();
  return absl::OkStatus();
}

absl::Status RebuildDerivedData(const Store::Options& options, const Ingestor::Options& ingest_options,
                                RebuildStats* stats) {
  const absl::Time started = absl::Now();
  Store::Options fresh_options = options;
  fresh_options.path = SiblingPath(options.path, ".rebuild");
  {
    Store::Options source_options = options;
    source_options.create_if_missing = false;
    std::unique_ptr<Store> source;
    if (absl::Status s = Store::Open(source_options, &source); !s.ok()) return s;
    auto replayer = Replayer::Create(fresh_options, ingest_options);
    if (!replayer.ok()) return replayer.status();
    if (absl::Status s = (*replayer)->CatchUp(*source, stats); !s.ok()) return s;
    if (absl::Status s = (*replayer)->Finish(*source, "", stats); !s.ok()) return s;
  }
  // Both stores are closed: swap the directories.
  if (absl::Status s = SwapInRebuilt(options.path, fresh_options.path); !s.ok()) return s;
  stats->seconds = absl::ToDoubleSeconds(absl::Now() - started);
  return absl::OkStatus();
}

std::string SiblingPath(const std::string& path, absl::string_view suffix) {
  std::filesystem::path p = std::filesystem::path(path).lexically_normal();
  if (!p.has_filename() && p.has_parent_path()) p = p.parent_path();  // "store/" -> "store"
  return absl::StrCat(p.string(), suffix);
}

absl::Status SwapInRebuilt(const std::string& path, const std::string& rebuilt_path) {
  namespace fs = std::filesystem;
  const std::string old_path = SiblingPath(path, ".old");
  const std::string store = SiblingPath(path, "");
  std::error_code ec;
  if (!fs::exists(fs::path(store) / "CURRENT", ec)) {
    return absl::FailedPreconditionError(absl::StrCat("no store at ", store, " to swap the rebuilt one in for"));
  }
  // The API keys stay with the store (auth/api_keys.h); a key made during
  // the instant between this copy and the renames would be lost.
  if (absl::Status s = auth::CopyKeyFiles(store, rebuilt_path); !s.ok()) return s;
  fs::remove_all(old_path, ec);
  fs::rename(store, old_path, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot move ", store, " aside: ", ec.message()));
  fs::rename(rebuilt_path, store, ec);
  if (ec) {
    std::error_code ignored;
    fs::rename(old_path, store, ignored);
    return absl::InternalError(absl::StrCat("cannot move the rebuilt store into place: ", ec.message()));
  }
  fs::remove_all(old_path, ec);
  return absl::OkStatus();
}

absl::StatusOr<std::string> RecoverInterruptedSwap(const std::string& path) {
  namespace fs = std::filesystem;
  const std::string store = SiblingPath(path, "");
  const std::string old_path = SiblingPath(path, ".old");
  std::error_code ec;
  if (fs::exists(fs::path(store) / "CURRENT", ec) || !fs::exists(fs::path(old_path) / "CURRENT", ec)) {
    return std::string();
  }
  // What stands at `store` was made after the swap broke off (an empty
  // store of a start since): the old one holds every event.
  fs::remove_all(store, ec);
  fs::rename(old_path, store, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("a rebuild's swap was interrupted: the store is at ", old_path, " and cannot be moved back to ",
                     store, " (", ec.message(), "); move it back by hand"));
  }
  return absl::StrCat("a rebuild's swap was interrupted; moved the store back from ", old_path);
}

}  // namespace rapport
