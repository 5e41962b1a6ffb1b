// AlertStage: the last TicketStage of the write path. It turns what the
// detectors and the score changed into alert log entries (alerts.proto),
// written into the same Store::Batch as the events that caused them, so an
// acked event's alerts are durable with it and a crash neither loses nor
// repeats one.
//
// Why OnWatermark and not OnTicketUpdated: the detectors raise time-based
// findings on other tickets of the tenant in their own OnWatermark, and
// they withdraw findings on a refold; once per tenant and batch, after every
// other stage, the stage sees every ticket the batch loaded with its
// findings as loaded (StageContext::FindingsAtLoad) and as they will be
// written, so it knows exactly what was raised and what was withdrawn. It
// must be registered after the detectors and the score stage.
//
// Per tenant and batch, in this order:
//   1. findings withdrawn (a refold, a voided deadline): each open alert
//      loses them as causes and resolves ("withdrawn") when none is left;
//   2. findings raised, in (event time, ticket, id) order so the result does
//      not depend on how the events were batched: each matching rule opens
//      one alert per subject or updates the open one (count, last seen);
//      an open alert whose quiet period had passed before the match resolves
//      first; past the rule's rate a RATE_LIMITED alert counts the excess;
//   3. score rules, when the watermark enters a new day: the score over the
//      `window` of whole days before that day, from the aggregates as the
//      batch found them (score/score_query.h);
//   4. open alerts whose quiet deadline the watermark passed resolve ("quiet").
// Every time is event time: the cause's, or the tenant's watermark.
//
// Entries of a committed batch are handed to the AlertHub (WatchAlerts,
// sinks) in AfterBatch. Not thread-safe, like every stage: the writer
// thread runs it; counters() may be read from any thread.
#ifndef RAPPORT_ALERT_ALERT_STAGE_H_
#define RAPPORT_ALERT_ALERT_STAGE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "alert/alert_hub.h"
#include "alert/rules.h"
#include "ingest/stage.h"
#include "rapport/internal/alerts.pb.h"
#include "rapport/v1/alerts.pb.h"
#include "score/ticket_score.h"

namespace rapport::alert {

struct AlertCounters {
  std::map<std::string, uint64_t> raised_by_rule;   // new alerts (firing entries that open one)
  std::map<std::string, uint64_t> cleared_by_rule;  // resolutions
};

class AlertStage final : public TicketStage {
 public:
  // `scoring` (the score stage's options) and `hub` (may be null) are not
  // owned and must outlive the stage.
  AlertStage(AlertSettings settings, const score::ScoreOptions* scoring, AlertHub* hub);

  const char* name() const override { return "alerts"; }
  absl::Status OnWatermark(const std::string& tenant, int64_t before_us, int64_t after_us,
                           StageContext& context) override;
  void AfterBatch(bool committed) override;

  // A rebuild (ingest/rebuild.h) runs the stage over every event into a
  // fresh store, then carries the old alerts family over. BeforeCarryOver
  // keeps the open alerts the replay derived; AfterCarryOver compares them
  // with the carried-over ones and appends only the differences to each
  // tenant's log: a resolution ("rebuilt") for an alert the new derivation
  // no longer raises, a firing entry for one it newly raises. An alert open
  // on both sides gets the new derivation's causes and quiet deadline and no
  // entry. Every cursor a subscriber or sink holds stays valid.
  absl::Status BeforeCarryOver(const Store& fresh) override;
  absl::Status AfterCarryOver(Store* fresh) override;

  const AlertSettings& settings() const { return settings_; }
  AlertCounters counters() const;

 private:
  AlertSettings settings_;
  const score::ScoreOptions* scoring_;
  AlertHub* hub_;
  // This batch's entries, published if it commits.
  std::vector<v1::Alert> pending_;
  // What a rebuild's replay left open, by open-alert key (BeforeCarryOver).
  std::map<std::string, internal::OpenAlert> derived_open_;
  AlertCounters batch_counts_;
  mutable absl::Mutex counters_mu_;
  AlertCounters counters_ ABSL_GUARDED_BY(counters_mu_);
};

}  // namespace rapport::alert

#endif  // RAPPORT_ALERT_ALERT_STAGE_H_
