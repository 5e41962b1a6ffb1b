#include "server/ingest_queue.h"

#include <algorithm>
#include <string>
#include <utility>

#include "base/log.h"
#include "base/thread.h"

namespace rapport::server {
namespace {

// Names the calling thread (so operators' top -H and perf tell the writer's
// CPU from the rest) and lowers its scheduling priority below gRPC's threads.
void BecomeBackgroundThread(const char* name) {
  NameThisThread(name);
  LowerThisThreadPriority(IngestQueue::kBackgroundNice);
}

}  // namespace

IngestQueue::IngestQueue(Ingestor* ingestor, int preparers, size_t read_ahead_bytes)
    : ingestor_(ingestor),
      apply_([ingestor](const std::vector<const v1::EventBatch*>& batches,
                        const std::vector<const PreparedBatch*>& prepared) {
        return ingestor->ApplyGroup(batches, prepared);
      }),
      read_ahead_bytes_(read_ahead_bytes),
      writer_([this] { Run(); }) {
  if (preparers <= 0) preparers = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) - 1);
  for (int i = 0; i < preparers; ++i) preparers_.emplace_back([this] { RunPreparer(); });
}

IngestQueue::IngestQueue(ApplyFn apply, size_t read_ahead_bytes)
    : apply_([apply = std::move(apply)](const std::vector<const v1::EventBatch*>& batches,
                                        const std::vector<const PreparedBatch*>&)
                 -> absl::StatusOr<std::vector<v1::BatchAck>> {
        // One commit per batch: used by benchmarks to measure a plain write path.
        std::vector<v1::BatchAck> acks;
        for (const v1::EventBatch* batch : batches) {
          auto ack = apply(*batch);
          if (!ack.ok()) return ack.status();
          acks.push_back(std::move(*ack));
        }
        return acks;
      }),
      read_ahead_bytes_(read_ahead_bytes),
      writer_([this] { Run(); }) {}

IngestQueue::~IngestQueue() { Stop(); }

IngestQueue::ReadGrant::~ReadGrant() {
  if (queue_ != nullptr) queue_->Release(id_);
}

void IngestQueue::Submit(std::shared_ptr<const v1::EventBatch> batch, Done done, ReadGrant grant) {
  const size_t bytes = batch->ByteSizeLong();
  std::vector<Item> retired;
  {
    absl::MutexLock lock(&mu_);
    retired.swap(retired_);
    if (grant.queue_ != nullptr) {
      // The reservation becomes the batch's own charge (below).
      if (auto it = reservations_.find(grant.id_); it != reservations_.end()) {
        reserved_bytes_ -= it->second.bytes;
        reservations_.erase(it);
      }
      grant.queue_ = nullptr;
    }
    if (!stopping_) {
      const auto average = static_cast<int64_t>(average_batch_bytes_);
      average_batch_bytes_ = static_cast<size_t>(average + (static_cast<int64_t>(bytes) - average) / 8);
      queued_bytes_ += bytes;
      items_.push_back({std::move(batch), nullptr, std::move(done), bytes, ingestor_ == nullptr});
      if (ingestor_ != nullptr) to_prepare_.push_back(&items_.back());
      return;
    }
  }
  done(absl::UnavailableError("the server is shutting down; re-send this batch later"));
}

void IngestQueue::Submit(std::shared_ptr<const v1::EventBatch> batch, Done done) {
  Submit(std::move(batch), std::move(done), ReadGrant());
}

void IngestQueue::AdmitRead(size_t expected_bytes, Admitted admitted) {
  ReadGrant grant;
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      ExpireReservationsLocked(absl::Now());
      // First come, first served: no stream passes one that waits.
      if (!waiting_.empty() || !HasRoomLocked()) {
        waiting_.push_back({expected_bytes, std::move(admitted)});
        wake_writer_ = true;  // to admit it, or to expire reservations for it
        return;
      }
      grant = ReserveLocked(expected_bytes);
    }
  }
  admitted(std::move(grant));
}

bool IngestQueue::HasRoomLocked() const {
  return items_.size() + reservations_.size() < kMaxQueued && queued_bytes_ + reserved_bytes_ < read_ahead_bytes_;
}

IngestQueue::ReadGrant IngestQueue::ReserveLocked(size_t expected_bytes) {
  const size_t bytes = expected_bytes > 0 ? expected_bytes : average_batch_bytes_;
  const uint64_t id = next_grant_++;
  reservations_.emplace(id, Reservation{bytes, absl::Now()});
  reserved_bytes_ += bytes;
  ReadGrant grant;
  grant.queue_ = this;
  grant.id_ = id;
  return grant;
}

void IngestQueue::ExpireReservationsLocked(absl::Time now) {
  // Ids grow with admission time: the oldest come first.
  while (!reservations_.empty() && reservations_.begin()->second.admitted + kReadGrantLifetime <= now) {
    reserved_bytes_ -= reservations_.begin()->second.bytes;
    reservations_.erase(reservations_.begin());
  }
}

void IngestQueue::AdmitWaitersLocked(AdmittedReads* out) {
  while (!waiting_.empty() && (stopping_ || HasRoomLocked())) {
    Waiter waiter = std::move(waiting_.front());
    waiting_.pop_front();
    out->emplace_back(std::move(waiter.admitted), stopping_ ? ReadGrant() : ReserveLocked(waiter.expected_bytes));
  }
}

void IngestQueue::Release(uint64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = reservations_.find(id);
  if (it == reservations_.end()) return;  // expired, or already submitted
  reserved_bytes_ -= it->second.bytes;
  reservations_.erase(it);
  if (!waiting_.empty()) wake_writer_ = true;
}

size_t IngestQueue::Depth() {
  absl::MutexLock lock(&mu_);
  return items_.size();
}

void IngestQueue::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  // The preparers finish what was queued, then the writer commits it.
  for (std::thread& t : preparers_) {
    if (t.joinable()) t.join();
  }
  if (writer_.joinable()) writer_.join();
}

void IngestQueue::RunPreparer() {
  BecomeBackgroundThread("rapport-prepare");
  for (;;) {
    Item* item;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](IngestQueue* q) ABSL_NO_THREAD_SAFETY_ANALYSIS { return q->stopping_ || !q->to_prepare_.empty(); },
          this));
      if (to_prepare_.empty()) return;  // stopping and drained
      item = to_prepare_.front();
      to_prepare_.pop_front();
    }
    std::unique_ptr<PreparedBatch> prepared = ingestor_->Prepare(*item->batch);
    absl::MutexLock lock(&mu_);
    item->prepared = std::move(prepared);
    item->ready = true;
  }
}

bool IngestQueue::FrontReady() const { return !items_.empty() && items_.front().ready; }

void IngestQueue::Run() {
  BecomeBackgroundThread("rapport-writer");
  std::vector<Item> group;
  std::vector<const v1::EventBatch*> batches;
  std::vector<const PreparedBatch*> prepared;
  AdmittedReads admitted;
  // Outside the lock: an admitted stream starts its read.
  auto run_admitted = [&admitted] {
    for (auto& [admit, grant] : admitted) admit(std::move(grant));
    admitted.clear();
  };
  for (;;) {
    group.clear();
    batches.clear();
    prepared.clear();
    bool drained;
    {
      absl::MutexLock lock(&mu_);
      // Waiting streams also need the writer when the oldest reservation
      // runs out, whether or not a batch comes.
      absl::Time deadline = absl::InfiniteFuture();
      if (!waiting_.empty() && !reservations_.empty()) {
        deadline = reservations_.begin()->second.admitted + kReadGrantLifetime;
      }
      mu_.AwaitWithDeadline(absl::Condition(
                                +[](IngestQueue* q) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                  return q->FrontReady() || (q->stopping_ && q->items_.empty()) || q->wake_writer_;
                                },
                                this),
                            deadline);
      wake_writer_ = false;
      ExpireReservationsLocked(absl::Now());
      AdmitWaitersLocked(&admitted);  // every one of them once stopping
      drained = stopping_ && items_.empty();
      while (FrontReady() && group.size() < kMaxGroup) {
        group.push_back(std::move(items_.front()));
        items_.pop_front();
      }
    }
    run_admitted();
    if (drained) break;
    if (group.empty()) continue;
    for (const Item& item : group) {
      batches.push_back(item.batch.get());
      prepared.push_back(item.prepared.get());
    }
    auto acks = apply_(batches, prepared);
    if (latency_ != nullptr) {
      const absl::Time now = absl::Now();
      for (const Item& item : group) latency_->Observe(absl::ToDoubleSeconds(now - item.submitted));
    }
    if (acks.ok()) {
      for (size_t i = 0; i < group.size(); ++i) group[i].done(std::move((*acks)[i]));
    } else {
      // Nothing of the group was stored. One batch's unreadable record must
      // not refuse the others (often other streams'): each is tried alone.
      for (size_t i = 0; i < group.size(); ++i) {
        auto alone = group.size() == 1 ? std::move(acks) : apply_({batches[i]}, {prepared[i]});
        if (alone.ok()) {
          group[i].done(std::move(alone->front()));
          continue;
        }
        Log(LogLevel::kError, "an event batch was refused; nothing of it was stored",
            {{"sequence", std::to_string(batches[i]->sequence())}, {"error", alone.status().ToString()}});
        group[i].done(alone.status());
      }
    }
    {
      absl::MutexLock lock(&mu_);
      for (Item& item : group) {
        queued_bytes_ -= item.bytes;
        retired_.push_back(std::move(item));
      }
      AdmitWaitersLocked(&admitted);
    }
    run_admitted();
  }
}

}  // namespace rapport::server
