#include "score/aggregates.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"

namespace rapport::score {
namespace {

constexpr int64_t kMicrosPerDay = 86'400'000'000;

// Millionths, saturated: a finite value this large is already nonsense, and
// llround of a value beyond int64 (or of NaN) is undefined. ScoreTicket keeps
// every value finite and within ±100 times the weight; this is the last guard.
int64_t Micro(double v) {
  constexpr double kLimit = 1e15;  // ±1e9 in units, far from int64 even summed over many tickets
  if (std::isnan(v)) return 0;
  return std::llround(std::clamp(v * kMicro, -kLimit, kLimit));
}

}  // namespace

int64_t DayOf(int64_t micros) {
  int64_t day = micros / kMicrosPerDay;
  if (micros % kMicrosPerDay < 0) --day;
  return day;
}

int64_t DayStartMicros(int64_t day) { return day * kMicrosPerDay; }

int64_t MonthOfDay(int64_t day) {
  const absl::CivilDay civil = absl::CivilDay(1970, 1, 1) + day;
  return (civil.year() - 1970) * 12 + (civil.month() - 1);
}

int64_t MonthFirstDay(int64_t month) {
  int64_t years = month / 12, rest = month % 12;
  if (rest < 0) rest += 12, --years;
  return absl::CivilDay(1970 + years, static_cast<int>(rest) + 1, 1) - absl::CivilDay(1970, 1, 1);
}

int64_t WeekOfDay(int64_t day) {
  // 1970-01-01 was a Thursday: its week began three days before.
  const int64_t shifted = day + 3;
  return shifted >= 0 ? shifted / 7 : -((6 - shifted) / 7);
}

int64_t WeekFirstDay(int64_t week) { return week * 7 - 3; }

int64_t PeriodOfDay(Period period, int64_t day) { return period == Period::kMonth ? MonthOfDay(day) : WeekOfDay(day); }

int64_t PeriodFirstDay(Period period, int64_t number) {
  return period == Period::kMonth ? MonthFirstDay(number) : WeekFirstDay(number);
}

SumVector RollupContribution(Period period, const SumVector& day_sums, int64_t day, int64_t half_life_us) {
  // Decayed to the start of the next period: a factor in (0, 1], so the
  // scaled value never exceeds the day's.
  const int64_t age_us = DayStartMicros(PeriodFirstDay(period, PeriodOfDay(period, day) + 1)) - DayStartMicros(day);
  const double factor =
      kRollupScale * (half_life_us > 0 ? std::exp2(-static_cast<double>(age_us) / static_cast<double>(half_life_us)) : 1);
  SumVector rollup = day_sums;
  for (int slot = 0; slot < kSumSlots; ++slot) {
    if (Decays(slot)) rollup[slot] = std::llround(static_cast<double>(day_sums[slot]) * factor);
  }
  rollup[kRollupHalfLife] = static_cast<int64_t>(static_cast<uint64_t>(half_life_us) * static_cast<uint64_t>(day_sums[kTickets]));
  return rollup;
}

bool TakeRollupStamp(SumVector* rollup, int64_t half_life_us) {
  const uint64_t expected = static_cast<uint64_t>(half_life_us) * static_cast<uint64_t>((*rollup)[kTickets]);
  const bool same = static_cast<uint64_t>((*rollup)[kRollupHalfLife]) == expected;
  (*rollup)[kRollupHalfLife] = 0;
  return same;
}

std::string ScopeTag(v1::ScopeKind kind, absl::string_view id) {
  std::string tag(1, static_cast<char>(kind));
  tag.append(id.data(), id.size());
  return tag;
}

v1::ScopeKind ScopeTagKind(absl::string_view tag) {
  return tag.empty() ? v1::SCOPE_KIND_UNSPECIFIED : static_cast<v1::ScopeKind>(static_cast<unsigned char>(tag[0]));
}

absl::string_view ScopeTagId(absl::string_view tag) { return tag.empty() ? tag : tag.substr(1); }

internal::TicketScoreRecord MakeRecord(const internal::TicketState& s, const TicketScore& score,
                                       const ScoreOptions& options) {
  internal::TicketScoreRecord r;
  r.set_scored(score.scored);
  if (!score.scored) return r;
  r.set_score(score.score);
  r.set_has_services(score.has_services);
  r.set_services_score(score.services);
  r.set_has_communications(score.has_communications);
  r.set_communications_score(score.communications);
  r.set_relationship(score.relationship);
  for (int c = 0; c < kComponentCount; ++c) r.add_components(score.applicable[c] ? score.components[c] : NAN);
  r.set_weight(score.weight);
  r.set_day(DayOf(s.created_at_us() != 0 ? s.created_at_us() : s.first_event_us()));

  r.add_scopes(ScopeTag(v1::SCOPE_KIND_TENANT, ""));
  auto add = [&](v1::ScopeKind kind, const std::string& id) {
    if (!id.empty()) r.add_scopes(ScopeTag(kind, id));
  };
  add(v1::SCOPE_KIND_AGENT, s.assignee().agent_id());
  add(v1::SCOPE_KIND_TEAM, s.assignee().team());
  add(v1::SCOPE_KIND_REQUESTER, s.requester().id());
  add(v1::SCOPE_KIND_DEPARTMENT, s.requester().department());
  add(v1::SCOPE_KIND_SERVICE, s.service());

  const double w = score.weight;
  SumVector sums{};
  sums[kTickets] = 1;
  sums[kWeight] = Micro(w);
  if (score.has_services) {
    sums[kServicesWeight] = Micro(w);
    sums[kServicesSum] = Micro(w * score.services);
  }
  if (score.has_communications) {
    sums[kCommunicationsWeight] = Micro(w);
    sums[kCommunicationsSum] = Micro(w * score.communications);
  }
  for (int c = 0; c < kComponentCount; ++c) {
    if (!score.applicable[c]) continue;
    sums[kShareBase + c] = Micro(w * score.shares[c]);
    sums[kComponentWeightBase + c] = Micro(w);
    sums[kComponentSumBase + c] = Micro(w * score.components[c]);
  }
  if (s.score().inputs().has_survey() && std::isfinite(s.score().inputs().survey_0_to_10())) {
    double answer = s.score().inputs().survey_0_to_10();
    sums[kSurveys] = 1;
    sums[kSurveyTop] = answer >= options.survey_top_band ? 1 : 0;
    sums[kSurveyBottom] = answer <= options.survey_bottom_band ? 1 : 0;
  }
  for (const v1::Finding& f : s.findings()) {
    int slot = FindingSlot(static_cast<int>(f.kind()));
    if (f.kind() > 0 && slot < kSumSlots) ++sums[slot];
  }
  r.set_sums(EncodeSums(sums));
  return r;
}

}  // namespace rapport::score
