// Detector: one family of findings (PRODUCT.md §6) as a unit that owns both
// of its checks and the per-ticket state they keep (DetectorState fields).
//
// DetectorStage runs the built-in detectors, in the order BuiltinDetectors()
// lists them, for every event folded into a ticket (event time):
//
//   for each detector: OnEvent(event, ticket)     // in registration order
//   then the stage records what was said last (the conversation fields of
//   DetectorState), so every OnEvent reads the conversation as it stood
//   before the event
//
// and whenever the tenant's watermark passes a ticket's next deadline (or an
// event is about to be folded after it):
//
//   for each detector: OnWatermark(ticket, watermark) -> its next deadline
//
// A time-based finding raised by OnWatermark carries its deadline as its
// time; an event at or before that deadline voids it (the stage withdraws
// such findings before the event's OnEvent calls, which raise them again if
// they still hold), so replay and live ingest agree.
//
// Adding a finding kind: its enum value in findings.proto, a detector unit
// (a class in its own file implementing this interface, with its factory
// declared in units.h) or a new check in the unit of its family, and its
// line in BuiltinDetectors() (detectors.cc).
#ifndef RAPPORT_DETECT_DETECTOR_H_
#define RAPPORT_DETECT_DETECTOR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "detect/thresholds.h"
#include "ingest/stage.h"
#include "rapport/internal/state.pb.h"
#include "rapport/v1/events.pb.h"
#include "ticket/ticket.h"
#include "tone/tone.h"

namespace rapport::detect {

class CrossTicket;

// What every detector sees of one event, and the services they share.
class EventContext {
 public:
  EventContext(const v1::TicketEvent& event, const ticket::Transition& transition, const Thresholds& thresholds,
               bool conversation, const TicketStage& stage, StageContext& stage_context, CrossTicket& cross_ticket);

  const v1::TicketEvent& event;
  const ticket::Transition& transition;
  const Thresholds& th;
  const int64_t t;            // the event's time, µs
  const bool conversation;    // false: a source without conversation (detectors.h)
  StageContext& stage_context;
  CrossTicket& cross_ticket;

  v1::ActorRole role() const { return event.actor().role(); }
  bool IsPublicComment() const;
  // A status change (not a repeat of the current status).
  bool StatusChanged(const internal::TicketState& s) const {
    return transition.transition && transition.previous_status != s.status();
  }
  // The tone of this public comment: prepared off the writer thread, or
  // computed once here.
  const tone::ToneResult& Tone();

 private:
  const TicketStage& stage_;
  std::optional<tone::ToneResult> tone_;
};

class Detector {
 public:
  virtual ~Detector() = default;
  // Event time: checks `e.event`, just folded into `s`, and updates the
  // state this detector keeps.
  virtual void OnEvent(EventContext& e, internal::TicketState* s) = 0;
  // Watermark: raises what `watermark_us` makes certain and returns the
  // next deadline this detector waits for (0: none).
  virtual int64_t OnWatermark(internal::TicketState* /*s*/, int64_t /*watermark_us*/,
                              const Thresholds& /*th*/) const {
    return 0;
  }
};

// The built-in detectors, in the order they run.
std::vector<std::unique_ptr<Detector>> BuiltinDetectors();

// Finding kinds raised at a deadline (voided by an earlier event).
bool IsDeadlineKind(v1::FindingKind kind);

// When the ticket was opened (its first event if no creation was seen).
int64_t CreatedAt(const internal::TicketState& s);

// The calendar the ticket's clocks count on (Thresholds::ClockCalendar), and
// what a finding's summary adds when it is not 24/7.
const calendar::Calendar& ClockCalendar(const internal::TicketState& s, const Thresholds& th);
std::string InBusinessHours(const calendar::Calendar& c);

}  // namespace rapport::detect

#endif  // RAPPORT_DETECT_DETECTOR_H_
