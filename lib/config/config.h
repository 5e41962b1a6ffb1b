// rapportd's configuration file (YAML). Every section is optional; what is
// not set keeps its documented default. Unknown keys are errors, so a typo is
// reported instead of silently ignored.
//
//   defaults:                 # every tenant without its own settings
//     detectors:
//       reply_gap: 24h        # durations: 90s, 10m, 24h, 7d
//       stale: 7d
//       pause_after_reply: 10m
//       downgrade_before_resolve: 1h
//       reopen_window: 7d
//       edge_fraction: 0.05
//       ping_pong_reassignments: 3
//       mass_closure: {count: 20, window: 10m}
//       boilerplate: {count: 10, window: 30d}
//       reopen_as_new_window: 3d
//       upset_compound: -0.5
//       curt_max_words: 6
//       distress_drop: 0.8
//       targets:              # first response / resolution per priority
//         critical: {first_response: 15m, resolution: 4h}
//         high: {first_response: 1h, resolution: 8h}
//         medium: {first_response: 4h, resolution: 3d}
//         low: {first_response: 8h, resolution: 5d}
//       # Business calendars: a ticket's clocks use the first of its target's
//       # `calendar` (e.g. high: {first_response: 1h, calendar: emea-desk}),
//       # calendar_by team then service (as the ticket was opened), `calendar`,
//       # else 24/7. On a calendar EVERY duration of those clocks, reply_gap
//       # and stale included, is WORKING time: 3d = 72 working hours.
//       calendar_by: {team: {emea-l1: emea-desk}, service: {payroll: emea-desk}}
//       calendar: emea-desk
//   calendars:                # business calendars (docs/detectors.md)
//     emea-desk:
//       time_zone: Europe/Berlin        # IANA name (tzdata)
//       hours:                          # a day not listed is off
//         mon: ["08:00-12:00", "13:00-17:00"]   # ranges may end at 24:00
//         fri: ["08:00-15:00"]
//       holidays:
//         - 2026-12-24                  # one day
//         - {from: 2026-12-28, to: 2026-12-31}  # inclusive
//         - {date: 12-25, annual: true} # every year
//   scoring:                  # the score (lib/score); rebuild after a change
//     weights: {timeliness: 0.25, resolution_integrity: 0.25, communication: 0.2,
//               requester_sentiment: 0.15, survey: 0.15}
//     intensity_factor: 1     # a in w = 1 + a * requester intensity
//     vip_factor: 1.5
//     half_life: 90d
//     trend_window: 30d
//   tenants:
//     acme:
//       detectors: {reply_gap: 8h}   # starts from `defaults`
//       adapters:                    # per adapter, handed to it as JSON
//         jira: {status_map: {"Waiting for customer": pending_requester}}
//         servicenow: {hold_reason_map: {"6": pending_third_party}}
#ifndef RAPPORT_CONFIG_CONFIG_H_
#define RAPPORT_CONFIG_CONFIG_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "detect/thresholds.h"
#include "score/ticket_score.h"

namespace rapport {

struct RapportConfig {
  detect::TenantThresholds detectors;
  score::ScoreOptions scoring;
  // Adapter configuration (as JSON text) by tenant ("" = defaults) and
  // adapter name, from `adapters:` under `defaults:` or a tenant.
  std::map<std::string, std::map<std::string, std::string>> adapters;
  // Business calendars by name, from the top-level `calendars:`.
  std::map<std::string, std::shared_ptr<const calendar::Calendar>> calendars;
};

// InvalidArgument naming the key and the problem; NotFound for a missing file.
absl::StatusOr<RapportConfig> LoadConfigFile(const std::string& path);
absl::StatusOr<RapportConfig> ParseConfig(const std::string& yaml_text);

}  // namespace rapport

#endif  // RAPPORT_CONFIG_CONFIG_H_
