#include "server/ingest_service.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/log.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "server/status.h"

namespace rapport::server {

// Reads batches, hands them to the writer, and writes acks back in order.
// Flow control: every read is admitted by the writer's queue first
// (IngestQueue::AdmitRead), which bounds what all streams together read
// ahead of the writer: at most IngestQueue::kMaxQueued batches and
// limits.max_read_ahead_bytes of them, queued or admitted, server-wide;
// streams without room wait their turn in one line. On top of that a stream
// reads at most `max_unacked` batches ahead of its acks. While a stream
// waits it has no read pending, so gRPC holds no more of it than the
// transport's lookahead (server.cc) and its window pushes back on the
// client. Reading ends at the client's half-close, at a message that does not
// parse, or at Drain; the stream finishes once every batch read is acked, with
// the status that ended reading. Lifetime: the reactor deletes itself when its
// last reference goes: gRPC's (until OnDone), one per batch at the writer, one
// for a pending admission, one per Drain call in progress.
class StreamEventsReactor final : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  // `authorization`: the call's header, checked again for every batch;
  // `slot`: its place among the key's and tenant's streams, held until the
  // reactor goes.
  StreamEventsReactor(IngestServiceImpl* service, int max_unacked, std::string authorization,
                      CallLimiter::StreamSlot slot)
      : service_(service), max_unacked_(max_unacked), authorization_(std::move(authorization)),
        slot_(std::move(slot)) {
    std::optional<size_t> ask;
    {
      absl::MutexLock lock(&mu_);
      ask = AskToReadLocked();
    }
    if (ask) AskToRead(*ask);
  }

  void OnReadDone(bool ok) override {
    // Destroyed last, without the lock: a read that brings no batch gives its
    // reservation back.
    IngestQueue::ReadGrant grant;
    const size_t bytes = incoming_.Length();
    auto batch = std::make_shared<v1::EventBatch>();
    // Parsed here, not by gRPC, to tell a bad message from the end of the stream.
    const bool parsed = ok && Parse(&incoming_, batch.get());
    const absl::Status allowed = parsed ? Authorize(*batch) : absl::OkStatus();
    {
      absl::MutexLock lock(&mu_);
      grant = std::move(grant_);
      // Draining: this batch stays un-acked, so the client re-sends it.
      if (reads_done_) return;
      if (!ok) return EndReadsLocked(grpc::Status::OK);
      if (!parsed) {
        return EndReadsLocked(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, UnparsableMessageLocked()));
      }
      if (!allowed.ok()) {
        return EndReadsLocked(ToGrpc(absl::Status(
            allowed.code(), absl::StrCat("batch ", batch->sequence(), ": ", allowed.message(), "; ",
                                         AckedSoFarLocked(), " and nothing of this batch was taken"))));
      }
      last_sequence_ = batch->sequence();
      largest_batch_bytes_ = std::max(largest_batch_bytes_, bytes);
      ++batches_read_;
      ++unacked_;
      ++refs_;
    }
    // Outside the lock: a stopping queue answers synchronously.
    service_->queue_->Submit(
        std::move(batch), [this](absl::StatusOr<v1::BatchAck> ack) { OnCommitted(std::move(ack)); },
        std::move(grant));
    std::optional<size_t> ask;
    {
      absl::MutexLock lock(&mu_);
      // Only now: a read started before this batch was submitted could
      // submit the next one first.
      reading_ = false;
      ask = AskToReadLocked();
    }
    if (ask) AskToRead(*ask);
  }

  void OnWriteDone(bool ok) override {
    std::optional<size_t> ask;
    {
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
      ask = AskToReadLocked();  // paused at max_unacked until this ack went
      if (!acks_.empty()) {
        writing_ = true;
        StartWrite(&acks_.front());
      } else {
        MaybeFinishLocked();
      }
    }
    if (ask) AskToRead(*ask);
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the stream was cancelled"));
  }

  void OnDone() override {
    service_->Unregister(this);
    Unref();
  }

  // Stops reading; the stream ends UNAVAILABLE once what it read is acked.
  void Drain() {
    absl::MutexLock lock(&mu_);
    EndReadsLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, ShutdownMessageLocked()));
  }

  // Held by IngestServiceImpl::Drain while it calls Drain() without its lock.
  void Ref() {
    absl::MutexLock lock(&mu_);
    ++refs_;
  }

  void Unref() {
    bool last;
    {
      absl::MutexLock lock(&mu_);
      last = --refs_ == 0;
    }
    if (last) delete this;
  }

 private:
  // The key may write every tenant the batch names (each checked once).
  absl::Status Authorize(const v1::EventBatch& batch) const {
    const Authorizer* auth = service_->auth_;
    if (auth == nullptr) return absl::OkStatus();
    std::set<absl::string_view> checked;
    for (int i = 0; i < batch.events_size(); ++i) {
      const std::string& tenant = batch.events(i).tenant();
      if (!checked.insert(tenant).second) continue;
      auto principal = auth->Check(authorization_, tenant, Role::kIngest);
      if (!principal.ok()) {
        return absl::Status(principal.status().code(), absl::StrCat("event ", i, ": ", principal.status().message()));
      }
    }
    if (batch.events_size() == 0) return auth->Check(authorization_, "", Role::kIngest).status();
    return absl::OkStatus();
  }

  static bool Parse(grpc::ByteBuffer* bytes, v1::EventBatch* batch) {
    // Proto3 parsing refuses a string field that is not UTF-8.
    grpc::ProtoBufferReader reader(bytes);
    const bool ok = batch->ParseFromZeroCopyStream(&reader);
    bytes->Clear();
    return ok;
  }

  // Whether the stream may read one more batch and has not asked yet; if
  // so, marks it asking (holding a reference for the admission callback)
  // and returns the bytes to reserve: the size of its largest batch so far
  // (0 before the first: the queue's average), so only a batch larger than
  // any before can bring more than was reserved. Call AskToRead with it
  // without the lock.
  std::optional<size_t> AskToReadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (reading_ || asking_ || reads_done_ || finished_ || unacked_ >= max_unacked_) return std::nullopt;
    asking_ = true;
    ++refs_;
    return largest_batch_bytes_;
  }

  // The queue may admit the read at once, calling OnAdmitted here.
  void AskToRead(size_t expected_bytes) {
    service_->queue_->AdmitRead(expected_bytes, [this](IngestQueue::ReadGrant grant) { OnAdmitted(std::move(grant)); });
  }

  // Runs on the writer thread, or in AskToRead when there was room.
  void OnAdmitted(IngestQueue::ReadGrant grant) {
    {
      absl::MutexLock lock(&mu_);
      asking_ = false;
      if (!reads_done_ && !finished_) {
        grant_ = std::move(grant);
        reading_ = true;
        StartRead(&incoming_);
      }
    }
    Unref();  // a grant left unused is given back as it goes, after the lock
  }

  // Runs on the writer thread.
  void OnCommitted(absl::StatusOr<v1::BatchAck> ack) {
    {
      absl::MutexLock lock(&mu_);
      if (!finished_) {
        if (!ack.ok()) {
          // Nothing of this batch was stored: end the stream so the client
          // re-sends its un-acked batches.
          FinishLocked(ToGrpc(ack.status()));
        } else {
          grpc::ByteBuffer bytes;
          bool own_buffer;
          (void)grpc::SerializationTraits<v1::BatchAck>::Serialize(*ack, &bytes, &own_buffer);
          acks_.push_back(std::move(bytes));
          if (!writing_) {
            writing_ = true;
            StartWrite(&acks_.front());
          }
        }
      }
    }
    Unref();
  }

  std::string AckedSoFarLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return batches_read_ == 0 ? "no batch of this stream was read"
                              : absl::StrCat("batches up to sequence ", last_sequence_, " are acked");
  }

  std::string UnparsableMessageLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return absl::StrCat(
        batches_read_ == 0 ? std::string("the first batch")
                           : absl::StrCat("the batch after sequence ", last_sequence_),
        " is not a valid EventBatch (a string field with invalid UTF-8, or a truncated message); ",
        AckedSoFarLocked(), ": fix that batch and re-send it and the ones after it");
  }

  std::string ShutdownMessageLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return absl::StrCat("server shutting down; ", AckedSoFarLocked(),
                        ": re-send the batches after it once the server is back");
  }

  // The first end of reading wins: half-close, a bad message or a drain.
  void EndReadsLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (reads_done_) return;
    reads_done_ = true;
    end_status_ = status;
    MaybeFinishLocked();
  }

  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (reads_done_ && unacked_ == 0) FinishLocked(end_status_);
  }

  // Finish may not overlap an outstanding write: defer until it completes.
  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    if (writing_) {
      if (!deferred_finish_) deferred_finish_ = status;
      return;
    }
    finished_ = true;
    // The server's own words only (which batch, which limit): never event content.
    Log(status.ok() ? LogLevel::kDebug : LogLevel::kInfo, "ingest stream ended",
        {{"code", std::to_string(static_cast<int>(status.error_code()))}, {"error", status.error_message()}});
    Finish(status);
  }

  IngestServiceImpl* const service_;
  const int max_unacked_;
  const std::string authorization_;
  const CallLimiter::StreamSlot slot_;
  grpc::ByteBuffer incoming_;  // touched only by the read chain

  absl::Mutex mu_;
  std::deque<grpc::ByteBuffer> acks_ ABSL_GUARDED_BY(mu_);
  IngestQueue::ReadGrant grant_ ABSL_GUARDED_BY(mu_);  // the admission of the pending read
  int unacked_ ABSL_GUARDED_BY(mu_) = 0;  // read, not yet acked to the client
  int refs_ ABSL_GUARDED_BY(mu_) = 1;  // gRPC's until OnDone, + batches at the writer, + admission, + Drain calls
  uint64_t batches_read_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t last_sequence_ ABSL_GUARDED_BY(mu_) = 0;  // of the last batch that parsed
  size_t largest_batch_bytes_ ABSL_GUARDED_BY(mu_) = 0;  // as received: what the next read reserves
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  // A read is pending at gRPC, or its batch is not submitted yet (after a
  // read that ends the reading, it stays set: no read follows).
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool asking_ ABSL_GUARDED_BY(mu_) = false;  // waiting for the queue to admit a read
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status end_status_ ABSL_GUARDED_BY(mu_);  // the stream's status once every batch read is acked
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> deferred_finish_ ABSL_GUARDED_BY(mu_);
};

// A stream refused before it reads anything; deletes itself when done.
class RefusedStream final : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  explicit RefusedStream(const absl::Status& why) { Finish(ToGrpc(why)); }
  void OnDone() override { delete this; }
};

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* IngestServiceImpl::StreamEvents(
    grpc::CallbackServerContext* context) {
  std::string authorization = Authorizer::AuthorizationOf(*context);
  CallLimiter::StreamSlot slot;
  if (auth_ != nullptr) {
    // Any tenant for now: each batch's events are checked as they come.
    auto allowed = auth_->CheckRequest(authorization, "", Role::kIngest);
    if (!allowed.ok()) return new RefusedStream(allowed.status());
    if (auth_->limiter() != nullptr) {
      auto place = auth_->limiter()->OpenStream(*allowed);
      if (!place.ok()) return new RefusedStream(place.status());
      slot = std::move(*place);
    }
  }
  auto* stream =
      new StreamEventsReactor(this, limits_.max_unacked_batches, std::move(authorization), std::move(slot));
  bool draining;
  {
    absl::MutexLock lock(&streams_mu_);
    streams_.insert(stream);
    draining = draining_;
  }
  if (draining) stream->Drain();
  return stream;
}

size_t IngestServiceImpl::OpenStreams() {
  absl::MutexLock lock(&streams_mu_);
  return streams_.size();
}

size_t IngestServiceImpl::Drain() {
  std::vector<StreamEventsReactor*> streams;
  {
    absl::MutexLock lock(&streams_mu_);
    draining_ = true;
    // A registered stream has gRPC's reference, so it is alive to take ours.
    for (StreamEventsReactor* s : streams_) {
      s->Ref();
      streams.push_back(s);
    }
  }
  // Without the lock: finishing a stream may run its OnDone, which unregisters.
  for (StreamEventsReactor* s : streams) {
    s->Drain();
    s->Unref();
  }
  return streams.size();
}

bool IngestServiceImpl::WaitUntilDrained(absl::Time deadline) {
  absl::MutexLock lock(&streams_mu_);
  auto ended = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(streams_mu_) { return streams_.empty(); };
  return streams_mu_.AwaitWithDeadline(absl::Condition(&ended), deadline);
}

void IngestServiceImpl::Unregister(StreamEventsReactor* stream) {
  absl::MutexLock lock(&streams_mu_);
  streams_.erase(stream);
}

}  // namespace rapport::server
