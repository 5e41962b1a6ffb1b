#include "query/read_request.h"

#include "ingest/aliases.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "event/event.h"
#include "event/validate.h"
#include "store/keys.h"
#include "store/records.h"

namespace rapport {
namespace {

// google.protobuf.Timestamp's documented range: 0001-01-01T00:00:00Z to
// 9999-12-31T23:59:59.999999999Z.
constexpr int64_t kMinTimestampSeconds = -62'135'596'800;
constexpr int64_t kMaxTimestampSeconds = 253'402'300'799;

absl::StatusOr<int64_t> CheckTimestamp(absl::string_view field, const google::protobuf::Timestamp& ts) {
  if (ts.seconds() < kMinTimestampSeconds || ts.seconds() > kMaxTimestampSeconds) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " is ", ts.seconds(),
        " seconds from 1970, outside the Timestamp range (years 1 to 9999); leave it unset for an open end"));
  }
  if (ts.nanos() < 0 || ts.nanos() > 999'999'999) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".nanos is ", ts.nanos(), "; it must be 0 to 999999999"));
  }
  return ToMicros(ts);
}

}  // namespace

absl::StatusOr<internal::TenantState> ReadTenant(const Store& store, const std::string& tenant) {
  if (absl::Status s = CheckId("tenant", tenant); !s.ok()) return s;
  auto state = records::ReadTenantState(store, tenant);
  if (!state.ok()) return state.status();
  if (!state->has_value()) return absl::NotFoundError(absl::StrCat("tenant '", tenant, "' has no events"));
  return std::move(**state);
}

absl::Status CheckId(absl::string_view field, const std::string& value) {
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  const size_t limit = Limits().max_id_bytes;
  if (value.size() > limit) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s is %d bytes; no stored identifier is longer than %d", field, value.size(), limit));
  }
  for (size_t i = 0; i < value.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s contains a control character (0x%02x at byte %d); identifiers never do", field, c, i));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckScope(const v1::Scope& scope, ScopeUse use) {
  if (absl::Status s = CheckEnum<v1::ScopeKind>("scope.kind", scope.kind()); !s.ok()) return s;
  if (scope.kind() == v1::SCOPE_KIND_UNSPECIFIED) {
    if (use == ScopeUse::kOptional && scope.id().empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(
        "scope.kind is required: TICKET, AGENT, TEAM, REQUESTER, DEPARTMENT, SERVICE or TENANT");
  }
  if (scope.kind() == v1::SCOPE_KIND_TENANT) return absl::OkStatus();  // `tenant` names it; the id is unread
  if (scope.id().empty()) return absl::InvalidArgumentError("scope.id is required for every scope kind but TENANT");
  return CheckId("scope.id", scope.id());
}

absl::Status ResolvePersonScope(const Store& store, const std::string& tenant, v1::Scope* scope) {
  if (scope->kind() != v1::SCOPE_KIND_AGENT && scope->kind() != v1::SCOPE_KIND_REQUESTER) return absl::OkStatus();
  AliasDirectory directory(store);
  auto person = directory.Resolve(tenant, scope->id());
  if (!person.ok()) return person.status();
  scope->set_id(*std::move(person));
  return absl::OkStatus();
}

absl::Status CheckEnumValue(absl::string_view field, int value, const google::protobuf::EnumDescriptor* type) {
  if (type->FindValueByNumber(value) != nullptr) return absl::OkStatus();
  std::vector<std::string> names;
  for (int i = 0; i < type->value_count(); ++i) {
    if (type->value(i)->number() != 0) names.push_back(type->value(i)->name());
  }
  return absl::InvalidArgumentError(absl::StrCat(field, " ", value, " is not a ", type->name(), "; one of ",
                                                 absl::StrJoin(names, ", "), " (or unset for the default)"));
}

TimeWindow TimeWindow::ClampedTo(int64_t first_us, int64_t last_us) const {
  TimeWindow w = *this;
  if (w.start_us && *w.start_us <= first_us) w.start_us.reset();
  if (w.end_us && *w.end_us > last_us) w.end_us.reset();
  return w;
}

absl::StatusOr<TimeWindow> CheckWindow(const v1::Window& window) {
  TimeWindow w;
  if (window.has_start()) {
    auto start = CheckTimestamp("window.start", window.start());
    if (!start.ok()) return start.status();
    w.start_us = *start;
  }
  if (window.has_end()) {
    auto end = CheckTimestamp("window.end", window.end());
    if (!end.ok()) return end.status();
    w.end_us = *end;
  }
  if (w.start_us && w.end_us && *w.end_us <= *w.start_us) {
    return absl::InvalidArgumentError(absl::StrCat("window.end (", FormatMicros(*w.end_us),
                                                   ") must be after window.start (", FormatMicros(*w.start_us), ")"));
  }
  return w;
}

}  // namespace rapport
