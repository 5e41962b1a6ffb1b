// The score aggregates: per scope, per creation day, exact integer sums
// (store/sums.h) that GetScore and ListScores read instead of tickets.
//
// Keys (store/keys.h): per scope-day and per scope-month in the aggregates
// family, and a scope index of each day's tickets ("sc" in the index family). A scope is its tag:
// one byte, the v1::ScopeKind, then the id (empty for the tenant scope).
// A ticket counts on its creation day for the tenant, its requester,
// department and service, and its final assignee and team. Weighted values
// are stored in millionths, so sums are exact and order-independent.
//
// Roll-ups. Every delta to a scope-day is merged into the scope's month and
// week records in the same batch, so a window reads its whole months from one
// record each, the whole weeks at its edges from one record each, and only
// the remaining days (score_query.h): a 30-day trend range is about four weeks
// and a few days, whatever the number of tickets. Counts (tickets, surveys,
// findings) are the days' sums as they are. The weighted slots decay at read
// time by 0.5^(age / half-life) per day, a factor that differs from day to
// day inside a period, so a roll-up holds each contribution already decayed
// to the first instant of the next period, in fixed point (kRollupScale units
// of a millionth): a query then decays the whole period by one factor. Each
// contribution is rounded on its own, so taking it back out (a rescore, a
// refold) cancels it exactly and the roll-up stays a function of the tickets
// it holds, whatever the order of updates. The weighting depends on the
// half-life, so every ticket also adds it to the kRollupHalfLife slot: a
// roll-up whose slot is not half-life × tickets was weighed with another
// configuration and is read from its days instead.
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
// A roll-up's slot that sums the half-life (µs) each ticket was weighed
// with; above every finding kind's slot.
inline constexpr int kRollupHalfLife = 63;
static_assert(FindingSlot(v1::FindingKind_MAX) < kRollupHalfLife);
// Fixed-point scale of a roll-up's weighted slots: 2^10 keeps a ticket's rounding
// ~1e-9 of its value and leaves room for 9 million tickets per scope-month.
inline constexpr double kRollupScale = 1024;

int64_t DayOf(int64_t micros);
int64_t DayStartMicros(int64_t day);
// Months count from January 1970 (0); days from 1970-01-01 (0).
int64_t MonthOfDay(int64_t day);
int64_t MonthFirstDay(int64_t month);
// Weeks run Monday to Sunday and count from the one of 1970-01-01 (0).
int64_t WeekOfDay(int64_t day);
int64_t WeekFirstDay(int64_t week);

// A roll-up period; its value is the letter of its keys (keys::AggregateRollup).
enum class Period : char { kMonth = 'm', kWeek = 'w' };
inline constexpr Period kPeriods[] = {Period::kMonth, Period::kWeek};
int64_t PeriodOfDay(Period period, int64_t day);
int64_t PeriodFirstDay(Period period, int64_t number);

// Whether a slot decays with age (the weighted sums) or is a count.
inline bool Decays(int slot) { return slot >= kWeight && slot < kSurveys; }
// What a ticket's sums on `day` add to the roll-up of that day's period.
SumVector RollupContribution(Period period, const SumVector& day_sums, int64_t day, int64_t half_life_us);
// True when every ticket of the roll-up was weighed with `half_life_us`;
// clears the stamp slot, so the record reads like a day's.
bool TakeRollupStamp(SumVector* rollup, int64_t half_life_us);

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
