#include "event/validate.h"

#include <cmath>
#include <limits>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "event/event.h"

namespace rapport {
namespace {

constexpr int64_t kMicrosPerDay = 86'400'000'000LL;
constexpr int64_t kEarliestMicros = 631'152'000'000'000LL;  // 1990-01-01T00:00:00Z
// Beyond this many seconds a timestamp has no microsecond value in int64.
constexpr int64_t kMaxConvertibleSeconds = std::numeric_limits<int64_t>::max() / 1'000'000 - 1;

using Problem = std::optional<v1::EventError>;

// Which characters a string may hold besides printable ones.
enum class Chars {
  kName,  // identifiers, names, attribute keys: no control character
  kText,  // bodies: tab, line feed and carriage return too
};

bool IsControl(uint32_t cp) { return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f); }

// Decodes `value` as UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF) and checks every character against `chars`. Returns the problem
// in words, or "" when the value is acceptable.
std::string CharacterProblem(absl::string_view value, Chars chars) {
  static constexpr uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  size_t i = 0;
  while (i < value.size()) {
    const auto lead = static_cast<unsigned char>(value[i]);
    size_t length;
    uint32_t cp;
    if (lead < 0x80) {
      length = 1, cp = lead;
    } else if ((lead & 0xe0) == 0xc0) {
      length = 2, cp = lead & 0x1f;
    } else if ((lead & 0xf0) == 0xe0) {
      length = 3, cp = lead & 0x0f;
    } else if ((lead & 0xf8) == 0xf0) {
      length = 4, cp = lead & 0x07;
    } else {
      return absl::StrFormat("is not valid UTF-8 (byte 0x%02x at offset %d)", lead, i);
    }
    if (i + length > value.size()) return absl::StrFormat("is not valid UTF-8 (truncated at offset %d)", i);
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(value[i + k]);
      if ((next & 0xc0) != 0x80) return absl::StrFormat("is not valid UTF-8 (at offset %d)", i);
      cp = (cp << 6) | (next & 0x3f);
    }
    if (cp < kSmallest[length] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return absl::StrFormat("is not valid UTF-8 (at offset %d)", i);
    }
    if (IsControl(cp) && !(chars == Chars::kText && (cp == '\t' || cp == '\n' || cp == '\r'))) {
      return absl::StrCat(absl::StrFormat("contains the control character U+%04X at offset %d; ", cp, i),
                          chars == Chars::kText ? "text may hold tab, line feed and carriage return, no other"
                                                : "none is allowed here");
    }
    i += length;
  }
  return "";
}

v1::EventError Error(const v1::TicketEvent& event, const char* code, std::string message) {
  v1::EventError error;
  error.set_event_id(EchoableEventId(event.event_id()));
  error.set_code(code);
  error.set_message(std::move(message));
  return error;
}

// A string field: within `max_bytes` and of the allowed characters.
Problem CheckString(const v1::TicketEvent& event, absl::string_view value, absl::string_view field, Chars chars,
                    size_t max_bytes) {
  if (value.size() > max_bytes) {
    return Error(event, "TOO_LARGE",
                 absl::StrFormat("%s is %d bytes; the limit is %d bytes", field, value.size(), max_bytes));
  }
  std::string problem = CharacterProblem(value, chars);
  if (!problem.empty()) return Error(event, "INVALID_VALUE", absl::StrCat(field, " ", problem));
  return std::nullopt;
}

// Identifiers become parts of storage keys, so control characters (NUL is
// the key separator) are refused rather than escaped.
Problem CheckId(const v1::TicketEvent& event, const std::string& value, const char* field, bool required,
                const Limits& limits) {
  if (value.empty()) {
    if (!required) return std::nullopt;
    return Error(event, "MISSING_FIELD", absl::StrCat(field, " is required"));
  }
  return CheckString(event, value, field, Chars::kName, limits.max_id_bytes);
}

Problem CheckIdentifiersAndNames(const v1::TicketEvent& event, const Limits& limits) {
  if (auto e = CheckId(event, event.tenant(), "tenant", true, limits)) return e;
  // An IDENTITY event (a user export) belongs to no ticket: CheckIdentities.
  const bool identity_only = event.kind() == v1::EVENT_KIND_IDENTITY;
  if (auto e = CheckId(event, event.ticket_id(), "ticket_id", !identity_only, limits)) return e;
  if (auto e = CheckId(event, event.event_id(), "event_id", true, limits)) return e;
  if (auto e = CheckId(event, event.actor().id(), "actor.id", false, limits)) return e;
  if (auto e = CheckId(event, event.assignee().agent_id(), "assignee.agent_id", false, limits)) return e;
  if (auto e = CheckId(event, event.requester().id(), "requester.id", false, limits)) return e;
  const std::pair<const char*, const std::string*> names[] = {
      {"source", &event.source()},
      {"service", &event.service()},
      {"category", &event.category()},
      {"status_reason", &event.status_reason()},
      {"actor.team", &event.actor().team()},
      {"assignee.team", &event.assignee().team()},
      {"requester.department", &event.requester().department()},
      {"resolution.code", &event.resolution().code()},
  };
  for (const auto& [field, value] : names) {
    if (auto e = CheckString(event, *value, field, Chars::kName, limits.max_name_bytes)) return e;
  }
  return std::nullopt;
}

// Each Identity names one person in at least two ways (one id alone teaches
// the directory nothing); the counts are bounded because a fact that merges
// persons refolds every ticket they touch.
Problem CheckIdentities(const v1::TicketEvent& event, const Limits& limits) {
  if (event.identities_size() > static_cast<int>(limits.max_identities)) {
    return Error(event, "TOO_LARGE",
                 absl::StrFormat("identities has %d entries; the limit is %d", event.identities_size(),
                                 limits.max_identities));
  }
  for (int i = 0; i < event.identities_size(); ++i) {
    const v1::Identity& identity = event.identities(i);
    if (identity.ids_size() < 2) {
      return Error(event, "INVALID_VALUE",
                   absl::StrFormat("identities[%d] has %d id; an identity lists at least two ids that name "
                                   "one person",
                                   i, identity.ids_size()));
    }
    if (identity.ids_size() > static_cast<int>(limits.max_identity_ids)) {
      return Error(event, "TOO_LARGE",
                   absl::StrFormat("identities[%d] has %d ids; the limit is %d", i, identity.ids_size(),
                                   limits.max_identity_ids));
    }
    for (int k = 0; k < identity.ids_size(); ++k) {
      const std::string field = absl::StrFormat("identities[%d].ids[%d]", i, k);
      if (auto e = CheckId(event, identity.ids(k), field.c_str(), true, limits)) return e;
    }
  }
  if (event.kind() == v1::EVENT_KIND_IDENTITY) {
    if (event.identities_size() == 0) {
      return Error(event, "MISSING_FIELD", "identities is required on IDENTITY (the ids that name one person)");
    }
    if (!event.ticket_id().empty()) {
      return Error(event, "INVALID_VALUE",
                   "ticket_id must be empty on IDENTITY: identity facts belong to no ticket (send them on the "
                   "ticket's own events instead)");
    }
  }
  return std::nullopt;
}

Problem CheckTexts(const v1::TicketEvent& event, const Limits& limits) {
  const std::pair<const char*, const std::string*> texts[] = {
      {"comment.text", &event.comment().text()},
      {"survey.text", &event.survey().text()},
      {"resolution.notes", &event.resolution().notes()},
  };
  for (const auto& [field, value] : texts) {
    if (auto e = CheckString(event, *value, field, Chars::kText, limits.max_text_bytes)) return e;
  }
  if (event.attributes_size() > static_cast<int>(limits.max_attributes)) {
    return Error(event, "TOO_LARGE",
                 absl::StrFormat("attributes has %d entries; the limit is %d", event.attributes_size(),
                                 limits.max_attributes));
  }
  for (const auto& [key, value] : event.attributes()) {
    if (key.empty()) return Error(event, "INVALID_VALUE", "an attribute key is empty");
    // Names the key in the message, cut and escaped: it may be the problem.
    const std::string shown = absl::CHexEscape(absl::string_view(key).substr(0, 40));
    const std::string field = absl::StrCat("attributes key \"", shown, key.size() > 40 ? "…" : "", "\"");
    if (auto e = CheckString(event, key, field, Chars::kName, limits.max_attribute_key_bytes)) return e;
    const std::string value_field = absl::StrCat("attributes[\"", shown, "\"]");
    if (auto e = CheckString(event, value, value_field, Chars::kText, limits.max_attribute_value_bytes)) return e;
    uint32_t count = 0;
    if ((key == kSourceReopenCount || key == kSourceReassignmentCount || key == kSourceTeamReassignmentCount) &&
        !absl::SimpleAtoi(value, &count)) {
      return Error(event, "INVALID_VALUE",
                   absl::StrCat(value_field, " is '", absl::CHexEscape(value.substr(0, 40)),
                                "': the source's own counter is a whole number"));
    }
  }
  return std::nullopt;
}

Problem CheckOccurredAt(const v1::TicketEvent& event, int64_t now_micros) {
  if (!event.has_occurred_at()) {
    return Error(event, "MISSING_FIELD", "occurred_at is required (the source system's event time)");
  }
  const auto& ts = event.occurred_at();
  if (ts.nanos() < 0 || ts.nanos() > 999'999'999) {
    return Error(event, "INVALID_VALUE", "occurred_at.nanos must be in 0..999999999");
  }
  if (ts.seconds() < -kMaxConvertibleSeconds || ts.seconds() > kMaxConvertibleSeconds) {
    return Error(event, "OUT_OF_RANGE",
                 absl::StrFormat("occurred_at.seconds %d is not a time Rapport takes (1990-01-01 up to a day "
                                 "after server time %s)",
                                 ts.seconds(), FormatMicros(now_micros)));
  }
  int64_t at = ToMicros(ts);
  if (at < kEarliestMicros) {
    return Error(event, "OUT_OF_RANGE", absl::StrCat("occurred_at ", FormatMicros(at), " is before 1990-01-01"));
  }
  if (at > now_micros + kMicrosPerDay) {
    return Error(event, "OUT_OF_RANGE",
                 absl::StrCat("occurred_at ", FormatMicros(at), " is more than a day in the future (server time ",
                              FormatMicros(now_micros), ")"));
  }
  return std::nullopt;
}

Problem CheckEnums(const v1::TicketEvent& event) {
  if (event.kind() == v1::EVENT_KIND_UNSPECIFIED) {
    return Error(event, "MISSING_FIELD", "kind is required (e.g. EVENT_KIND_STATUS_CHANGED)");
  }
  if (!v1::EventKind_IsValid(event.kind())) {
    return Error(event, "INVALID_VALUE", absl::StrCat("kind ", event.kind(), " is not a known EventKind"));
  }
  if (!v1::ActorRole_IsValid(event.actor().role())) {
    return Error(event, "INVALID_VALUE",
                 absl::StrCat("actor.role ", event.actor().role(), " is not a known ActorRole"));
  }
  if (!v1::TicketStatus_IsValid(event.status())) {
    return Error(event, "INVALID_VALUE", absl::StrCat("status ", event.status(), " is not a known TicketStatus"));
  }
  if (!v1::Priority_IsValid(event.priority())) {
    return Error(event, "INVALID_VALUE", absl::StrCat("priority ", event.priority(), " is not a known Priority"));
  }
  return std::nullopt;
}

// Every survey number finite and bounded, whatever the kind: the score
// stage divides by the scale's span.
Problem CheckSurveyNumbers(const v1::TicketEvent& event) {
  if (!event.has_survey()) return std::nullopt;
  const v1::Survey& s = event.survey();
  const std::pair<const char*, double> numbers[] = {
      {"survey.scale_min", s.scale_min()}, {"survey.scale_max", s.scale_max()}, {"survey.score", s.score()}};
  for (const auto& [field, value] : numbers) {
    if (!std::isfinite(value)) {
      return Error(event, "INVALID_VALUE", absl::StrFormat("%s is %g; it must be a finite number", field, value));
    }
    if (std::abs(value) > kMaxSurveyBound) {
      return Error(event, "OUT_OF_RANGE",
                   absl::StrFormat("%s %g is beyond the limit of ±%g (scales in use are like 1..5, 0..10, 0..100)",
                                   field, value, kMaxSurveyBound));
    }
  }
  return std::nullopt;
}

Problem CheckKindFields(const v1::TicketEvent& event) {
  switch (event.kind()) {
    case v1::EVENT_KIND_STATUS_CHANGED:
      if (event.status() == v1::TICKET_STATUS_UNSPECIFIED) {
        return Error(event, "MISSING_FIELD", "status is required on STATUS_CHANGED");
      }
      break;
    case v1::EVENT_KIND_ASSIGNMENT_CHANGED:
      if (!event.has_assignee()) {
        return Error(event, "MISSING_FIELD",
                     "assignee is required on ASSIGNMENT_CHANGED (an empty agent_id and team "
                     "means unassigned, but the field must be present)");
      }
      break;
    case v1::EVENT_KIND_PRIORITY_CHANGED:
      if (event.priority() == v1::PRIORITY_UNSPECIFIED) {
        return Error(event, "MISSING_FIELD", "priority is required on PRIORITY_CHANGED");
      }
      break;
    case v1::EVENT_KIND_COMMENT_ADDED:
      if (!event.has_comment()) return Error(event, "MISSING_FIELD", "comment is required on COMMENT_ADDED");
      if (event.comment().text().empty()) {
        return Error(event, "MISSING_FIELD", "comment.text is required on COMMENT_ADDED");
      }
      break;
    case v1::EVENT_KIND_SURVEY_RECEIVED: {
      if (!event.has_survey()) return Error(event, "MISSING_FIELD", "survey is required on SURVEY_RECEIVED");
      const v1::Survey& s = event.survey();
      if (!(s.scale_max() > s.scale_min())) {
        return Error(event, "INVALID_VALUE",
                     absl::StrFormat("survey scale %g..%g is empty; set scale_min < scale_max "
                                     "(e.g. 1..5 for CSAT, 0..10 for NPS)",
                                     s.scale_min(), s.scale_max()));
      }
      if (!(s.score() >= s.scale_min() && s.score() <= s.scale_max())) {
        return Error(event, "OUT_OF_RANGE",
                     absl::StrFormat("survey.score %g is outside its scale %g..%g", s.score(), s.scale_min(),
                                     s.scale_max()));
      }
      break;
    }
    default:
      break;
  }
  return std::nullopt;
}

}  // namespace

std::string EchoableEventId(const std::string& event_id) {
  constexpr size_t kEchoed = 256;
  if (event_id.size() <= kEchoed && CharacterProblem(event_id, Chars::kName).empty()) return event_id;
  return absl::StrCat(absl::CHexEscape(absl::string_view(event_id).substr(0, kEchoed / 4)), "…");
}

std::optional<v1::EventError> ValidateEvent(const v1::TicketEvent& event, int64_t now_micros,
                                            const Limits& limits) {
  if (auto e = CheckIdentifiersAndNames(event, limits)) return e;
  if (auto e = CheckOccurredAt(event, now_micros)) return e;
  if (auto e = CheckEnums(event)) return e;
  if (auto e = CheckSurveyNumbers(event)) return e;
  if (auto e = CheckKindFields(event)) return e;
  if (auto e = CheckIdentities(event, limits)) return e;
  return CheckTexts(event, limits);
}

}  // namespace rapport
