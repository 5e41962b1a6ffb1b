// The score aggregates: per scope, per creation day, exact integer sums
// (store/sums.h) that GetScore and ListScores read instead of tickets.
//
// Keys (store/keys.h): per scope-day in the aggregates family, and a scope
// index of each day's tickets ("sc" in the index family). A scope is its tag:
// one byte, the v1::ScopeKind, then the id (empty for the tenant scope).
// A ticket counts on its creation day for the tenant, its requester,
// department and service, and its final assignee and team. Weighted values
// are stored in millionths, so sums are exact and order-independent.
#ifndef RAPPORT_SCORE_AGGREGATES_H_
#define RAPPORT_SCORE_AGGREGATES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "rapport/internal/state.pb.h"
#include "rapport/v1/findings.pb.h"
#include "score/ticket_score.h"
#include "store/sums.h"

namespace rapport::score {

// Slots of the sums vector.
enum Slot : int {
  kTickets = 0,
  kWeight = 1,            // sum of w (before decay)
  kServicesWeight = 2,
  kServicesSum = 3,       // sum of w * services score
  kCommunicationsWeight = 4,
  kCommunicationsSum = 5,
  kShareBase = 6,         // + component: sum of w * the component's share of the ticket score
  kComponentWeightBase = 11,  // + component: sum of w where the component applies
  kComponentSumBase = 16,     // + component: sum of w * component value
  kSurveys = 21,
  kSurveyTop = 22,
  kSurveyBottom = 23,
  kFirstFindingKind = 24,  // + finding kind - 1: findings of that kind (kinds 1..40)
};
// The slot of findings of `kind` (>= 1).
constexpr int FindingSlot(int kind) { return kFirstFindingKind + kind - 1; }
inline constexpr double kMicro = 1e6;

int64_t DayOf(int64_t micros);
int64_t DayStartMicros(int64_t day);

// A scope as stored in TicketScoreRecord.scopes: kind byte + id.
std::string ScopeTag(v1::ScopeKind kind, absl::string_view id);
v1::ScopeKind ScopeTagKind(absl::string_view tag);
absl::string_view ScopeTagId(absl::string_view tag);

// Their keys, and those of the scope index: store/keys.h (keys::Aggregate,
// keys::ScopeIndex and the functions beside them).

// The record of what `state` contributes, given its score.
internal::TicketScoreRecord MakeRecord(const internal::TicketState& state, const TicketScore& score,
                                       const ScoreOptions& options);

}  // namespace rapport::score

#endif  // RAPPORT_SCORE_AGGREGATES_H_
