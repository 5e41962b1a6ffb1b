// Ingestor: the write path. One call per event batch (or group of batches):
//
//   validate each event -> drop duplicates (tenant + event_id seen before)
//   -> fold the new events into their tickets (a rebuild from stored events
//      when an event arrives late), running the registered TicketStages
//      (detectors, scores) -> one Store::Batch with the events, their dedupe
//      keys, the ticket states, the tenant watermarks and whatever the stages
//      wrote -> commit -> the BatchAck.
//
// The ack is built only after the commit returned, so an acked event is in the
// WAL. It lists at most Limits::max_ack_errors rejections and counts every one
// by code; a duplicate whose content differs from the first write of its
// event_id (stored before, or earlier in the group) also counts as a conflict. Not thread-safe: the server runs every batch on one writer thread,
// which also keeps read-modify-write of ticket states free of races.
#ifndef RAPPORT_INGEST_INGESTOR_H_
#define RAPPORT_INGEST_INGESTOR_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "event/validate.h"
#include "ingest/stage.h"
#include "rapport/v1/ingest.pb.h"
#include "store/store.h"

namespace rapport {

struct IngestCounters {
  uint64_t batches = 0;
  uint64_t accepted = 0;
  uint64_t duplicates = 0;
  uint64_t conflicting_duplicates = 0;  // same event_id, different content
  uint64_t rebuilds = 0;                // tickets rebuilt because of a late event
  std::map<std::string, uint64_t> rejected_by_code;
  // Findings a committed batch raised (new on their ticket), by v1::FindingKind.
  std::map<int, uint64_t> findings_raised_by_kind;
};

class Ingestor {
 public:
  struct Options {
    Limits limits;
    // Server time in microseconds, used to refuse events from the future.
    std::function<int64_t()> now_micros;
    // Derived-data steps, run in order; not owned, must outlive the ingestor.
    std::vector<TicketStage*> stages;
    // Off for a rebuild: stored events were accepted under the rules of their
    // day and are replayed as they are, so no stored event is ever dropped
    // when the rules tighten (the stages guard themselves against any value).
    bool validate = true;
  };

  // `store` must outlive the ingestor.
  static absl::StatusOr<std::unique_ptr<Ingestor>> Create(Store* store, Options options);

  Ingestor(const Ingestor&) = delete;
  Ingestor& operator=(const Ingestor&) = delete;

  // Stores the batch and returns its ack. A non-OK status means nothing of the
  // batch was committed and no ack may be sent; the client re-sends it.
  absl::StatusOr<v1::BatchAck> Apply(const v1::EventBatch& batch);

  // The work on `batch` that needs no store and no other event (the stages'
  // Prepare, the events' bytes). Thread-safe: the server runs it on
  // preparing threads apart from the writer, so the writer does less.
  std::unique_ptr<PreparedBatch> Prepare(const v1::EventBatch& batch) const;

  // Stores several batches (in order) in one commit and returns their acks:
  // the group is atomic, each batch keeps its own ack and error indexes, and
  // a ticket touched by several of them is read and written once. This is
  // how the writer drains its queue when streams outpace it. `prepared`, if
  // not empty, holds Prepare's result (or null) for each batch.
  absl::StatusOr<std::vector<v1::BatchAck>> ApplyGroup(const std::vector<const v1::EventBatch*>& batches,
                                                       const std::vector<const PreparedBatch*>& prepared = {});

  // A consistent copy; safe to call from any thread.
  IngestCounters counters() const;

 private:
  Ingestor(Store* store, Options options, uint64_t next_arrival);

  Store* store_;
  Options options_;
  uint64_t next_arrival_;
  mutable absl::Mutex counters_mu_;
  IngestCounters counters_ ABSL_GUARDED_BY(counters_mu_);
};

}  // namespace rapport

#endif  // RAPPORT_INGEST_INGESTOR_H_
