// The support-experience score of one ticket (PRODUCT.md §7).
//
// Five components, each in -100..+100 or not applicable:
//   timeliness            first response and resolution time against the
//                         ticket's targets (Rapport's clock: suspect pauses
//                         count), a stale ticket loses points;
//   resolution_integrity  +100 for a resolution, minus every gaming finding
//                         (reopens included) by severity;
//   communication         the tone of every public agent message, minus rude
//                         and curt replies and reply gaps while the requester
//                         waited; a resolution without any public reply is -50;
//   requester_sentiment   the requester's sentiment at the end, plus half the
//                         change since the start (a repaired ticket scores
//                         well); needs two messages, or one plainly upset;
//   survey                the survey answer on 0..10 mapped linearly to -100..+100.
// The score is the weighted mean of the applicable components. The score
// depends only on the ticket's events and findings, never on the clock, so it
// changes only when an event or a finding does and aggregates stay exact.
#ifndef RAPPORT_SCORE_TICKET_SCORE_H_
#define RAPPORT_SCORE_TICKET_SCORE_H_

#include <array>
#include <cstdint>
#include <string>

#include "detect/thresholds.h"
#include "rapport/internal/state.pb.h"
#include "rapport/v1/scores.pb.h"

namespace rapport::score {

enum Component : int {
  kTimeliness = 0,
  kResolutionIntegrity,
  kCommunication,
  kRequesterSentiment,
  kSurvey,
};
inline constexpr int kComponentCount = 5;
const char* ComponentName(int component);

// How the score is computed and weighted. Changing these changes stored
// aggregates: rebuild (`rapportd --rebuild`) after a change.
struct ScoreOptions {
  // Component weights (normalized over the applicable ones). Defaults and
  // their reasoning are in docs/scoring.md.
  std::array<double, kComponentCount> weights = {0.25, 0.25, 0.20, 0.15, 0.15};
  double intensity_factor = 1.0;           // a in w = 1 + a * intensity
  double vip_factor = 1.5;
  int64_t half_life_us = 90 * detect::kDay;  // recency decay, back from the window's end
  int64_t trend_window_us = 30 * detect::kDay;
  // Survey bands on 0..10 (NPS / Happiness arithmetic).
  double survey_top_band = 9.0;
  double survey_bottom_band = 6.0;
  // Read a window's whole months and weeks from their roll-ups (aggregates.h). False
  // reads every day: the reference the roll-ups are tested against.
  bool read_rollups = true;
};

struct TicketScore {
  bool scored = false;  // some component applies
  double score = 0;
  std::array<bool, kComponentCount> applicable{};
  std::array<double, kComponentCount> components{};
  // Each component's share of the score: share[c] = normalized weight * value,
  // so the shares add up to `score`.
  std::array<double, kComponentCount> shares{};
  bool has_services = false;
  double services = 0;
  bool has_communications = false;
  double communications = 0;
  v1::Relationship relationship = v1::RELATIONSHIP_UNSPECIFIED;
  double intensity = 0;  // max(0, -lowest requester compound)
  double weight = 1;     // (1 + a * intensity) * vip factor
};

TicketScore ScoreTicket(const internal::TicketState& state, const detect::Thresholds& thresholds,
                        const ScoreOptions& options);

// A sub-score >= 0 is good; an axis without data is not judged poor.
v1::Relationship Quadrant(bool has_services, double services, bool has_communications, double communications);

// Adds points largest |value| first: the order explanations list them in, so
// a score and the sum of its listed contributions are bit-identical.
double SumLargestFirst(std::array<double, kComponentCount> points);

// The first-response / resolution curve: 100 at once, 0 at the target,
// -100 at twice the target. `ratio` = time taken / target.
double TimeRatioPoints(double ratio);

}  // namespace rapport::score

#endif  // RAPPORT_SCORE_TICKET_SCORE_H_
