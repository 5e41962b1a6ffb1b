// Helpers over the canonical event model (proto/rapport/v1/events.proto):
// time conversion, status classes and readable names.
#ifndef RAPPORT_EVENT_EVENT_H_
#define RAPPORT_EVENT_EVENT_H_

#include <cstdint>
#include <string>

#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "rapport/v1/events.pb.h"

namespace rapport {

// Event attributes by which a source states its own counters of a ticket
// (a whole number each; ServiceNow reassignment_count and reopen_count,
// Zendesk ticket metrics). lib/ticket reconciles a ticket's counts with them.
inline constexpr const char* kSourceReopenCount = "rapport.source.reopen_count";
inline constexpr const char* kSourceReassignmentCount = "rapport.source.reassignment_count";
inline constexpr const char* kSourceTeamReassignmentCount = "rapport.source.team_reassignment_count";

// Microseconds since the Unix epoch: the store's one time unit.
int64_t ToMicros(const google::protobuf::Timestamp& ts);
google::protobuf::Timestamp FromMicros(int64_t micros);
google::protobuf::Duration DurationFromMicros(int64_t micros);

// "2026-09-14T08:03:12Z" (seconds precision unless there is a fraction).
std::string FormatMicros(int64_t micros);
// "3d 4h", "2h 05m", "45m", "12s".
std::string FormatDuration(int64_t micros);

// RESOLVED, CLOSED or CANCELED: the clocks stop.
bool IsTerminal(v1::TicketStatus status);
// RESOLVED or CLOSED: leaving these for an open status is a reopen.
bool IsResolved(v1::TicketStatus status);
// PENDING_REQUESTER or PENDING_THIRD_PARTY.
bool IsPaused(v1::TicketStatus status);

// Names without the type prefix, e.g. "PENDING_REQUESTER", "COMMENT_ADDED".
std::string ShortName(v1::TicketStatus status);
std::string ShortName(v1::EventKind kind);
std::string ShortName(v1::ActorRole role);
std::string ShortName(v1::Priority priority);

}  // namespace rapport

#endif  // RAPPORT_EVENT_EVENT_H_
