#include "config/config.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "config/alerts_config.h"
#include "yaml-cpp/yaml.h"

namespace rapport {

// "90s", "10m", "24h", "7d" -> microseconds.
absl::StatusOr<int64_t> ParseDuration(const std::string& where, const std::string& text) {
  int64_t n = 0;
  if (text.size() >= 2 && absl::SimpleAtoi(text.substr(0, text.size() - 1), &n) && n >= 0) {
    switch (text.back()) {
      case 's': return n * 1'000'000;
      case 'm': return n * detect::kMinute;
      case 'h': return n * detect::kHour;
      case 'd': return n * detect::kDay;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(where, ": '", text, "' is not a duration like 90s, 10m, 24h or 7d"));
}

namespace {

using detect::Thresholds;
using Calendars = std::map<std::string, std::shared_ptr<const calendar::Calendar>>;

absl::Status Unknown(const std::string& where, const std::string& key) {
  return absl::InvalidArgumentError(absl::StrCat("unknown setting '", key, "' in ", where));
}

// Prefixes the line of `node` (1-based) unless an inner key already named one.
absl::Status AtLine(const YAML::Node& node, absl::Status status) {
  if (status.ok() || absl::StartsWith(status.message(), "line ")) return status;
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return status;
  return absl::Status(status.code(), absl::StrCat("line ", mark.line + 1, ": ", status.message()));
}

absl::Status ApplyString(const YAML::Node& value, const std::string& at, std::string* out) {
  if (!value.IsScalar()) return absl::InvalidArgumentError(absl::StrCat(at, " must be a string"));
  *out = value.as<std::string>();
  return absl::OkStatus();
}

absl::Status ApplyLimits(const YAML::Node& node, RapportConfig* config) {
  if (!node.IsMap()) return absl::InvalidArgumentError("limits must be a mapping");
  Limits* limits = &config->limits;
  struct Slot {
    const char* name;
    size_t* size;
    int* count;
  };
  const Slot slots[] = {
      {"max_text_bytes", &limits->max_text_bytes, nullptr},
      {"max_id_bytes", &limits->max_id_bytes, nullptr},
      {"max_name_bytes", &limits->max_name_bytes, nullptr},
      {"max_attribute_key_bytes", &limits->max_attribute_key_bytes, nullptr},
      {"max_attribute_value_bytes", &limits->max_attribute_value_bytes, nullptr},
      {"max_attributes", &limits->max_attributes, nullptr},
      {"max_batch_events", &limits->max_batch_events, nullptr},
      {"max_message_bytes", &limits->max_message_bytes, nullptr},
      {"max_unacked_batches", nullptr, &limits->max_unacked_batches},
      {"max_read_ahead_bytes", &limits->max_read_ahead_bytes, nullptr},
      {"max_ack_errors", &limits->max_ack_errors, nullptr},
      {"max_streams_per_key", nullptr, &config->call_limits.max_streams_per_key},
      {"max_streams_per_tenant", nullptr, &config->call_limits.max_streams_per_tenant},
      {"requests_per_second_per_key", nullptr, &config->call_limits.requests_per_second_per_key},
  };
  for (const auto& item : node) {
    const std::string key = item.first.as<std::string>();
    const std::string at = absl::StrCat("limits.", key);
    const Slot* slot = nullptr;
    for (const Slot& s : slots) {
      if (key == s.name) slot = &s;
    }
    absl::Status status;
    if (slot == nullptr) {
      status = Unknown("limits", key);
    } else {
      int64_t n = 0;
      const bool zero_ok = key == "max_ack_errors";
      if (!item.second.IsScalar() || !absl::SimpleAtoi(item.second.as<std::string>(), &n) || n < (zero_ok ? 0 : 1) ||
          n > (int64_t{1} << 31) - 1) {
        status = absl::InvalidArgumentError(
            absl::StrCat(at, ": '", item.second.IsScalar() ? item.second.as<std::string>() : "(not a number)",
                         "' is not a whole number between ", zero_ok ? 0 : 1, " and 2147483647"));
      } else if (slot->size != nullptr) {
        *slot->size = static_cast<size_t>(n);
      } else {
        *slot->count = static_cast<int>(n);
      }
    }
    if (auto s = AtLine(item.first, status); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ApplyLog(const YAML::Node& node, RapportConfig* config) {
  if (!node.IsMap()) return absl::InvalidArgumentError("log must be a mapping");
  for (const auto& item : node) {
    const std::string key = item.first.as<std::string>();
    const std::string value = item.second.IsScalar() ? item.second.as<std::string>() : "";
    absl::Status status;
    if (key == "level") {
      if (auto level = ParseLogLevel(value)) {
        config->log_level = *level;
      } else {
        status = absl::InvalidArgumentError(
            absl::StrCat("log.level: '", value, "' is not one of debug, info, warning, error"));
      }
    } else if (key == "format") {
      if (auto format = ParseLogFormat(value)) {
        config->log_format = *format;
      } else {
        status = absl::InvalidArgumentError(absl::StrCat("log.format: '", value, "' is not one of text, json"));
      }
    } else {
      status = Unknown("log", key);
    }
    if (auto s = AtLine(item.first, status); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// The files are checked now so that a typo stops startup rather than the
// first TLS handshake.
absl::Status ApplyTls(const YAML::Node& node, RapportConfig::Tls* tls) {
  if (!node.IsMap()) return absl::InvalidArgumentError("tls must be a mapping");
  bool client_auth_given = false;
  for (const auto& item : node) {
    const std::string key = item.first.as<std::string>();
    absl::Status status;
    if (key == "client_auth") {
      client_auth_given = true;
      tls->client_auth_grpc = tls->client_auth_http = false;
      if (!item.second.IsSequence()) status = absl::InvalidArgumentError("tls.client_auth must be a list of grpc, http");
      for (size_t i = 0; status.ok() && i < item.second.size(); ++i) {
        const std::string port = item.second[i].IsScalar() ? item.second[i].as<std::string>() : "";
        if (port == "grpc") {
          tls->client_auth_grpc = true;
        } else if (port == "http") {
          tls->client_auth_http = true;
        } else {
          status = absl::InvalidArgumentError(absl::StrCat("tls.client_auth: '", port, "' is not grpc or http"));
        }
      }
    } else {
      std::string* out = key == "cert" ? &tls->cert : key == "key" ? &tls->key : key == "client_ca" ? &tls->client_ca : nullptr;
      status = out == nullptr ? Unknown("tls (settings are cert, key, client_ca, client_auth)", key)
                              : ApplyString(item.second, "tls." + key, out);
      if (status.ok() && out != nullptr && !out->empty() && !std::ifstream(*out)) {
        status = absl::InvalidArgumentError(absl::StrCat("tls.", key, ": cannot read '", *out, "'"));
      }
    }
    if (auto s = AtLine(item.first, status); !s.ok()) return s;
  }
  if (tls->cert.empty() != tls->key.empty()) {
    return AtLine(node, absl::InvalidArgumentError("tls: cert and key go together"));
  }
  if (!tls->client_ca.empty() && tls->cert.empty()) {
    return AtLine(node, absl::InvalidArgumentError("tls: client_ca needs cert and key (client certificates need TLS)"));
  }
  if (client_auth_given && tls->client_ca.empty() && (tls->client_auth_grpc || tls->client_auth_http)) {
    return AtLine(node, absl::InvalidArgumentError("tls: client_auth needs client_ca, the CA that signs client certificates"));
  }
  if (!client_auth_given && !tls->client_ca.empty()) tls->client_auth_grpc = tls->client_auth_http = true;
  return absl::OkStatus();
}

// The top-level settings of the server itself; false when `key` is not one.
absl::StatusOr<bool> ApplyServerSetting(const std::string& key, const YAML::Node& value, RapportConfig* config) {
  absl::Status status;
  if (key == "grpc" || key == "http") {
    if (!value.IsMap()) return absl::InvalidArgumentError(key + " must be a mapping");
    std::string* listen = key == "grpc" ? &config->grpc_listen : &config->http_listen;
    for (const auto& item : value) {
      const std::string name = item.first.as<std::string>();
      absl::Status s = name == "listen" ? ApplyString(item.second, key + ".listen", listen) : Unknown(key, name);
      if (s = AtLine(item.first, s); !s.ok()) return s;
    }
  } else if (key == "data_dir") {
    status = ApplyString(value, key, &config->data_dir);
    if (status.ok() && config->data_dir.empty()) status = absl::InvalidArgumentError("data_dir must not be empty");
  } else if (key == "plugin_dir") {
    status = ApplyString(value, key, &config->plugin_dir);
  } else if (key == "sync") {
    try {
      config->sync = value.as<bool>();
    } catch (const YAML::Exception&) {
      status = absl::InvalidArgumentError("sync must be true or false");
    }
  } else if (key == "wal_recovery") {
    status = ApplyString(value, key, &config->wal_recovery);
    if (status.ok() && config->wal_recovery != "serve" && config->wal_recovery != "strict") {
      status = absl::InvalidArgumentError(
          absl::StrCat("wal_recovery: '", config->wal_recovery, "' is not one of serve, strict"));
    }
  } else if (key == "limits") {
    status = ApplyLimits(value, config);
  } else if (key == "log") {
    status = ApplyLog(value, config);
  } else if (key == "auth") {
    if (!value.IsMap()) return absl::InvalidArgumentError("auth must be a mapping");
    for (const auto& item : value) {
      const std::string name = item.first.as<std::string>();
      absl::Status s;
      if (name != "required") {
        s = Unknown("auth", name);
      } else {
        try {
          config->require_auth = item.second.as<bool>();
        } catch (const YAML::Exception&) {
          s = absl::InvalidArgumentError("auth.required must be true or false");
        }
      }
      if (s = AtLine(item.first, s); !s.ok()) return s;
    }
  } else if (key == "tls") {
    status = ApplyTls(value, &config->tls);
  } else {
    return false;
  }
  if (!status.ok()) return status;
  return true;
}

// "<key> (line N)": where a calendar setting is, for its errors.
std::string At(const std::string& key, const YAML::Node& node) {
  return node.Mark().is_null() ? key : absl::StrCat(key, " (line ", node.Mark().line + 1, ")");
}

absl::StatusOr<calendar::Holiday> ParseHoliday(const YAML::Node& node, const std::string& at) {
  auto day = [&](const YAML::Node& n, bool annual) -> absl::StatusOr<absl::CivilDay> {
    const std::string text = n.as<std::string>();
    absl::CivilDay d;
    // An annual holiday is a month-day; 2000 is a leap year, so 02-29 is one.
    if (absl::ParseCivilTime(annual && text.size() == 5 ? "2000-" + text : text, &d)) return d;
    return absl::InvalidArgumentError(absl::StrCat(At(at, n), ": '", text, "' is not a date like ",
                                                   annual ? "12-25" : "2026-12-24"));
  };
  calendar::Holiday h;
  if (node.IsScalar()) {
    auto d = day(node, false);
    if (!d.ok()) return d.status();
    h.from = h.to = *d;
    return h;
  }
  if (!node.IsMap()) {
    return absl::InvalidArgumentError(absl::StrCat(At(at, node), ": a holiday is a date, {from: DATE, to: DATE} "
                                                                 "or {date: MM-DD, annual: true}"));
  }
  h.annual = node["annual"] && node["annual"].as<bool>();
  for (const auto& part : node) {
    const std::string name = part.first.as<std::string>();
    if (name == "annual") continue;
    if (name != "date" && name != "from" && name != "to") return Unknown(at + " (use date, from, to, annual)", name);
    auto d = day(part.second, h.annual);
    if (!d.ok()) return d.status();
    if (name != "to") h.from = *d;
    if (name != "from") h.to = *d;
  }
  if (!node["date"] && !node["from"]) return absl::InvalidArgumentError(absl::StrCat(At(at, node), ": no date"));
  if (!node["to"]) h.to = h.from;
  return h;
}

absl::StatusOr<std::shared_ptr<const calendar::Calendar>> ParseCalendar(const std::string& name,
                                                                        const YAML::Node& node) {
  const std::string where = "calendars." + name;
  if (!node.IsMap()) return absl::InvalidArgumentError(absl::StrCat(At(where, node), " must be a mapping"));
  std::string zone;
  calendar::WeeklyHours hours;
  std::vector<calendar::Holiday> holidays;
  for (const auto& item : node) {
    const std::string key = item.first.as<std::string>();
    const std::string at = absl::StrCat(where, ".", key);
    if (key == "time_zone") {
      zone = item.second.as<std::string>();
    } else if (key == "hours") {
      if (!item.second.IsMap()) return absl::InvalidArgumentError(At(at, item.second) + " must map mon..sun to ranges");
      for (const auto& day : item.second) {
        const std::string weekday = day.first.as<std::string>();
        const int index = calendar::Calendar::ParseWeekday(weekday);
        if (index < 0) return Unknown(at + " (days are mon, tue, wed, thu, fri, sat, sun)", weekday);
        for (const auto& range : day.second) {
          auto r = calendar::Calendar::ParseRange(range.as<std::string>());
          if (!r.ok()) return absl::InvalidArgumentError(absl::StrCat(At(at + "." + weekday, range), ": ", r.status().message()));
          hours[index].push_back(*r);
        }
      }
    } else if (key == "holidays") {
      for (const auto& entry : item.second) {
        auto h = ParseHoliday(entry, at);
        if (!h.ok()) return h.status();
        holidays.push_back(*h);
      }
    } else {
      return Unknown(where + " (use time_zone, hours, holidays)", key);
    }
  }
  if (zone.empty()) return absl::InvalidArgumentError(absl::StrCat(At(where, node), ": time_zone is required"));
  auto c = calendar::Calendar::Make(name, zone, std::move(hours), std::move(holidays));
  if (!c.ok()) return absl::InvalidArgumentError(absl::StrCat(At(where, node), ": ", c.status().message()));
  return c;
}

absl::Status ApplyCalendars(const YAML::Node& node, Calendars* out) {
  if (!node.IsMap()) return absl::InvalidArgumentError(At("calendars", node) + " must map names to calendars");
  for (const auto& item : node) {
    const std::string name = item.first.as<std::string>();
    try {
      auto c = ParseCalendar(name, item.second);
      if (!c.ok()) return c.status();
      (*out)[name] = *c;
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(absl::StrCat("calendars.", name, ": ", e.what()));
    }
  }
  return absl::OkStatus();
}

// A calendar named by a detectors setting (`calendar`, `calendar_by`, a
// target's `calendar`).
absl::StatusOr<std::shared_ptr<const calendar::Calendar>> NamedCalendar(const YAML::Node& value, const std::string& at,
                                                                        const Calendars& calendars) {
  const std::string name = value.as<std::string>();
  auto it = calendars.find(name);
  if (it != calendars.end()) return it->second;
  return absl::InvalidArgumentError(absl::StrCat(At(at, value), ": no calendar named '", name,
                                                 "' under the top-level calendars:"));
}

absl::Status ApplyCalendarBy(const YAML::Node& node, const std::string& at, const Calendars& calendars, Thresholds* t) {
  if (!node.IsMap()) return absl::InvalidArgumentError(At(at, node) + " must be {team: {T: calendar}, service: {S: calendar}}");
  for (const auto& by : node) {
    const std::string kind = by.first.as<std::string>();
    if (kind != "team" && kind != "service") return Unknown(at + " (use team, service)", kind);
    auto& map = kind == "team" ? t->calendar_by_team : t->calendar_by_service;
    for (const auto& entry : by.second) {
      auto c = NamedCalendar(entry.second, absl::StrCat(at, ".", kind, ".", entry.first.as<std::string>()), calendars);
      if (!c.ok()) return c.status();
      map[entry.first.as<std::string>()] = *c;
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyDetector(const std::string& key, const YAML::Node& value, const std::string& where,
                            const Calendars& calendars, Thresholds* t);

absl::Status ApplyDetectors(const YAML::Node& node, const std::string& where, const Calendars& calendars,
                            Thresholds* t) {
  if (!node.IsMap()) return absl::InvalidArgumentError(absl::StrCat(where, " must be a mapping"));
  for (const auto& item : node) {
    if (auto s = AtLine(item.first, ApplyDetector(item.first.as<std::string>(), item.second, where, calendars, t)); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyDetector(const std::string& key, const YAML::Node& value, const std::string& where,
                            const Calendars& calendars, Thresholds* t) {
  {
    const std::string at = absl::StrCat(where, ".", key);
    auto duration = [&](int64_t* out) -> absl::Status {
      auto d = ParseDuration(at, value.as<std::string>());
      if (!d.ok()) return d.status();
      *out = *d;
      return absl::OkStatus();
    };
    try {
      if (key == "reply_gap") {
        if (auto s = duration(&t->reply_gap); !s.ok()) return s;
      } else if (key == "stale") {
        if (auto s = duration(&t->stale); !s.ok()) return s;
      } else if (key == "pause_after_reply") {
        if (auto s = duration(&t->pause_after_reply); !s.ok()) return s;
      } else if (key == "downgrade_before_resolve") {
        if (auto s = duration(&t->downgrade_before_resolve); !s.ok()) return s;
      } else if (key == "reopen_window") {
        if (auto s = duration(&t->reopen_window); !s.ok()) return s;
      } else if (key == "reopen_as_new_window") {
        if (auto s = duration(&t->reopen_as_new_window); !s.ok()) return s;
      } else if (key == "edge_fraction") {
        t->edge_fraction = value.as<double>();
        if (t->edge_fraction <= 0 || t->edge_fraction >= 1) {
          return absl::InvalidArgumentError(absl::StrCat(at, " must be between 0 and 1"));
        }
      } else if (key == "ping_pong_reassignments") {
        t->ping_pong_reassignments = value.as<uint32_t>();
      } else if (key == "upset_compound") {
        t->upset_compound = value.as<double>();
      } else if (key == "curt_max_words") {
        t->curt_max_words = value.as<int>();
      } else if (key == "distress_drop") {
        t->distress_drop = value.as<double>();
      } else if (key == "mass_closure" || key == "boilerplate") {
        uint32_t* count = key == "mass_closure" ? &t->mass_closure_count : &t->boilerplate_count;
        int64_t* window = key == "mass_closure" ? &t->mass_closure_window : &t->boilerplate_window;
        for (const auto& part : value) {
          const std::string name = part.first.as<std::string>();
          if (name == "count") {
            *count = part.second.as<uint32_t>();
          } else if (name == "window") {
            auto d = ParseDuration(at + ".window", part.second.as<std::string>());
            if (!d.ok()) return d.status();
            *window = *d;
          } else {
            return Unknown(at, name);
          }
        }
      } else if (key == "calendar") {
        auto c = NamedCalendar(value, at, calendars);
        if (!c.ok()) return c.status();
        t->calendar = *c;
      } else if (key == "calendar_by") {
        if (auto st = ApplyCalendarBy(value, at, calendars, t); !st.ok()) return st;
      } else if (key == "targets") {
        for (const auto& priority : value) {
          const std::string name = priority.first.as<std::string>();
          int slot = name == "critical" ? 1 : name == "high" ? 2 : name == "medium" ? 3 : name == "low" ? 4 : -1;
          if (slot < 0) return Unknown(at + " (priorities are critical, high, medium, low)", name);
          for (const auto& part : priority.second) {
            const std::string which = part.first.as<std::string>();
            if (which == "calendar") {
              auto c = NamedCalendar(part.second, absl::StrCat(at, ".", name, ".calendar"), calendars);
              if (!c.ok()) return c.status();
              t->target_calendar[slot] = *c;
              continue;
            }
            auto d = ParseDuration(absl::StrCat(at, ".", name, ".", which), part.second.as<std::string>());
            if (!d.ok()) return d.status();
            if (which == "first_response") {
              t->first_response[slot] = *d;
            } else if (which == "resolution") {
              t->resolution[slot] = *d;
            } else {
              return Unknown(absl::StrCat(at, ".", name), which);
            }
          }
          if (slot == 3) {  // an unset priority follows MEDIUM
            t->first_response[0] = t->first_response[3];
            t->resolution[0] = t->resolution[3];
            t->target_calendar[0] = t->target_calendar[3];
          }
        }
      } else {
        return Unknown(where, key);
      }
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(absl::StrCat(at, ": ", e.what()));
    }
  }
  return absl::OkStatus();
}

// YAML -> JSON text, for adapters (which read JSON). Scalars stay strings
// unless they read as numbers or booleans.
void ToJson(const YAML::Node& node, std::string* out) {
  auto quote = [&](const std::string& text) {
    out->push_back('"');
    for (char c : text) {
      if (c == '"' || c == '\\') {
        out->push_back('\\');
        out->push_back(c);
      } else if (static_cast<unsigned char>(c) < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\u%04x", c);
        out->append(buf);
      } else {
        out->push_back(c);
      }
    }
    out->push_back('"');
  };
  if (node.IsMap()) {
    out->push_back('{');
    bool first = true;
    for (const auto& item : node) {
      if (!first) out->push_back(',');
      first = false;
      quote(item.first.as<std::string>());
      out->push_back(':');
      ToJson(item.second, out);
    }
    out->push_back('}');
  } else if (node.IsSequence()) {
    out->push_back('[');
    for (size_t i = 0; i < node.size(); ++i) {
      if (i) out->push_back(',');
      ToJson(node[i], out);
    }
    out->push_back(']');
  } else if (node.IsScalar()) {
    const std::string text = node.as<std::string>();
    double number;
    if (node.Tag() != "!" && (text == "true" || text == "false" || absl::SimpleAtod(text, &number))) {
      out->append(text);
    } else {
      quote(text);
    }
  } else {
    out->append("null");
  }
}

absl::Status ApplyAdapters(const YAML::Node& node, const std::string& where,
                           std::map<std::string, std::string>* out) {
  if (!node.IsMap()) return absl::InvalidArgumentError(absl::StrCat(where, " must be a mapping of adapter name -> settings"));
  for (const auto& item : node) {
    std::string json;
    ToJson(item.second, &json);
    (*out)[item.first.as<std::string>()] = std::move(json);
  }
  return absl::OkStatus();
}

// `key: value`, `key: [v1, v2]` or `key_file: path` (the file's content,
// without its trailing newline) appended to *out.
absl::Status AddCredential(const std::string& at, const std::string& key, const YAML::Node& value,
                           std::vector<std::string>* out) {
  std::vector<std::string> given;
  if (value.IsSequence()) {
    for (const auto& v : value) given.push_back(v.as<std::string>());
  } else {
    given.push_back(value.as<std::string>());
  }
  for (std::string& v : given) {
    if (key.size() > 5 && key.compare(key.size() - 5, 5, "_file") == 0) {
      std::ifstream file(v);
      if (!file) return absl::InvalidArgumentError(absl::StrCat(at, ": cannot read ", v));
      std::stringstream text;
      text << file.rdbuf();
      v = text.str();
      while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
    }
    // The value itself is never repeated in a message.
    if (v.empty()) return absl::InvalidArgumentError(absl::StrCat(at, " is empty"));
    out->push_back(std::move(v));
  }
  return absl::OkStatus();
}

absl::Status ApplyWebhooks(const YAML::Node& node, const std::string& where,
                           std::map<std::string, WebhookCredentials>* out) {
  if (!node.IsMap()) return absl::InvalidArgumentError(absl::StrCat(where, " must be a mapping of adapter name -> {secret, token}"));
  for (const auto& adapter : node) {
    const std::string name = adapter.first.as<std::string>();
    const std::string at = absl::StrCat(where, ".", name);
    if (!adapter.second.IsMap()) return absl::InvalidArgumentError(absl::StrCat(at, " must be a mapping"));
    WebhookCredentials& creds = (*out)[name];
    for (const auto& item : adapter.second) {
      const std::string key = item.first.as<std::string>();
      std::vector<std::string>* into = key == "secret" || key == "secret_file" ? &creds.secrets
                                       : key == "token" || key == "token_file" ? &creds.tokens
                                                                                : nullptr;
      if (into == nullptr) return Unknown(at + " (settings are secret, secret_file, token, token_file)", key);
      try {
        if (auto s = AddCredential(absl::StrCat(at, ".", key), key, item.second, into); !s.ok()) return s;
      } catch (const YAML::Exception&) {
        return absl::InvalidArgumentError(absl::StrCat(at, ".", key, " must be a string or a list of strings"));
      }
    }
  }
  return absl::OkStatus();
}

// tenants.T.keys: [{hash or hash_file, role}, ...]. A key itself pasted as a
// hash is refused without repeating it.
absl::Status ApplyApiKeys(const YAML::Node& node, const std::string& where,
                          std::vector<RapportConfig::ApiKey>* out) {
  if (!node.IsSequence()) return absl::InvalidArgumentError(absl::StrCat(where, " must be a list of {hash, role}"));
  for (size_t i = 0; i < node.size(); ++i) {
    const YAML::Node& entry = node[i];
    const std::string at = absl::StrCat(where, "[", i, "]");
    if (!entry.IsMap()) return AtLine(entry, absl::InvalidArgumentError(absl::StrCat(at, " must be {hash, role}")));
    RapportConfig::ApiKey key;
    bool has_hash = false, has_role = false;
    for (const auto& item : entry) {
      const std::string name = item.first.as<std::string>();
      const std::string value = item.second.IsScalar() ? item.second.as<std::string>() : "";
      absl::Status s;
      if (name == "hash" || name == "hash_file") {
        std::vector<std::string> texts;
        if (name == "hash_file") {
          try {
            s = AddCredential(at + ".hash_file", name, item.second, &texts);
          } catch (const YAML::Exception&) {
            s = absl::InvalidArgumentError(at + ".hash_file must be a path");
          }
          if (s = AtLine(item.first, s); !s.ok()) return s;
        }
        auto hash = auth::ParseKeyHash(name == "hash" ? value : texts.front());
        if (hash.ok()) key.hash = std::move(*hash);
        s = hash.ok() ? absl::OkStatus()
                      : absl::InvalidArgumentError(absl::StrCat(at, ".", name, ": ", hash.status().message()));
        has_hash = true;
      } else if (name == "role") {
        const std::optional<auth::Role> role = auth::ParseRole(value);
        if (role) key.role = *role;
        s = role ? absl::OkStatus() : absl::InvalidArgumentError(absl::StrCat(at, ".role: '", value, "' is not one of ingest, read, admin"));
        has_role = true;
      } else {
        s = Unknown(at + " (settings are hash or hash_file, and role)", name);
      }
      if (s = AtLine(item.first, s); !s.ok()) return s;
    }
    if (!has_hash || !has_role) return AtLine(entry, absl::InvalidArgumentError(absl::StrCat(at, " needs both hash and role")));
    out->push_back(std::move(key));
  }
  return absl::OkStatus();
}

absl::Status ApplyScoring(const YAML::Node& node, score::ScoreOptions* o) {
  if (!node.IsMap()) return absl::InvalidArgumentError("scoring must be a mapping");
  for (const auto& item : node) {
    const std::string key = item.first.as<std::string>();
    const YAML::Node& value = item.second;
    const std::string at = absl::StrCat("scoring.", key);
    try {
      if (key == "weights") {
        for (const auto& part : value) {
          const std::string name = part.first.as<std::string>();
          int c = 0;
          while (c < score::kComponentCount && name != score::ComponentName(c)) ++c;
          if (c == score::kComponentCount) {
            return Unknown(at + " (components are timeliness, resolution_integrity, communication, "
                                "requester_sentiment, survey)", name);
          }
          o->weights[c] = part.second.as<double>();
          if (o->weights[c] < 0) return absl::InvalidArgumentError(absl::StrCat(at, ".", name, " must be >= 0"));
        }
      } else if (key == "intensity_factor") {
        o->intensity_factor = value.as<double>();
        if (o->intensity_factor < 0) return absl::InvalidArgumentError(at + " must be >= 0");
      } else if (key == "vip_factor") {
        o->vip_factor = value.as<double>();
        if (o->vip_factor <= 0) return absl::InvalidArgumentError(at + " must be > 0");
      } else if (key == "half_life" || key == "trend_window") {
        auto d = ParseDuration(at, value.as<std::string>());
        if (!d.ok()) return d.status();
        if (*d <= 0) return absl::InvalidArgumentError(at + " must be positive");
        (key == "half_life" ? o->half_life_us : o->trend_window_us) = *d;
      } else {
        return Unknown("scoring", key);
      }
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(absl::StrCat(at, ": ", e.what()));
    }
  }
  double total = 0;
  for (double w : o->weights) total += w;
  if (total <= 0) return absl::InvalidArgumentError("scoring.weights: at least one weight must be positive");
  return absl::OkStatus();
}

// ParseConfig without its net: yaml-cpp throws where a node has another
// shape than the one asked for (a sequence where a mapping's key was
// expected, ...), in places no single check covers.
absl::StatusOr<RapportConfig> ParseConfigThrowing(const std::string& yaml_text) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("the configuration is not valid YAML: ", e.what()));
  }
  RapportConfig config;
  if (root.IsNull()) return config;
  if (!root.IsMap()) return absl::InvalidArgumentError("the configuration must be a mapping");
  Thresholds defaults;
  for (const auto& item : root) {
    const std::string key = item.first.as<std::string>();
    if (key == "defaults" || key == "tenants" || key == "scoring" || key == "calendars") continue;
    auto applied = ApplyServerSetting(key, item.second, &config);
    if (!applied.ok()) return AtLine(item.first, applied.status());
    if (!*applied) return AtLine(item.first, Unknown("the configuration", key));
  }
  if (const YAML::Node calendars = root["calendars"]) {
    if (auto s = ApplyCalendars(calendars, &config.calendars); !s.ok()) return s;
  }
  if (const YAML::Node scoring = root["scoring"]) {
    if (auto s = ApplyScoring(scoring, &config.scoring); !s.ok()) return AtLine(scoring, s);
  }
  if (const YAML::Node d = root["defaults"]) {
    for (const auto& item : d) {
      const std::string key = item.first.as<std::string>();
      if (key == "adapters") {
        if (auto s = ApplyAdapters(item.second, "defaults.adapters", &config.adapters[""]); !s.ok()) return s;
        continue;
      }
      if (key == "alerts") {
        if (auto s = ApplyAlerts(item.second, "defaults.alerts", &config.alerts.defaults); !s.ok()) return AtLine(item.first, s);
        continue;
      }
      if (key != "detectors") return AtLine(item.first, Unknown("defaults", key));
      if (auto s = ApplyDetectors(item.second, "defaults.detectors", config.calendars, &defaults); !s.ok()) return AtLine(item.first, s);
    }
  }
  config.detectors = detect::TenantThresholds(defaults);
  if (const YAML::Node tenants = root["tenants"]) {
    for (const auto& tenant : tenants) {
      const std::string name = tenant.first.as<std::string>();
      Thresholds own = defaults;
      bool keys_only = true, has_keys = false;
      for (const auto& item : tenant.second) {
        const std::string key = item.first.as<std::string>();
        const std::string where = absl::StrCat("tenants.", name);
        if (key == "keys") {
          if (auto s = auth::ValidateKeyTenant(name); !s.ok()) return AtLine(tenant.first, absl::InvalidArgumentError(absl::StrCat(where, ": ", s.message())));
          if (auto s = ApplyApiKeys(item.second, where + ".keys", &config.api_keys[name]); !s.ok()) return AtLine(item.first, s);
          has_keys = true;
          continue;
        }
        keys_only = false;
        if (name == std::string(auth::kOperatorTenant)) {
          return AtLine(item.first, absl::InvalidArgumentError("tenants.'*' (the operator) takes only keys"));
        }
        if (key == "adapters") {
          if (auto s = ApplyAdapters(item.second, where + ".adapters", &config.adapters[name]); !s.ok()) return s;
          continue;
        }
        if (key == "alerts") {
          alert::TenantAlerts own_alerts = config.alerts.defaults;
          if (auto s = ApplyAlerts(item.second, where + ".alerts", &own_alerts); !s.ok()) return AtLine(item.first, s);
          config.alerts.tenants[name] = std::move(own_alerts);
          continue;
        }
        if (key == "webhooks") {
          if (auto s = ApplyWebhooks(item.second, where + ".webhooks", &config.webhooks[name]); !s.ok()) return AtLine(item.first, s);
          continue;
        }
        if (key != "detectors") return AtLine(item.first, Unknown(where, key));
        if (auto s = ApplyDetectors(item.second, where + ".detectors", config.calendars, &own); !s.ok()) return AtLine(item.first, s);
      }
      // A tenant named only for its keys has no settings of its own (and
      // adding a key must not change the derived settings' digest).
      if (!(keys_only && has_keys)) config.detectors.Set(name, own);
    }
  }
  return config;
}

}  // namespace

absl::StatusOr<RapportConfig> ParseConfig(const std::string& yaml_text) {
  try {
    return ParseConfigThrowing(yaml_text);
  } catch (const YAML::Exception& e) {
    // Found by fuzz/config_fuzz.cc: e.g. a key that is itself a mapping.
    return absl::InvalidArgumentError(absl::StrCat("the configuration has an unexpected shape",
                                                   e.mark.is_null() ? "" : absl::StrCat(" (line ", e.mark.line + 1, ")"),
                                                   ": ", e.msg));
  }
}

namespace {

void DigestThresholds(const Thresholds& t, std::string* out) {
  absl::StrAppend(out, t.reply_gap, ",", t.stale, ",", t.pause_after_reply, ",", t.downgrade_before_resolve, ",",
                  t.reopen_window, ",", t.edge_fraction, ",", t.ping_pong_reassignments, ",", t.upset_compound, ",",
                  t.curt_max_words, ",", t.distress_drop, ",", t.mass_closure_count, ",", t.mass_closure_window, ",",
                  t.boilerplate_count, ",", t.boilerplate_window, ",", t.reopen_as_new_window, ",",
                  t.agent_rate_min_tickets, ",", t.agent_rate_window);
  for (int p = 0; p < 5; ++p) absl::StrAppend(out, ",", t.first_response[p], "/", t.resolution[p]);
  // A calendar by what it counts, not its name: editing emea-desk's hours
  // changes every clock on it; renaming it changes none. Nothing is added
  // without calendars, so those stores keep their digest.
  const bool any_calendar = t.calendar || !t.calendar_by_team.empty() || !t.calendar_by_service.empty() ||
                            std::any_of(std::begin(t.target_calendar), std::end(t.target_calendar),
                                        [](const Thresholds::CalendarPtr& c) { return c != nullptr; });
  if (any_calendar) {
    auto calendar = [out](const Thresholds::CalendarPtr& c) { absl::StrAppend(out, ",", c ? c->Describe() : "-"); };
    for (const auto& c : t.target_calendar) calendar(c);
    for (const auto& [team, c] : t.calendar_by_team) {
      absl::StrAppend(out, ",team:", team.size(), ":", team);
      calendar(c);
    }
    for (const auto& [service, c] : t.calendar_by_service) {
      absl::StrAppend(out, ",service:", service.size(), ":", service);
      calendar(c);
    }
    calendar(t.calendar);
  }
  out->push_back(';');
}

}  // namespace

// Effective values, not the file's text: a comment, a reordering or spelling
// out a default changes nothing derived and must not cause a rebuild. The
// adapters' settings are not in it: an adapter applies them before the event
// is stored, and a rebuild replays stored events. Doubles print with six
// significant digits, closer than any setting is meant to be tuned.
std::string RapportConfig::DerivedSettingsDigest() const {
  std::string text = "defaults:";
  DigestThresholds(detectors.defaults(), &text);
  for (const auto& [tenant, t] : detectors.by_tenant()) {
    absl::StrAppend(&text, "tenant:", tenant.size(), ":", tenant, ":");
    DigestThresholds(t, &text);
  }
  absl::StrAppend(&text, "scoring:");
  for (double w : scoring.weights) absl::StrAppend(&text, w, ",");
  absl::StrAppend(&text, scoring.intensity_factor, ",", scoring.vip_factor, ",", scoring.half_life_us, ",",
                  scoring.trend_window_us, ",", scoring.survey_top_band, ",", scoring.survey_bottom_band);
  uint64_t hash = 14695981039346656037ull;  // FNV-1a: stable across builds and platforms
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return absl::StrFormat("%016x", hash);
}

absl::StatusOr<RapportConfig> LoadConfigFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read the configuration file ", path));
  std::stringstream text;
  text << file.rdbuf();
  auto config = ParseConfig(text.str());
  if (!config.ok()) {
    return absl::Status(config.status().code(), absl::StrCat(path, ": ", config.status().message()));
  }
  return config;
}

}  // namespace rapport
