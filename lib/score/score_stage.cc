#include "score/score_stage.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "score/aggregates.h"
#include "store/keys.h"
#include "store/records.h"
#include "store/sums.h"

namespace rapport::score {
namespace {

bool SameContribution(const internal::TicketScoreRecord& a, const internal::TicketScoreRecord& b) {
  if (a.scored() != b.scored()) return false;
  if (!a.scored()) return true;
  return a.day() == b.day() && a.sums() == b.sums() &&
         std::equal(a.scopes().begin(), a.scopes().end(), b.scopes().begin(), b.scopes().end());
}

// The aggregate deltas of one batch, summed per scope-day key: a busy
// scope-day (the tenant's, a team's) gets one merge operand per batch
// instead of one per ticket. Integer sums make that exactly the same value.
class Deltas {
 public:
  void Add(std::string key, absl::string_view sums) {
    auto [it, fresh] = by_key_.try_emplace(std::move(key));
    if (fresh) {
      it->second.fill(0);
      order_.push_back(it->first);
    }
    (void)AddEncodedSums(sums, &it->second);  // OnWatermark checked the stored sums; the new ones are ours
  }
  void Write(Store::Batch* writes) const {
    for (const std::string& key : order_) {
      const SumVector& sums = by_key_.at(key);
      if (std::any_of(sums.begin(), sums.end(), [](int64_t v) { return v != 0; })) {
        writes->Merge(Family::kAggregates, key, EncodeSums(sums));
      }
    }
  }

 private:
  absl::flat_hash_map<std::string, SumVector> by_key_;
  std::vector<std::string> order_;  // first-use order, so writes do not depend on hashing
};

// Moves the ticket's contribution from `old_record` to `new_record`.
void WriteDelta(const std::string& tenant, const std::string& ticket_id, const internal::TicketScoreRecord& old_record,
                const internal::TicketScoreRecord& new_record, Deltas* deltas, Store::Batch* writes) {
  std::set<std::string> old_scopes, new_scopes;
  if (old_record.scored()) old_scopes.insert(old_record.scopes().begin(), old_record.scopes().end());
  if (new_record.scored()) new_scopes.insert(new_record.scopes().begin(), new_record.scopes().end());
  const bool same_day = old_record.scored() && new_record.scored() && old_record.day() == new_record.day();
  for (const std::string& scope : old_scopes) {
    deltas->Add(keys::Aggregate(tenant, scope, old_record.day()), NegatedSums(old_record.sums()));
    if (same_day && new_scopes.count(scope)) {
      deltas->Add(keys::Aggregate(tenant, scope, new_record.day()), new_record.sums());
      continue;
    }
    writes->Delete(Family::kIndex, keys::ScopeIndex(tenant, scope, old_record.day(), ticket_id));
  }
  for (const std::string& scope : new_scopes) {
    if (same_day && old_scopes.count(scope)) continue;
    deltas->Add(keys::Aggregate(tenant, scope, new_record.day()), new_record.sums());
    writes->Put(Family::kIndex, keys::ScopeIndex(tenant, scope, new_record.day(), ticket_id), "");
  }
}

}  // namespace

void ScoreStage::OnEvent(const v1::TicketEvent& event, const ticket::Transition& /*transition*/,
                         internal::TicketState* state, StageContext& /*context*/) {
  if (event.kind() != v1::EVENT_KIND_SURVEY_RECEIVED) return;
  const v1::Survey& survey = event.survey();
  // Validation refuses empty, infinite and huge scales, but a stored event may
  // predate a rule: never divide by zero, never keep a value that is not a number.
  const double span = survey.scale_max() - survey.scale_min();
  const double answer = 10.0 * (survey.score() - survey.scale_min()) / span;
  if (!(span > 0) || !std::isfinite(span) || !std::isfinite(answer)) return;
  internal::ScoreState::Inputs* inputs = state->mutable_score()->mutable_inputs();
  inputs->set_has_survey(true);
  inputs->set_survey_0_to_10(std::clamp(answer, 0.0, 10.0));
  inputs->set_survey_event(event.event_id());
}

absl::Status ScoreStage::OnTicketUpdated(const TicketUpdate& update, StageContext& /*context*/) {
  // A refold starts from an empty state: what the aggregates hold is still
  // the stored record.
  if (update.refolded_from) *update.after->mutable_score()->mutable_counted() = update.refolded_from->score().counted();
  return absl::OkStatus();
}

absl::Status ScoreStage::OnWatermark(const std::string& tenant, int64_t /*before_us*/, int64_t /*after_us*/,
                                     StageContext& context) {
  const detect::Thresholds& thresholds = thresholds_->For(tenant);
  Deltas deltas;
  absl::Status unreadable;
  context.ForEachTicket(tenant, [&](internal::TicketState* state) {
    if (!unreadable.ok()) return;
    internal::TicketScoreRecord record = MakeRecord(*state, ScoreTicket(*state, thresholds, options_), options_);
    const internal::TicketScoreRecord& old_record = state->score().counted();
    if (!SameContribution(old_record, record)) {
      // The old record came from the store: taking back sums that do not
      // decode would corrupt every scope the ticket counts in.
      if (SumVector check{}; old_record.scored()) {
        if (unreadable = records::AddTicketScore(*state, &check); !unreadable.ok()) return;
      }
      WriteDelta(tenant, state->ticket_id(), old_record, record, &deltas, &context.writes());
    }
    *state->mutable_score()->mutable_counted() = std::move(record);
  });
  if (!unreadable.ok()) return unreadable;
  deltas.Write(&context.writes());
  return absl::OkStatus();
}

}  // namespace rapport::score
