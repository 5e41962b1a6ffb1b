// A ticket's reassignments both ways (every change of assignee; changes of
// team only, as ServiceNow counts them) and reconciliation with the counters
// a source states of itself, which know of changes a snapshot export missed.
#include <gtest/gtest.h>

#include <vector>

#include "core/test_util.h"
#include "event/event.h"
#include "event/validate.h"
#include "ticket/ticket.h"

namespace rapport {
namespace {

using testing::Assign;
using testing::Created;
using testing::Status;

v1::TicketEvent Stating(v1::TicketEvent e, const char* counter, const std::string& value) {
  (*e.mutable_attributes())[counter] = value;
  return e;
}

TEST(Counts, TeamReassignmentsCountChangesOfTeamOnly) {
  internal::TicketState state;
  uint64_t n = 1;
  ticket::Apply(Created("T1", "e1", 0, "Service Desk"), n++, &state);
  ticket::Apply(Assign("T1", "e2", 1, "alice", "Service Desk"), n++, &state);  // fills a slot
  ticket::Apply(Assign("T1", "e3", 2, "bob", "Service Desk"), n++, &state);    // agent to agent
  ticket::Apply(Assign("T1", "e4", 3, "", "Network"), n++, &state);            // team to team
  ticket::Apply(Assign("T1", "e5", 4, "nina", "Network"), n++, &state);        // fills a slot
  ticket::Apply(Assign("T1", "e6", 5, "alice", "Service Desk"), n++, &state);  // team to team
  EXPECT_EQ(state.reassignment_count(), 3u);
  EXPECT_EQ(state.team_reassignment_count(), 2u);
  ticket::Counts counts = ticket::ReconciledCounts(state);
  EXPECT_EQ(counts.reassignment, 3u);
  EXPECT_EQ(counts.team_reassignment, 2u);
  EXPECT_TRUE(counts.from_source.empty());
}

TEST(Counts, TheSourceCountersReconcileAsTheHigher) {
  internal::TicketState state;
  uint64_t n = 1;
  // A snapshot export: the ticket went through a team and back between two
  // snapshots, and was reopened in between; the source's counters say so.
  ticket::Apply(Stating(Created("T1", "e1", 0, "Service Desk"), kSourceTeamReassignmentCount, "0"), n++, &state);
  ticket::Apply(Stating(Assign("T1", "e2", 1, "", "Network"), kSourceTeamReassignmentCount, "1"), n++, &state);
  auto resolved = Stating(Status("T1", "e3", 2, v1::TICKET_STATUS_RESOLVED), kSourceTeamReassignmentCount, "3");
  (*resolved.mutable_attributes())[kSourceReopenCount] = "1";
  ticket::Apply(resolved, n++, &state);
  // A later record stating less does not lower what was stated.
  ticket::Apply(Stating(Status("T1", "e4", 3, v1::TICKET_STATUS_CLOSED), kSourceTeamReassignmentCount, "2"), n++,
                &state);
  EXPECT_EQ(state.team_reassignment_count(), 1u) << "the changes seen stay as seen";
  EXPECT_EQ(state.reopen_count(), 0u);
  ticket::Counts counts = ticket::ReconciledCounts(state);
  EXPECT_EQ(counts.team_reassignment, 3u);
  EXPECT_EQ(counts.reopen, 1u);
  EXPECT_EQ(counts.reassignment, 3u) << "every change of team is a change of assignee";
  EXPECT_EQ(counts.from_source,
            (std::vector<std::string>{"reopen_count", "team_reassignment_count", "reassignment_count"}));
}

TEST(Counts, SeenChangesAboveTheSourceAreNotFromIt) {
  internal::TicketState state;
  uint64_t n = 1;
  ticket::Apply(Stating(Created("T1", "e1", 0, "Service Desk"), kSourceTeamReassignmentCount, "0"), n++, &state);
  ticket::Apply(Stating(Assign("T1", "e2", 1, "", "Network"), kSourceTeamReassignmentCount, "1"), n++, &state);
  ticket::Counts counts = ticket::ReconciledCounts(state);
  EXPECT_EQ(counts.team_reassignment, 1u);
  EXPECT_TRUE(counts.from_source.empty());
  EXPECT_FALSE(state.has_source_counts() && state.source_counts().reopen_count() > 0);
}

TEST(Counts, ACounterThatIsNotANumberIsRefused) {
  const int64_t now = testing::At(60);
  auto e = Stating(Created("T1", "e1", 0), kSourceReopenCount, "two");
  auto error = ValidateEvent(e, now, Limits());
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code(), "INVALID_VALUE");
  EXPECT_NE(error->message().find("rapport.source.reopen_count"), std::string::npos) << error->message();
  EXPECT_FALSE(ValidateEvent(Stating(Created("T1", "e1", 0), kSourceReopenCount, "2"), now, Limits()).has_value());
}

}  // namespace
}  // namespace rapport
