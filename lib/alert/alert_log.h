// The read side of the alert log (keys.h, "lg" of the alerts family): what
// WatchAlerts replays, what sinks deliver and what ListAlerts lists. Reads
// only; the AlertStage is the only writer of the log.
#ifndef RAPPORT_ALERT_ALERT_LOG_H_
#define RAPPORT_ALERT_ALERT_LOG_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "rapport/internal/alerts.pb.h"
#include "rapport/v1/alerts.pb.h"
#include "store/store.h"

namespace rapport::alert {

// Appends to *out the entries of `tenant` with a cursor after `after_cursor`,
// in cursor order, at most `max`. DATA_LOSS (naming the tenant and cursor)
// for an entry that does not parse; nothing is skipped silently.
absl::Status ReadLog(const Store& store, const std::string& tenant, uint64_t after_cursor, size_t max,
                     std::vector<v1::Alert>* out);

// The cursor the next entry of `tenant` gets (1 for a tenant with none).
absl::StatusOr<uint64_t> NextCursor(const Store& store, const std::string& tenant);

// An open alert's record, parsed; DATA_LOSS naming its key when unreadable.
absl::Status ParseOpenAlert(absl::string_view bytes, const std::string& tenant, internal::OpenAlert* out);

// Calls `visit` with the latest entry of each open alert of `tenant`, in
// key order (rule, subject), until it returns false. DATA_LOSS naming the
// key for a record that does not parse.
absl::Status ScanOpenAlerts(const Store& store, const std::string& tenant,
                            const std::function<bool(v1::Alert&)>& visit);

// ListAlerts (alerts.proto): InvalidArgument for a bad request or page
// token, NotFound for a tenant with no event.
absl::StatusOr<v1::ListAlertsResponse> ListAlerts(const Store& store, const v1::ListAlertsRequest& request);

// "firing" / "resolved", and "RUDE_REPLY"-style kind names are what people
// type; these are the one spelling of both.
const char* AlertStateName(v1::AlertState state);

}  // namespace rapport::alert

#endif  // RAPPORT_ALERT_ALERT_LOG_H_
