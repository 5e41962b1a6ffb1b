#include "server/ingest_queue.h"

#include <pthread.h>

#include <utility>

namespace rapport::server {

IngestQueue::IngestQueue(Ingestor* ingestor)
    : ingestor_(ingestor),
      apply_([ingestor](const std::vector<const v1::EventBatch*>& batches,
                        const std::vector<const PreparedBatch*>& prepared) {
        return ingestor->ApplyGroup(batches, prepared);
      }),
      writer_([this] { Run(); }) {}

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
  std::unique_ptr<PreparedBatch> prepared;
  if (ingestor_ != nullptr) prepared = ingestor_->Prepare(*batch);
  std::vector<Item> retired;
  {
    absl::MutexLock lock(&mu_);
    retired.swap(retired_);
    if (!stopping_) {
      items_.push_back({std::move(batch), std::move(prepared), std::move(done)});
      return;
    }
  }
  done(absl::UnavailableError("the server is shutting down; re-send this batch later"));
}

void IngestQueue::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (writer_.joinable()) writer_.join();
}

void IngestQueue::Run() {
  // Named, so operators (top -H, perf) can tell the writer's CPU from the rest.
  pthread_setname_np(pthread_self(), "rapport-writer");
  std::vector<Item> group;
  std::vector<const v1::EventBatch*> batches;
  std::vector<const PreparedBatch*> prepared;
  for (;;) {
    group.clear();
    batches.clear();
    prepared.clear();
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](IngestQueue* q) ABSL_NO_THREAD_SAFETY_ANALYSIS { return q->stopping_ || !q->items_.empty(); },
          this));
      if (items_.empty()) return;  // stopping and drained
      while (!items_.empty() && group.size() < kMaxGroup) {
        group.push_back(std::move(items_.front()));
        items_.pop_front();
      }
    }
    for (const Item& item : group) {
      batches.push_back(item.batch.get());
      prepared.push_back(item.prepared.get());
    }
    auto acks = apply_(batches, prepared);
    for (size_t i = 0; i < group.size(); ++i) {
      if (acks.ok()) {
        group[i].done(std::move((*acks)[i]));
      } else {
        group[i].done(acks.status());
      }
    }
    absl::MutexLock lock(&mu_);
    for (Item& item : group) retired_.push_back(std::move(item));
  }
}

}  // namespace rapport::server
