#include "config/alerts_config.h"

#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"

namespace rapport {
namespace {

absl::Status Bad(const std::string& at, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(at, ": ", what));
}

// A name or id used in keys and labels: non-empty, no control character.
absl::Status CheckName(const std::string& at, const std::string& name) {
  if (name.empty()) return Bad(at, "must not be empty");
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return Bad(at, "must not contain control characters");
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::FindingKind> ParseKind(const std::string& at, const std::string& name) {
  v1::FindingKind kind;
  if (v1::FindingKind_Parse(absl::StrCat("FINDING_KIND_", absl::AsciiStrToUpper(name)), &kind) &&
      kind != v1::FINDING_KIND_UNSPECIFIED) {
    return kind;
  }
  return Bad(at, absl::StrCat("'", name, "' is not a finding kind (e.g. RUDE_REPLY, PAUSE_ABUSE; docs/detectors.md)"));
}

absl::StatusOr<v1::Severity> ParseSeverity(const std::string& at, const std::string& name) {
  v1::Severity severity;
  if (v1::Severity_Parse(absl::StrCat("SEVERITY_", absl::AsciiStrToUpper(name)), &severity) &&
      severity != v1::SEVERITY_UNSPECIFIED) {
    return severity;
  }
  return Bad(at, absl::StrCat("'", name, "' is not a severity (LOW, MEDIUM, HIGH, CRITICAL)"));
}

absl::StatusOr<v1::ScopeKind> ParseScopeKind(const std::string& at, const std::string& name) {
  v1::ScopeKind kind;
  if (v1::ScopeKind_Parse(absl::StrCat("SCOPE_KIND_", absl::AsciiStrToUpper(name)), &kind) &&
      kind != v1::SCOPE_KIND_UNSPECIFIED) {
    return kind;
  }
  return Bad(at, absl::StrCat("'", name, "' is not a scope kind (ticket, agent, team, requester, department, "
                                          "service, tenant)"));
}

absl::Status ApplyWhere(const YAML::Node& node, const std::string& at, alert::Where* w) {
  if (!node.IsMap()) return Bad(at, "must be a mapping like {requester_vip: true, team: Network}");
  for (const auto& item : node) {
    const std::string key = item.first.as<std::string>();
    if (key == "requester_vip") {
      w->requester_vip = item.second.as<bool>();
      continue;
    }
    std::string* field = key == "team"         ? &w->team
                         : key == "service"    ? &w->service
                         : key == "agent"      ? &w->agent
                         : key == "department" ? &w->department
                                               : nullptr;
    if (field == nullptr) {
      return Bad(at, absl::StrCat("unknown filter '", key, "' (requester_vip, team, service, agent, department)"));
    }
    *field = item.second.as<std::string>();
  }
  return absl::OkStatus();
}

// A YAML value as JSON, with the YAML 1.2 core schema's types for plain
// scalars (true/false, null, integers, decimals); a quoted scalar stays a
// string.
nlohmann::json YamlValue(const YAML::Node& node) {
  if (node.IsMap()) {
    nlohmann::json object = nlohmann::json::object();
    for (const auto& item : node) object[item.first.as<std::string>()] = YamlValue(item.second);
    return object;
  }
  if (node.IsSequence()) {
    nlohmann::json array = nlohmann::json::array();
    for (const auto& item : node) array.push_back(YamlValue(item));
    return array;
  }
  if (!node.IsScalar() || node.Tag() == "!") return node.IsScalar() ? nlohmann::json(node.Scalar()) : nullptr;
  const std::string& text = node.Scalar();
  if (text == "true" || text == "false") return text == "true";
  if (text == "null" || text == "~") return nullptr;
  int64_t whole = 0;
  double number = 0;
  if (absl::SimpleAtoi(text, &whole)) return whole;
  if (absl::SimpleAtod(text, &number) && absl::ascii_isdigit(text.back())) return number;
  return text;
}

std::string YamlToJson(const YAML::Node& node) { return YamlValue(node).dump(); }

absl::StatusOr<int64_t> PositiveDuration(const std::string& at, const YAML::Node& value) {
  auto d = ParseDuration(at, value.as<std::string>());
  if (!d.ok()) return d.status();
  if (*d <= 0) return Bad(at, "must be positive");
  return *d;
}

// The keys of a finding rule and of a score rule; `name` and `on` are both's.
absl::Status ApplyRuleKey(const std::string& key, const YAML::Node& value, const std::string& at,
                          alert::AlertRule* r) {
  const std::string k_at = absl::StrCat(at, ".", key);
  if (key == "kinds") {
    if (!value.IsSequence()) return Bad(k_at, "must be a list of finding kinds");
    for (const auto& v : value) {
      auto kind = ParseKind(k_at, v.as<std::string>());
      if (!kind.ok()) return kind.status();
      r->kinds.push_back(*kind);
    }
  } else if (key == "min_severity") {
    auto s = ParseSeverity(k_at, value.as<std::string>());
    if (!s.ok()) return s.status();
    r->min_severity = *s;
  } else if (key == "where") {
    return ApplyWhere(value, k_at, &r->where);
  } else if (key == "subject") {
    auto subject = alert::ParseSubjectKind(value.as<std::string>());
    if (!subject) return Bad(k_at, "must be one of ticket, agent, team, requester, service, tenant");
    r->subject = *subject;
  } else if (key == "quiet") {
    auto d = PositiveDuration(k_at, value);
    if (!d.ok()) return d.status();
    r->quiet_us = *d;
  } else if (key == "rate") {
    if (!value.IsMap() || !value["max"] || !value["per"] || value.size() != 2) {
      return Bad(k_at, "must be {max: N, per: DURATION}");
    }
    const int max = value["max"].as<int>();
    if (max <= 0) return Bad(k_at + ".max", "must be positive");
    r->rate_max = static_cast<uint32_t>(max);
    auto d = PositiveDuration(k_at + ".per", value["per"]);
    if (!d.ok()) return d.status();
    r->rate_per_us = *d;
  } else if (key == "scope") {
    if (value.IsScalar()) {
      auto kind = ParseScopeKind(k_at, value.as<std::string>());
      if (!kind.ok()) return kind.status();
      r->scope_kind = *kind;
    } else if (value.IsMap() && value["kind"] && value["id"] && value.size() == 2) {
      auto kind = ParseScopeKind(k_at + ".kind", value["kind"].as<std::string>());
      if (!kind.ok()) return kind.status();
      r->scope_kind = *kind;
      r->scope_id = value["id"].as<std::string>();
      if (auto s = CheckName(k_at + ".id", r->scope_id); !s.ok()) return s;
    } else {
      return Bad(k_at, "must be a scope kind (team) or {kind: team, id: Network}");
    }
  } else if (key == "window") {
    auto d = PositiveDuration(k_at, value);
    if (!d.ok()) return d.status();
    if (*d % alert::kDayUs != 0) return Bad(k_at, "must be whole days (scores count whole days), e.g. 7d");
    r->window_us = *d;
  } else if (key == "below") {
    r->below = value.as<double>();
  } else if (key == "drop") {
    r->drop = value.as<double>();
    if (*r->drop <= 0) return Bad(k_at, "must be positive (points)");
  } else if (key == "hysteresis") {
    r->hysteresis = value.as<double>();
    if (r->hysteresis < 0) return Bad(k_at, "must be >= 0 (points)");
  } else {
    return Bad(at, absl::StrCat("unknown setting '", key,
                                "' (a finding rule takes kinds, min_severity, where, subject, quiet, rate; "
                                "a score rule takes scope, window, below or drop, hysteresis)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<alert::AlertRule> ParseRule(const YAML::Node& node, const std::string& at) {
  if (!node.IsMap()) return Bad(at, "a rule must be a mapping with name and on");
  alert::AlertRule r;
  if (!node["name"]) return Bad(at, "a rule needs a name");
  r.name = node["name"].as<std::string>();
  if (auto s = CheckName(at + ".name", r.name); !s.ok()) return s;
  const std::string on = node["on"] ? node["on"].as<std::string>() : "";
  if (on == "score") {
    r.on = alert::AlertRule::On::kScore;
  } else if (on != "finding") {
    return Bad(at + ".on", "must be finding or score");
  }
  static const std::vector<std::string> kFindingOnly = {"kinds", "min_severity", "where", "subject", "quiet", "rate"};
  static const std::vector<std::string> kScoreOnly = {"scope", "window", "below", "drop", "hysteresis"};
  for (const auto& item : node) {
    const std::string key = item.first.as<std::string>();
    if (key == "name" || key == "on") continue;
    for (const std::string& k : r.on == alert::AlertRule::On::kScore ? kFindingOnly : kScoreOnly) {
      if (key == k) return Bad(at, absl::StrCat("'", key, "' does not apply to a rule on ", on));
    }
    if (auto s = ApplyRuleKey(key, item.second, at, &r); !s.ok()) return s;
  }
  if (r.on == alert::AlertRule::On::kScore) {
    if (r.scope_kind == v1::SCOPE_KIND_UNSPECIFIED) return Bad(at, "a score rule needs a scope");
    if (r.below.has_value() == r.drop.has_value()) return Bad(at, "a score rule needs one of below or drop");
  }
  return r;
}

absl::StatusOr<alert::SinkConfig> ParseSink(const YAML::Node& node, const std::string& at) {
  if (!node.IsMap()) return Bad(at, "a sink must be a mapping with name and kind");
  alert::SinkConfig sink;
  for (const auto& item : node) {
    const std::string key = item.first.as<std::string>();
    const std::string k_at = absl::StrCat(at, ".", key);
    const YAML::Node& value = item.second;
    if (key == "name") {
      sink.name = value.as<std::string>();
    } else if (key == "kind") {
      sink.kind = value.as<std::string>();
    } else if (key == "url") {
      sink.url = value.as<std::string>();
    } else if (key == "path") {
      sink.path = value.as<std::string>();
    } else if (key == "ca_file") {
      sink.ca_file = value.as<std::string>();
    } else if (key == "secret") {
      sink.secret = value.as<std::string>();
    } else if (key == "secret_file") {
      std::ifstream file(value.as<std::string>());
      if (!file) return Bad(k_at, absl::StrCat("cannot read ", value.as<std::string>()));
      std::stringstream text;
      text << file.rdbuf();
      sink.secret = text.str();
      while (!sink.secret.empty() && (sink.secret.back() == '\n' || sink.secret.back() == '\r')) sink.secret.pop_back();
    } else if (key == "timeout") {
      auto d = PositiveDuration(k_at, value);
      if (!d.ok()) return d.status();
      sink.timeout_us = *d;
    } else if (key == "resend") {
      auto d = PositiveDuration(k_at, value);
      if (!d.ok()) return d.status();
      sink.resend_us = *d;
    } else if (key == "headers") {
      if (!value.IsMap()) return Bad(k_at, "must be a mapping of header name -> value");
      for (const auto& h : value) sink.headers[h.first.as<std::string>()] = h.second.as<std::string>();
    } else {
      // A sink plugin's own setting, checked by the plugin when it starts.
      sink.extra[key] = YamlToJson(value);
    }
  }
  // The built-in sinks' settings are known here, so a typo fails --check-config.
  const bool builtin = sink.kind == "webhook" || sink.kind == "alertmanager" || sink.kind == "jsonl";
  if (builtin && !sink.extra.empty()) {
    return Bad(at, absl::StrCat("unknown setting '", sink.extra.begin()->first,
                                "' (sinks take name, kind, url, secret, secret_file, path, headers, ca_file, timeout, "
                                "resend)"));
  }
  if (sink.resend_us != 0 && sink.kind != "alertmanager") {
    return Bad(at + ".resend", "only an alertmanager sink re-sends");
  }
  if (auto s = CheckName(at + ".name", sink.name); !s.ok()) return s;
  if (sink.kind.empty()) return Bad(at + ".kind", "must be set (webhook, alertmanager, jsonl)");
  if ((sink.kind == "webhook" || sink.kind == "alertmanager") && sink.url.empty()) {
    return Bad(at + ".url", absl::StrCat("a ", sink.kind, " sink needs a url"));
  }
  if (sink.kind == "webhook" && sink.secret.empty()) return Bad(at, "a webhook sink needs a secret or secret_file");
  if (sink.kind == "jsonl" && sink.path.empty()) return Bad(at + ".path", "a jsonl sink needs a path");
  return sink;
}

absl::Status ApplyAlertKey(const std::string& key, const YAML::Node& value, const std::string& where,
                           alert::TenantAlerts* out) {
  const std::string at = absl::StrCat(where, ".", key);
  if (key == "defaults") {
    out->defaults = value.as<bool>();
  } else if (key == "max_age") {
    auto d = PositiveDuration(at, value);
    if (!d.ok()) return d.status();
    out->max_age_us = *d;
  } else if (key == "rules") {
    if (!value.IsSequence()) return Bad(at, "must be a list of rules");
    for (size_t i = 0; i < value.size(); ++i) {
      auto rule = ParseRule(value[i], absl::StrCat(at, "[", i, "]"));
      if (!rule.ok()) return rule.status();
      for (const alert::AlertRule& r : out->rules) {
        if (r.name == rule->name) return Bad(at, absl::StrCat("two rules are named '", r.name, "'"));
      }
      out->rules.push_back(*std::move(rule));
    }
  } else if (key == "sinks") {
    if (!value.IsSequence()) return Bad(at, "must be a list of sinks");
    for (size_t i = 0; i < value.size(); ++i) {
      auto sink = ParseSink(value[i], absl::StrCat(at, "[", i, "]"));
      if (!sink.ok()) return sink.status();
      for (const alert::SinkConfig& s : out->sinks) {
        if (s.name == sink->name) return Bad(at, absl::StrCat("two sinks are named '", s.name, "'"));
      }
      out->sinks.push_back(*std::move(sink));
    }
  } else {
    return Bad(where, absl::StrCat("unknown setting '", key, "' (alerts take defaults, max_age, rules, sinks)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyAlerts(const YAML::Node& node, const std::string& where, alert::TenantAlerts* out) {
  if (!node.IsMap()) return Bad(where, "must be a mapping (defaults, max_age, rules, sinks)");
  for (const auto& item : node) {
    const std::string key = item.first.as<std::string>();
    try {
      if (auto s = ApplyAlertKey(key, item.second, where, out); !s.ok()) return s;
    } catch (const YAML::Exception& e) {
      return Bad(absl::StrCat(where, ".", key), absl::StrCat("has a value of the wrong type (", e.msg, ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace rapport
