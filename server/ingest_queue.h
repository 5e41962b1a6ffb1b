// IngestQueue: the single writer. Streams hand batches to it and get their
// ack (or the commit error) back through a callback on the writer thread, so
// no gRPC reaction ever blocks on RocksDB. One writer keeps ticket state
// read-modify-write race-free and preserves each stream's batch order. The
// per-event work that needs no store (Ingestor::Prepare: the tone of each
// message, the events' bytes) runs on a small pool of preparing threads, so
// it spreads over cores while the writer only writes.
//
// Queries come first. gRPC runs every callback of the server, queries and
// stream reads alike, on a couple of threads; Prepare there put a query
// behind the tone of every batch read before it (seconds with many streams
// of large batches). So Submit only queues, and the preparing threads and
// the writer run kBackgroundNice nice levels below the process: when
// the cores are saturated a query's thread is scheduled first, and ingest
// takes what queries leave.
//
// Read-ahead is bounded twice: each stream stops reading once it has
// Limits::max_unacked_batches batches outstanding, and every stream stops
// once kMaxQueued batches wait for the writer (overshooting by at most one
// batch per stream), so many streams of large batches cannot keep gRPC's
// threads busy receiving what the writer will not reach for seconds.
#ifndef RAPPORT_SERVER_INGEST_QUEUE_H_
#define RAPPORT_SERVER_INGEST_QUEUE_H_

#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "base/metrics.h"
#include "ingest/ingestor.h"
#include "rapport/v1/ingest.pb.h"

namespace rapport::server {

class IngestQueue {
 public:
  using Done = std::function<void(absl::StatusOr<v1::BatchAck>)>;
  // Stores one batch and returns its ack; runs on the writer thread only.
  using ApplyFn = std::function<absl::StatusOr<v1::BatchAck>(const v1::EventBatch&)>;
  // Stores several queued batches in one commit. When the group fails (an
  // unreadable stored record, a failed commit), each batch is retried alone,
  // so only a batch that fails by itself is refused; that is logged once.
  using GroupApplyFn = std::function<absl::StatusOr<std::vector<v1::BatchAck>>(
      const std::vector<const v1::EventBatch*>&, const std::vector<const PreparedBatch*>&)>;
  // Most batches one commit takes when streams outpace the writer.
  static constexpr size_t kMaxGroup = 16;
  // Batches queued (submitted, not yet committed) from which streams should
  // stop reading: enough to keep the writer's groups full, and a bound on
  // what all streams together make the server receive ahead of the writer.
  static constexpr size_t kMaxQueued = 2 * kMaxGroup;
  // The niceness of the writer and preparing threads (0 is the default; 19
  // the lowest priority). Raising it needs no privilege.
  static constexpr int kBackgroundNice = 10;

  // `ingestor` must outlive the queue. Starts the writer thread, which
  // commits whatever prepared batches are waiting together (group commit),
  // and `preparers` preparing threads (0: one per core but one, at least one).
  explicit IngestQueue(Ingestor* ingestor, int preparers = 0);
  // Any other write path (benchmarks compare against minimal ones).
  explicit IngestQueue(ApplyFn apply);
  // Stops after draining every submitted batch.
  ~IngestQueue();
  IngestQueue(const IngestQueue&) = delete;
  IngestQueue& operator=(const IngestQueue&) = delete;

  // Queues the batch and returns at once. `done` runs exactly once, on the
  // writer thread, after the batch was committed (or failed). After Stop(),
  // batches fail with Unavailable.
  void Submit(std::shared_ptr<const v1::EventBatch> batch, Done done);

  // Whether kMaxQueued batches or more wait. A stream that sees it stops
  // reading and asks WhenRoom to resume it.
  bool Full();
  // Runs `resume` exactly once, on the writer thread once fewer than
  // kMaxQueued batches wait (or at Stop), or at once if there is room now.
  void WhenRoom(std::function<void()> resume);

  // Drains the queue and joins the writer. Idempotent.
  void Stop();

  // Batches submitted and not yet committed (or failed).
  size_t Depth();
  // Records, for every batch from now on, the seconds from Submit to its
  // commit (or failure). Call before the first Submit; `latency` must
  // outlive the queue.
  void ObserveLatency(Histogram* latency) { latency_ = latency; }

 private:
  struct Item {
    std::shared_ptr<const v1::EventBatch> batch;
    std::unique_ptr<PreparedBatch> prepared;
    Done done;
    bool ready = false;  // prepared, or nothing to prepare
    absl::Time submitted = absl::Now();
  };
  void Run();
  void RunPreparer();
  bool FrontReady() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Ingestor* ingestor_ = nullptr;  // null for a plain ApplyFn
  Histogram* latency_ = nullptr;
  GroupApplyFn apply_;
  absl::Mutex mu_;
  // In arrival order; the writer takes the ready ones at the front, so each
  // stream's batches commit in order whichever thread prepared them.
  // (A deque keeps references to its elements across pushes and pops at the
  // ends, so a preparing thread may work on an item outside the lock.)
  std::deque<Item> items_ ABSL_GUARDED_BY(mu_);
  std::deque<Item*> to_prepare_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void()>> waiting_for_room_ ABSL_GUARDED_BY(mu_);
  // Applied items, freed by the next Submit (on a receiving thread), so the
  // writer does not spend its time destroying batches.
  std::vector<Item> retired_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> preparers_;
  std::thread writer_;
};

}  // namespace rapport::server

#endif  // RAPPORT_SERVER_INGEST_QUEUE_H_
