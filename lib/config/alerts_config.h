// The `alerts:` block of the configuration (docs/alerts.md), for config.cc:
// the one place its YAML is read. Not a public header of the library.
//
//   alerts:
//     defaults: true          # the shipped rules (false turns off only those)
//     max_age: 7d             # older causes are recorded, never sent to sinks
//     rules:
//       - {name: rude-to-vip, on: finding, kinds: [RUDE_REPLY], min_severity: MEDIUM,
//          where: {requester_vip: true}, subject: ticket, quiet: 24h, rate: {max: 20, per: 1h}}
//       - {name: team-low, on: score, scope: team, window: 7d, below: -20, hysteresis: 5}
//     sinks:
//       - {name: ops, kind: webhook, url: "https://...", secret_file: /run/secrets/hook,
//          headers: {Authorization: "Bearer ..."}, ca_file: /etc/ssl/ca.pem, timeout: 10s}
//       - {name: am, kind: alertmanager, url: "http://alertmanager:9093"}
//       - {name: file, kind: jsonl, path: /var/log/rapport/alerts.jsonl}
#ifndef RAPPORT_CONFIG_ALERTS_CONFIG_H_
#define RAPPORT_CONFIG_ALERTS_CONFIG_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "alert/rules.h"
#include "yaml-cpp/yaml.h"

namespace rapport {

// "90s", "10m", "24h", "7d" -> microseconds; InvalidArgument naming `where`.
absl::StatusOr<int64_t> ParseDuration(const std::string& where, const std::string& text);

// Applies `node` (the value of an `alerts:` key at `where`, e.g.
// "tenants.acme.alerts") over *out: flags and max_age replace, rules and
// sinks are added. InvalidArgument naming the key and what is allowed.
absl::Status ApplyAlerts(const YAML::Node& node, const std::string& where, alert::TenantAlerts* out);

}  // namespace rapport

#endif  // RAPPORT_CONFIG_ALERTS_CONFIG_H_
