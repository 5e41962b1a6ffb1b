#include "ticket/ticket.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "event/event.h"

namespace rapport::ticket {
namespace {

constexpr int kStatusSlots = v1::TicketStatus_ARRAYSIZE;

void EnsureStatusSlots(internal::TicketState* state) {
  while (state->status_us_size() < kStatusSlots) state->add_status_us(0);
}

void ChangeStatus(v1::TicketStatus next, int64_t at, internal::TicketState* state) {
  EnsureStatusSlots(state);
  v1::TicketStatus current = state->status();
  if (current != v1::TICKET_STATUS_UNSPECIFIED) {
    int64_t spent = std::max<int64_t>(0, at - state->status_since_us());
    state->set_status_us(current, state->status_us(current) + spent);
  }
  state->set_status(next);
  state->set_status_since_us(at);
}

// Returns true when the assignee changed; sets *reassigned when the change
// counts as a reassignment and *team_reassigned when it moved the ticket to
// another team (see the header).
bool ChangeAssignee(const v1::Assignee& next, internal::TicketState* state, bool* reassigned, bool* team_reassigned) {
  const v1::Assignee& current = state->assignee();
  if (current.agent_id() == next.agent_id() && current.team() == next.team()) return false;
  bool team_moved = !current.team().empty() && !next.team().empty() && current.team() != next.team();
  bool agent_moved = !state->last_agent_id().empty() && !next.agent_id().empty() &&
                     state->last_agent_id() != next.agent_id();
  *reassigned = state->assigned() && (team_moved || agent_moved);
  *team_reassigned = state->assigned() && team_moved;
  *state->mutable_assignee() = next;
  // The last agent is remembered within a team: once the ticket moves to
  // another team, that team's first agent fills an empty slot.
  if (team_moved || !next.agent_id().empty()) state->set_last_agent_id(next.agent_id());
  if (!next.agent_id().empty() || !next.team().empty()) state->set_assigned(true);
  return true;
}

void TakeDescriptiveFields(const v1::TicketEvent& event, internal::TicketState* state) {
  if (!event.requester().id().empty()) *state->mutable_requester() = event.requester();
  if (!event.service().empty()) state->set_service(event.service());
  if (!event.category().empty()) state->set_category(event.category());
  if (state->source().empty()) state->set_source(event.source());
}

// The source counters an event states; a value that is not a number was
// refused by validation, and is ignored here (a rebuild replays stored
// events unvalidated).
void TakeSourceCounts(const v1::TicketEvent& event, internal::TicketState* state) {
  if (event.attributes().empty()) return;
  auto take = [&](const char* key, uint32_t current, auto set) {
    auto it = event.attributes().find(key);
    uint32_t n = 0;
    if (it != event.attributes().end() && absl::SimpleAtoi(it->second, &n) && n > current) set(n);
  };
  internal::SourceCounts* c = state->mutable_source_counts();
  take(kSourceReopenCount, c->reopen_count(), [&](uint32_t n) { c->set_reopen_count(n); });
  take(kSourceReassignmentCount, c->reassignment_count(), [&](uint32_t n) { c->set_reassignment_count(n); });
  take(kSourceTeamReassignmentCount, c->team_reassignment_count(),
       [&](uint32_t n) { c->set_team_reassignment_count(n); });
  if (c->ByteSizeLong() == 0) state->clear_source_counts();
}

}  // namespace

Counts ReconciledCounts(const internal::TicketState& state) {
  Counts counts;
  const internal::SourceCounts& source = state.source_counts();
  auto pick = [&](uint32_t seen, uint32_t stated, const char* name) {
    if (stated <= seen) return seen;
    counts.from_source.push_back(name);
    return stated;
  };
  counts.reopen = pick(state.reopen_count(), source.reopen_count(), "reopen_count");
  counts.team_reassignment =
      pick(state.team_reassignment_count(), source.team_reassignment_count(), "team_reassignment_count");
  counts.reassignment = pick(state.reassignment_count(), std::max(source.reassignment_count(), counts.team_reassignment),
                             "reassignment_count");
  return counts;
}

bool IsInOrder(const internal::TicketState& state, int64_t occurred_us, uint64_t arrival) {
  if (state.event_count() == 0) return true;
  if (occurred_us != state.last_event_us()) return occurred_us > state.last_event_us();
  return arrival > state.last_arrival();
}

Transition Apply(const v1::TicketEvent& event, uint64_t arrival, internal::TicketState* state) {
  Transition result;
  result.previous_status = state->status();
  result.previous_priority = state->priority();
  result.previous_team = state->assignee().team();
  const int64_t at = ToMicros(event.occurred_at());
  if (state->event_count() == 0) {
    state->set_tenant(event.tenant());
    state->set_ticket_id(event.ticket_id());
    state->set_first_event_us(at);
    EnsureStatusSlots(state);
  }
  TakeDescriptiveFields(event, state);
  TakeSourceCounts(event, state);

  auto assign = [&] {
    bool reassigned = false, team_reassigned = false;
    if (ChangeAssignee(event.assignee(), state, &reassigned, &team_reassigned)) result.transition = true;
    if (reassigned) {
      result.reassignment = true;
      state->set_reassignment_count(state->reassignment_count() + 1);
    }
    if (team_reassigned) state->set_team_reassignment_count(state->team_reassignment_count() + 1);
  };
  v1::TicketStatus next_status = v1::TICKET_STATUS_UNSPECIFIED;
  switch (event.kind()) {
    case v1::EVENT_KIND_TICKET_CREATED:
      if (state->created_at_us() == 0) state->set_created_at_us(at);
      next_status = event.status() != v1::TICKET_STATUS_UNSPECIFIED ? event.status()
                    : state->status() == v1::TICKET_STATUS_UNSPECIFIED ? v1::TICKET_STATUS_NEW
                                                                       : v1::TICKET_STATUS_UNSPECIFIED;
      if (event.has_assignee()) assign();
      break;
    case v1::EVENT_KIND_STATUS_CHANGED:
      next_status = event.status();
      break;
    case v1::EVENT_KIND_ASSIGNMENT_CHANGED:
      assign();
      break;
    case v1::EVENT_KIND_COMMENT_ADDED:
      if (event.comment().public_()) {
        state->set_public_comments(state->public_comments() + 1);
        state->set_last_public_at_us(at);
      }
      break;
    default:
      break;
  }

  if (event.priority() != v1::PRIORITY_UNSPECIFIED && event.priority() != state->priority()) {
    if (state->priority() != v1::PRIORITY_UNSPECIFIED) result.transition = true;
    state->set_priority(event.priority());
  }

  if (next_status != v1::TICKET_STATUS_UNSPECIFIED && next_status != state->status()) {
    result.transition = true;
    v1::TicketStatus previous = state->status();
    if (IsResolved(previous) && !IsTerminal(next_status)) {
      result.reopen = true;
      state->set_reopen_count(state->reopen_count() + 1);
      state->set_resolved_at_us(0);
      state->set_closed_at_us(0);
    }
    ChangeStatus(next_status, at, state);
    if (next_status == v1::TICKET_STATUS_RESOLVED) state->set_resolved_at_us(at);
    if (next_status == v1::TICKET_STATUS_CLOSED || next_status == v1::TICKET_STATUS_CANCELED) {
      state->set_closed_at_us(at);
      if (state->resolved_at_us() == 0) state->set_resolved_at_us(at);
    }
  }

  state->set_last_event_us(at);
  state->set_last_arrival(arrival);
  state->set_event_count(state->event_count() + 1);
  return result;
}

Clocks ReadClocks(const internal::TicketState& state, int64_t watermark_us) {
  Clocks clocks;
  clocks.time_in_status.assign(kStatusSlots, 0);
  for (int i = 0; i < state.status_us_size() && i < kStatusSlots; ++i) {
    clocks.time_in_status[i] = state.status_us(i);
  }
  clocks.as_of_us = state.status_since_us();
  v1::TicketStatus current = state.status();
  if (current != v1::TICKET_STATUS_UNSPECIFIED && !IsTerminal(current)) {
    clocks.as_of_us = std::max(watermark_us, state.status_since_us());
    clocks.time_in_status[current] += clocks.as_of_us - state.status_since_us();
  }
  clocks.agent_wait_us = clocks.time_in_status[v1::TICKET_STATUS_PENDING_REQUESTER];
  clocks.requester_wait_us = clocks.time_in_status[v1::TICKET_STATUS_NEW] +
                             clocks.time_in_status[v1::TICKET_STATUS_IN_PROGRESS] +
                             clocks.time_in_status[v1::TICKET_STATUS_PENDING_THIRD_PARTY];
  clocks.paused_us = clocks.agent_wait_us + clocks.time_in_status[v1::TICKET_STATUS_PENDING_THIRD_PARTY];
  return clocks;
}

}  // namespace rapport::ticket
