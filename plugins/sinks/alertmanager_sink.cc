// `alertmanager`: pushes alerts to Prometheus Alertmanager's API,
// POST <url>/api/v2/alerts with a JSON array of {labels, annotations,
// startsAt, endsAt, generatorURL}.
//
// Labels (Alertmanager identifies and groups alerts by them): alertname (the
// rule), tenant, kind (the finding kind, SCORE_BELOW / SCORE_DROP,
// RATE_LIMITED), severity in lower case, and the subjects present: ticket,
// agent, team, service (a score rule's scope of one of those kinds gives
// that label; of another kind, `scope` = "<kind>/<id>"). Annotations:
// summary, the evidence (finding ids, or score and threshold), the alert's
// Rapport id and its first/last seen in event time.
//
// Alertmanager forgets a firing alert that is not re-sent (resolve_timeout,
// or the endsAt the sender gave), so the sink keeps what fires and re-sends
// it every `resend_us` (default 60 s, Prometheus's own interval) with endsAt
// four intervals ahead: if Rapport stops, its alerts resolve by themselves
// after that. A resolution is sent with endsAt = now. When an update changes
// a label (severity rises), the old label set is resolved in the same push.
// After a restart the host hands the still open alerts over as replayed, and
// the first refresh re-sends them.
//
// startsAt is the alert's first seen (event time), but never later than
// now: Alertmanager refuses an alert that ends before it starts.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nlohmann/json.hpp"
#include "common/adapter_util.h"
#include "rapport/sink_sdk.h"
#include "sinks/http_target.h"

namespace rapport::sinks {
namespace {

using adapters::ParseTime;
using adapters::Text;
using adapters::TextAt;
using nlohmann::json;

constexpr int64_t kSecondUs = 1'000'000;

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// RFC 3339 in UTC with microseconds, as Alertmanager reads it.
std::string Rfc3339(int64_t us) {
  const std::time_t seconds = static_cast<std::time_t>(us / kSecondUs);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  const size_t n = std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + n, sizeof(text) - n, ".%06lldZ", static_cast<long long>(us % kSecondUs));
  return text;
}

// "SEVERITY_HIGH" -> "high"; "SCOPE_KIND_TEAM" -> "team".
std::string EnumWord(const std::string& name, std::string_view prefix) {
  std::string word = name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
  std::transform(word.begin(), word.end(), word.begin(), [](unsigned char c) { return std::tolower(c); });
  return word;
}

// One alert as Alertmanager sees it, from the entry's JSON.
struct AmAlert {
  json labels = json::object();
  json annotations = json::object();
  int64_t first_seen_us = 0;  // event time; 0 when the entry has none
};

AmAlert FromEntry(const json& entry, uint64_t alert_id) {
  AmAlert a;
  a.labels["alertname"] = Text(entry, "rule");
  a.labels["tenant"] = Text(entry, "tenant");
  a.labels["kind"] = Text(entry, "kind");
  a.labels["severity"] = EnumWord(Text(entry, "severity"), "SEVERITY_");
  const json subjects = entry.value("subjects", json::object());
  for (const auto& [field, label] : {std::pair{"ticket_id", "ticket"}, std::pair{"agent_id", "agent"},
                                     std::pair{"team", "team"}, std::pair{"service", "service"}}) {
    if (const std::string v = Text(subjects, field); !v.empty()) a.labels[label] = v;
  }
  if (subjects.contains("scope")) {
    const std::string kind = EnumWord(TextAt(subjects, {"scope", "kind"}), "SCOPE_KIND_");
    const std::string id = TextAt(subjects, {"scope", "id"});
    if (kind == "team" || kind == "agent" || kind == "service" || kind == "ticket") {
      if (!id.empty()) a.labels[kind] = id;
    } else if (!kind.empty() && kind != "tenant") {
      a.labels["scope"] = kind + "/" + id;
    }
  }
  a.annotations["summary"] = Text(entry, "summary");
  std::string evidence;
  for (const json& id : entry.value("finding_ids", json::array())) {
    if (id.is_string()) evidence += (evidence.empty() ? "" : ", ") + id.get<std::string>();
  }
  if (evidence.empty() && Text(entry, "kind").rfind("SCORE_", 0) == 0) {
    char text[96];
    std::snprintf(text, sizeof(text), "score %.1f, threshold %.1f", entry.value("score", 0.0),
                  entry.value("threshold", 0.0));
    evidence = text;
  }
  if (!evidence.empty()) a.annotations["evidence"] = evidence;
  a.annotations["rapport_alert"] = Text(entry, "tenant") + ":" + std::to_string(alert_id);
  if (const std::string first = Text(entry, "first_seen"); !first.empty()) {
    a.annotations["first_seen"] = first;
    a.first_seen_us = ParseTime(first).value_or(0);
  }
  if (const std::string last = Text(entry, "last_seen"); !last.empty()) a.annotations["last_seen"] = last;
  return a;
}

class AlertmanagerSink final : public sdk::Sink {
 public:
  static std::unique_ptr<AlertmanagerSink> Create(std::string_view text, std::string* error) {
    auto config = ParseSinkConfig(text, "alertmanager",
                                  {"name", "kind", "url", "headers", "ca_file", "timeout_us", "resend_us"}, error);
    if (!config) return nullptr;
    auto sink = std::unique_ptr<AlertmanagerSink>(new AlertmanagerSink);
    if (!ReadHttpTarget(*config, "alertmanager", &sink->target_, error)) return nullptr;
    // url is Alertmanager's base URL; the API lives under it.
    while (!sink->target_.path.empty() && sink->target_.path.back() == '/') sink->target_.path.pop_back();
    sink->target_.path += "/api/v2/alerts";
    if (config->contains("resend_us")) {
      const json& resend = (*config)["resend_us"];
      if (!resend.is_number_integer() || resend.get<int64_t>() < kSecondUs) {
        *error = "resend must be at least 1s";
        return nullptr;
      }
      sink->resend_us_ = resend.get<int64_t>();
    }
    sink->client_ = sink->target_.Client();
    return sink;
  }

  rapport_status Deliver(const std::vector<sdk::AlertEntry>& entries, sdk::DeliveryResult* result,
                         std::string* error) override {
    const int64_t now = NowUs();
    std::map<uint64_t, AmAlert> firing = firing_;  // kept only once the push is accepted
    json push = json::array();
    for (const sdk::AlertEntry& e : entries) {
      const json entry = json::parse(e.json, nullptr, /*allow_exceptions=*/false);
      if (!entry.is_object()) {
        *error = "alert entry " + std::to_string(e.cursor) + " is not a JSON object";
        return RAPPORT_ERR_INTERNAL;
      }
      AmAlert a = FromEntry(entry, e.alert_id);
      auto was = firing.find(e.alert_id);
      if (was != firing.end() && was->second.labels != a.labels && !e.replayed) {
        push.push_back(Wire(was->second, now, now));  // the old label set ends here
      }
      if (e.state == sdk::kAlertFiring) {
        if (!e.replayed) push.push_back(Wire(a, now, now + 4 * resend_us_));
        firing[e.alert_id] = std::move(a);
      } else {
        if (!e.replayed) push.push_back(Wire(a, now, now));
        firing.erase(e.alert_id);
      }
    }
    const rapport_status sent = push.empty() ? RAPPORT_OK : Push(push, error);
    if (sent == RAPPORT_ERR_RETRYABLE) return sent;
    if (sent == RAPPORT_OK) {
      firing_ = std::move(firing);
    } else {  // refused for good: not kept to re-send (the host logs *error)
      result->refused = entries.size();
    }
    result->handled = entries.size();
    return RAPPORT_OK;
  }

  rapport_status Refresh(int64_t now_us, std::string* error) override {
    if (firing_.empty() || now_us - last_refresh_us_ < resend_us_) return RAPPORT_OK;
    json push = json::array();
    for (const auto& [id, a] : firing_) push.push_back(Wire(a, now_us, now_us + 4 * resend_us_));
    const rapport_status sent = Push(push, error);
    if (sent == RAPPORT_ERR_RETRYABLE) return sent;
    last_refresh_us_ = now_us;
    return RAPPORT_OK;
  }

 private:
  AlertmanagerSink() = default;

  json Wire(const AmAlert& a, int64_t now, int64_t ends) const {
    const int64_t starts = a.first_seen_us > 0 ? std::min(a.first_seen_us, now) : now;
    return json{{"labels", a.labels}, {"annotations", a.annotations}, {"startsAt", Rfc3339(starts)},
                {"endsAt", Rfc3339(ends)}};
  }

  // RAPPORT_OK when accepted; RETRYABLE for 429, 5xx and network errors;
  // PERMANENT when Alertmanager refused the push for good (logged by the
  // host as refused entries; a retry would be refused again).
  rapport_status Push(const json& alerts, std::string* error) {
    httplib::Result answer = target_.Post(*client_, target_.path, alerts.dump());
    if (!answer) {
      *error = "POST " + target_.origin + target_.path + ": " + httplib::to_string(answer.error());
      return RAPPORT_ERR_RETRYABLE;
    }
    if (Accepted(answer->status)) return RAPPORT_OK;
    *error = "POST " + target_.origin + target_.path + " answered " + std::to_string(answer->status) + ": " +
             answer->body.substr(0, 200);
    return Retryable(answer->status) ? RAPPORT_ERR_RETRYABLE : RAPPORT_ERR_PERMANENT;
  }

  HttpTarget target_;
  int64_t resend_us_ = 60 * kSecondUs;
  std::unique_ptr<httplib::Client> client_;
  std::map<uint64_t, AmAlert> firing_;  // by alert id
  int64_t last_refresh_us_ = 0;         // 0: re-send at the first refresh (after a restart)
};

}  // namespace
}  // namespace rapport::sinks

RAPPORT_SINK(rapport_builtin_alertmanager_sink, rapport::sinks::AlertmanagerSink, "alertmanager", "1.0.0",
             "pushes alerts to Prometheus Alertmanager (/api/v2/alerts), re-sending what fires")
