// ScoreStage: keeps every ticket's score and the per-scope per-day
// aggregates (aggregates.h) in the batch that changes them. Register it after
// the DetectorStage: scores read the findings.
//
// Per batch and tenant, after the detectors have raised what the watermark
// made certain, every ticket the batch loaded is scored again; when its
// record differs from the one the aggregates hold, the old contribution is
// merged out and the new one in, in the same WriteBatch as the events. A
// ticket therefore counts exactly once however often, and however late, its
// events arrive.
#ifndef RAPPORT_SCORE_SCORE_STAGE_H_
#define RAPPORT_SCORE_SCORE_STAGE_H_

#include "detect/thresholds.h"
#include "ingest/stage.h"
#include "score/ticket_score.h"

namespace rapport::score {

class ScoreStage final : public TicketStage {
 public:
  // `thresholds` (the SLA targets) must outlive the stage.
  ScoreStage(const detect::TenantThresholds* thresholds, ScoreOptions options)
      : thresholds_(thresholds), options_(options) {}

  const char* name() const override { return "scores"; }
  void OnEvent(const v1::TicketEvent& event, const ticket::Transition& transition, internal::TicketState* state,
               StageContext& context) override;
  absl::Status OnTicketUpdated(const TicketUpdate& update, StageContext& context) override;
  absl::Status OnWatermark(const std::string& tenant, int64_t before_us, int64_t after_us,
                           StageContext& context) override;

  const ScoreOptions& options() const { return options_; }

 private:
  const detect::TenantThresholds* thresholds_;
  ScoreOptions options_;
};

}  // namespace rapport::score

#endif  // RAPPORT_SCORE_SCORE_STAGE_H_
