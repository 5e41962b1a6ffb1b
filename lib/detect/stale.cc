// STALE: a ticket open, not legitimately paused, with no public activity for
// the threshold (default a week; working time when the ticket's clocks run
// on a business calendar).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "detect/raise.h"
#include "detect/units.h"
#include "event/event.h"

namespace rapport::detect {
namespace {

bool LegitimatelyPaused(const internal::TicketState& s) {
  return (s.status() == v1::TICKET_STATUS_PENDING_REQUESTER && !s.detect().pause_suspect()) ||
         s.status() == v1::TICKET_STATUS_PENDING_THIRD_PARTY;
}

int64_t LastActivity(const internal::TicketState& s) {
  return s.detect().last_activity_us() != 0 ? s.detect().last_activity_us() : CreatedAt(s);
}

class StaleDetector final : public Detector {
 public:

  void OnEvent(EventContext& e, internal::TicketState* s) override {
    if (!IsActivity(e, *s)) return;
    int64_t last = LastActivity(*s);
    const calendar::Calendar& cal = ClockCalendar(*s, e.th);
    const int64_t quiet = cal.WorkingTime(last, e.t);
    if (!IsTerminal(e.transition.previous_status) && !LegitimatelyPaused(*s) && quiet >= e.th.stale) {
      v1::Finding* f = Raise(s, v1::FINDING_KIND_STALE, absl::StrCat("stale:", last),
                             std::min(e.t, cal.Deadline(last, e.th.stale)), v1::SEVERITY_MEDIUM,
                             absl::StrCat("no public activity for ", FormatDuration(quiet), " while open",
                                          InBusinessHours(cal)));
      *f->add_evidence() = MakeEvidence(e.event.event_id(), e.t, "activity resumed");
    }
    s->mutable_detect()->set_last_activity_us(e.t);
  }

  int64_t OnWatermark(internal::TicketState* s, int64_t wm, const Thresholds& th) const override {
    const bool open = !IsTerminal(s->status()) && s->status() != v1::TICKET_STATUS_UNSPECIFIED;
    if (!open || LegitimatelyPaused(*s)) return 0;
    int64_t last = LastActivity(*s);
    const calendar::Calendar& cal = ClockCalendar(*s, th);
    int64_t deadline = cal.Deadline(last, th.stale);
    std::string id = absl::StrCat("stale:", last);
    if (wm >= deadline && !HasFinding(*s, id)) {
      Raise(s, v1::FINDING_KIND_STALE, id, deadline, v1::SEVERITY_MEDIUM,
            absl::StrCat("open with no public activity for more than ", FormatDuration(th.stale), InBusinessHours(cal)));
      return 0;
    }
    return deadline > wm ? deadline : 0;
  }

 private:
  // Public messages by the requester or an agent; without conversation, the
  // agents' actions (an assignment to a person, a status change).
  static bool IsActivity(const EventContext& e, const internal::TicketState& s) {
    if (e.IsPublicComment()) return e.role() == v1::ACTOR_ROLE_AGENT || e.role() == v1::ACTOR_ROLE_REQUESTER;
    if (e.conversation) return false;
    if (e.event.kind() == v1::EVENT_KIND_ASSIGNMENT_CHANGED && !e.event.assignee().agent_id().empty()) return true;
    return e.StatusChanged(s) && e.role() != v1::ACTOR_ROLE_REQUESTER;
  }
};

}  // namespace

std::unique_ptr<Detector> NewStaleDetector() { return std::make_unique<StaleDetector>(); }

}  // namespace rapport::detect
