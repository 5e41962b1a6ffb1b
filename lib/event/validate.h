// Per-event validation. A rejected event gets an EventError with a code from
// a documented set and a message naming the field and the limit; its
// neighbours in the batch are unaffected. ValidateEvent returns the first
// problem it finds.
//
// Codes:
//   MISSING_FIELD  a required field is absent (tenant, ticket_id, event_id,
//                  occurred_at, kind, or a kind-specific field)
//   INVALID_VALUE  an unknown enum value; a string that is not valid UTF-8
//                  or holds a character its field does not allow; an empty
//                  attribute key; a survey number that is not finite or a
//                  survey scale that is empty
//   OUT_OF_RANGE   occurred_at before 1990 or more than a day in the future;
//                  a survey bound beyond ±kMaxSurveyBound; a survey score
//                  outside its scale
//   TOO_LARGE      a string over its field's limit, too many attributes, or
//                  an event past the per-batch limit (set by the ingestor)
//
// The rules, by field (byte limits are of the UTF-8 encoding; every string
// must be valid UTF-8, which is also what lets a stored event be read back):
//
//   identifier  tenant, ticket_id, event_id (required), actor.id,
//               assignee.agent_id, requester.id:
//               at most max_id_bytes (256); no control character (U+0000..
//               U+001F, U+007F..U+009F). Identifiers become parts of storage
//               keys, where NUL separates the parts.
//   name        source, service, category, status_reason, actor.team,
//               assignee.team, requester.department, resolution.code:
//               at most max_name_bytes (256); characters as identifiers.
//               Names become scope ids and report labels.
//   text        comment.text, survey.text, resolution.notes:
//               at most max_text_bytes (64 KiB); tab, line feed and carriage
//               return allowed, no other control character.
//   attributes  at most max_attributes (64) entries; a key non-empty, at
//               most max_attribute_key_bytes (128), characters as
//               identifiers; a value at most max_attribute_value_bytes
//               (4 KiB), characters as text.
//   survey      (when present) score, scale_min and scale_max finite and
//               within ±kMaxSurveyBound (1e6: real scales are 1..5, 0..10,
//               0..100; the bound keeps every difference of them exact
//               enough and far from overflow); on SURVEY_RECEIVED also
//               scale_min < scale_max and score within the scale.
//   identities  at most max_identities (16) entries, each of 2 to
//               max_identity_ids (16) ids, every id an identifier (required).
//               kind IDENTITY: identities required, ticket_id empty (every
//               other kind: ticket_id required).
//   occurred_at 1990-01-01 ≤ t ≤ server time + 1 day; nanos in 0..999999999.
//   enums       kind required and known; actor.role, status and priority
//               known values.
#ifndef RAPPORT_EVENT_VALIDATE_H_
#define RAPPORT_EVENT_VALIDATE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "rapport/v1/events.pb.h"

namespace rapport {

// The largest magnitude of a survey bound or score.
inline constexpr double kMaxSurveyBound = 1e6;

struct Limits {
  size_t max_text_bytes = 64 * 1024;       // comment, survey text, resolution notes
  size_t max_id_bytes = 256;               // tenant, ticket_id, event_id, actor ids
  size_t max_name_bytes = 256;             // service, category, team, department, source, codes
  size_t max_attribute_key_bytes = 128;
  size_t max_attribute_value_bytes = 4 * 1024;
  size_t max_attributes = 64;
  size_t max_identities = 16;              // persons named in one event
  size_t max_identity_ids = 16;            // ids of one person in one event
  size_t max_batch_events = 1000;
  size_t max_message_bytes = 4 * 1024 * 1024;
  int max_unacked_batches = 64;            // per stream; reads pause beyond it
  // Server-wide: bytes of batches read from streams ahead of the writer
  // (queued, or reserved for reads admitted); reads wait beyond it
  // (server/ingest_queue.h). Room for 32 batches (the writer's two groups)
  // of 512 KiB, or four of the largest message.
  size_t max_read_ahead_bytes = 16 << 20;
  // Rejections an ack lists in detail; beyond them it only counts them by
  // code (BatchAck.rejected_by_code), so an ack stays small whatever it answers.
  size_t max_ack_errors = 100;

  bool operator==(const Limits&) const = default;
};

// Returns the first problem found, or nullopt when the event is acceptable.
// `now_micros` bounds occurred_at from above (plus one day of clock skew).
// The returned error's `index` is left 0; the caller sets it.
std::optional<v1::EventError> ValidateEvent(const v1::TicketEvent& event, int64_t now_micros,
                                            const Limits& limits);

// `event_id` as an EventError can carry it back to the client: itself when
// it is a valid identifier, else an escaped prefix (a refused id may be
// megabytes long, or not UTF-8, which would make the whole ack unreadable).
std::string EchoableEventId(const std::string& event_id);

}  // namespace rapport

#endif  // RAPPORT_EVENT_VALIDATE_H_
