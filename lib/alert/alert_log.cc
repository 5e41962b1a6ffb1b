#include "alert/alert_log.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "event/event.h"
#include "query/page.h"
#include "query/read_request.h"
#include "store/keys.h"

namespace rapport::alert {

absl::Status ReadLog(const Store& store, const std::string& tenant, uint64_t after_cursor, size_t max,
                     std::vector<v1::Alert>* out) {
  if (max == 0) return absl::OkStatus();
  const std::string prefix = keys::AlertLogPrefix(tenant);
  absl::Status bad;
  size_t taken = 0;
  absl::Status scan = store.ScanFrom(Family::kAlerts, prefix, keys::AlertLog(tenant, after_cursor + 1),
                                     [&](absl::string_view key, absl::string_view value) {
                                       v1::Alert& a = out->emplace_back();
                                       if (!a.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
                                         out->pop_back();
                                         bad = absl::DataLossError(absl::StrCat(
                                             "alert log entry ", keys::AlertLogCursor(key), " of tenant '", tenant,
                                             "' is unreadable; restore the store from a backup"));
                                         return false;
                                       }
                                       return ++taken < max;
                                     });
  return scan.ok() ? bad : scan;
}

absl::StatusOr<uint64_t> NextCursor(const Store& store, const std::string& tenant) {
  std::string value;
  absl::Status s = store.Get(Family::kAlerts, keys::AlertNextCursor(tenant), &value);
  if (absl::IsNotFound(s)) return 1;
  if (!s.ok()) return s;
  if (value.size() != 8) {
    return absl::DataLossError(absl::StrCat("the alert cursor of tenant '", tenant, "' is unreadable"));
  }
  return keys::GetBigEndian64(value);
}

absl::Status ParseOpenAlert(absl::string_view bytes, const std::string& tenant, internal::OpenAlert* out) {
  if (out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return absl::OkStatus();
  return absl::DataLossError(
      absl::StrCat("an open alert of tenant '", tenant, "' is unreadable; restore the store from a backup"));
}

const char* AlertStateName(v1::AlertState state) {
  switch (state) {
    case v1::ALERT_STATE_FIRING: return "firing";
    case v1::ALERT_STATE_RESOLVED: return "resolved";
    default: return "unspecified";
  }
}

namespace {

bool Wanted(const v1::ListAlertsRequest& request, const TimeWindow& window, const v1::Alert& a) {
  if (request.state() == v1::ALERT_STATE_RESOLVED && a.state() != v1::ALERT_STATE_RESOLVED) return false;
  if (!request.kinds().empty() &&
      std::find(request.kinds().begin(), request.kinds().end(), a.kind()) == request.kinds().end()) {
    return false;
  }
  return window.Contains(ToMicros(a.last_seen()));
}

}  // namespace

absl::Status ScanOpenAlerts(const Store& store, const std::string& tenant,
                            const std::function<bool(v1::Alert&)>& visit) {
  absl::Status bad;
  absl::Status scan = store.Scan(Family::kAlerts, keys::OpenAlertsPrefix(tenant),
                                 [&](absl::string_view, absl::string_view value) {
                                   internal::OpenAlert open;
                                   bad = ParseOpenAlert(value, tenant, &open);
                                   return bad.ok() && visit(*open.mutable_latest());
                                 });
  return scan.ok() ? bad : scan;
}

absl::StatusOr<v1::ListAlertsResponse> ListAlerts(const Store& store, const v1::ListAlertsRequest& request) {
  auto tenant = ReadTenant(store, request.tenant());
  if (!tenant.ok()) return tenant.status();
  if (absl::Status s = CheckEnum<v1::AlertState>("state", request.state()); !s.ok()) return s;
  for (const std::string& kind : request.kinds()) {
    if (absl::Status s = CheckId("kinds", kind); !s.ok()) return s;
  }
  auto window = CheckWindow(request.window());
  if (!window.ok()) return window.status();
  auto page = Page::Of(request, 50);
  if (!page.ok()) return page.status();

  // Matching entries in the order listed, up to the end of the page: the
  // open alerts in key order, or the log newest first.
  std::vector<v1::Alert> matching;
  absl::Status bad;
  const size_t wanted = page->end(SIZE_MAX);
  if (request.state() == v1::ALERT_STATE_FIRING) {
    absl::Status scan = ScanOpenAlerts(store, request.tenant(), [&](v1::Alert& latest) {
      if (Wanted(request, *window, latest)) matching.push_back(std::move(latest));
      return matching.size() <= wanted;
    });
    if (!scan.ok()) return scan;
  } else {
    auto next = NextCursor(store, request.tenant());
    if (!next.ok()) return next.status();
    Store::Cursor cursor(store, Family::kAlerts);
    const std::string prefix = keys::AlertLogPrefix(request.tenant());
    absl::Status scan = cursor.ScanBackFrom(prefix, keys::AlertLog(request.tenant(), *next),
                                            [&](absl::string_view key, absl::string_view value) {
                                              v1::Alert a;
                                              if (!a.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
                                                bad = absl::DataLossError(absl::StrCat(
                                                    "alert log entry ", keys::AlertLogCursor(key), " of tenant '",
                                                    request.tenant(), "' is unreadable"));
                                                return false;
                                              }
                                              if (Wanted(request, *window, a)) matching.push_back(std::move(a));
                                              return matching.size() <= wanted;
                                            });
    if (!scan.ok()) return scan;
  }
  if (!bad.ok()) return bad;
  v1::ListAlertsResponse response;
  for (size_t i = page->begin(matching.size()); i < page->end(matching.size()); ++i) {
    *response.add_alerts() = std::move(matching[i]);
  }
  // One item past the page was read when there is one, so the token is right.
  response.set_next_page_token(page->NextToken(matching.size()));
  return response;
}

}  // namespace rapport::alert
