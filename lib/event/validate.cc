#include "event/validate.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "event/event.h"

namespace rapport {
namespace {

constexpr int64_t kMicrosPerDay = 86'400'000'000LL;
constexpr int64_t kEarliestMicros = 631'152'000'000'000LL;  // 1990-01-01T00:00:00Z

v1::EventError Error(const v1::TicketEvent& event, const char* code, std::string message) {
  v1::EventError error;
  error.set_event_id(event.event_id());
  error.set_code(code);
  error.set_message(std::move(message));
  return error;
}

// Identifiers become parts of storage keys, so control characters (NUL is
// the key separator) are refused rather than escaped.
std::optional<v1::EventError> CheckId(const v1::TicketEvent& event, const std::string& value,
                                      const char* field, bool required, const Limits& limits) {
  if (value.empty()) {
    if (!required) return std::nullopt;
    return Error(event, "MISSING_FIELD", absl::StrCat(field, " is required"));
  }
  if (value.size() > limits.max_id_bytes) {
    return Error(event, "TOO_LARGE",
                 absl::StrFormat("%s is %d bytes; the limit is %d", field, value.size(),
                                 limits.max_id_bytes));
  }
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      return Error(event, "INVALID_VALUE",
                   absl::StrFormat("%s contains a control character (0x%02x)", field, c));
    }
  }
  return std::nullopt;
}

std::optional<v1::EventError> CheckText(const v1::TicketEvent& event, const std::string& text,
                                        const char* field, const Limits& limits) {
  if (text.size() <= limits.max_text_bytes) return std::nullopt;
  return Error(event, "TOO_LARGE",
               absl::StrFormat("%s is %d bytes; the limit is %d bytes", field, text.size(),
                               limits.max_text_bytes));
}

}  // namespace

std::optional<v1::EventError> ValidateEvent(const v1::TicketEvent& event, int64_t now_micros,
                                            const Limits& limits) {
  if (auto e = CheckId(event, event.tenant(), "tenant", true, limits)) return e;
  if (auto e = CheckId(event, event.ticket_id(), "ticket_id", true, limits)) return e;
  if (auto e = CheckId(event, event.event_id(), "event_id", true, limits)) return e;
  if (auto e = CheckId(event, event.actor().id(), "actor.id", false, limits)) return e;
  if (auto e = CheckId(event, event.assignee().agent_id(), "assignee.agent_id", false, limits)) return e;
  if (auto e = CheckId(event, event.assignee().team(), "assignee.team", false, limits)) return e;
  if (auto e = CheckId(event, event.requester().id(), "requester.id", false, limits)) return e;

  if (!event.has_occurred_at()) {
    return Error(event, "MISSING_FIELD", "occurred_at is required (the source system's event time)");
  }
  const auto& ts = event.occurred_at();
  if (ts.nanos() < 0 || ts.nanos() > 999'999'999) {
    return Error(event, "INVALID_VALUE", "occurred_at.nanos must be in 0..999999999");
  }
  int64_t at = ToMicros(ts);
  if (at < kEarliestMicros) {
    return Error(event, "OUT_OF_RANGE",
                 absl::StrCat("occurred_at ", FormatMicros(at), " is before 1990-01-01"));
  }
  if (at > now_micros + kMicrosPerDay) {
    return Error(event, "OUT_OF_RANGE",
                 absl::StrCat("occurred_at ", FormatMicros(at),
                              " is more than a day in the future (server time ",
                              FormatMicros(now_micros), ")"));
  }

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
    return Error(event, "INVALID_VALUE",
                 absl::StrCat("status ", event.status(), " is not a known TicketStatus"));
  }
  if (!v1::Priority_IsValid(event.priority())) {
    return Error(event, "INVALID_VALUE",
                 absl::StrCat("priority ", event.priority(), " is not a known Priority"));
  }

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
      if (!event.has_comment()) {
        return Error(event, "MISSING_FIELD", "comment is required on COMMENT_ADDED");
      }
      if (event.comment().text().empty()) {
        return Error(event, "MISSING_FIELD", "comment.text is required on COMMENT_ADDED");
      }
      break;
    case v1::EVENT_KIND_SURVEY_RECEIVED: {
      if (!event.has_survey()) {
        return Error(event, "MISSING_FIELD", "survey is required on SURVEY_RECEIVED");
      }
      const v1::Survey& s = event.survey();
      if (!(s.scale_max() > s.scale_min())) {
        return Error(event, "INVALID_VALUE",
                     absl::StrFormat("survey scale %g..%g is empty; set scale_min < scale_max "
                                     "(e.g. 1..5 for CSAT, 0..10 for NPS)",
                                     s.scale_min(), s.scale_max()));
      }
      if (!(s.score() >= s.scale_min() && s.score() <= s.scale_max())) {
        return Error(event, "OUT_OF_RANGE",
                     absl::StrFormat("survey.score %g is outside its scale %g..%g", s.score(),
                                     s.scale_min(), s.scale_max()));
      }
      break;
    }
    default:
      break;
  }

  if (auto e = CheckText(event, event.comment().text(), "comment.text", limits)) return e;
  if (auto e = CheckText(event, event.survey().text(), "survey.text", limits)) return e;
  if (auto e = CheckText(event, event.resolution().notes(), "resolution.notes", limits)) return e;
  if (auto e = CheckText(event, event.status_reason(), "status_reason", limits)) return e;
  if (event.attributes_size() > static_cast<int>(limits.max_attributes)) {
    return Error(event, "TOO_LARGE",
                 absl::StrFormat("attributes has %d entries; the limit is %d",
                                 event.attributes_size(), limits.max_attributes));
  }
  for (const auto& [key, value] : event.attributes()) {
    if (auto e = CheckText(event, value, "attributes value", limits)) return e;
  }
  return std::nullopt;
}

}  // namespace rapport
