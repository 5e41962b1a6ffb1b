#include "event/event.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace rapport {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;

std::string StripPrefix(const std::string& name, absl::string_view prefix) {
  absl::string_view view(name);
  if (absl::StartsWith(view, prefix)) view.remove_prefix(prefix.size());
  return std::string(view);
}

}  // namespace

int64_t ToMicros(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * kMicrosPerSecond + ts.nanos() / 1000;
}

google::protobuf::Timestamp FromMicros(int64_t micros) {
  google::protobuf::Timestamp ts;
  int64_t seconds = micros / kMicrosPerSecond;
  int64_t rest = micros % kMicrosPerSecond;
  if (rest < 0) {
    rest += kMicrosPerSecond;
    --seconds;
  }
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>(rest * 1000));
  return ts;
}

google::protobuf::Duration DurationFromMicros(int64_t micros) {
  google::protobuf::Duration d;
  d.set_seconds(micros / kMicrosPerSecond);
  d.set_nanos(static_cast<int32_t>((micros % kMicrosPerSecond) * 1000));
  return d;
}

std::string FormatMicros(int64_t micros) {
  absl::Time t = absl::FromUnixMicros(micros);
  const char* format = micros % kMicrosPerSecond == 0 ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%dT%H:%M:%E6SZ";
  return absl::FormatTime(format, t, absl::UTCTimeZone());
}

std::string FormatDuration(int64_t micros) {
  if (micros < 0) return absl::StrCat("-", FormatDuration(-micros));
  int64_t s = micros / kMicrosPerSecond;
  int64_t days = s / 86400, hours = (s % 86400) / 3600, minutes = (s % 3600) / 60;
  if (days > 0) return absl::StrFormat("%dd %02dh", days, hours);
  if (hours > 0) return absl::StrFormat("%dh %02dm", hours, minutes);
  if (minutes > 0) return absl::StrFormat("%dm", minutes);
  return absl::StrFormat("%ds", s);
}

bool IsTerminal(v1::TicketStatus status) {
  return status == v1::TICKET_STATUS_RESOLVED || status == v1::TICKET_STATUS_CLOSED ||
         status == v1::TICKET_STATUS_CANCELED;
}

bool IsResolved(v1::TicketStatus status) {
  return status == v1::TICKET_STATUS_RESOLVED || status == v1::TICKET_STATUS_CLOSED;
}

bool IsPaused(v1::TicketStatus status) {
  return status == v1::TICKET_STATUS_PENDING_REQUESTER ||
         status == v1::TICKET_STATUS_PENDING_THIRD_PARTY;
}

std::string ShortName(v1::TicketStatus status) {
  return StripPrefix(v1::TicketStatus_Name(status), "TICKET_STATUS_");
}
std::string ShortName(v1::EventKind kind) {
  return StripPrefix(v1::EventKind_Name(kind), "EVENT_KIND_");
}
std::string ShortName(v1::ActorRole role) {
  return StripPrefix(v1::ActorRole_Name(role), "ACTOR_ROLE_");
}
std::string ShortName(v1::Priority priority) {
  return StripPrefix(v1::Priority_Name(priority), "PRIORITY_");
}

}  // namespace rapport
