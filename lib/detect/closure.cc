// Gaming of closure metrics seen on one ticket: resolved without contact or
// while the requester waits, reopened (or written back to as not fixed) after
// a resolution, resolved at the SLA edge and reopened, priority lowered just
// before resolving. Creations and resolutions also feed the cross-ticket
// checks (cross_ticket.h).
#include "absl/strings/str_cat.h"
#include "detect/cross_ticket.h"
#include "detect/raise.h"
#include "detect/signals.h"
#include "detect/units.h"
#include "event/event.h"

namespace rapport::detect {
namespace {

class ClosureDetector final : public Detector {
 public:

  void OnEvent(EventContext& e, internal::TicketState* s) override {
    if (e.IsPublicComment() && e.role() == v1::ACTOR_ROLE_REQUESTER) WroteBackNotFixed(e, s);
    if (e.event.kind() == v1::EVENT_KIND_TICKET_CREATED) e.cross_ticket.OnCreated(e.event, s, e.stage_context);
    if (e.event.kind() == v1::EVENT_KIND_PRIORITY_CHANGED) PriorityChanged(e, s);
    if (!e.StatusChanged(*s)) return;
    if (e.transition.reopen) Reopened(e, s);
    if (IsResolved(s->status()) && !IsResolved(e.transition.previous_status)) Resolved(e, s);
  }

 private:
  static void WroteBackNotFixed(const EventContext& e, internal::TicketState* s) {
    const internal::DetectorState& d = s->detect();
    if (!IsResolved(s->status()) || d.last_resolved_us() == 0 || e.t - d.last_resolved_us() > e.th.reopen_window ||
        !ReportsStillBroken(e.event.comment().text())) {
      return;
    }
    v1::Finding* f = Raise(s, v1::FINDING_KIND_REOPENED_AFTER_RESOLVE, absl::StrCat("reopen:", d.last_resolved_event()),
                           e.t, v1::SEVERITY_MEDIUM,
                           absl::StrCat("the requester reports it is not fixed ",
                                        FormatDuration(e.t - d.last_resolved_us()), " after the resolution"),
                           d.last_resolved_by());
    *f->add_evidence() = MakeEvidence(d.last_resolved_event(), d.last_resolved_us(), "resolved");
    *f->add_evidence() = MakeEvidence(e.event.event_id(), e.t, "requester: not fixed");
  }

  static void PriorityChanged(const EventContext& e, internal::TicketState* s) {
    // Larger enum values are less urgent.
    const v1::Priority was = e.transition.previous_priority;
    if (was == v1::PRIORITY_UNSPECIFIED || s->priority() <= was) return;
    s->mutable_detect()->set_priority_lowered_us(e.t);
    s->mutable_detect()->set_priority_lowered_event(e.event.event_id());
  }

  static void Reopened(const EventContext& e, internal::TicketState* s) {
    internal::DetectorState* d = s->mutable_detect();
    const std::string status_change =
        absl::StrCat("status ", ShortName(e.transition.previous_status), " -> ", ShortName(s->status()));
    if (d->last_resolved_us() != 0 && e.t - d->last_resolved_us() <= e.th.reopen_window) {
      const bool repeated = s->reopen_count() >= 2;
      v1::Finding* f = Raise(s, v1::FINDING_KIND_REOPENED_AFTER_RESOLVE, absl::StrCat("reopen:", d->last_resolved_event()),
                             e.t, repeated ? v1::SEVERITY_HIGH : v1::SEVERITY_MEDIUM,
                             absl::StrCat("reopened ", FormatDuration(e.t - d->last_resolved_us()), " after it was resolved",
                                          repeated ? absl::StrCat(" (", s->reopen_count(), " reopens)") : ""),
                             d->last_resolved_by());
      *f->add_evidence() = MakeEvidence(d->last_resolved_event(), d->last_resolved_us(), "resolved");
      *f->add_evidence() = MakeEvidence(e.event.event_id(), e.t, status_change);
    }
    if (d->last_resolve_at_edge()) {
      v1::Finding* f = Raise(s, v1::FINDING_KIND_SLA_EDGE_CLOSURE, absl::StrCat("edge:", d->last_resolved_event()), e.t,
                             v1::SEVERITY_HIGH, "resolved in the last minutes before the resolution target, then reopened",
                             d->last_resolved_by());
      *f->add_evidence() = MakeEvidence(d->last_resolved_event(), d->last_resolved_us(), "resolved at the edge");
      *f->add_evidence() = MakeEvidence(e.event.event_id(), e.t, "reopened");
    }
    d->set_last_resolve_at_edge(false);
  }

  static void Resolved(EventContext& e, internal::TicketState* s) {
    internal::DetectorState* d = s->mutable_detect();
    const std::string& resolver = e.event.actor().id();
    const std::string status = absl::StrCat("status ", ShortName(s->status()));
    d->set_last_resolved_us(e.t);
    d->set_last_resolved_event(e.event.event_id());
    d->set_last_resolved_by(resolver);
    // The resolution clock is up to date: the SLA detector runs first.
    int64_t target = e.th.ResolutionTarget(s->priority());
    int64_t clock = d->res_clock_us();
    d->set_last_resolve_at_edge(clock <= target && clock >= target - static_cast<int64_t>(target * e.th.edge_fraction));
    e.cross_ticket.OnResolved(e.event, s, e.stage_context);
    if (e.conversation && d->agent_public_replies() == 0) {
      v1::Finding* f = Raise(s, v1::FINDING_KIND_RESOLVED_WITHOUT_CONTACT, absl::StrCat("no_contact:", e.event.event_id()),
                             e.t, v1::SEVERITY_MEDIUM, "resolved without a single public reply to the requester", resolver);
      *f->add_evidence() = MakeEvidence(e.event.event_id(), e.t, status);
    }
    if (e.conversation && d->last_public_role() == v1::ACTOR_ROLE_REQUESTER && d->last_requester_needs_answer()) {
      v1::Finding* f = Raise(s, v1::FINDING_KIND_RESOLVED_WHILE_REQUESTER_WAITING,
                             absl::StrCat("waiting:", e.event.event_id()), e.t, v1::SEVERITY_HIGH,
                             absl::StrCat("resolved while the requester's last message (",
                                          FormatDuration(e.t - d->last_requester_message_us()), " earlier) was unanswered"),
                             resolver);
      *f->add_evidence() = MakeEvidence(d->last_requester_text_event(), d->last_requester_message_us(), "requester wrote");
      *f->add_evidence() = MakeEvidence(e.event.event_id(), e.t, status);
    }
    if (d->priority_lowered_us() != 0 && e.t - d->priority_lowered_us() <= e.th.downgrade_before_resolve) {
      v1::Finding* f = Raise(s, v1::FINDING_KIND_PRIORITY_DOWNGRADE_BEFORE_RESOLVE,
                             absl::StrCat("downgrade:", e.event.event_id()), e.t, v1::SEVERITY_MEDIUM,
                             absl::StrCat("priority lowered to ", ShortName(s->priority()), " ",
                                          FormatDuration(e.t - d->priority_lowered_us()), " before resolving"),
                             resolver);
      *f->add_evidence() = MakeEvidence(d->priority_lowered_event(), d->priority_lowered_us(), "priority lowered");
      *f->add_evidence() = MakeEvidence(e.event.event_id(), e.t, "resolved");
    }
  }
};

}  // namespace

std::unique_ptr<Detector> NewClosureDetector() { return std::make_unique<ClosureDetector>(); }

}  // namespace rapport::detect
