// The tone findings: RUDE_REPLY and CURT_TO_UPSET_REQUESTER on public agent
// messages, REQUESTER_DISTRESS on the requester's, and the reading of every
// public agent message that the communication score uses.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "detect/raise.h"
#include "detect/signals.h"
#include "detect/units.h"

namespace rapport::detect {
namespace {

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

class ToneDetector final : public Detector {
 public:

  void OnEvent(EventContext& e, internal::TicketState* s) override {
    if (!e.IsPublicComment()) return;
    if (e.role() == v1::ACTOR_ROLE_AGENT) AgentMessage(e, s);
    if (e.role() == v1::ACTOR_ROLE_REQUESTER) RequesterMessage(e, s);
  }

 private:
  static void AgentMessage(EventContext& e, internal::TicketState* s) {
    internal::DetectorState* d = s->mutable_detect();
    const std::string& text = e.event.comment().text();
    const tone::ToneResult& tone = e.Tone();
    RecordAgentTone(tone, e.event.event_id(), d);
    if (tone.rude) {
      bool severe = false;
      for (const tone::Cue& c : tone.cues) severe |= c.kind == "threat" || c.kind == "profanity";
      v1::Finding* f = Raise(s, v1::FINDING_KIND_RUDE_REPLY, absl::StrCat("rude:", e.event.event_id()), e.t,
                             severe ? v1::SEVERITY_HIGH : v1::SEVERITY_MEDIUM,
                             absl::StrFormat("rude reply %s(rudeness %.2f)", QuotedCues(text, tone.cues), tone.rudeness),
                             e.event.actor().id());
      for (const tone::Cue& c : tone.cues) {
        v1::Evidence* ev = f->add_evidence();
        *ev = MakeEvidence(e.event.event_id(), e.t, c.kind);
        ev->set_text(text.substr(c.begin, c.end - c.begin));
        ev->set_span_begin(static_cast<uint32_t>(c.begin));
        ev->set_span_end(static_cast<uint32_t>(c.end));
      }
      return;
    }
    // Curt: a very short reply, without acknowledgement, to an upset requester.
    if (d->last_public_role() != v1::ACTOR_ROLE_REQUESTER || d->requester_last_compound() > e.th.upset_compound ||
        CountWords(text) > e.th.curt_max_words || Acknowledges(text)) {
      return;
    }
    const int words = CountWords(text);
    v1::Finding* f = Raise(s, v1::FINDING_KIND_CURT_TO_UPSET_REQUESTER, absl::StrCat("curt:", e.event.event_id()), e.t,
                           v1::SEVERITY_MEDIUM,
                           absl::StrFormat("curt reply \"%s\" (%d word%s, no acknowledgement) to an upset requester",
                                           OneLine(text, 60), words, words == 1 ? "" : "s"),
                           e.event.actor().id());
    *f->add_evidence() = MakeEvidence(d->last_requester_text_event(), d->last_requester_message_us(),
                                      absl::StrFormat("requester sentiment %.2f", d->requester_last_compound()));
    v1::Evidence* ev = f->add_evidence();
    *ev = MakeEvidence(e.event.event_id(), e.t, "reply");
    ev->set_text(text);
  }

  // Distress: the requester stays strongly negative, or falls sharply.
  static void RequesterMessage(EventContext& e, internal::TicketState* s) {
    internal::DetectorState* d = s->mutable_detect();
    const double compound = e.Tone().sentiment;
    d->set_requester_messages(d->requester_messages() + 1);
    if (d->requester_messages() == 1) d->set_requester_first_compound(compound);
    d->set_requester_min_compound(d->requester_messages() == 1 ? compound
                                                               : std::min(d->requester_min_compound(), compound));
    d->set_requester_negative_streak(compound <= e.th.upset_compound ? d->requester_negative_streak() + 1 : 0);
    bool sharp_fall = d->requester_messages() >= 2 && d->requester_first_compound() - compound >= e.th.distress_drop &&
                      compound <= e.th.upset_compound;
    if ((d->requester_negative_streak() < 2 && !sharp_fall) || HasFinding(*s, "distress")) return;
    v1::Finding* f = Raise(s, v1::FINDING_KIND_REQUESTER_DISTRESS, "distress", e.t, v1::SEVERITY_HIGH,
                           sharp_fall ? absl::StrFormat("the requester's sentiment fell from %.2f to %.2f",
                                                        d->requester_first_compound(), compound)
                                      : absl::StrFormat("the requester stayed strongly negative (%.2f, then %.2f)",
                                                        d->requester_last_compound(), compound));
    if (!d->last_requester_text_event().empty()) {
      *f->add_evidence() = MakeEvidence(d->last_requester_text_event(), d->last_requester_message_us(),
                                        absl::StrFormat("sentiment %.2f", d->requester_last_compound()));
    }
    v1::Evidence* ev = f->add_evidence();
    *ev = MakeEvidence(e.event.event_id(), e.t, absl::StrFormat("sentiment %.2f", compound));
    ev->set_text(e.event.comment().text());
  }
};

}  // namespace

std::unique_ptr<Detector> NewToneDetector() { return std::make_unique<ToneDetector>(); }

}  // namespace rapport::detect
