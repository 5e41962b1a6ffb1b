#include "server/ingest_service.h"

#include <deque>
#include <memory>
#include <optional>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "server/status.h"

namespace rapport::server {
namespace {

// Reads batches, hands them to the writer, and writes acks back in order.
// Flow control: at most `max_unacked` batches are read ahead of their acks,
// and none while the writer's queue is full (IngestQueue::Full); then the
// reactor stops reading and gRPC's window pushes back on the client. The
// reactor deletes itself once gRPC is done with it AND the queue has run
// every callback it was given.
class StreamEventsReactor final : public grpc::ServerBidiReactor<v1::EventBatch, v1::BatchAck> {
 public:
  StreamEventsReactor(IngestQueue* queue, int max_unacked) : queue_(queue), max_unacked_(max_unacked) {
    StartRead(&incoming_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      absl::MutexLock lock(&mu_);
      reads_done_ = true;
      MaybeFinishLocked();
      return;
    }
    auto batch = std::make_shared<v1::EventBatch>(std::move(incoming_));
    incoming_.Clear();
    {
      absl::MutexLock lock(&mu_);
      ++unacked_;
      ++at_writer_;
    }
    // Outside the lock: a stopping queue answers synchronously.
    queue_->Submit(std::move(batch),
                   [this](absl::StatusOr<v1::BatchAck> ack) { OnCommitted(std::move(ack)); });
    bool wait_for_room = false;
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      if (unacked_ >= max_unacked_) {
        read_paused_ = true;
      } else if (queue_->Full()) {
        // Every stream's read-ahead is bounded too (IngestQueue::kMaxQueued).
        read_paused_ = true;
        if (!waiting_for_room_) {
          waiting_for_room_ = wait_for_room = true;
          ++at_writer_;  // the queue holds a callback to this reactor
        }
      } else {
        StartRead(&incoming_);
      }
    }
    // Outside the lock: with room already, the queue resumes synchronously.
    if (wait_for_room) queue_->WhenRoom([this] { OnRoom(); });
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
      return;
    }
    acks_.pop_front();
    --unacked_;
    if (deferred_finish_) {
      FinishLocked(*deferred_finish_);
      return;
    }
    if (read_paused_ && !waiting_for_room_ && !reads_done_ && !finished_) {
      read_paused_ = false;
      StartRead(&incoming_);
    }
    if (!acks_.empty()) {
      writing_ = true;
      StartWrite(&acks_.front());
      return;
    }
    MaybeFinishLocked();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the stream was cancelled"));
  }

  void OnDone() override {
    bool last;
    {
      absl::MutexLock lock(&mu_);
      done_ = true;
      last = at_writer_ == 0;
    }
    if (last) delete this;
  }

 private:
  // Runs on the writer thread (or in OnReadDone) once the queue has room.
  void OnRoom() {
    bool last;
    {
      absl::MutexLock lock(&mu_);
      --at_writer_;
      waiting_for_room_ = false;
      if (read_paused_ && unacked_ < max_unacked_ && !reads_done_ && !finished_) {
        read_paused_ = false;
        StartRead(&incoming_);
      }
      last = done_ && at_writer_ == 0;
    }
    if (last) delete this;
  }

  // Runs on the writer thread.
  void OnCommitted(absl::StatusOr<v1::BatchAck> ack) {
    bool last;
    {
      absl::MutexLock lock(&mu_);
      --at_writer_;
      if (!finished_) {
        if (!ack.ok()) {
          // Nothing of this batch was stored: end the stream so the client
          // re-sends its un-acked batches.
          FinishLocked(ToGrpc(ack.status()));
        } else {
          acks_.push_back(std::move(*ack));
          if (!writing_) {
            writing_ = true;
            StartWrite(&acks_.front());
          }
        }
      }
      last = done_ && at_writer_ == 0;
    }
    if (last) delete this;
  }

  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (reads_done_ && unacked_ == 0) FinishLocked(grpc::Status::OK);
  }

  // Finish may not overlap an outstanding write: defer until it completes.
  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    if (writing_) {
      if (!deferred_finish_) deferred_finish_ = status;
      return;
    }
    finished_ = true;
    Finish(status);
  }

  IngestQueue* const queue_;
  const int max_unacked_;
  v1::EventBatch incoming_;  // touched only by the read chain

  absl::Mutex mu_;
  std::deque<v1::BatchAck> acks_ ABSL_GUARDED_BY(mu_);
  int unacked_ ABSL_GUARDED_BY(mu_) = 0;    // read, not yet acked to the client
  int at_writer_ ABSL_GUARDED_BY(mu_) = 0;  // queue callbacks (commits, room) not yet run
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool waiting_for_room_ ABSL_GUARDED_BY(mu_) = false;  // a WhenRoom callback is pending
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> deferred_finish_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

grpc::ServerBidiReactor<v1::EventBatch, v1::BatchAck>* IngestServiceImpl::StreamEvents(
    grpc::CallbackServerContext* /*context*/) {
  return new StreamEventsReactor(queue_, limits_.max_unacked_batches);
}

}  // namespace rapport::server
