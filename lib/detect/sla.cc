// The second-opinion SLA clocks: first response and resolution against the
// targets per priority, on Rapport's own clock (paused time counts when the
// pause was suspect), in working time of the ticket's calendar (24/7 unless
// one is configured). Also the SLA ledger GetTicket shows.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "detect/detectors.h"
#include "detect/raise.h"
#include "detect/units.h"
#include "event/event.h"

namespace rapport::detect {
namespace {

// The resolution clock runs while the requester waits for IT, and through
// pauses Rapport judges suspect.
bool ClockRuns(v1::TicketStatus status, bool suspect_pause) {
  return status == v1::TICKET_STATUS_NEW || status == v1::TICKET_STATUS_IN_PROGRESS ||
         status == v1::TICKET_STATUS_PENDING_THIRD_PARTY ||
         (status == v1::TICKET_STATUS_PENDING_REQUESTER && suspect_pause);
}

class SlaDetector final : public Detector {
 public:

  void OnEvent(EventContext& e, internal::TicketState* s) override {
    CloseClockInterval(e, s);
    if (IsFirstResponse(e, *s)) FirstResponse(e, s);
  }

  int64_t OnWatermark(internal::TicketState* s, int64_t wm, const Thresholds& th) const override {
    const internal::DetectorState& d = s->detect();
    const calendar::Calendar& cal = ClockCalendar(*s, th);
    const bool open = !IsTerminal(s->status()) && s->status() != v1::TICKET_STATUS_UNSPECIFIED;
    int64_t next = 0;
    auto consider = [&next, wm](int64_t deadline) {
      if (deadline > wm && (next == 0 || deadline < next)) next = deadline;
    };
    if (d.first_response_us() == 0) {
      int64_t deadline = cal.Deadline(CreatedAt(*s), th.FirstResponseTarget(s->priority()));
      bool still_waiting = open || s->resolved_at_us() > deadline;
      if (still_waiting && wm >= deadline && !HasFinding(*s, "first_response")) {
        Raise(s, v1::FINDING_KIND_FIRST_RESPONSE_BREACH, "first_response", deadline, v1::SEVERITY_MEDIUM,
              absl::StrCat("no response within the ", ShortName(s->priority()), " target of ",
                           FormatDuration(th.FirstResponseTarget(s->priority())), InBusinessHours(cal)));
      } else if (open) {
        consider(deadline);
      }
    }
    if (open && ClockRuns(s->status(), d.pause_suspect()) && !HasFinding(*s, "resolution")) {
      int64_t deadline = cal.Deadline(d.res_clock_since_us(), th.ResolutionTarget(s->priority()) - d.res_clock_us());
      if (wm >= deadline) {
        Raise(s, v1::FINDING_KIND_RESOLUTION_BREACH, "resolution", deadline, v1::SEVERITY_HIGH,
              absl::StrCat("not resolved within the ", ShortName(s->priority()), " target of ",
                           FormatDuration(th.ResolutionTarget(s->priority())), " (Rapport's clock)",
                           InBusinessHours(cal)));
      } else {
        consider(deadline);
      }
    }
    return next;
  }

 private:
  // A status change ends an interval of the resolution clock.
  static void CloseClockInterval(const EventContext& e, internal::TicketState* s) {
    if (e.transition.previous_status == s->status()) return;
    internal::DetectorState* d = s->mutable_detect();
    const calendar::Calendar& cal = ClockCalendar(*s, e.th);
    const int64_t since = d->res_clock_since_us();
    int64_t before = d->res_clock_us();
    if (ClockRuns(e.transition.previous_status, d->pause_suspect())) {
      d->set_res_clock_us(before + std::max<int64_t>(0, cal.WorkingTime(since, e.t)));
    }
    d->set_res_clock_since_us(e.t);
    int64_t target = e.th.ResolutionTarget(s->priority());
    if (before < target && d->res_clock_us() >= target && !HasFinding(*s, "resolution")) {
      // 24/7: e.t - (clock - target), the instant the clock passed the target.
      int64_t crossed = std::min(e.t, cal.Deadline(since, target - before));
      v1::Finding* f = Raise(s, v1::FINDING_KIND_RESOLUTION_BREACH, "resolution", crossed, v1::SEVERITY_HIGH,
                             absl::StrCat("not resolved within the ", ShortName(s->priority()), " target of ",
                                          FormatDuration(target), " (Rapport's clock)", InBusinessHours(cal)));
      *f->add_evidence() = MakeEvidence(e.event.event_id(), e.t, absl::StrCat("status ", ShortName(s->status())));
    }
  }

  // The first public agent reply; without conversation, the first agent
  // action (an assignment to a person, a status change out of NEW).
  static bool IsFirstResponse(const EventContext& e, const internal::TicketState& s) {
    if (s.detect().first_response_us() != 0) return false;
    if (e.IsPublicComment()) return e.role() == v1::ACTOR_ROLE_AGENT;
    if (e.conversation) return false;
    if (e.event.kind() == v1::EVENT_KIND_ASSIGNMENT_CHANGED && !e.event.assignee().agent_id().empty()) return true;
    return e.StatusChanged(s) && e.transition.previous_status == v1::TICKET_STATUS_NEW &&
           e.role() != v1::ACTOR_ROLE_REQUESTER;
  }

  static void FirstResponse(const EventContext& e, internal::TicketState* s) {
    internal::DetectorState* d = s->mutable_detect();
    d->set_first_response_us(e.t);
    d->set_first_response_event(e.event.event_id());
    const calendar::Calendar& cal = ClockCalendar(*s, e.th);
    int64_t deadline = cal.Deadline(CreatedAt(*s), e.th.FirstResponseTarget(s->priority()));
    if (e.t <= deadline) return;
    v1::Finding* f = Raise(s, v1::FINDING_KIND_FIRST_RESPONSE_BREACH, "first_response", deadline, v1::SEVERITY_MEDIUM,
                           absl::StrCat("first response after ", FormatDuration(cal.WorkingTime(CreatedAt(*s), e.t)),
                                        "; the ", ShortName(s->priority()), " target is ",
                                        FormatDuration(e.th.FirstResponseTarget(s->priority())), InBusinessHours(cal)));
    *f->add_evidence() = MakeEvidence(e.event.event_id(), e.t, "first response");
  }
};

}  // namespace

std::unique_ptr<Detector> NewSlaDetector() { return std::make_unique<SlaDetector>(); }

SlaLedger ReadLedger(const internal::TicketState& s, int64_t watermark_us, const Thresholds& th) {
  SlaLedger ledger;
  const internal::DetectorState& d = s.detect();
  const calendar::Calendar& cal = ClockCalendar(s, th);
  ledger.calendar = cal.always_open() ? "" : cal.name();
  ledger.first_response_target_us = th.FirstResponseTarget(s.priority());
  ledger.first_response_us = d.first_response_us() == 0 ? -1 : cal.WorkingTime(CreatedAt(s), d.first_response_us());
  int64_t waited = d.first_response_us() != 0 ? ledger.first_response_us
                   : IsTerminal(s.status())   ? cal.WorkingTime(CreatedAt(s), s.status_since_us())
                                              : cal.WorkingTime(CreatedAt(s), watermark_us);
  ledger.first_response_met = waited <= ledger.first_response_target_us;
  ledger.first_response_left_us = ledger.first_response_target_us - waited;
  ledger.resolution_target_us = th.ResolutionTarget(s.priority());
  int64_t clock = d.res_clock_us();
  int64_t open_pause = 0;
  if (!IsTerminal(s.status()) && ClockRuns(s.status(), d.pause_suspect())) {
    clock += std::max<int64_t>(0, cal.WorkingTime(d.res_clock_since_us(), watermark_us));
  }
  if (s.status() == v1::TICKET_STATUS_PENDING_REQUESTER && d.pause_since_us() != 0) {
    open_pause = std::max<int64_t>(0, cal.WorkingTime(d.pause_since_us(), watermark_us));
  }
  ledger.resolution_clock_us = clock;
  ledger.resolution_met = clock <= ledger.resolution_target_us;
  ledger.resolution_left_us = ledger.resolution_target_us - clock;
  ledger.legit_pause_us = d.legit_pause_us() + (d.pause_suspect() ? 0 : open_pause);
  ledger.suspect_pause_us = d.suspect_pause_us() + (d.pause_suspect() ? open_pause : 0);
  ledger.met_only_by_suspect_pause =
      !ledger.resolution_met && clock - ledger.suspect_pause_us <= ledger.resolution_target_us;
  return ledger;
}

}  // namespace rapport::detect
