#include "server/ingest_queue.h"

#include <utility>

namespace rapport::server {

IngestQueue::IngestQueue(Ingestor* ingestor)
    : IngestQueue([ingestor](const v1::EventBatch& batch) { return ingestor->Apply(batch); }) {}

IngestQueue::IngestQueue(ApplyFn apply) : apply_(std::move(apply)), writer_([this] { Run(); }) {}

IngestQueue::~IngestQueue() { Stop(); }

void IngestQueue::Submit(std::shared_ptr<const v1::EventBatch> batch, Done done) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      items_.push_back({std::move(batch), std::move(done)});
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
  for (;;) {
    Item item;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](IngestQueue* q) ABSL_NO_THREAD_SAFETY_ANALYSIS { return q->stopping_ || !q->items_.empty(); },
          this));
      if (items_.empty()) return;  // stopping and drained
      item = std::move(items_.front());
      items_.pop_front();
    }
    item.done(apply_(*item.batch));
  }
}

}  // namespace rapport::server
