#include "score/score_stage.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>
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

// The aggregate deltas of one batch, summed per key: a busy scope-day or
// scope-month (the tenant's, a team's) gets one merge operand per batch
// instead of one per ticket. Integer sums make that exactly the same value.
class Deltas {
 public:
  // Adds `sign` (+1 or -1) times `sums`.
  void Add(std::string key, const SumVector& sums, int sign) {
    auto [it, fresh] = by_key_.try_emplace(std::move(key));
    if (fresh) {
      it->second.fill(0);
      order_.push_back(it->first);
    }
    for (int slot = 0; slot < kSumSlots; ++slot) {
      // Wrapping, as AddEncodedSums: a delta and its negation cancel exactly.
      it->second[slot] = static_cast<int64_t>(static_cast<uint64_t>(it->second[slot]) +
                                              static_cast<uint64_t>(sign) * static_cast<uint64_t>(sums[slot]));
    }
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

// One side of a ticket's move: its record's sums for the day and for each
// roll-up period.
struct Contribution {
  Contribution(const internal::TicketScoreRecord& record, int64_t half_life_us) {
    if (!record.scored()) return;
    (void)AddEncodedSums(record.sums(), &day);  // written by MakeRecord
    for (size_t p = 0; p < std::size(kPeriods); ++p) {
      rollups[p] = RollupContribution(kPeriods[p], day, record.day(), half_life_us);
      numbers[p] = PeriodOfDay(kPeriods[p], record.day());
    }
  }
  void AddTo(const std::string& tenant, const std::string& scope, int64_t day_number, int sign, Deltas* deltas) const {
    deltas->Add(keys::Aggregate(tenant, scope, day_number), day, sign);
    for (size_t p = 0; p < std::size(kPeriods); ++p) {
      deltas->Add(keys::AggregateRollup(tenant, scope, static_cast<char>(kPeriods[p]), numbers[p]), rollups[p], sign);
    }
  }
  SumVector day{};
  std::array<SumVector, std::size(kPeriods)> rollups{};
  std::array<int64_t, std::size(kPeriods)> numbers{};
};

// Moves the ticket's contribution from `old_record` to `new_record`, in its
// days and their roll-ups.
void WriteDelta(const std::string& tenant, const std::string& ticket_id, const internal::TicketScoreRecord& old_record,
                const internal::TicketScoreRecord& new_record, int64_t half_life_us, Deltas* deltas,
                Store::Batch* writes) {
  std::set<std::string> old_scopes, new_scopes;
  if (old_record.scored()) old_scopes.insert(old_record.scopes().begin(), old_record.scopes().end());
  if (new_record.scored()) new_scopes.insert(new_record.scopes().begin(), new_record.scopes().end());
  const Contribution old_sums(old_record, half_life_us), new_sums(new_record, half_life_us);
  const bool same_day = old_record.scored() && new_record.scored() && old_record.day() == new_record.day();
  for (const std::string& scope : old_scopes) {
    old_sums.AddTo(tenant, scope, old_record.day(), -1, deltas);
    if (same_day && new_scopes.count(scope)) {
      new_sums.AddTo(tenant, scope, new_record.day(), +1, deltas);
      continue;
    }
    writes->Delete(Family::kIndex, keys::ScopeIndex(tenant, scope, old_record.day(), ticket_id));
  }
  for (const std::string& scope : new_scopes) {
    if (same_day && old_scopes.count(scope)) continue;
    new_sums.AddTo(tenant, scope, new_record.day(), +1, deltas);
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
      WriteDelta(tenant, state->ticket_id(), old_record, record, options_.half_life_us, &deltas, &context.writes());
    }
    *state->mutable_score()->mutable_counted() = std::move(record);
  });
  if (!unreadable.ok()) return unreadable;
  deltas.Write(&context.writes());
  return absl::OkStatus();
}

}  // namespace rapport::score
