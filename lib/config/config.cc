#include "config/config.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "yaml-cpp/yaml.h"

namespace rapport {
namespace {

using detect::Thresholds;
using Calendars = std::map<std::string, std::shared_ptr<const calendar::Calendar>>;

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

absl::Status Unknown(const std::string& where, const std::string& key) {
  return absl::InvalidArgumentError(absl::StrCat("unknown setting '", key, "' in ", where));
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

absl::Status ApplyDetectors(const YAML::Node& node, const std::string& where, const Calendars& calendars,
                            Thresholds* t) {
  if (!node.IsMap()) return absl::InvalidArgumentError(absl::StrCat(where, " must be a mapping"));
  for (const auto& item : node) {
    const std::string key = item.first.as<std::string>();
    const YAML::Node& value = item.second;
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

}  // namespace

absl::StatusOr<RapportConfig> ParseConfig(const std::string& yaml_text) {
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
    if (key != "defaults" && key != "tenants" && key != "scoring" && key != "calendars") {
      return Unknown("the configuration", key);
    }
  }
  if (const YAML::Node calendars = root["calendars"]) {
    if (auto s = ApplyCalendars(calendars, &config.calendars); !s.ok()) return s;
  }
  if (const YAML::Node scoring = root["scoring"]) {
    if (auto s = ApplyScoring(scoring, &config.scoring); !s.ok()) return s;
  }
  if (const YAML::Node d = root["defaults"]) {
    for (const auto& item : d) {
      const std::string key = item.first.as<std::string>();
      if (key == "adapters") {
        if (auto s = ApplyAdapters(item.second, "defaults.adapters", &config.adapters[""]); !s.ok()) return s;
        continue;
      }
      if (key != "detectors") return Unknown("defaults", key);
      if (auto s = ApplyDetectors(item.second, "defaults.detectors", config.calendars, &defaults); !s.ok()) return s;
    }
  }
  config.detectors = detect::TenantThresholds(defaults);
  if (const YAML::Node tenants = root["tenants"]) {
    for (const auto& tenant : tenants) {
      const std::string name = tenant.first.as<std::string>();
      Thresholds own = defaults;
      for (const auto& item : tenant.second) {
        const std::string key = item.first.as<std::string>();
        const std::string where = absl::StrCat("tenants.", name);
        if (key == "adapters") {
          if (auto s = ApplyAdapters(item.second, where + ".adapters", &config.adapters[name]); !s.ok()) return s;
          continue;
        }
        if (key != "detectors") return Unknown(where, key);
        if (auto s = ApplyDetectors(item.second, where + ".detectors", config.calendars, &own); !s.ok()) return s;
      }
      config.detectors.Set(name, own);
    }
  }
  return config;
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
