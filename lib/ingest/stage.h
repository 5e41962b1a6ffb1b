// TicketStage: a step of the write path that derives data from tickets
// (detectors, scores) inside the same Store::Batch as the events, so derived
// data can never disagree with the events after a crash.
//
// For each batch the Ingestor calls, per touched ticket:
//   BeforeEvent(...), then
//   OnEvent(...)          for every event folded into the ticket, in
//                         (occurred_at, arrival) order. After a late event the
//                         ticket is refolded from an empty state, so OnEvent
//                         must depend only on the events it has seen (and on
//                         stored cross-ticket indexes), never on arrival time.
//   OnTicketUpdated(...)  once, after the ticket's events are folded.
// and then, per tenant in the batch:
//   OnWatermark(...)      once, with the tenant's watermark before and after
//                         the batch (time-based findings fire here).
// and last AfterBatch(committed), once, whether the batch's writes were
// committed or the batch was abandoned on an error.
// Stages run in registration order; each sees what earlier stages wrote.
//
// What a stage derives from one event alone (the tone of a message) it can
// compute in Prepare, which the server runs on threads of its own before the
// batch reaches the single writer; OnEvent then finds
// the result through StageContext::Prepared. Events without a preparation
// (a refold of stored events, a caller that did not prepare) get none, and
// the stage computes inline.
#ifndef RAPPORT_INGEST_STAGE_H_
#define RAPPORT_INGEST_STAGE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rapport/internal/state.pb.h"
#include "rapport/v1/events.pb.h"
#include "rapport/v1/ingest.pb.h"
#include "store/store.h"
#include "ticket/ticket.h"

namespace rapport {

class TicketStage;

// A stage's result for one event, computed off the writer thread.
class PreparedEvent {
 public:
  virtual ~PreparedEvent() = default;
};

// What was prepared for one batch, per event (by index in the batch).
struct PreparedBatch {
  std::vector<std::string> bytes;  // each event serialized, as stored
  std::vector<std::vector<std::unique_ptr<PreparedEvent>>> by_stage;  // [event][stage]
};

// What a stage may touch while a batch is being applied. Owned by the
// Ingestor; valid only during the calls that receive it.
class StageContext {
 public:
  virtual ~StageContext() = default;

  // Reads see the store as of the start of the batch (not this batch's writes).
  virtual const Store& store() const = 0;
  // Writes land atomically with the batch's events.
  virtual Store::Batch& writes() = 0;

  // The state of any ticket of the tenant as it stands in this batch (loaded
  // on first use). Changes are written with the batch. NotFound when the
  // ticket has no events.
  virtual absl::StatusOr<internal::TicketState*> MutableTicket(const std::string& tenant,
                                                               const std::string& ticket_id) = 0;

  // Calls `visit` for every ticket of `tenant` loaded in this batch (touched
  // by its events or by a stage), in load order.
  virtual void ForEachTicket(const std::string& tenant,
                             const std::function<void(internal::TicketState*)>& visit) = 0;

  // The findings the ticket had when the batch loaded it, before any stage
  // changed them (empty for a ticket the batch has not loaded or that had
  // none): with the ticket's findings now, what the batch raised and
  // withdrew. In no particular order.
  virtual std::vector<v1::Finding> FindingsAtLoad(const std::string& tenant, const std::string& ticket_id) const = 0;

  // Server time (microseconds), for nothing but logging: analysis runs on
  // event time.
  virtual int64_t now_micros() const = 0;

  // What `stage`'s Prepare returned for `event`; null when it was not prepared.
  virtual const PreparedEvent* Prepared(const TicketStage& stage, const v1::TicketEvent& event) const = 0;
};

struct TicketUpdate {
  const std::string& tenant;
  const std::string& ticket_id;
  // The state after this batch; stages may add their own fields.
  internal::TicketState* after;
  // This batch's new events of the ticket, in sort order.
  const std::vector<const v1::TicketEvent*>& new_events;
  // When a late event forced a refold from the stored events: the stored
  // state before this batch (the refold started from an empty one, so what a
  // stage keeps beyond the events, it carries over from there). Null when the
  // events were folded in order.
  const internal::TicketState* refolded_from;
  // The tenant's watermark after this batch (the latest event time seen).
  int64_t watermark_us;
};

class TicketStage {
 public:
  virtual ~TicketStage() = default;

  // A short name for logs and errors, e.g. "detectors".
  virtual const char* name() const = 0;

  // Runs on any thread, concurrently with everything else the stage does:
  // may read only the event and the stage's immutable configuration.
  virtual std::unique_ptr<PreparedEvent> Prepare(const v1::TicketEvent& /*event*/) const { return nullptr; }

  // Before the event is folded into `state` (the ticket as the previous
  // event left it): time-based findings whose deadline passed before this
  // event are raised here, so the result does not depend on how events were
  // split into batches.
  virtual void BeforeEvent(const v1::TicketEvent& /*event*/, internal::TicketState* /*state*/,
                           StageContext& /*context*/) {}

  virtual void OnEvent(const v1::TicketEvent& /*event*/, const ticket::Transition& /*transition*/,
                       internal::TicketState* /*state*/, StageContext& /*context*/) {}

  virtual absl::Status OnTicketUpdated(const TicketUpdate& /*update*/, StageContext& /*context*/) {
    return absl::OkStatus();
  }

  virtual absl::Status OnWatermark(const std::string& /*tenant*/, int64_t /*before_us*/, int64_t /*after_us*/,
                                   StageContext& /*context*/) {
    return absl::OkStatus();
  }

  // A stage drops what it buffered for the batch here; one that caches what
  // the store holds updates the cache only when `committed`.
  virtual void AfterBatch(bool /*committed*/) {}

  // At the end of a rebuild (ingest/rebuild.h), after every event was
  // replayed into `fresh`: the alerts family is not only derived (its log's
  // cursors are held by subscribers and sinks), so the rebuild replaces
  // fresh's with the one of the store it rebuilds. A stage that writes
  // there reads what the replay derived in BeforeCarryOver and reconciles
  // it with what was carried over in AfterCarryOver.
  virtual absl::Status BeforeCarryOver(const Store& /*fresh*/) { return absl::OkStatus(); }
  virtual absl::Status AfterCarryOver(Store* /*fresh*/) { return absl::OkStatus(); }
};

}  // namespace rapport

#endif  // RAPPORT_INGEST_STAGE_H_
