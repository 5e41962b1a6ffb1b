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
//   grpc: {listen: "127.0.0.1:50051"}   # host:port
//   data_dir: ./var/rapport
//   plugin_dir: ""            # adapter modules (*.so); "": built-ins only
//   sync: false               # fsync the WAL before each ack
//   wal_recovery: serve       # or strict (docs/operations.md, Recovery)
//   limits: {max_batch_events: 1000, max_text_bytes: 65536, ...}   # event/validate.h
//   log: {format: text, level: info}   # format text|json; level debug|info|warning|error
//   tls: {cert: server.pem, key: server.key, client_ca: ca.pem, client_auth: [grpc, http]}   # both ports
//   auth: {required: false}   # --require-auth; on by itself when a listen address is not loopback
//   tenants:
//     acme:
//       detectors: {reply_gap: 8h}   # starts from `defaults`
//       adapters:                    # per adapter, handed to it as JSON
//         jira: {status_map: {"Waiting for customer": pending_requester}}
//         servicenow: {hold_reason_map: {"6": pending_third_party}}
//       webhooks:                    # what POST /v1/webhooks/{adapter}/acme must carry
//         jira: {secret: s3cret}     # X-Hub-Signature: sha256=<HMAC of the body>
//         zendesk: {secret: [new, old]}           # a list while a secret is rotated
//         servicenow: {token_file: /run/secrets/sn}  # Authorization: Bearer / X-Rapport-Token
//       keys:                        # API keys by hash (`rapportd keys hash`), besides the keys file
//         - {hash: "rpk1$...", role: read}   # role: ingest, read or admin
//         - {hash_file: /run/secrets/rapport/acme-key-hash, role: ingest}
//     "*":                           # the operator: every tenant; keys only
//       keys: [{hash: "rpk1$...", role: admin}]
//   http:
//     listen: 127.0.0.1:8080     # the HTTP port (webhooks, health); off when unset
//   # Alerts (docs/alerts.md), under defaults: or a tenant; a tenant's block
//   # starts from the defaults' and adds rules and sinks to them:
//   #   alerts: {defaults: true, max_age: 7d, rules: [...], sinks: [...]}
#ifndef RAPPORT_CONFIG_CONFIG_H_
#define RAPPORT_CONFIG_CONFIG_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "auth/api_keys.h"
#include "alert/rules.h"
#include "base/log.h"
#include "detect/thresholds.h"
#include "event/validate.h"
#include "score/ticket_score.h"

namespace rapport {

// What a webhook delivery for one tenant and adapter must carry: a signature
// made with one of `secrets` (the tool's own signing: Jira, Zendesk) and/or
// one of `tokens` (a shared bearer, for tools that do not sign). Several of
// each while one is rotated. Values, never logged; files already read.
struct WebhookCredentials {
  std::vector<std::string> secrets;
  std::vector<std::string> tokens;
  bool operator==(const WebhookCredentials&) const = default;
};

struct RapportConfig {
  detect::TenantThresholds detectors;
  score::ScoreOptions scoring;
  // Adapter configuration (as JSON text) by tenant ("" = defaults) and
  // adapter name, from `adapters:` under `defaults:` or a tenant.
  std::map<std::string, std::map<std::string, std::string>> adapters;

  // The server's own settings. Each holds its default when the file does not
  // set it; rapportd's flags, when given, override them.
  std::string grpc_listen = "127.0.0.1:50051";
  std::string data_dir = "./var/rapport";
  std::string plugin_dir;
  bool sync = false;
  std::string wal_recovery = "serve";  // or "strict"
  Limits limits;
  // Limits on whole calls per API key and tenant (server/call_limits.h),
  // under `limits:` beside the per-event ones; calls without a key (auth
  // off) are not counted.
  struct CallLimits {
    int max_streams_per_key = 8;      // StreamEvents open at once
    int max_streams_per_tenant = 32;  // by the keys of one tenant (the operator's count as "*")
    int requests_per_second_per_key = 100;  // unary calls and keyed HTTP requests; a stream counts once
    bool operator==(const CallLimits&) const = default;
  } call_limits;
  LogLevel log_level = LogLevel::kInfo;
  LogFormat log_format = LogFormat::kText;
  // tls: one block for both ports (server/tls.h); files are PEM, checked
  // to be readable when loaded and re-read by the server when they change.
  struct Tls {
    std::string cert;       // the certificate chain; "" = plain text
    std::string key;        // its private key (never logged)
    std::string client_ca;  // set: the ports named by client_auth require a client certificate it signed
    // client_auth: [grpc, http] (the default with client_ca) or fewer, e.g.
    // [grpc] to keep the HTTP port open to webhooks and probes.
    bool client_auth_grpc = false;
    bool client_auth_http = false;
    bool enabled() const { return !cert.empty(); }
    bool operator==(const Tls&) const = default;
  } tls;

  // A digest of every setting that changes derived data (thresholds,
  // targets, scoring, adapter settings): stored with the derived data, so a
  // store derived under other settings is rebuilt at startup.
  std::string DerivedSettingsDigest() const;
  // http.listen: host:port of the HTTP port; empty: off.
  std::string http_listen;
  // tenants.T.webhooks: tenant -> adapter -> credentials.
  std::map<std::string, std::map<std::string, WebhookCredentials>> webhooks;
  // tenants.T.keys: API keys named by their hash (auth/api_keys.h), for a
  // first start before any `rapportd keys create` (a Kubernetes Secret);
  // tenant "*" is the operator. Hashes, never keys.
  struct ApiKey {
    auth::KeyHash hash;
    auth::Role role = auth::Role::kRead;
    bool operator==(const ApiKey& o) const { return hash.text == o.hash.text && role == o.role; }
  };
  using ApiKeys = std::map<std::string, std::vector<ApiKey>>;
  ApiKeys api_keys;
  // auth.required (--require-auth): every call needs a key even on loopback
  // with no key made yet (docs/security.md, when auth is on).
  bool require_auth = false;
  // Alert rules and sinks (defaults and per tenant). Not derived settings:
  // a change applies to later batches, the alert log is never recomputed.
  alert::AlertSettings alerts;
  // Business calendars by name, from the top-level `calendars:`.
  std::map<std::string, std::shared_ptr<const calendar::Calendar>> calendars;
};

// InvalidArgument naming the line, the key and the problem (LoadConfigFile
// adds the file); NotFound for a missing file.
absl::StatusOr<RapportConfig> LoadConfigFile(const std::string& path);
absl::StatusOr<RapportConfig> ParseConfig(const std::string& yaml_text);

}  // namespace rapport

#endif  // RAPPORT_CONFIG_CONFIG_H_
