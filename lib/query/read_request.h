// One validation for every read request (ExperienceService). Tenants,
// identifiers, enum values and windows are checked here and nowhere else, so
// every RPC refuses the same input with the same words; page tokens have
// their home beside it (query/page.h).
//
//   tenant       required; a tenant with no event yet is NotFound.
//   identifiers  ticket and scope ids match exactly: an id with a control
//                character (which ingest refuses, and which as a key part
//                would match longer keys: NUL is the separator) or longer
//                than ingest accepts is InvalidArgument.
//   enums        a value the proto does not define is InvalidArgument.
//   windows      both ends inside google.protobuf.Timestamp's range (years
//                1 to 9999, so no conversion can overflow) and end after
//                start, else InvalidArgument; an end after the data or a
//                start before it is then the same as no end or no start
//                (TimeWindow::ClampedTo).
#ifndef RAPPORT_QUERY_READ_REQUEST_H_
#define RAPPORT_QUERY_READ_REQUEST_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/generated_enum_reflection.h"
#include "rapport/internal/state.pb.h"
#include "rapport/v1/events.pb.h"
#include "rapport/v1/findings.pb.h"
#include "store/store.h"

namespace rapport {

// The tenant's record (watermark, counts). InvalidArgument for an empty or
// malformed name; NotFound for a tenant with no event yet.
absl::StatusOr<internal::TenantState> ReadTenant(const Store& store, const std::string& tenant);

// A required identifier named `field` in messages ("ticket_id").
absl::Status CheckId(absl::string_view field, const std::string& value);

// A scope: a known kind and, for every kind but TENANT, an id (a TENANT
// scope's id is not read: `tenant` names it). An optional scope may be left
// unset (kind UNSPECIFIED: the whole tenant).
enum class ScopeUse { kRequired, kOptional };
absl::Status CheckScope(const v1::Scope& scope, ScopeUse use);

// A scope that names a person (AGENT, REQUESTER) by any of their aliases
// names the person the tenant's alias directory resolves it to
// (ingest/aliases.h), so a query answers for the person whichever id it
// was asked with. Other scopes are left as they are.
absl::Status ResolvePersonScope(const Store& store, const std::string& tenant, v1::Scope* scope);

// `value` is one of the enum's defined values (UNSPECIFIED included: it
// means the default).
absl::Status CheckEnumValue(absl::string_view field, int value, const google::protobuf::EnumDescriptor* type);
template <typename Enum>
absl::Status CheckEnum(absl::string_view field, int value) {
  return CheckEnumValue(field, value, google::protobuf::GetEnumDescriptor<Enum>());
}

// A window on event time in microseconds, [start, end); an unset end is open.
struct TimeWindow {
  std::optional<int64_t> start_us, end_us;

  bool Contains(int64_t us) const { return (!start_us || us >= *start_us) && (!end_us || us < *end_us); }
  // The window over data that spans [first_us, last_us]: a start at or
  // before the first instant and an end after the last one cut nothing, so
  // they become open. The result may be empty (a window after the data).
  TimeWindow ClampedTo(int64_t first_us, int64_t last_us) const;
};

// Validates `window` (see the rules above); unset fields are open ends.
absl::StatusOr<TimeWindow> CheckWindow(const v1::Window& window);

}  // namespace rapport

#endif  // RAPPORT_QUERY_READ_REQUEST_H_
