// Per-event validation. A rejected event gets an EventError with a code from
// a documented set and a message naming the field; its neighbours in the
// batch are unaffected.
//
// Codes:
//   MISSING_FIELD  a required field is absent (tenant, ticket_id, event_id,
//                  occurred_at, kind, or a kind-specific field)
//   INVALID_VALUE  an unknown enum value, a malformed identifier (control
//                  characters), or an inconsistent survey scale
//   OUT_OF_RANGE   occurred_at before 1990 or more than a day in the future;
//                  a survey score outside its scale
//   TOO_LARGE      a text or identifier over its limit, or an event past the
//                  per-batch limit
#ifndef RAPPORT_EVENT_VALIDATE_H_
#define RAPPORT_EVENT_VALIDATE_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "rapport/v1/events.pb.h"

namespace rapport {

struct Limits {
  size_t max_text_bytes = 64 * 1024;       // comment, survey text, resolution notes
  size_t max_id_bytes = 256;               // tenant, ticket_id, event_id, actor ids
  size_t max_batch_events = 1000;
  size_t max_message_bytes = 4 * 1024 * 1024;
  int max_unacked_batches = 64;            // per stream; reads pause beyond it
  size_t max_attributes = 64;
};

// Returns the first problem found, or nullopt when the event is acceptable.
// `now_micros` bounds occurred_at from above (plus one day of clock skew).
// The returned error's `index` is left 0; the caller sets it.
std::optional<v1::EventError> ValidateEvent(const v1::TicketEvent& event, int64_t now_micros,
                                            const Limits& limits);

}  // namespace rapport

#endif  // RAPPORT_EVENT_VALIDATE_H_
