// The ticket state machine: a ticket is the fold of its events in
// (occurred_at, arrival) order. The same fold serves live ingest (one more
// event on the stored state) and rebuilds (all events from an empty state),
// so a late event yields exactly the ticket an in-order stream would.
//
// Rules (PRODUCT.md §2):
// - A status or assignment "change" equal to the current value is not a
//   transition: snapshot-reading adapters may restate the current value.
// - A reopen is a change from RESOLVED or CLOSED to a non-terminal status.
// - A reassignment is a change of team, or from one agent to another, after
//   the first assignment. Filling an empty slot (a team's ticket picked up by
//   an agent, or the same agent taking back an unassigned ticket) is not.
//   A team reassignment is a change from one team to another (ServiceNow's
//   reassignment_count).
// - A source that states its own counters on its records (attributes
//   kSourceReopenCount and the others of lib/event/event.h) knows of changes Rapport may not have seen: a
//   snapshot export misses what happened between two snapshots. The state
//   keeps the highest figure stated beside the changes seen, and a ticket
//   reads as the higher of the two (ReconciledCounts), saying which came
//   from the source. Detectors judge the changes seen, with their evidence.
// - Clocks run on event time until the ticket is resolved, closed or
//   canceled, or up to the tenant's watermark while it is open.
#ifndef RAPPORT_TICKET_TICKET_H_
#define RAPPORT_TICKET_TICKET_H_

#include <cstdint>
#include <string>
#include <vector>

#include "rapport/internal/state.pb.h"
#include "rapport/v1/events.pb.h"

namespace rapport::ticket {

// What one event did to the ticket.
struct Transition {
  bool transition = false;    // it changed status, assignee or priority
  bool reopen = false;
  bool reassignment = false;
  v1::TicketStatus previous_status = v1::TICKET_STATUS_UNSPECIFIED;
  v1::Priority previous_priority = v1::PRIORITY_UNSPECIFIED;
  std::string previous_team;
};

// A ticket's counts as reported: the changes seen, or the source's stated
// figure where it is higher (named in from_source by their field names).
// Every team reassignment is also a reassignment, so reassignment never
// reads below team_reassignment.
struct Counts {
  uint32_t reopen = 0;
  uint32_t reassignment = 0;
  uint32_t team_reassignment = 0;
  std::vector<std::string> from_source;  // "reopen_count", "reassignment_count", "team_reassignment_count"
};
Counts ReconciledCounts(const internal::TicketState& state);

// Folds `event` (which sorts after every event already in `state`) into
// `state`. `arrival` is the store's arrival sequence number of the event.
Transition Apply(const v1::TicketEvent& event, uint64_t arrival, internal::TicketState* state);

// True when (occurred_at, arrival) sorts after the last event folded into
// `state`, so Apply may be used instead of a rebuild.
bool IsInOrder(const internal::TicketState& state, int64_t occurred_us, uint64_t arrival);

struct Clocks {
  // Indexed by TicketStatus; microseconds.
  std::vector<int64_t> time_in_status;
  int64_t requester_wait_us = 0;
  int64_t agent_wait_us = 0;
  int64_t paused_us = 0;
  int64_t as_of_us = 0;
};

// Reads the clocks of `state` at `watermark_us` (the tenant's latest event
// time). A terminal ticket's clocks stopped at its last status change.
Clocks ReadClocks(const internal::TicketState& state, int64_t watermark_us);

}  // namespace rapport::ticket

#endif  // RAPPORT_TICKET_TICKET_H_
