#include "detect/raise.h"

#include <utility>

#include "event/event.h"

namespace rapport::detect {

v1::Evidence MakeEvidence(const std::string& event_id, int64_t at, std::string note) {
  v1::Evidence e;
  e.set_event_id(event_id);
  *e.mutable_at() = FromMicros(at);
  e.set_note(std::move(note));
  return e;
}

v1::Finding* Raise(internal::TicketState* s, v1::FindingKind kind, const std::string& id, int64_t at,
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

}  // namespace rapport::detect
