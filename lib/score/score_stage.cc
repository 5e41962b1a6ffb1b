#include "score/score_stage.h"

#include <algorithm>
#include <set>

#include "score/aggregates.h"

namespace rapport::score {
namespace {

bool SameContribution(const internal::TicketScoreRecord& a, const internal::TicketScoreRecord& b) {
  if (a.scored() != b.scored()) return false;
  if (!a.scored()) return true;
  return a.day() == b.day() && a.sums() == b.sums() &&
         std::equal(a.scopes().begin(), a.scopes().end(), b.scopes().begin(), b.scopes().end());
}

// Moves the ticket's contribution from `old_record` to `new_record`.
void WriteDelta(const std::string& tenant, const std::string& ticket_id, const internal::TicketScoreRecord& old_record,
                const internal::TicketScoreRecord& new_record, Store::Batch* writes) {
  std::set<std::string> old_scopes, new_scopes;
  if (old_record.scored()) old_scopes.insert(old_record.scopes().begin(), old_record.scopes().end());
  if (new_record.scored()) new_scopes.insert(new_record.scopes().begin(), new_record.scopes().end());
  const bool same_day = old_record.scored() && new_record.scored() && old_record.day() == new_record.day();
  for (const std::string& scope : old_scopes) {
    if (same_day && new_scopes.count(scope)) {
      // One merge carrying the difference.
      SumVector diff{};
      (void)AddEncodedSums(new_record.sums(), &diff);
      (void)AddEncodedSums(NegatedSums(old_record.sums()), &diff);
      writes->Merge(Family::kAggregates, AggregateKey(tenant, scope, old_record.day()), EncodeSums(diff));
      continue;
    }
    writes->Merge(Family::kAggregates, AggregateKey(tenant, scope, old_record.day()), NegatedSums(old_record.sums()));
    writes->Delete(Family::kIndex, ScopeIndexKey(tenant, scope, old_record.day(), ticket_id));
  }
  for (const std::string& scope : new_scopes) {
    if (same_day && old_scopes.count(scope)) continue;
    writes->Merge(Family::kAggregates, AggregateKey(tenant, scope, new_record.day()), new_record.sums());
    writes->Put(Family::kIndex, ScopeIndexKey(tenant, scope, new_record.day(), ticket_id), "");
  }
}

}  // namespace

void ScoreStage::OnEvent(const v1::TicketEvent& event, const ticket::Transition& /*transition*/,
                         internal::TicketState* state, StageContext& /*context*/) {
  if (event.kind() != v1::EVENT_KIND_SURVEY_RECEIVED) return;
  const v1::Survey& survey = event.survey();
  double span = survey.scale_max() - survey.scale_min();
  if (span <= 0) return;  // validation refuses these; never divide by zero
  internal::ScoreState::Inputs* inputs = state->mutable_score()->mutable_inputs();
  inputs->set_has_survey(true);
  inputs->set_survey_0_to_10(std::clamp(10.0 * (survey.score() - survey.scale_min()) / span, 0.0, 10.0));
  inputs->set_survey_event(event.event_id());
}

absl::Status ScoreStage::OnTicketUpdated(const TicketUpdate& update, StageContext& /*context*/) {
  // A refold starts from an empty state: what the aggregates hold is still
  // the stored record.
  if (update.rebuilt) *update.after->mutable_score()->mutable_counted() = update.before.score().counted();
  return absl::OkStatus();
}

absl::Status ScoreStage::OnWatermark(const std::string& tenant, int64_t /*before_us*/, int64_t /*after_us*/,
                                     StageContext& context) {
  const detect::Thresholds& thresholds = thresholds_->For(tenant);
  context.ForEachTicket(tenant, [&](internal::TicketState* state) {
    internal::TicketScoreRecord record = MakeRecord(*state, ScoreTicket(*state, thresholds, options_), options_);
    const internal::TicketScoreRecord& old_record = state->score().counted();
    if (!SameContribution(old_record, record)) {
      WriteDelta(tenant, state->ticket_id(), old_record, record, &context.writes());
    }
    *state->mutable_score()->mutable_counted() = std::move(record);
  });
  return absl::OkStatus();
}

}  // namespace rapport::score
