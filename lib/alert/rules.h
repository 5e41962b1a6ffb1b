// Alert rules and sinks of a tenant, as the configuration file states them
// (lib/config parses the YAML into these; docs/alerts.md is the user's side).
//
// A tenant's rules in force are the shipped defaults (DefaultRules(), unless
// `defaults: false`), then the rules of the `defaults:` block, then its own.
// Every duration is event time, counted on the tenant's watermark.
#ifndef RAPPORT_ALERT_RULES_H_
#define RAPPORT_ALERT_RULES_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rapport/v1/findings.pb.h"

namespace rapport::alert {

inline constexpr int64_t kHourUs = int64_t{3600} * 1'000'000;
inline constexpr int64_t kDayUs = 24 * kHourUs;

// What one open alert is about: alerts of a rule are deduplicated per subject.
enum class SubjectKind { kTicket, kAgent, kTeam, kRequester, kService, kTenant };

// "ticket", "agent", ... and back (nullopt for an unknown name).
const char* SubjectKindName(SubjectKind kind);
std::optional<SubjectKind> ParseSubjectKind(const std::string& name);

// Filters on the finding's ticket; unset parts match everything.
struct Where {
  std::optional<bool> requester_vip;
  std::string team, service, agent, department;
  bool operator==(const Where&) const = default;
};

struct AlertRule {
  enum class On { kFinding, kScore };
  std::string name;  // unique per tenant; no control characters
  On on = On::kFinding;

  // -- on: finding
  std::vector<v1::FindingKind> kinds;  // empty: every kind
  v1::Severity min_severity = v1::SEVERITY_UNSPECIFIED;
  Where where;
  SubjectKind subject = SubjectKind::kTicket;
  // An open alert with no new match for this long resolves (0: only when
  // every finding behind it is withdrawn).
  int64_t quiet_us = 0;
  // At most rate_max alerts raised per rate_per_us (0: no limit); the excess
  // folds into one RATE_LIMITED alert of the rule until the window ends.
  uint32_t rate_max = 0;
  int64_t rate_per_us = 0;

  // -- on: score
  v1::ScopeKind scope_kind = v1::SCOPE_KIND_UNSPECIFIED;
  std::string scope_id;  // empty: every scope of the kind
  int64_t window_us = 7 * kDayUs;
  // One of the two: the score is below `below`, or fell more than `drop`
  // points against the previous window of the same length.
  std::optional<double> below;
  std::optional<double> drop;
  // A score alert resolves once the score is back at or above below +
  // hysteresis (or the drop is back under drop - hysteresis).
  double hysteresis = 5;

  bool operator==(const AlertRule&) const = default;
};

// Where alerts go, besides the log and WatchAlerts (sinks run off the
// ingest path, each with its own delivery cursor).
struct SinkConfig {
  std::string name;  // unique per tenant
  std::string kind;  // "webhook", "alertmanager", "jsonl", or a loaded sink plugin
  std::string url;                          // webhook, alertmanager
  std::string secret;                       // webhook (secret or secret_file, read)
  std::string path;                         // jsonl
  std::map<std::string, std::string> headers;
  std::string ca_file;
  int64_t timeout_us = 0;                   // HTTP sinks; 0: the sink's default (10 s)
  int64_t resend_us = 0;                    // alertmanager; 0: the sink's default
  // A loaded sink plugin's own settings, each value as JSON text.
  std::map<std::string, std::string> extra;
  bool operator==(const SinkConfig&) const = default;
};

struct TenantAlerts {
  bool defaults = true;               // the shipped rules
  int64_t max_age_us = 7 * kDayUs;    // older causes are never sent to sinks
  std::vector<AlertRule> rules;       // beside the shipped ones
  std::vector<SinkConfig> sinks;
  bool operator==(const TenantAlerts&) const = default;

  // The shipped rules (when `defaults`) followed by `rules`; a rule of
  // `rules` named like a shipped one replaces it.
  std::vector<AlertRule> RulesInForce() const;
};

struct AlertSettings {
  TenantAlerts defaults;                     // `defaults: alerts:`
  std::map<std::string, TenantAlerts> tenants;  // each starts as a copy of `defaults`
  bool operator==(const AlertSettings&) const = default;

  const TenantAlerts& For(const std::string& tenant) const;
};

// The shipped rule set: RUDE_REPLY, PAUSE_ABUSE, MASS_CLOSURE and
// RESOLVED_WITHOUT_CONTACT per agent, REQUESTER_DISTRESS of VIP requesters
// per ticket; each goes quiet after 24h and raises at most 20 an hour.
const std::vector<AlertRule>& DefaultRules();

// The subject part of an open alert's key: a letter for the kind, ':' and
// the id ("a:ann", "k:INC1", "n:" for the tenant).
std::string SubjectKey(SubjectKind kind, const std::string& id);

}  // namespace rapport::alert

#endif  // RAPPORT_ALERT_RULES_H_
