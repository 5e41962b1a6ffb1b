// IngestQueue: the single writer. Streams hand batches to it and get their
// ack (or the commit error) back through a callback on the writer thread, so
// no gRPC reaction ever blocks on RocksDB. One writer keeps ticket state
// read-modify-write race-free and preserves each stream's batch order. The
// per-event work that needs no store (Ingestor::Prepare: the tone of each
// message, the events' bytes) runs in Submit, on the submitting thread, so
// many streams spread it over cores while the writer only writes.
//
// The queue itself is bounded by the streams: each stream stops reading once
// it has Limits::max_unacked_batches batches outstanding.
#ifndef RAPPORT_SERVER_INGEST_QUEUE_H_
#define RAPPORT_SERVER_INGEST_QUEUE_H_

#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ingest/ingestor.h"
#include "rapport/v1/ingest.pb.h"

namespace rapport::server {

class IngestQueue {
 public:
  using Done = std::function<void(absl::StatusOr<v1::BatchAck>)>;
  // Stores one batch and returns its ack; runs on the writer thread only.
  using ApplyFn = std::function<absl::StatusOr<v1::BatchAck>(const v1::EventBatch&)>;
  // Stores several queued batches in one commit.
  using GroupApplyFn = std::function<absl::StatusOr<std::vector<v1::BatchAck>>(
      const std::vector<const v1::EventBatch*>&, const std::vector<const PreparedBatch*>&)>;
  // Most batches one commit takes when streams outpace the writer.
  static constexpr size_t kMaxGroup = 16;

  // `ingestor` must outlive the queue. Starts the writer thread, which
  // commits whatever batches are waiting together (group commit).
  explicit IngestQueue(Ingestor* ingestor);
  // Any other write path (benchmarks compare against minimal ones).
  explicit IngestQueue(ApplyFn apply);
  // Stops after draining every submitted batch.
  ~IngestQueue();
  IngestQueue(const IngestQueue&) = delete;
  IngestQueue& operator=(const IngestQueue&) = delete;

  // `done` runs exactly once, on the writer thread, after the batch was
  // committed (or failed). After Stop(), batches fail with Unavailable.
  void Submit(std::shared_ptr<const v1::EventBatch> batch, Done done);

  // Drains the queue and joins the writer. Idempotent.
  void Stop();

 private:
  struct Item {
    std::shared_ptr<const v1::EventBatch> batch;
    std::unique_ptr<PreparedBatch> prepared;
    Done done;
  };
  void Run();

  Ingestor* ingestor_ = nullptr;  // null for a plain ApplyFn
  GroupApplyFn apply_;
  absl::Mutex mu_;
  std::deque<Item> items_ ABSL_GUARDED_BY(mu_);
  // Applied items, freed by the next Submit (on a receiving thread), so the
  // writer does not spend its time destroying batches.
  std::vector<Item> retired_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread writer_;
};

}  // namespace rapport::server

#endif  // RAPPORT_SERVER_INGEST_QUEUE_H_
