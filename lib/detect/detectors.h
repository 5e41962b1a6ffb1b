// DetectorStage: the finding detectors of PRODUCT.md §6 as one TicketStage.
// Each family of findings is a Detector unit (detector.h, units.h); the stage
// runs them, keeps the deadline index and the conversation state they share.
//
// Each ticket keeps a compact DetectorState (internal/state.proto) that the
// detectors update event by event, in event-time order, so an in-order event
// costs no reread of the timeline and a refold after a late event yields the
// same findings. A finding's id names the behaviour and the event that shows
// it ("reopen:<resolution event id>"), so finding it again is not a
// duplicate, and a refold that no longer finds it withdraws it.
//
// Time-based findings (first-response and resolution breaches, reply gaps,
// stale tickets) are raised either by the event that ends the wait, or, while
// the wait goes on, when the tenant's watermark passes the deadline: each
// ticket with a pending deadline has one entry in Family::kIndex
// ("dl" ∅ tenant ∅ be64(deadline) ticket). Either way the finding carries the
// deadline as its time, so replay and live ingest agree.
//
// Sources without conversation (the adapter stamps the event attribute
// rapport.conversation=false): comment-based findings are not raised, and the
// first response is the first agent action (an assignment to a person, or a
// status change out of NEW).
#ifndef RAPPORT_DETECT_DETECTORS_H_
#define RAPPORT_DETECT_DETECTORS_H_

#include <memory>
#include <string>
#include <vector>

#include "detect/cross_ticket.h"
#include "detect/detector.h"
#include "detect/thresholds.h"
#include "ingest/stage.h"
#include "tone/tone.h"

namespace rapport::detect {

inline constexpr const char* kConversationAttribute = "rapport.conversation";

class DetectorStage final : public TicketStage {
 public:
  explicit DetectorStage(TenantThresholds thresholds = TenantThresholds())
      : thresholds_(std::move(thresholds)), detectors_(BuiltinDetectors()) {}

  const char* name() const override { return "detectors"; }
  // The tone of a public message.
  std::unique_ptr<PreparedEvent> Prepare(const v1::TicketEvent& event) const override;
  void BeforeEvent(const v1::TicketEvent& event, internal::TicketState* state, StageContext& context) override;
  void OnEvent(const v1::TicketEvent& event, const ticket::Transition& transition, internal::TicketState* state,
               StageContext& context) override;
  absl::Status OnTicketUpdated(const TicketUpdate& update, StageContext& context) override;
  absl::Status OnWatermark(const std::string& tenant, int64_t before_us, int64_t after_us,
                           StageContext& context) override;
  void AfterBatch(bool committed) override { cross_ticket_.AfterBatch(committed); }

  const TenantThresholds& thresholds() const { return thresholds_; }

 private:
  // Every detector's watermark check; returns the next deadline (0: none).
  int64_t EvaluateDeadlines(internal::TicketState* state, int64_t watermark_us) const;
  void Reindex(internal::TicketState* state, int64_t deadline_us, Store::Batch* writes) const;

  TenantThresholds thresholds_;
  std::vector<std::unique_ptr<Detector>> detectors_;
  CrossTicket cross_ticket_;  // keeps a per-batch buffer: one writer thread only
};

// Rapport's own SLA reading of a ticket (the "second opinion" ledger). Every
// duration is working time on the ticket's calendar.
struct SlaLedger {
  std::string calendar;  // "" for 24/7
  int64_t first_response_target_us = 0;
  int64_t first_response_us = 0;  // time to first response; -1 while none
  bool first_response_met = true;
  int64_t resolution_target_us = 0;
  int64_t resolution_clock_us = 0;  // requester wait plus suspect pauses
  bool resolution_met = true;
  int64_t legit_pause_us = 0;
  int64_t suspect_pause_us = 0;
  // Within target by the source tool's clock (all pauses excluded) but not by
  // Rapport's (suspect pauses count).
  bool met_only_by_suspect_pause = false;
  // Target minus elapsed (first response: waited so far); negative when over.
  int64_t first_response_left_us = 0;
  int64_t resolution_left_us = 0;
};
SlaLedger ReadLedger(const internal::TicketState& state, int64_t watermark_us, const Thresholds& thresholds);

}  // namespace rapport::detect

#endif  // RAPPORT_DETECT_DETECTORS_H_
