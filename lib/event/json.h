// Canonical events as proto-JSON: one TicketEvent per line. Enum values are
// accepted with or without their type prefix and in any case
// ("pending_requester", "TICKET_STATUS_PENDING_REQUESTER"); numbers work too.
#ifndef RAPPORT_EVENT_JSON_H_
#define RAPPORT_EVENT_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rapport/v1/events.pb.h"

namespace rapport {

// InvalidArgument with the parser's explanation when the line is not a
// TicketEvent. Unknown fields are refused, so a typo does not pass silently.
absl::StatusOr<v1::TicketEvent> ParseEventJson(absl::string_view line);

// Compact proto-JSON with proto field names (snake_case).
std::string EventToJson(const v1::TicketEvent& event);

}  // namespace rapport

#endif  // RAPPORT_EVENT_JSON_H_
