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
// Read-ahead is bounded server-wide, whatever the number of streams. A
// stream starts every read only once the queue admits it (AdmitRead): the
// admission reserves the bytes the stream is expected to read (its largest
// batch so far), and a read is admitted only while the batches queued plus
// the reads admitted stay under kMaxQueued and their bytes under the
// read-ahead budget (limits.max_read_ahead_bytes). Streams that find no room
// wait in one FIFO and are admitted as commits free it, so 200 streams take
// turns at one budget instead of each holding a batch of its own. A
// reservation lasts kReadGrantLifetime: a stream admitted that then sends
// nothing gives its share back instead of holding others up. What a read
// brings beyond its reservation (a batch larger than any before, or one
// arriving after its reservation ran out) is taken all the same and counted
// from then on, so the budget is exceeded by at most that.
// Each stream also stops at Limits::max_unacked_batches batches outstanding.
#ifndef RAPPORT_SERVER_INGEST_QUEUE_H_
#define RAPPORT_SERVER_INGEST_QUEUE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
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
  // Batches queued (submitted, not yet committed) plus reads admitted, from
  // which no further read is admitted: enough to keep the writer's groups
  // full, and a bound on what all streams together make the server receive
  // ahead of the writer however small their batches are.
  static constexpr size_t kMaxQueued = 2 * kMaxGroup;
  // How long an admitted read holds its reservation if its batch does not
  // arrive: far longer than a batch takes to arrive and parse while its
  // client sends, short enough that idle streams cannot starve the others.
  static constexpr absl::Duration kReadGrantLifetime = absl::Seconds(1);
  // The niceness of the writer and preparing threads (0 is the default; 19
  // the lowest priority). Raising it needs no privilege.
  static constexpr int kBackgroundNice = 10;

  // One read a stream was admitted to start: its reservation in the
  // read-ahead budget, turned into its batch's charge by Submit or given
  // back when the grant is destroyed unused. Move-only.
  class ReadGrant {
   public:
    ReadGrant() = default;
    ReadGrant(ReadGrant&& other) noexcept { Swap(other); }
    ReadGrant& operator=(ReadGrant&& other) noexcept {
      ReadGrant gone(std::move(*this));  // gives back what this held
      Swap(other);
      return *this;
    }
    ~ReadGrant();

   private:
    friend class IngestQueue;
    void Swap(ReadGrant& other) noexcept {
      std::swap(queue_, other.queue_);
      std::swap(id_, other.id_);
    }
    IngestQueue* queue_ = nullptr;  // null: nothing reserved
    uint64_t id_ = 0;
  };
  using Admitted = std::function<void(ReadGrant)>;

  // `ingestor` must outlive the queue. Starts the writer thread, which
  // commits whatever prepared batches are waiting together (group commit),
  // and `preparers` preparing threads (0: one per core but one, at least one).
  // `read_ahead_bytes`: the budget of encoded batch bytes queued and
  // reserved for admitted reads (limits.max_read_ahead_bytes).
  explicit IngestQueue(Ingestor* ingestor, int preparers = 0, size_t read_ahead_bytes = Limits().max_read_ahead_bytes);
  // Any other write path (benchmarks compare against minimal ones).
  explicit IngestQueue(ApplyFn apply, size_t read_ahead_bytes = Limits().max_read_ahead_bytes);
  // Stops after draining every submitted batch.
  ~IngestQueue();
  IngestQueue(const IngestQueue&) = delete;
  IngestQueue& operator=(const IngestQueue&) = delete;

  // Queues the batch and returns at once. `done` runs exactly once, on the
  // writer thread, after the batch was committed (or failed). After Stop(),
  // batches fail with Unavailable. The batch is charged its encoded size
  // until then; `grant`, the admission of the read that brought it, gives
  // its reservation up for that charge. Batches that come without one (a
  // unary call, a webhook: bounded by their own limits) are charged too, so
  // streams make room for them.
  void Submit(std::shared_ptr<const v1::EventBatch> batch, Done done, ReadGrant grant);
  void Submit(std::shared_ptr<const v1::EventBatch> batch, Done done);

  // Admits one read of a stream expected to bring `expected_bytes` (0: the
  // recent average): runs `admitted` with the grant at once when there is
  // room and no stream waits before it, else later on the writer thread, in
  // the order streams asked. At Stop, waiting streams are admitted with an
  // empty grant (their batches then fail with Unavailable).
  void AdmitRead(size_t expected_bytes, Admitted admitted);

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
    size_t bytes = 0;     // charged to the read-ahead budget until done
    bool ready = false;  // prepared, or nothing to prepare
    absl::Time submitted = absl::Now();
  };
  struct Reservation {
    size_t bytes;
    absl::Time admitted;
  };
  struct Waiter {
    size_t expected_bytes;
    Admitted admitted;
  };
  using AdmittedReads = std::vector<std::pair<Admitted, ReadGrant>>;

  void Run();
  void RunPreparer();
  bool FrontReady() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool HasRoomLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  ReadGrant ReserveLocked(size_t expected_bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Gives back the reservations older than kReadGrantLifetime.
  void ExpireReservationsLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Admits waiting streams, first come first served, while there is room
  // (all of them once stopping); the caller runs them without the lock.
  void AdmitWaitersLocked(AdmittedReads* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Release(uint64_t id);

  Ingestor* ingestor_ = nullptr;  // null for a plain ApplyFn
  Histogram* latency_ = nullptr;
  GroupApplyFn apply_;
  const size_t read_ahead_bytes_;
  absl::Mutex mu_;
  // In arrival order; the writer takes the ready ones at the front, so each
  // stream's batches commit in order whichever thread prepared them.
  // (A deque keeps references to its elements across pushes and pops at the
  // ends, so a preparing thread may work on an item outside the lock.)
  std::deque<Item> items_ ABSL_GUARDED_BY(mu_);
  std::deque<Item*> to_prepare_ ABSL_GUARDED_BY(mu_);
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;  // of items_
  // Reads admitted and not yet submitted, by grant id (in admission order).
  std::map<uint64_t, Reservation> reservations_ ABSL_GUARDED_BY(mu_);
  size_t reserved_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_grant_ ABSL_GUARDED_BY(mu_) = 1;
  size_t average_batch_bytes_ ABSL_GUARDED_BY(mu_) = 64 << 10;  // what a stream's first read reserves
  std::deque<Waiter> waiting_ ABSL_GUARDED_BY(mu_);
  bool wake_writer_ ABSL_GUARDED_BY(mu_) = false;  // a stream began waiting, or a reservation was given back
  // Applied items, freed by the next Submit (on a receiving thread), so the
  // writer does not spend its time destroying batches.
  std::vector<Item> retired_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> preparers_;
  std::thread writer_;
};

}  // namespace rapport::server

#endif  // RAPPORT_SERVER_INGEST_QUEUE_H_
