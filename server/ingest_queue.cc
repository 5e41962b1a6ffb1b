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

IngestQueue::IngestQueue(Ingestor* ingestor, int preparers)
    : ingestor_(ingestor),
      apply_([ingestor](const std::vector<const v1::EventBatch*>& batches,
                        const std::vector<const PreparedBatch*>& prepared) {
        return ingestor->ApplyGroup(batches, prepared);
      }),
      writer_([this] { Run(); }) {
  if (preparers <= 0) preparers = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) - 1);
  for (int i = 0; i < preparers; ++i) preparers_.emplace_back([this] { RunPreparer(); });
}

IngestQueue::IngestQueue(ApplyFn apply)
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
      writer_([this] { Run(); }) {}

IngestQueue::~IngestQueue() { Stop(); }

void IngestQueue::Submit(std::shared_ptr<const v1::EventBatch> batch, Done done) {
  std::vector<Item> retired;
  {
    absl::MutexLock lock(&mu_);
    retired.swap(retired_);
    if (!stopping_) {
      items_.push_back({std::move(batch), nullptr, std::move(done), ingestor_ == nullptr});
      if (ingestor_ != nullptr) to_prepare_.push_back(&items_.back());
      return;
    }
  }
  done(absl::UnavailableError("the server is shutting down; re-send this batch later"));
}

size_t IngestQueue::Depth() {
  absl::MutexLock lock(&mu_);
  return items_.size();
}

bool IngestQueue::Full() {
  absl::MutexLock lock(&mu_);
  return items_.size() >= kMaxQueued;
}

void IngestQueue::WhenRoom(std::function<void()> resume) {
  {
    absl::MutexLock lock(&mu_);
    if (items_.size() >= kMaxQueued && !stopping_) {
      waiting_for_room_.push_back(std::move(resume));
      return;
    }
  }
  resume();
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
  std::vector<std::function<void()>> wake_last;
  std::vector<const v1::EventBatch*> batches;
  std::vector<const PreparedBatch*> prepared;
  for (;;) {
    group.clear();
    batches.clear();
    prepared.clear();
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](IngestQueue* q) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return q->FrontReady() || (q->stopping_ && q->items_.empty());
          },
          this));
      if (items_.empty()) {  // stopping and drained
        wake_last.swap(waiting_for_room_);
        break;
      }
      while (FrontReady() && group.size() < kMaxGroup) {
        group.push_back(std::move(items_.front()));
        items_.pop_front();
      }
    }
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
    std::vector<std::function<void()>> wake;
    {
      absl::MutexLock lock(&mu_);
      for (Item& item : group) retired_.push_back(std::move(item));
      if (items_.size() < kMaxQueued || stopping_) wake.swap(waiting_for_room_);
    }
    for (auto& resume : wake) resume();
  }
  for (auto& resume : wake_last) resume();
}

}  // namespace rapport::server
