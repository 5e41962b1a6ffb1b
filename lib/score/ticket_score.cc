#include "score/ticket_score.h"

#include <algorithm>
#include <cmath>

#include "detect/detectors.h"
#include "event/event.h"

namespace rapport::score {
namespace {

bool IsGaming(v1::FindingKind kind) {
  return kind >= v1::FINDING_KIND_REOPENED_AFTER_RESOLVE && kind <= v1::FINDING_KIND_BOILERPLATE_RESOLUTION;
}

double SeverityPenalty(v1::Severity severity) {
  switch (severity) {
    case v1::SEVERITY_LOW: return 25;
    case v1::SEVERITY_HIGH: return 60;
    case v1::SEVERITY_CRITICAL: return 80;
    default: return 40;
  }
}

double Clamp(double v) { return std::clamp(v, -100.0, 100.0); }

}  // namespace

double SumLargestFirst(std::array<double, kComponentCount> points) {
  std::stable_sort(points.begin(), points.end(), [](double a, double b) { return std::abs(a) > std::abs(b); });
  double total = 0;
  for (double p : points) total += p;
  return total;
}

const char* ComponentName(int component) {
  static constexpr const char* kNames[kComponentCount] = {"timeliness", "resolution_integrity", "communication",
                                                           "requester_sentiment", "survey"};
  return component >= 0 && component < kComponentCount ? kNames[component] : "unknown";
}

double TimeRatioPoints(double ratio) {
  if (ratio <= 1) return 100.0 * (1.0 - std::max(0.0, ratio) * std::max(0.0, ratio));
  return -100.0 * std::min(1.0, ratio - 1.0);
}

v1::Relationship Quadrant(bool has_services, double services, bool has_communications, double communications) {
  if (!has_services && !has_communications) return v1::RELATIONSHIP_UNSPECIFIED;
  bool services_good = !has_services || services >= 0;
  bool communications_good = !has_communications || communications >= 0;
  if (services_good && communications_good) return v1::RELATIONSHIP_PARTNER;
  if (communications_good) return v1::RELATIONSHIP_SERVICE_GAP;
  if (services_good) return v1::RELATIONSHIP_COMMUNICATION_GAP;
  return v1::RELATIONSHIP_BROKEN;
}

TicketScore ScoreTicket(const internal::TicketState& s, const detect::Thresholds& th, const ScoreOptions& o) {
  TicketScore out;
  const internal::DetectorState& d = s.detect();
  const bool conversation = !d.conversation_known() || d.conversation();

  int stale = 0, reply_gaps = 0, rude = 0, curt = 0, gaming = 0;
  bool first_response_breach = false, resolution_breach = false;
  double gaming_penalty = 0;
  for (const v1::Finding& f : s.findings()) {
    switch (f.kind()) {
      case v1::FINDING_KIND_STALE: ++stale; break;
      case v1::FINDING_KIND_REPLY_GAP: ++reply_gaps; break;
      case v1::FINDING_KIND_RUDE_REPLY: ++rude; break;
      case v1::FINDING_KIND_CURT_TO_UPSET_REQUESTER: ++curt; break;
      case v1::FINDING_KIND_FIRST_RESPONSE_BREACH: first_response_breach = true; break;
      case v1::FINDING_KIND_RESOLUTION_BREACH: resolution_breach = true; break;
      default:
        if (IsGaming(f.kind())) {
          ++gaming;
          gaming_penalty += SeverityPenalty(f.severity());
        }
    }
  }

  // Timeliness: the mean of the first-response and resolution readings.
  {
    detect::SlaLedger ledger = detect::ReadLedger(s, s.last_event_us(), th);
    double sum = 0;
    int parts = 0;
    if (ledger.first_response_us >= 0 && ledger.first_response_target_us > 0) {
      sum += TimeRatioPoints(static_cast<double>(ledger.first_response_us) / ledger.first_response_target_us);
      ++parts;
    } else if (first_response_breach) {
      // Never answered: the worst reading once the ticket is over.
      sum += IsTerminal(s.status()) ? -100 : -60;
      ++parts;
    }
    if (IsResolved(s.status()) && ledger.resolution_target_us > 0) {
      sum += TimeRatioPoints(static_cast<double>(ledger.resolution_clock_us) / ledger.resolution_target_us);
      ++parts;
    } else if (resolution_breach) {
      sum += IsTerminal(s.status()) ? -100 : -60;
      ++parts;
    }
    if (parts > 0 || stale > 0) {
      out.applicable[kTimeliness] = true;
      out.components[kTimeliness] = Clamp((parts > 0 ? sum / parts : 0) - 30.0 * std::min(stale, 1));
    }
  }

  // Resolution integrity: a resolution earns +100; gaming takes it back.
  if (IsResolved(s.status()) || s.resolved_at_us() != 0 || gaming > 0) {
    out.applicable[kResolutionIntegrity] = true;
    out.components[kResolutionIntegrity] = Clamp(100.0 - gaming_penalty);
  }

  if (conversation) {
    // Resolved without one public word to the requester: nothing was
    // communicated, which is poor communication, not an absent one.
    const bool silent_resolution = d.agent_toned_messages() == 0 && s.resolved_at_us() != 0;
    if (d.agent_toned_messages() > 0 || rude + curt + reply_gaps > 0 || silent_resolution) {
      double mean = d.agent_toned_messages() > 0 ? d.agent_tone_points() / d.agent_toned_messages() : -50.0;
      out.applicable[kCommunication] = true;
      out.components[kCommunication] = Clamp(mean - 40.0 * rude - 25.0 * curt - 20.0 * reply_gaps);
    }
    // A single message is usually the problem report, whose tone says little
    // about the service; it counts only when it is plainly upset.
    const double end = d.requester_last_compound();
    if (d.requester_messages() >= 2 || (d.requester_messages() == 1 && end <= th.upset_compound)) {
      const double start = d.requester_first_compound();
      out.applicable[kRequesterSentiment] = true;
      out.components[kRequesterSentiment] = Clamp(100.0 * (end + 0.5 * (end - start)));
    }
    if (d.requester_messages() > 0) out.intensity = std::clamp(-d.requester_min_compound(), 0.0, 1.0);
  }

  if (s.score().inputs().has_survey()) {
    out.applicable[kSurvey] = true;
    out.components[kSurvey] = Clamp((s.score().inputs().survey_0_to_10() - 5.0) * 20.0);
  }

  // A value that is not a number (a survey stored before validation refused
  // its scale, a reading gone wrong) never reaches a score or an aggregate:
  // its component does not apply.
  for (int c = 0; c < kComponentCount; ++c) {
    if (out.applicable[c] && !std::isfinite(out.components[c])) {
      out.applicable[c] = false;
      out.components[c] = 0;
    }
  }
  if (!std::isfinite(out.intensity)) out.intensity = 0;

  double total_weight = 0;
  for (int c = 0; c < kComponentCount; ++c) {
    if (out.applicable[c]) total_weight += o.weights[c];
  }
  out.scored = total_weight > 0;
  if (out.scored) {
    for (int c = 0; c < kComponentCount; ++c) {
      if (out.applicable[c]) out.shares[c] = o.weights[c] / total_weight * out.components[c];
    }
    out.score = SumLargestFirst(out.shares);
  }
  auto axis = [&](int a, int b, bool* has, double* value) {
    double w = (out.applicable[a] ? o.weights[a] : 0) + (out.applicable[b] ? o.weights[b] : 0);
    *has = w > 0;
    if (*has) {
      *value = ((out.applicable[a] ? o.weights[a] * out.components[a] : 0) +
                (out.applicable[b] ? o.weights[b] * out.components[b] : 0)) / w;
    }
  };
  axis(kTimeliness, kResolutionIntegrity, &out.has_services, &out.services);
  axis(kCommunication, kRequesterSentiment, &out.has_communications, &out.communications);
  out.relationship = Quadrant(out.has_services, out.services, out.has_communications, out.communications);
  out.weight = (1.0 + o.intensity_factor * out.intensity) * (s.requester().vip() ? o.vip_factor : 1.0);
  return out;
}

}  // namespace rapport::score
