#include "detect/detectors.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "detect/cross_ticket.h"
#include "detect/findings.h"
#include "detect/raise.h"
#include "detect/signals.h"
#include "event/event.h"
#include "store/keys.h"
#include "tone/tone.h"

namespace rapport::detect {
namespace {

using v1::FindingKind;

struct PreparedTone final : PreparedEvent {
  explicit PreparedTone(tone::ToneResult t) : tone(std::move(t)) {}
  tone::ToneResult tone;
};

bool IsPublicComment(const v1::TicketEvent& event) {
  return event.kind() == v1::EVENT_KIND_COMMENT_ADDED && event.comment().public_();
}

// The communication score's reading of one public agent message: rude is the
// floor; otherwise politeness and warmth count equally. Text the engine cannot
// judge (code, logs, another language) is left out rather than scored neutral.
void RecordAgentTone(const tone::ToneResult& tone, const std::string& event_id, internal::DetectorState* d) {
  if (tone.low_confidence && !tone.rude) return;
  double points = tone.rude ? -100.0 : std::clamp(50.0 * tone.politeness + 50.0 * tone.sentiment, -100.0, 100.0);
  if (d->agent_toned_messages() == 0 || points < d->agent_worst_points()) {
    d->set_agent_worst_points(points);
    d->set_agent_worst_event(event_id);
  }
  d->set_agent_toned_messages(d->agent_toned_messages() + 1);
  d->set_agent_tone_points(d->agent_tone_points() + points);
}

// What a person needs to see of a rude reply: up to two of its cue texts,
// quoted ("Not our problem", "Talk to your manager"), then a space. Specific
// cues first; shouting (the whole message) and bare commands only when there
// is nothing else.
std::string QuotedCues(absl::string_view text, const std::vector<tone::Cue>& cues) {
  auto rank = [](const tone::Cue& c) { return c.kind == "shouting" ? 1 : c.kind == "imperative" ? 2 : 0; };
  std::vector<const tone::Cue*> chosen;
  for (int r = 0; r < 3 && chosen.empty(); ++r) {
    for (const tone::Cue& c : cues) {
      if (rank(c) != r || chosen.size() == 2 || c.end > text.size() || c.begin >= c.end) continue;
      bool overlaps = std::any_of(chosen.begin(), chosen.end(),
                                  [&](const tone::Cue* k) { return c.begin < k->end && k->begin < c.end; });
      if (!overlaps) chosen.push_back(&c);
    }
  }
  std::vector<std::string> quoted;
  for (const tone::Cue* c : chosen) {
    quoted.push_back(absl::StrCat("\"", OneLine(text.substr(c->begin, c->end - c->begin), 40), "\""));
  }
  return quoted.empty() ? "" : absl::StrCat(absl::StrJoin(quoted, ", "), " ");
}

// The resolution clock runs while the requester waits for IT, and through
// pauses Rapport judges suspect.
bool ClockRuns(v1::TicketStatus status, bool suspect_pause) {
  return status == v1::TICKET_STATUS_NEW || status == v1::TICKET_STATUS_IN_PROGRESS ||
         status == v1::TICKET_STATUS_PENDING_THIRD_PARTY ||
         (status == v1::TICKET_STATUS_PENDING_REQUESTER && suspect_pause);
}

int64_t CreatedAt(const internal::TicketState& s) {
  return s.created_at_us() != 0 ? s.created_at_us() : s.first_event_us();
}

std::string DeadlineKey(absl::string_view tenant, int64_t deadline, absl::string_view ticket) {
  std::string key = absl::StrCat("dl", absl::string_view("\0", 1), tenant, absl::string_view("\0", 1));
  keys::PutBigEndian64(&key, static_cast<uint64_t>(deadline));
  absl::StrAppend(&key, ticket);
  return key;
}

std::string DeadlinePrefix(absl::string_view tenant) {
  return absl::StrCat("dl", absl::string_view("\0", 1), tenant, absl::string_view("\0", 1));
}

}  // namespace

std::unique_ptr<PreparedEvent> DetectorStage::Prepare(const v1::TicketEvent& event) const {
  if (!IsPublicComment(event)) return nullptr;
  return std::make_unique<PreparedTone>(tone::ToneAnalyzer::Default().Analyze(event.comment().text()));
}

tone::ToneResult DetectorStage::ToneOf(const v1::TicketEvent& event, const StageContext& context) const {
  if (const PreparedEvent* prepared = context.Prepared(*this, event)) {
    return static_cast<const PreparedTone*>(prepared)->tone;  // Prepare makes nothing else
  }
  return tone::ToneAnalyzer::Default().Analyze(event.comment().text());
}

void DetectorStage::BeforeEvent(const v1::TicketEvent& event, internal::TicketState* s, StageContext& /*context*/) {
  if (s->event_count() == 0 || !s->detect().conversation_known()) return;
  // Deadlines strictly before the event: it can no longer have met them.
  (void)EvaluateDeadlines(s, ToMicros(event.occurred_at()) - 1);
}

void DetectorStage::OnEvent(const v1::TicketEvent& event, const ticket::Transition& transition,
                            internal::TicketState* s, StageContext& context) {
  const Thresholds& th = thresholds_.For(s->tenant().empty() ? event.tenant() : s->tenant());
  internal::DetectorState* d = s->mutable_detect();
  const int64_t t = ToMicros(event.occurred_at());
  if (!d->conversation_known()) {
    auto it = event.attributes().find(kConversationAttribute);
    d->set_conversation(it == event.attributes().end() || it->second != "false");
    d->set_conversation_known(true);
    d->set_res_clock_since_us(t);
  }
  const bool conversation = d->conversation();
  const v1::ActorRole role = event.actor().role();
  // A deadline finding raised by the watermark assumed nothing happened
  // before its deadline; an event before that deadline voids the assumption.
  // OnTicketUpdated raises it again if it still holds.
  auto* findings = s->mutable_findings();
  findings->erase(std::remove_if(findings->begin(), findings->end(),
                                 [t](const v1::Finding& f) {
                                   bool deadline_kind = f.kind() == v1::FINDING_KIND_FIRST_RESPONSE_BREACH ||
                                                        f.kind() == v1::FINDING_KIND_RESOLUTION_BREACH ||
                                                        f.kind() == v1::FINDING_KIND_REPLY_GAP ||
                                                        f.kind() == v1::FINDING_KIND_STALE;
                                   return deadline_kind && ToMicros(f.at()) > t;
                                 }),
                  findings->end());
  auto first_response = [&](const std::string& event_id) {
    if (d->first_response_us() != 0) return;
    d->set_first_response_us(t);
    d->set_first_response_event(event_id);
    int64_t deadline = CreatedAt(*s) + th.FirstResponseTarget(s->priority());
    if (t > deadline) {
      v1::Finding* f = Raise(s, v1::FINDING_KIND_FIRST_RESPONSE_BREACH, "first_response", deadline, v1::SEVERITY_MEDIUM,
                             absl::StrCat("first response after ", FormatDuration(t - CreatedAt(*s)), "; the ",
                                          ShortName(s->priority()), " target is ",
                                          FormatDuration(th.FirstResponseTarget(s->priority()))));
      *f->add_evidence() = MakeEvidence(event_id, t, "first response");
    }
  };
  // A public gap of a week or more while open and not legitimately paused.
  auto activity = [&](const std::string& event_id) {
    int64_t last = d->last_activity_us() != 0 ? d->last_activity_us() : CreatedAt(*s);
    bool legit_pause = (s->status() == v1::TICKET_STATUS_PENDING_REQUESTER && !d->pause_suspect()) ||
                       s->status() == v1::TICKET_STATUS_PENDING_THIRD_PARTY;
    if (!IsTerminal(transition.previous_status) && !legit_pause && t - last >= th.stale) {
      v1::Finding* f = Raise(s, v1::FINDING_KIND_STALE, absl::StrCat("stale:", last), last + th.stale,
                             v1::SEVERITY_MEDIUM,
                             absl::StrCat("no public activity for ", FormatDuration(t - last), " while open"));
      *f->add_evidence() = MakeEvidence(event_id, t, "activity resumed");
    }
    d->set_last_activity_us(t);
  };

  // Resolution clock: close the interval that this status change ends.
  if (transition.previous_status != s->status()) {
    int64_t before = d->res_clock_us();
    if (ClockRuns(transition.previous_status, d->pause_suspect())) {
      d->set_res_clock_us(before + std::max<int64_t>(0, t - d->res_clock_since_us()));
    }
    d->set_res_clock_since_us(t);
    int64_t target = th.ResolutionTarget(s->priority());
    if (before < target && d->res_clock_us() >= target && !HasFinding(*s, "resolution")) {
      int64_t crossed = t - (d->res_clock_us() - target);
      v1::Finding* f = Raise(s, v1::FINDING_KIND_RESOLUTION_BREACH, "resolution", crossed, v1::SEVERITY_HIGH,
                             absl::StrCat("not resolved within the ", ShortName(s->priority()), " target of ",
                                          FormatDuration(target), " (Rapport's clock)"));
      *f->add_evidence() = MakeEvidence(event.event_id(), t, absl::StrCat("status ", ShortName(s->status())));
    }
  }

  switch (event.kind()) {
    case v1::EVENT_KIND_COMMENT_ADDED: {
      if (!event.comment().public_()) break;
      const std::string& text = event.comment().text();
      if (role == v1::ACTOR_ROLE_AGENT) {
        first_response(event.event_id());
        activity(event.event_id());
        if (d->unanswered_since_us() != 0 && t - d->unanswered_since_us() >= th.reply_gap) {
          v1::Finding* f = Raise(s, v1::FINDING_KIND_REPLY_GAP, absl::StrCat("reply_gap:", d->unanswered_event()),
                                 d->unanswered_since_us() + th.reply_gap, v1::SEVERITY_MEDIUM,
                                 absl::StrCat("the requester waited ", FormatDuration(t - d->unanswered_since_us()),
                                              " for an answer"));
          *f->add_evidence() = MakeEvidence(d->unanswered_event(), d->unanswered_since_us(), "requester wrote");
          *f->add_evidence() = MakeEvidence(event.event_id(), t, "agent answered");
        }
        d->set_unanswered_since_us(0);
        d->clear_unanswered_event();
        const tone::ToneResult tone = ToneOf(event, context);
        RecordAgentTone(tone, event.event_id(), d);
        if (tone.rude) {
          bool severe = false;
          for (const tone::Cue& c : tone.cues) severe |= c.kind == "threat" || c.kind == "profanity";
          v1::Finding* f = Raise(s, v1::FINDING_KIND_RUDE_REPLY, absl::StrCat("rude:", event.event_id()), t,
                                 severe ? v1::SEVERITY_HIGH : v1::SEVERITY_MEDIUM,
                                 absl::StrFormat("rude reply %s(rudeness %.2f)", QuotedCues(text, tone.cues),
                                                 tone.rudeness),
                                 event.actor().id());
          for (const tone::Cue& c : tone.cues) {
            v1::Evidence* e = f->add_evidence();
            *e = MakeEvidence(event.event_id(), t, c.kind);
            e->set_text(text.substr(c.begin, c.end - c.begin));
            e->set_span_begin(static_cast<uint32_t>(c.begin));
            e->set_span_end(static_cast<uint32_t>(c.end));
          }
        } else if (d->last_public_role() == v1::ACTOR_ROLE_REQUESTER &&
                   d->requester_last_compound() <= th.upset_compound && CountWords(text) <= th.curt_max_words &&
                   !Acknowledges(text)) {
          v1::Finding* f = Raise(s, v1::FINDING_KIND_CURT_TO_UPSET_REQUESTER, absl::StrCat("curt:", event.event_id()), t,
                                 v1::SEVERITY_MEDIUM,
                                 absl::StrFormat("curt reply \"%s\" (%d word%s, no acknowledgement) to an upset requester",
                                                 OneLine(text, 60), CountWords(text), CountWords(text) == 1 ? "" : "s"),
                                 event.actor().id());
          *f->add_evidence() = MakeEvidence(d->last_requester_text_event(), d->last_requester_message_us(),
                                            absl::StrFormat("requester sentiment %.2f", d->requester_last_compound()));
          v1::Evidence* e = f->add_evidence();
          *e = MakeEvidence(event.event_id(), t, "reply");
          e->set_text(text);
        }
        d->set_agent_asked_question(AsksSomething(text));
        d->set_agent_public_replies(d->agent_public_replies() + 1);
        d->set_last_requester_needs_answer(false);
      } else if (role == v1::ACTOR_ROLE_REQUESTER) {
        activity(event.event_id());
        double compound = ToneOf(event, context).sentiment;
        d->set_requester_messages(d->requester_messages() + 1);
        if (d->requester_messages() == 1) d->set_requester_first_compound(compound);
        d->set_requester_min_compound(d->requester_messages() == 1 ? compound
                                                                   : std::min(d->requester_min_compound(), compound));
        d->set_requester_negative_streak(compound <= th.upset_compound ? d->requester_negative_streak() + 1 : 0);
        bool sharp_fall = d->requester_messages() >= 2 && d->requester_first_compound() - compound >= th.distress_drop &&
                          compound <= th.upset_compound;
        if ((d->requester_negative_streak() >= 2 || sharp_fall) && !HasFinding(*s, "distress")) {
          v1::Finding* f = Raise(s, v1::FINDING_KIND_REQUESTER_DISTRESS, "distress", t, v1::SEVERITY_HIGH,
                                 sharp_fall ? absl::StrFormat("the requester's sentiment fell from %.2f to %.2f",
                                                              d->requester_first_compound(), compound)
                                            : absl::StrFormat("the requester stayed strongly negative (%.2f, then %.2f)",
                                                              d->requester_last_compound(), compound));
          if (!d->last_requester_text_event().empty()) {
            *f->add_evidence() = MakeEvidence(d->last_requester_text_event(), d->last_requester_message_us(),
                                              absl::StrFormat("sentiment %.2f", d->requester_last_compound()));
          }
          v1::Evidence* e = f->add_evidence();
          *e = MakeEvidence(event.event_id(), t, absl::StrFormat("sentiment %.2f", compound));
          e->set_text(text);
        }
        // Writing back that it still fails, within the window after a resolution.
        if (IsResolved(s->status()) && d->last_resolved_us() != 0 && t - d->last_resolved_us() <= th.reopen_window &&
            ReportsStillBroken(text)) {
          v1::Finding* f = Raise(s, v1::FINDING_KIND_REOPENED_AFTER_RESOLVE,
                                 absl::StrCat("reopen:", d->last_resolved_event()), t, v1::SEVERITY_MEDIUM,
                                 absl::StrCat("the requester reports it is not fixed ",
                                              FormatDuration(t - d->last_resolved_us()), " after the resolution"),
                                 d->last_resolved_by());
          *f->add_evidence() = MakeEvidence(d->last_resolved_event(), d->last_resolved_us(), "resolved");
          *f->add_evidence() = MakeEvidence(event.event_id(), t, "requester: not fixed");
        }
        bool needs = NeedsAnswer(text);
        d->set_last_requester_needs_answer(needs);
        if (needs && d->unanswered_since_us() == 0) {
          d->set_unanswered_since_us(t);
          d->set_unanswered_event(event.event_id());
        } else if (!needs) {
          d->set_unanswered_since_us(0);
          d->clear_unanswered_event();
        }
        d->set_requester_last_compound(compound);
        d->set_last_requester_message_us(t);
        d->set_last_requester_text_event(event.event_id());
      } else {
        break;
      }
      d->set_last_public_role(role);
      d->set_last_public_us(t);
      d->set_last_public_event(event.event_id());
      break;
    }
    case v1::EVENT_KIND_ASSIGNMENT_CHANGED:
    case v1::EVENT_KIND_TICKET_CREATED: {
      if (event.kind() == v1::EVENT_KIND_TICKET_CREATED) cross_ticket_.OnCreated(event, s, context);
      if (!conversation && !event.assignee().agent_id().empty() && event.kind() == v1::EVENT_KIND_ASSIGNMENT_CHANGED) {
        first_response(event.event_id());
        activity(event.event_id());
      }
      if (!transition.reassignment) break;
      const std::string& team = s->assignee().team();
      bool bounced = false;
      for (const std::string& left : d->teams_left()) bounced |= left == team;
      if (!transition.previous_team.empty() && transition.previous_team != team) {
        bool known = false;
        for (const std::string& left : d->teams_left()) known |= left == transition.previous_team;
        if (!known) d->add_teams_left(transition.previous_team);
      }
      if (bounced || s->reassignment_count() >= th.ping_pong_reassignments) {
        v1::Finding* f = Raise(
            s, v1::FINDING_KIND_PING_PONG, "ping_pong", t,
            s->reassignment_count() >= 2 * th.ping_pong_reassignments ? v1::SEVERITY_HIGH : v1::SEVERITY_MEDIUM,
            bounced ? absl::StrCat("bounced back to ", team, " after ", s->reassignment_count(), " reassignments")
                    : absl::StrCat("reassigned ", s->reassignment_count(), " times"));
        *f->add_evidence() = MakeEvidence(event.event_id(), t, absl::StrCat("assigned to ", team));
      }
      break;
    }
    case v1::EVENT_KIND_PRIORITY_CHANGED:
      // Larger enum values are less urgent.
      if (transition.previous_priority != v1::PRIORITY_UNSPECIFIED && s->priority() > transition.previous_priority) {
        d->set_priority_lowered_us(t);
        d->set_priority_lowered_event(event.event_id());
      }
      break;
    default:
      break;
  }

  if (!transition.transition || transition.previous_status == s->status()) return;
  const v1::TicketStatus now = s->status();
  const v1::TicketStatus was = transition.previous_status;
  if (!conversation && was == v1::TICKET_STATUS_NEW && role != v1::ACTOR_ROLE_REQUESTER) {
    first_response(event.event_id());
  }
  if (!conversation && role != v1::ACTOR_ROLE_REQUESTER) activity(event.event_id());

  // Pauses for the requester.
  if (was == v1::TICKET_STATUS_PENDING_REQUESTER && d->pause_since_us() != 0) {
    int64_t spent = std::max<int64_t>(0, t - d->pause_since_us());
    if (d->pause_suspect()) {
      d->set_suspect_pause_us(d->suspect_pause_us() + spent);
    } else {
      d->set_legit_pause_us(d->legit_pause_us() + spent);
    }
    d->set_pause_since_us(0);
    d->set_pause_suspect(false);
  }
  if (now == v1::TICKET_STATUS_PENDING_REQUESTER) {
    bool owes = conversation && d->last_public_role() == v1::ACTOR_ROLE_REQUESTER && d->last_requester_needs_answer();
    d->set_pause_since_us(t);
    d->set_pause_suspect(owes);
    d->set_pause_event(event.event_id());
    if (owes) {
      bool soon = t - d->last_requester_message_us() <= th.pause_after_reply;
      v1::Finding* f = Raise(s, v1::FINDING_KIND_PAUSE_ABUSE, absl::StrCat("pause:", event.event_id()), t,
                             v1::SEVERITY_MEDIUM,
                             absl::StrCat("set to waiting for the requester ", soon ? "minutes" : FormatDuration(t - d->last_requester_message_us()),
                                          " after the requester wrote, while the agent owed the answer"),
                             event.actor().id());
      *f->add_evidence() = MakeEvidence(d->last_requester_text_event(), d->last_requester_message_us(), "requester wrote");
      *f->add_evidence() = MakeEvidence(event.event_id(), t, "paused: PENDING_REQUESTER");
    }
  }

  if (transition.reopen) {
    if (d->last_resolved_us() != 0 && t - d->last_resolved_us() <= th.reopen_window) {
      v1::Finding* f = Raise(s, v1::FINDING_KIND_REOPENED_AFTER_RESOLVE, absl::StrCat("reopen:", d->last_resolved_event()),
                             t, s->reopen_count() >= 2 ? v1::SEVERITY_HIGH : v1::SEVERITY_MEDIUM,
                             absl::StrCat("reopened ", FormatDuration(t - d->last_resolved_us()), " after it was resolved",
                                          s->reopen_count() >= 2 ? absl::StrCat(" (", s->reopen_count(), " reopens)") : ""),
                             d->last_resolved_by());
      *f->add_evidence() = MakeEvidence(d->last_resolved_event(), d->last_resolved_us(), "resolved");
      *f->add_evidence() = MakeEvidence(event.event_id(), t, absl::StrCat("status ", ShortName(was), " -> ", ShortName(now)));
    }
    if (d->last_resolve_at_edge()) {
      v1::Finding* f = Raise(s, v1::FINDING_KIND_SLA_EDGE_CLOSURE, absl::StrCat("edge:", d->last_resolved_event()), t,
                             v1::SEVERITY_HIGH,
                             "resolved in the last minutes before the resolution target, then reopened",
                             d->last_resolved_by());
      *f->add_evidence() = MakeEvidence(d->last_resolved_event(), d->last_resolved_us(), "resolved at the edge");
      *f->add_evidence() = MakeEvidence(event.event_id(), t, "reopened");
    }
    d->set_last_resolve_at_edge(false);
  }

  if (IsResolved(now) && !IsResolved(was)) {
    const std::string& resolver = event.actor().id();
    d->set_last_resolved_us(t);
    d->set_last_resolved_event(event.event_id());
    d->set_last_resolved_by(resolver);
    int64_t target = th.ResolutionTarget(s->priority());
    int64_t clock = d->res_clock_us();
    d->set_last_resolve_at_edge(clock <= target && clock >= target - static_cast<int64_t>(target * th.edge_fraction));
    cross_ticket_.OnResolved(event, s, context);
    if (conversation && d->agent_public_replies() == 0) {
      v1::Finding* f = Raise(s, v1::FINDING_KIND_RESOLVED_WITHOUT_CONTACT, absl::StrCat("no_contact:", event.event_id()),
                             t, v1::SEVERITY_MEDIUM, "resolved without a single public reply to the requester", resolver);
      *f->add_evidence() = MakeEvidence(event.event_id(), t, absl::StrCat("status ", ShortName(now)));
    }
    if (conversation && d->last_public_role() == v1::ACTOR_ROLE_REQUESTER && d->last_requester_needs_answer()) {
      v1::Finding* f = Raise(s, v1::FINDING_KIND_RESOLVED_WHILE_REQUESTER_WAITING,
                             absl::StrCat("waiting:", event.event_id()), t, v1::SEVERITY_HIGH,
                             absl::StrCat("resolved while the requester's last message (",
                                          FormatDuration(t - d->last_requester_message_us()), " earlier) was unanswered"),
                             resolver);
      *f->add_evidence() = MakeEvidence(d->last_requester_text_event(), d->last_requester_message_us(), "requester wrote");
      *f->add_evidence() = MakeEvidence(event.event_id(), t, absl::StrCat("status ", ShortName(now)));
    }
    if (d->priority_lowered_us() != 0 && t - d->priority_lowered_us() <= th.downgrade_before_resolve) {
      v1::Finding* f = Raise(s, v1::FINDING_KIND_PRIORITY_DOWNGRADE_BEFORE_RESOLVE,
                             absl::StrCat("downgrade:", event.event_id()), t, v1::SEVERITY_MEDIUM,
                             absl::StrCat("priority lowered to ", ShortName(s->priority()), " ",
                                          FormatDuration(t - d->priority_lowered_us()), " before resolving"),
                             resolver);
      *f->add_evidence() = MakeEvidence(d->priority_lowered_event(), d->priority_lowered_us(), "priority lowered");
      *f->add_evidence() = MakeEvidence(event.event_id(), t, "resolved");
    }
  }
}

int64_t DetectorStage::EvaluateDeadlines(internal::TicketState* s, int64_t wm) const {
  const Thresholds& th = thresholds_.For(s->tenant());
  const internal::DetectorState& d = s->detect();
  int64_t next = 0;
  auto consider = [&next, wm](int64_t deadline) {
    if (deadline > wm && (next == 0 || deadline < next)) next = deadline;
  };
  const bool open = !IsTerminal(s->status()) && s->status() != v1::TICKET_STATUS_UNSPECIFIED;
  const int64_t created = CreatedAt(*s);
  if (d.first_response_us() == 0) {
    int64_t deadline = created + th.FirstResponseTarget(s->priority());
    bool still_waiting = open || s->resolved_at_us() > deadline;
    if (still_waiting && wm >= deadline && !HasFinding(*s, "first_response")) {
      Raise(s, v1::FINDING_KIND_FIRST_RESPONSE_BREACH, "first_response", deadline, v1::SEVERITY_MEDIUM,
            absl::StrCat("no response within the ", ShortName(s->priority()), " target of ",
                         FormatDuration(th.FirstResponseTarget(s->priority()))));
    } else if (open) {
      consider(deadline);
    }
  }
  if (open && ClockRuns(s->status(), d.pause_suspect()) && !HasFinding(*s, "resolution")) {
    int64_t deadline = d.res_clock_since_us() + (th.ResolutionTarget(s->priority()) - d.res_clock_us());
    if (wm >= deadline) {
      Raise(s, v1::FINDING_KIND_RESOLUTION_BREACH, "resolution", deadline, v1::SEVERITY_HIGH,
            absl::StrCat("not resolved within the ", ShortName(s->priority()), " target of ",
                         FormatDuration(th.ResolutionTarget(s->priority())), " (Rapport's clock)"));
    } else {
      consider(deadline);
    }
  }
  if (open && d.conversation() && d.unanswered_since_us() != 0) {
    int64_t deadline = d.unanswered_since_us() + th.reply_gap;
    std::string id = absl::StrCat("reply_gap:", d.unanswered_event());
    if (wm >= deadline && !HasFinding(*s, id)) {
      v1::Finding* f = Raise(s, v1::FINDING_KIND_REPLY_GAP, id, deadline, v1::SEVERITY_MEDIUM,
                             absl::StrCat("the requester's message has had no answer for more than ",
                                          FormatDuration(th.reply_gap)));
      *f->add_evidence() = MakeEvidence(d.unanswered_event(), d.unanswered_since_us(), "requester wrote");
    } else {
      consider(deadline);
    }
  }
  bool legit_pause = (s->status() == v1::TICKET_STATUS_PENDING_REQUESTER && !d.pause_suspect()) ||
                     s->status() == v1::TICKET_STATUS_PENDING_THIRD_PARTY;
  if (open && !legit_pause) {
    int64_t last = d.last_activity_us() != 0 ? d.last_activity_us() : created;
    int64_t deadline = last + th.stale;
    std::string id = absl::StrCat("stale:", last);
    if (wm >= deadline && !HasFinding(*s, id)) {
      Raise(s, v1::FINDING_KIND_STALE, id, deadline, v1::SEVERITY_MEDIUM,
            absl::StrCat("open with no public activity for more than ", FormatDuration(th.stale)));
    } else {
      consider(deadline);
    }
  }
  return next;
}

void DetectorStage::Reindex(internal::TicketState* s, int64_t deadline, Store::Batch* writes) const {
  internal::DetectorState* d = s->mutable_detect();
  if (d->indexed_deadline_us() == deadline) return;
  if (d->indexed_deadline_us() != 0) {
    writes->Delete(Family::kIndex, DeadlineKey(s->tenant(), d->indexed_deadline_us(), s->ticket_id()));
  }
  if (deadline != 0) writes->Put(Family::kIndex, DeadlineKey(s->tenant(), deadline, s->ticket_id()), "");
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
  const std::string prefix = DeadlinePrefix(tenant);
  std::string start = prefix;
  keys::PutBigEndian64(&start, static_cast<uint64_t>(before_us) + 1);
  std::vector<std::string> due;
  absl::Status scan = context.store().ScanFrom(Family::kIndex, prefix, start, [&](absl::string_view key, absl::string_view) {
    int64_t deadline = static_cast<int64_t>(keys::GetBigEndian64(key.substr(prefix.size(), 8)));
    if (deadline > after_us) return false;
    due.emplace_back(key.substr(prefix.size() + 8));
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

v1::Evidence MakeEvidence(const std::string& event_id, int64_t at, std::string note) {
  v1::Evidence e;
  e.set_event_id(event_id);
  *e.mutable_at() = FromMicros(at);
  e.set_note(std::move(note));
  return e;
}

v1::Finding* Raise(internal::TicketState* s, FindingKind kind, const std::string& id, int64_t at,
                   v1::Severity severity, std::string summary, const std::string& agent) {
  v1::Finding* f = nullptr;
  for (v1::Finding& existing : *s->mutable_findings()) {
    if (existing.id() == id) f = &existing;
  }
  if (f == nullptr) f = s->add_findings();
  f->Clear();
  f->set_id(id);
  f->set_kind(kind);
  f->set_severity(severity);
  f->set_tenant(s->tenant());
  f->set_ticket_id(s->ticket_id());
  f->set_agent_id(agent.empty() ? s->assignee().agent_id() : agent);
  f->set_team(s->assignee().team());
  f->set_requester_id(s->requester().id());
  *f->mutable_at() = FromMicros(at);
  f->set_summary(std::move(summary));
  return f;
}

bool HasFinding(const internal::TicketState& s, const std::string& id) {
  for (const v1::Finding& f : s.findings()) {
    if (f.id() == id) return true;
  }
  return false;
}

SlaLedger ReadLedger(const internal::TicketState& s, int64_t watermark_us, const Thresholds& th) {
  SlaLedger ledger;
  const internal::DetectorState& d = s.detect();
  ledger.first_response_target_us = th.FirstResponseTarget(s.priority());
  ledger.first_response_us = d.first_response_us() == 0 ? -1 : d.first_response_us() - CreatedAt(s);
  int64_t waited = d.first_response_us() != 0 ? ledger.first_response_us
                   : IsTerminal(s.status())   ? s.status_since_us() - CreatedAt(s)
                                              : watermark_us - CreatedAt(s);
  ledger.first_response_met = waited <= ledger.first_response_target_us;
  ledger.resolution_target_us = th.ResolutionTarget(s.priority());
  int64_t clock = d.res_clock_us();
  int64_t open_pause = 0;
  if (!IsTerminal(s.status()) && ClockRuns(s.status(), d.pause_suspect())) {
    clock += std::max<int64_t>(0, watermark_us - d.res_clock_since_us());
  }
  if (s.status() == v1::TICKET_STATUS_PENDING_REQUESTER && d.pause_since_us() != 0) {
    open_pause = std::max<int64_t>(0, watermark_us - d.pause_since_us());
  }
  ledger.resolution_clock_us = clock;
  ledger.resolution_met = clock <= ledger.resolution_target_us;
  ledger.legit_pause_us = d.legit_pause_us() + (d.pause_suspect() ? 0 : open_pause);
  ledger.suspect_pause_us = d.suspect_pause_us() + (d.pause_suspect() ? open_pause : 0);
  ledger.met_only_by_suspect_pause =
      !ledger.resolution_met && clock - ledger.suspect_pause_us <= ledger.resolution_target_us;
  return ledger;
}

}  // namespace rapport::detect
