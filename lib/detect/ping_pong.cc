// PING_PONG: a ticket reassigned too often, or bounced back to a team it left.
#include "absl/strings/str_cat.h"
#include "detect/raise.h"
#include "detect/units.h"

namespace rapport::detect {
namespace {

class PingPongDetector final : public Detector {
 public:

  void OnEvent(EventContext& e, internal::TicketState* s) override {
    const v1::EventKind kind = e.event.kind();
    if ((kind != v1::EVENT_KIND_ASSIGNMENT_CHANGED && kind != v1::EVENT_KIND_TICKET_CREATED) ||
        !e.transition.reassignment) {
      return;
    }
    internal::DetectorState* d = s->mutable_detect();
    const std::string& team = s->assignee().team();
    const std::string& previous = e.transition.previous_team;
    bool bounced = false;
    bool left_before = false;
    for (const std::string& left : d->teams_left()) {
      bounced |= left == team;
      left_before |= left == previous;
    }
    if (!previous.empty() && previous != team && !left_before) d->add_teams_left(previous);
    const uint32_t count = s->reassignment_count();
    if (!bounced && count < e.th.ping_pong_reassignments) return;
    v1::Finding* f = Raise(s, v1::FINDING_KIND_PING_PONG, "ping_pong", e.t,
                           count >= 2 * e.th.ping_pong_reassignments ? v1::SEVERITY_HIGH : v1::SEVERITY_MEDIUM,
                           bounced ? absl::StrCat("bounced back to ", team, " after ", count, " reassignments")
                                   : absl::StrCat("reassigned ", count, " times"));
    *f->add_evidence() = MakeEvidence(e.event.event_id(), e.t, absl::StrCat("assigned to ", team));
  }
};

}  // namespace

std::unique_ptr<Detector> NewPingPongDetector() { return std::make_unique<PingPongDetector>(); }

}  // namespace rapport::detect
