// PAUSE_ABUSE: the ticket set to wait for the requester while the agent owes
// the answer (the requester's last message needs one). Also the time spent in
// legitimate and in suspect pauses (working time of the ticket's calendar),
// which the SLA clocks read.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "detect/raise.h"
#include "detect/units.h"
#include "event/event.h"

namespace rapport::detect {
namespace {

class PauseDetector final : public Detector {
 public:

  void OnEvent(EventContext& e, internal::TicketState* s) override {
    if (!e.StatusChanged(*s)) return;
    internal::DetectorState* d = s->mutable_detect();
    if (e.transition.previous_status == v1::TICKET_STATUS_PENDING_REQUESTER && d->pause_since_us() != 0) {
      int64_t spent = std::max<int64_t>(0, ClockCalendar(*s, e.th).WorkingTime(d->pause_since_us(), e.t));
      if (d->pause_suspect()) {
        d->set_suspect_pause_us(d->suspect_pause_us() + spent);
      } else {
        d->set_legit_pause_us(d->legit_pause_us() + spent);
      }
      d->set_pause_since_us(0);
      d->set_pause_suspect(false);
    }
    if (s->status() != v1::TICKET_STATUS_PENDING_REQUESTER) return;
    bool owes = e.conversation && d->last_public_role() == v1::ACTOR_ROLE_REQUESTER && d->last_requester_needs_answer();
    d->set_pause_since_us(e.t);
    d->set_pause_suspect(owes);
    d->set_pause_event(e.event.event_id());
    if (!owes) return;
    const int64_t since_reply = e.t - d->last_requester_message_us();
    v1::Finding* f = Raise(s, v1::FINDING_KIND_PAUSE_ABUSE, absl::StrCat("pause:", e.event.event_id()), e.t,
                           v1::SEVERITY_MEDIUM,
                           absl::StrCat("set to waiting for the requester ",
                                        since_reply <= e.th.pause_after_reply ? "minutes" : FormatDuration(since_reply),
                                        " after the requester wrote, while the agent owed the answer"),
                           e.event.actor().id());
    *f->add_evidence() = MakeEvidence(d->last_requester_text_event(), d->last_requester_message_us(), "requester wrote");
    *f->add_evidence() = MakeEvidence(e.event.event_id(), e.t, "paused: PENDING_REQUESTER");
  }
};

}  // namespace

std::unique_ptr<Detector> NewPauseDetector() { return std::make_unique<PauseDetector>(); }

}  // namespace rapport::detect
