// REPLY_GAP: a requester message that needs an answer (a question, a report
// that it still fails) and has had none for the gap threshold (working time
// when the ticket's clocks run on a business calendar).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "detect/raise.h"
#include "detect/signals.h"
#include "detect/units.h"
#include "event/event.h"

namespace rapport::detect {
namespace {

class ReplyGapDetector final : public Detector {
 public:

  void OnEvent(EventContext& e, internal::TicketState* s) override {
    if (!e.IsPublicComment()) return;
    internal::DetectorState* d = s->mutable_detect();
    if (e.role() == v1::ACTOR_ROLE_AGENT) {
      const calendar::Calendar& cal = ClockCalendar(*s, e.th);
      const int64_t waited = d->unanswered_since_us() != 0 ? cal.WorkingTime(d->unanswered_since_us(), e.t) : 0;
      if (d->unanswered_since_us() != 0 && waited >= e.th.reply_gap) {
        // On a calendar the gap can run out at the end of a working day,
        // before the answer that came that night.
        const int64_t at = std::min(e.t, cal.Deadline(d->unanswered_since_us(), e.th.reply_gap));
        v1::Finding* f = Raise(s, v1::FINDING_KIND_REPLY_GAP, absl::StrCat("reply_gap:", d->unanswered_event()), at,
                               v1::SEVERITY_MEDIUM,
                               absl::StrCat("the requester waited ", FormatDuration(waited), " for an answer",
                                            InBusinessHours(cal)));
        *f->add_evidence() = MakeEvidence(d->unanswered_event(), d->unanswered_since_us(), "requester wrote");
        *f->add_evidence() = MakeEvidence(e.event.event_id(), e.t, "agent answered");
      }
      d->set_unanswered_since_us(0);
      d->clear_unanswered_event();
    } else if (e.role() == v1::ACTOR_ROLE_REQUESTER) {
      if (!NeedsAnswer(e.event.comment().text())) {
        d->set_unanswered_since_us(0);
        d->clear_unanswered_event();
      } else if (d->unanswered_since_us() == 0) {
        d->set_unanswered_since_us(e.t);
        d->set_unanswered_event(e.event.event_id());
      }
    }
  }

  int64_t OnWatermark(internal::TicketState* s, int64_t wm, const Thresholds& th) const override {
    const internal::DetectorState& d = s->detect();
    const bool open = !IsTerminal(s->status()) && s->status() != v1::TICKET_STATUS_UNSPECIFIED;
    if (!open || !d.conversation() || d.unanswered_since_us() == 0) return 0;
    const calendar::Calendar& cal = ClockCalendar(*s, th);
    int64_t deadline = cal.Deadline(d.unanswered_since_us(), th.reply_gap);
    std::string id = absl::StrCat("reply_gap:", d.unanswered_event());
    if (wm >= deadline && !HasFinding(*s, id)) {
      v1::Finding* f = Raise(s, v1::FINDING_KIND_REPLY_GAP, id, deadline, v1::SEVERITY_MEDIUM,
                             absl::StrCat("the requester's message has had no answer for more than ",
                                          FormatDuration(th.reply_gap), InBusinessHours(cal)));
      *f->add_evidence() = MakeEvidence(d.unanswered_event(), d.unanswered_since_us(), "requester wrote");
      return 0;
    }
    return deadline > wm ? deadline : 0;
  }
};

}  // namespace

std::unique_ptr<Detector> NewReplyGapDetector() { return std::make_unique<ReplyGapDetector>(); }

}  // namespace rapport::detect
