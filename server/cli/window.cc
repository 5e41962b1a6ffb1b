#include "server/cli/window.h"

#include <iostream>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "event/event.h"
#include "grpcpp/client_context.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "server/cli/output.h"

namespace rapport::cli {
namespace {

constexpr int64_t kMinuteUs = 60'000'000, kHourUs = 60 * kMinuteUs, kDayUs = 24 * kHourUs;
// Ten thousand years: no window arithmetic can overflow below it.
constexpr int64_t kMaxSpanUs = 10'000 * 366 * kDayUs;

constexpr char kAccepted[] =
    "--window takes a length back from the tenant's latest event (30d, 12h, 90m) or a range A..B of dates "
    "(2026-01-01) or RFC 3339 times (2026-01-01T08:00:00Z)";

}  // namespace

v1::Window WindowSpec::Resolve(int64_t latest_us) const {
  v1::Window window;
  if (relative()) {
    // Timestamps are after 1990 (validation), so the division floors.
    const int64_t end = (latest_us / unit_us + 1) * unit_us;
    *window.mutable_end() = FromMicros(end);
    *window.mutable_start() = FromMicros(end - count * unit_us);
    return window;
  }
  if (start_us) *window.mutable_start() = FromMicros(*start_us);
  if (end_us) *window.mutable_end() = FromMicros(*end_us);
  return window;
}

absl::StatusOr<int64_t> ParseInstant(absl::string_view text) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime("%Y-%m-%d", text, &t, &error) && !absl::ParseTime(absl::RFC3339_full, text, &t, &error)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", text, "' is neither a date (2026-01-01) nor an RFC 3339 time (2026-01-01T08:00:00Z)"));
  }
  if (t < absl::FromCivil(absl::CivilSecond(1, 1, 1), absl::UTCTimeZone()) ||
      t >= absl::FromCivil(absl::CivilSecond(10000, 1, 1), absl::UTCTimeZone())) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is outside years 1 to 9999"));
  }
  return absl::ToUnixMicros(t);
}

absl::StatusOr<WindowSpec> ParseWindow(absl::string_view text) {
  WindowSpec spec;
  if (size_t dots = text.find(".."); dots != absl::string_view::npos) {
    auto start = ParseInstant(text.substr(0, dots));
    if (!start.ok()) return absl::InvalidArgumentError(absl::StrCat(start.status().message(), "; ", kAccepted));
    auto end = ParseInstant(text.substr(dots + 2));
    if (!end.ok()) return absl::InvalidArgumentError(absl::StrCat(end.status().message(), "; ", kAccepted));
    if (*end <= *start) {
      return absl::InvalidArgumentError(absl::StrCat("the window '", text, "' ends before it starts"));
    }
    spec.start_us = *start;
    spec.end_us = *end;
    return spec;
  }
  if (text.size() >= 2) {
    switch (text.back()) {
      case 'd': spec.unit_us = kDayUs; break;
      case 'h': spec.unit_us = kHourUs; break;
      case 'm': spec.unit_us = kMinuteUs; break;
      default: break;
    }
  }
  if (spec.unit_us == 0 || !absl::SimpleAtoi(text.substr(0, text.size() - 1), &spec.count) || spec.count <= 0 ||
      spec.count > kMaxSpanUs / spec.unit_us) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a window; ", kAccepted));
  }
  return spec;
}

namespace {

// The spec the flags give; nullopt when none is given.
absl::StatusOr<std::optional<WindowSpec>> SpecFromArgs(const Args& args) {
  const bool range = args.Has("since") || args.Has("until");
  if (args.Has("window") && range) {
    return absl::InvalidArgumentError(
        "--window and --since/--until both say the window; give one (--window A..B is --since A --until B)");
  }
  if (args.Has("window")) return ParseWindow(args.Get("window"));
  if (!range) return std::optional<WindowSpec>();
  WindowSpec spec;
  for (auto [flag, end] : {std::pair{"since", &spec.start_us}, {"until", &spec.end_us}}) {
    if (!args.Has(flag)) continue;
    auto at = ParseInstant(args.Get(flag));
    if (!at.ok()) return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", at.status().message()));
    *end = *at;
  }
  if (spec.start_us && spec.end_us && *spec.end_us <= *spec.start_us) {
    return absl::InvalidArgumentError("--until must be after --since");
  }
  return spec;
}

}  // namespace

int WindowFromArgs(const Args& args, const char* command, v1::Window* window) {
  auto spec = SpecFromArgs(args);
  if (!spec.ok()) {
    std::cerr << "rapport " << command << ": " << spec.status().message() << "\n";
    return 2;
  }
  if (!spec->has_value()) return 0;
  int64_t latest = 0;
  if ((*spec)->relative()) {
    auto admin = v1::AdminService::NewStub(Connect(args.server()));
    v1::GetStatsRequest request;
    request.set_tenant(args.Get("tenant"));
    v1::GetStatsResponse stats;
    grpc::ClientContext context;
    if (grpc::Status s = admin->GetStats(&context, request, &stats); !s.ok()) return ReportRpcError(s, args.server());
    if (stats.tenants_size() == 0) {
      std::cerr << "rapport " << command << ": tenant '" << args.Get("tenant") << "' has no events\n";
      return 1;
    }
    latest = ToMicros(stats.tenants(0).watermark());
  }
  *window = (*spec)->Resolve(latest);
  return 0;
}

}  // namespace rapport::cli
