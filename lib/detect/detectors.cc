#include "detect/detectors.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "detect/raise.h"
#include "detect/signals.h"
#include "detect/units.h"
#include "event/event.h"
#include "store/keys.h"

namespace rapport::detect {
namespace {

struct PreparedTone final : PreparedEvent {
  explicit PreparedTone(tone::ToneResult t) : tone(std::move(t)) {}
  tone::ToneResult tone;
};

bool IsPublicComment(const v1::TicketEvent& event) {
  return event.kind() == v1::EVENT_KIND_COMMENT_ADDED && event.comment().public_();
}

// What was said last, which every detector reads as it stood before the event.
void RecordConversation(EventContext& e, internal::DetectorState* d) {
  if (!e.IsPublicComment()) return;
  const std::string& text = e.event.comment().text();
  if (e.role() == v1::ACTOR_ROLE_AGENT) {
    d->set_agent_asked_question(AsksSomething(text));
    d->set_agent_public_replies(d->agent_public_replies() + 1);
    d->set_last_requester_needs_answer(false);
  } else if (e.role() == v1::ACTOR_ROLE_REQUESTER) {
    d->set_last_requester_needs_answer(NeedsAnswer(text));
    d->set_requester_last_compound(e.Tone().sentiment);
    d->set_last_requester_message_us(e.t);
    d->set_last_requester_text_event(e.event.event_id());
  } else {
    return;
  }
  d->set_last_public_role(e.role());
  d->set_last_public_us(e.t);
  d->set_last_public_event(e.event.event_id());
}

}  // namespace

std::vector<std::unique_ptr<Detector>> BuiltinDetectors() {
  std::vector<std::unique_ptr<Detector>> detectors;
  // The SLA detector first: it closes the resolution clock's interval, which
  // the closure detector reads, with the pause as it was, which the pause
  // detector then ends. Stale reads the pause before it changes too.
  detectors.push_back(NewSlaDetector());
  detectors.push_back(NewReplyGapDetector());
  detectors.push_back(NewStaleDetector());
  detectors.push_back(NewToneDetector());
  detectors.push_back(NewClosureDetector());
  detectors.push_back(NewPauseDetector());
  detectors.push_back(NewPingPongDetector());
  return detectors;
}

bool IsDeadlineKind(v1::FindingKind kind) {
  return kind == v1::FINDING_KIND_FIRST_RESPONSE_BREACH || kind == v1::FINDING_KIND_RESOLUTION_BREACH ||
         kind == v1::FINDING_KIND_REPLY_GAP || kind == v1::FINDING_KIND_STALE;
}

int64_t CreatedAt(const internal::TicketState& s) {
  return s.created_at_us() != 0 ? s.created_at_us() : s.first_event_us();
}

const calendar::Calendar& ClockCalendar(const internal::TicketState& s, const Thresholds& th) {
  return th.ClockCalendar(s.priority(), s.detect().opened_team(), s.detect().opened_service());
}

std::string InBusinessHours(const calendar::Calendar& c) {
  return c.always_open() ? "" : absl::StrCat(" (business hours, calendar ", c.name(), ")");
}

EventContext::EventContext(const v1::TicketEvent& event, const ticket::Transition& transition,
                           const Thresholds& thresholds, bool conversation, const TicketStage& stage,
                           StageContext& stage_context, CrossTicket& cross_ticket)
    : event(event), transition(transition), th(thresholds), t(ToMicros(event.occurred_at())),
      conversation(conversation), stage_context(stage_context), cross_ticket(cross_ticket), stage_(stage) {}

bool EventContext::IsPublicComment() const { return detect::IsPublicComment(event); }

const tone::ToneResult& EventContext::Tone() {
  if (!tone_) {
    if (const PreparedEvent* prepared = stage_context.Prepared(stage_, event)) {
      tone_ = static_cast<const PreparedTone*>(prepared)->tone;  // Prepare makes nothing else
    } else {
      tone_ = tone::ToneAnalyzer::Default().Analyze(event.comment().text());
    }
  }
  return *tone_;
}

std::unique_ptr<PreparedEvent> DetectorStage::Prepare(const v1::TicketEvent& event) const {
  if (!IsPublicComment(event)) return nullptr;
  return std::make_unique<PreparedTone>(tone::ToneAnalyzer::Default().Analyze(event.comment().text()));
}

void DetectorStage::BeforeEvent(const v1::TicketEvent& event, internal::TicketState* s, StageContext& /*context*/) {
  if (s->event_count() == 0 || !s->detect().conversation_known()) return;
  // Deadlines strictly before the event: it can no longer have met them.
  (void)EvaluateDeadlines(s, ToMicros(event.occurred_at()) - 1);
}

void DetectorStage::OnEvent(const v1::TicketEvent& event, const ticket::Transition& transition,
                            internal::TicketState* s, StageContext& context) {
  internal::DetectorState* d = s->mutable_detect();
  const int64_t t = ToMicros(event.occurred_at());
  if (!d->conversation_known()) {
    auto it = event.attributes().find(kConversationAttribute);
    d->set_conversation(it == event.attributes().end() || it->second != "false");
    d->set_conversation_known(true);
    d->set_res_clock_since_us(t);
    d->set_opened_team(s->assignee().team());
    d->set_opened_service(s->service());
  }
  // A deadline finding raised by the watermark assumed nothing happened
  // before its deadline; an event before that deadline voids the assumption.
  // The detectors (or OnTicketUpdated) raise it again if it still holds.
  auto* findings = s->mutable_findings();
  findings->erase(std::remove_if(findings->begin(), findings->end(),
                                 [t](const v1::Finding& f) { return IsDeadlineKind(f.kind()) && ToMicros(f.at()) > t; }),
                  findings->end());
  EventContext e(event, transition, thresholds_.For(s->tenant().empty() ? event.tenant() : s->tenant()),
                 d->conversation(), *this, context, cross_ticket_);
  for (const auto& detector : detectors_) detector->OnEvent(e, s);
  RecordConversation(e, s->mutable_detect());
}

int64_t DetectorStage::EvaluateDeadlines(internal::TicketState* s, int64_t watermark_us) const {
  const Thresholds& th = thresholds_.For(s->tenant());
  int64_t next = 0;
  for (const auto& detector : detectors_) {
    int64_t deadline = detector->OnWatermark(s, watermark_us, th);
    if (deadline != 0 && (next == 0 || deadline < next)) next = deadline;
  }
  return next;
}

void DetectorStage::Reindex(internal::TicketState* s, int64_t deadline, Store::Batch* writes) const {
  internal::DetectorState* d = s->mutable_detect();
  if (d->indexed_deadline_us() == deadline) return;
  if (d->indexed_deadline_us() != 0) {
    writes->Delete(Family::kIndex, keys::Deadline(s->tenant(), d->indexed_deadline_us(), s->ticket_id()));
  }
  if (deadline != 0) writes->Put(Family::kIndex, keys::Deadline(s->tenant(), deadline, s->ticket_id()), "");
  d->set_indexed_deadline_us(deadline);
}

absl::Status DetectorStage::OnTicketUpdated(const TicketUpdate& update, StageContext& context) {
  internal::TicketState* s = update.after;
  // A refold starts from an empty state: the index entry written before is
  // still in the store and must be replaced, not forgotten; findings raised
  // by the daily agent-rate review are not the ticket's own and carry over.
  if (const internal::TicketState* before = update.refolded_from) {
    s->mutable_detect()->set_indexed_deadline_us(before->detect().indexed_deadline_us());
    for (const v1::Finding& f : before->findings()) {
      if (CrossTicket::IsPeriodic(f) && !HasFinding(*s, f.id())) *s->add_findings() = f;
    }
  }
  Reindex(s, EvaluateDeadlines(s, update.watermark_us), &context.writes());
  return absl::OkStatus();
}

absl::Status DetectorStage::OnWatermark(const std::string& tenant, int64_t before_us, int64_t after_us,
                                        StageContext& context) {
  // The review reads this batch's resolutions, which Flush clears.
  if (absl::Status s = cross_ticket_.ReviewAgentEdgeRates(tenant, before_us, after_us, thresholds_.For(tenant), context);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = cross_ticket_.Flush(tenant, before_us, thresholds_.For(tenant), context); !s.ok()) return s;
  if (after_us <= before_us) return absl::OkStatus();
  // Deadlines up to `before_us` were handled when the watermark passed them
  // (and re-indexed later or dropped), so the scan starts after it and never
  // walks the tombstones those entries left behind.
  const std::string prefix = keys::DeadlinePrefix(tenant);
  const std::string start = keys::TimedStart(prefix, before_us + 1);
  std::vector<std::string> due;
  absl::Status scan = context.store().ScanFrom(Family::kIndex, prefix, start, [&](absl::string_view key, absl::string_view) {
    const keys::Timed entry = keys::ParseTimedEntry(key, prefix);
    if (entry.at_us > after_us) return false;
    due.emplace_back(entry.ticket);
    return true;
  });
  if (!scan.ok()) return scan;
  for (const std::string& ticket_id : due) {
    auto state = context.MutableTicket(tenant, ticket_id);
    if (absl::IsNotFound(state.status())) continue;
    if (!state.ok()) return state.status();
    Reindex(*state, EvaluateDeadlines(*state, after_us), &context.writes());
  }
  return absl::OkStatus();
}

}  // namespace rapport::detect
