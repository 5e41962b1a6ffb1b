#include "ticket/ticket.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/test_util.h"

namespace rapport {
namespace {

using testing::Assign;
using testing::At;
using testing::Created;
using testing::Status;

constexpr int64_t kMinute = 60'000'000;

internal::TicketState Fold(const std::vector<v1::TicketEvent>& events) {
  internal::TicketState state;
  uint64_t arrival = 1;
  for (const auto& e : events) ticket::Apply(e, arrival++, &state);
  return state;
}

TEST(Ticket, ClocksOnAHandBuiltTimeline) {
  // NEW 30m, IN_PROGRESS 60m, PENDING_REQUESTER 120m, IN_PROGRESS 30m,
  // PENDING_THIRD_PARTY 45m, IN_PROGRESS 15m, then RESOLVED (clock stops).
  auto state = Fold({Created("T1", "e1", 0), Status("T1", "e2", 30, v1::TICKET_STATUS_IN_PROGRESS),
                     Status("T1", "e3", 90, v1::TICKET_STATUS_PENDING_REQUESTER),
                     Status("T1", "e4", 210, v1::TICKET_STATUS_IN_PROGRESS),
                     Status("T1", "e5", 240, v1::TICKET_STATUS_PENDING_THIRD_PARTY),
                     Status("T1", "e6", 285, v1::TICKET_STATUS_IN_PROGRESS),
                     Status("T1", "e7", 300, v1::TICKET_STATUS_RESOLVED)});
  auto clocks = ticket::ReadClocks(state, At(10'000));  // the watermark is far later
  EXPECT_EQ(clocks.time_in_status[v1::TICKET_STATUS_NEW], 30 * kMinute);
  EXPECT_EQ(clocks.time_in_status[v1::TICKET_STATUS_IN_PROGRESS], 105 * kMinute);
  EXPECT_EQ(clocks.requester_wait_us, (30 + 105 + 45) * kMinute);
  EXPECT_EQ(clocks.agent_wait_us, 120 * kMinute);
  EXPECT_EQ(clocks.paused_us, (120 + 45) * kMinute);
  EXPECT_EQ(clocks.as_of_us, At(300));
  EXPECT_EQ(state.resolved_at_us(), At(300));
}

TEST(Ticket, OpenTicketClocksRunToTheWatermark) {
  auto state = Fold({Created("T1", "e1", 0), Status("T1", "e2", 10, v1::TICKET_STATUS_PENDING_REQUESTER)});
  auto clocks = ticket::ReadClocks(state, At(70));
  EXPECT_EQ(clocks.requester_wait_us, 10 * kMinute);
  EXPECT_EQ(clocks.agent_wait_us, 60 * kMinute);
  EXPECT_EQ(clocks.as_of_us, At(70));
}

TEST(Ticket, RestatedStatusIsNotATransition) {
  internal::TicketState state;
  ticket::Apply(Created("T1", "e1", 0), 1, &state);
  auto first = ticket::Apply(Status("T1", "e2", 5, v1::TICKET_STATUS_IN_PROGRESS), 2, &state);
  auto again = ticket::Apply(Status("T1", "e3", 9, v1::TICKET_STATUS_IN_PROGRESS), 3, &state);
  EXPECT_TRUE(first.transition);
  EXPECT_FALSE(again.transition);
  auto clocks = ticket::ReadClocks(state, At(20));
  EXPECT_EQ(clocks.time_in_status[v1::TICKET_STATUS_IN_PROGRESS], 15 * kMinute);
}

TEST(Ticket, ReopenCountsOnlyFromResolvedOrClosedToOpen) {
  internal::TicketState state;
  uint64_t n = 1;
  ticket::Apply(Created("T1", "e1", 0), n++, &state);
  ticket::Apply(Status("T1", "e2", 5, v1::TICKET_STATUS_RESOLVED), n++, &state);
  auto closed = ticket::Apply(Status("T1", "e3", 6, v1::TICKET_STATUS_CLOSED), n++, &state);
  EXPECT_FALSE(closed.reopen);
  auto reopen = ticket::Apply(Status("T1", "e4", 7, v1::TICKET_STATUS_IN_PROGRESS), n++, &state);
  EXPECT_TRUE(reopen.reopen);
  EXPECT_EQ(state.resolved_at_us(), 0);
  ticket::Apply(Status("T1", "e5", 8, v1::TICKET_STATUS_CANCELED), n++, &state);
  auto from_canceled = ticket::Apply(Status("T1", "e6", 9, v1::TICKET_STATUS_IN_PROGRESS), n++, &state);
  EXPECT_FALSE(from_canceled.reopen);
  EXPECT_EQ(state.reopen_count(), 1u);
}

TEST(Ticket, Reassignments) {
  internal::TicketState state;
  uint64_t n = 1;
  ticket::Apply(Created("T1", "e1", 0, "Service Desk"), n++, &state);  // first assignment: a team
  EXPECT_FALSE(ticket::Apply(Assign("T1", "e2", 1, "alice", "Service Desk"), n++, &state).reassignment);
  EXPECT_FALSE(ticket::Apply(Assign("T1", "e3", 2, "alice", "Service Desk"), n++, &state).transition);
  EXPECT_TRUE(ticket::Apply(Assign("T1", "e4", 3, "", "Network"), n++, &state).reassignment);
  EXPECT_FALSE(ticket::Apply(Assign("T1", "e5", 4, "nina", "Network"), n++, &state).reassignment)
      << "picking up a team's ticket fills an empty slot";
  EXPECT_TRUE(ticket::Apply(Assign("T1", "e6", 5, "nick", "Network"), n++, &state).reassignment);
  EXPECT_TRUE(ticket::Apply(Assign("T1", "e7", 6, "alice", "Service Desk"), n++, &state).reassignment);
  EXPECT_EQ(state.reassignment_count(), 3u);
}

TEST(Ticket, InOrderCheckUsesTimeThenArrival) {
  internal::TicketState state;
  EXPECT_TRUE(ticket::IsInOrder(state, At(0), 1));
  ticket::Apply(Created("T1", "e1", 10), 5, &state);
  EXPECT_TRUE(ticket::IsInOrder(state, At(11), 1));
  EXPECT_TRUE(ticket::IsInOrder(state, At(10), 6));
  EXPECT_FALSE(ticket::IsInOrder(state, At(10), 4));
  EXPECT_FALSE(ticket::IsInOrder(state, At(9), 9));
}

}  // namespace
}  // namespace rapport
