#include "query/ticket_query.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "event/event.h"
#include "store/keys.h"
#include "detect/detectors.h"
#include "query/page.h"
#include "ticket/revisions.h"
#include "ticket/ticket.h"
#include "tone/tone.h"

namespace rapport {

namespace {

void FillClocks(const ticket::Clocks& clocks, v1::TicketClocks* out) {
  *out->mutable_requester_wait() = DurationFromMicros(clocks.requester_wait_us);
  *out->mutable_agent_wait() = DurationFromMicros(clocks.agent_wait_us);
  *out->mutable_paused() = DurationFromMicros(clocks.paused_us);
  *out->mutable_as_of() = FromMicros(clocks.as_of_us);
}

void FillTone(const std::string& text, v1::MessageTone* out) {
  tone::ToneResult r = tone::ToneAnalyzer::Default().Analyze(text);
  out->set_compound(r.valence.compound);
  out->set_sentiment(r.sentiment);
  out->set_politeness(r.politeness);
  out->set_rudeness(r.rudeness);
  out->set_rude(r.rude);
  out->set_low_confidence(r.low_confidence);
  for (const tone::Cue& cue : r.cues) {
    v1::ToneCue* c = out->add_cues();
    c->set_kind(cue.kind);
    c->set_begin(static_cast<uint32_t>(cue.begin));
    c->set_end(static_cast<uint32_t>(cue.end));
    c->set_text(text.substr(cue.begin, cue.end - cue.begin));
  }
}

}  // namespace

absl::StatusOr<v1::GetTicketResponse> ReadTicket(const Store& store, const std::string& tenant,
                                                 const std::string& ticket_id,
                                                 const detect::TenantThresholds* thresholds) {
  auto tenant_state = ReadTenant(store, tenant);
  if (!tenant_state.ok()) return tenant_state.status();
  if (absl::Status s = CheckId("ticket_id", ticket_id); !s.ok()) return s;
  v1::GetTicketResponse response;
  internal::TicketState state;
  bool corrupt = false;
  const std::string prefix = keys::TicketEventsPrefix(tenant, ticket_id);
  absl::Status scan = store.Scan(
      Family::kEvents, prefix, [&](absl::string_view key, absl::string_view value) {
        if (key.size() != prefix.size() + 16) return true;  // another ticket's: ids match exactly
        v1::TimelineEntry* entry = response.add_timeline();
        if (!entry->mutable_event()->ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          corrupt = true;
          return false;
        }
        uint64_t arrival = keys::GetBigEndian64(key.substr(key.size() - 8));
        ticket::Transition t = ticket::Apply(entry->event(), arrival, &state);
        entry->set_transition(t.transition);
        entry->set_reopen(t.reopen);
        entry->set_reassignment(t.reassignment);
        return true;
      });
  if (!scan.ok()) return scan;
  if (corrupt) return absl::DataLossError(absl::StrCat("an event of ticket ", ticket_id, " is unreadable"));
  // Tone reads each comment as its revisions leave it (ticket/revisions.h).
  ticket::Revisions revisions;
  for (const v1::TimelineEntry& entry : response.timeline()) revisions.Add(entry.event());
  for (v1::TimelineEntry& entry : *response.mutable_timeline()) {
    v1::TicketEvent scratch;
    const v1::TicketEvent& e = revisions.Effective(entry.event(), &scratch);
    entry.set_withdrawn(entry.event().kind() == v1::EVENT_KIND_COMMENT_ADDED && revisions.Withdrawn(entry.event().event_id()));
    entry.set_edited(entry.event().kind() == v1::EVENT_KIND_COMMENT_ADDED && revisions.Edited(entry.event().event_id()));
    if (e.kind() == v1::EVENT_KIND_COMMENT_ADDED && e.comment().public_()) FillTone(e.comment().text(), entry.mutable_tone());
  }
  if (response.timeline_size() == 0) {
    return absl::NotFoundError(absl::StrCat("tenant '", tenant, "' has no ticket '", ticket_id, "'"));
  }

  const int64_t watermark = tenant_state->watermark_us();

  response.set_tenant(tenant);
  response.set_ticket_id(ticket_id);
  response.set_status(state.status());
  response.set_priority(state.priority());
  *response.mutable_assignee() = state.assignee();
  *response.mutable_requester() = state.requester();
  response.set_service(state.service());
  response.set_category(state.category());
  response.set_reopen_count(state.reopen_count());
  response.set_reassignment_count(state.reassignment_count());
  int64_t created = state.created_at_us() != 0 ? state.created_at_us() : state.first_event_us();
  *response.mutable_created_at() = FromMicros(created);
  if (state.resolved_at_us() != 0) *response.mutable_resolved_at() = FromMicros(state.resolved_at_us());
  if (state.closed_at_us() != 0) *response.mutable_closed_at() = FromMicros(state.closed_at_us());
  *response.mutable_last_event_at() = FromMicros(state.last_event_us());

  ticket::Clocks clocks = ticket::ReadClocks(state, watermark);
  v1::TicketClocks* out = response.mutable_clocks();
  for (size_t status = 1; status < clocks.time_in_status.size(); ++status) {
    if (clocks.time_in_status[status] == 0) continue;
    v1::StatusTime* st = out->add_time_in_status();
    st->set_status(static_cast<v1::TicketStatus>(status));
    *st->mutable_duration() = DurationFromMicros(clocks.time_in_status[status]);
  }
  FillClocks(clocks, out);

  // Findings and the SLA ledger come from the stored state, which the
  // detectors keep; the refold above only rebuilds the base fields.
  std::string bytes;
  internal::TicketState stored;
  if (store.Get(Family::kTickets, keys::Ticket(tenant, ticket_id), &bytes).ok() && stored.ParseFromString(bytes)) {
    *response.mutable_findings() = stored.findings();
    // In the order they happened, as the timeline is.
    std::stable_sort(response.mutable_findings()->begin(), response.mutable_findings()->end(),
                     [](const v1::Finding& a, const v1::Finding& b) { return ToMicros(a.at()) < ToMicros(b.at()); });
    detect::SlaLedger ledger = detect::ReadLedger(
        stored, watermark, thresholds != nullptr ? thresholds->For(tenant) : detect::Thresholds());
    v1::SlaLedger* sla = response.mutable_sla();
    *sla->mutable_first_response_target() = DurationFromMicros(ledger.first_response_target_us);
    if (ledger.first_response_us >= 0) *sla->mutable_first_response() = DurationFromMicros(ledger.first_response_us);
    sla->set_first_response_met(ledger.first_response_met);
    *sla->mutable_resolution_target() = DurationFromMicros(ledger.resolution_target_us);
    *sla->mutable_resolution_clock() = DurationFromMicros(ledger.resolution_clock_us);
    sla->set_resolution_met(ledger.resolution_met);
    *sla->mutable_legitimate_pause() = DurationFromMicros(ledger.legit_pause_us);
    *sla->mutable_suspect_pause() = DurationFromMicros(ledger.suspect_pause_us);
    sla->set_met_only_by_suspect_pause(ledger.met_only_by_suspect_pause);
  }
  return response;
}

absl::StatusOr<v1::ListTicketsResponse> ListTickets(const Store& store,
                                                    const v1::ListTicketsRequest& request) {
  auto tenant = ReadTenant(store, request.tenant());
  if (!tenant.ok()) return tenant.status();
  if (absl::Status s = CheckEnum<v1::TicketOrder>("order", request.order()); !s.ok()) return s;
  auto page = Page::Of(request, 20);
  if (!page.ok()) return page.status();

  struct Row {
    internal::TicketState state;
    ticket::Clocks clocks;
  };
  std::vector<Row> rows;
  bool corrupt = false;
  absl::Status scan = store.Scan(Family::kTickets, keys::TenantPrefix(request.tenant()),
                                 [&](absl::string_view, absl::string_view value) {
                                   Row row;
                                   if (!row.state.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
                                     corrupt = true;
                                     return false;
                                   }
                                   if (request.open_only() && IsTerminal(row.state.status())) return true;
                                   row.clocks = ticket::ReadClocks(row.state, tenant->watermark_us());
                                   rows.push_back(std::move(row));
                                   return true;
                                 });
  if (!scan.ok()) return scan;
  if (corrupt) return absl::DataLossError("a ticket record is unreadable");

  auto key = [&](const Row& r) -> int64_t {
    switch (request.order()) {
      case v1::TICKET_ORDER_MOST_REOPENED: return r.state.reopen_count();
      case v1::TICKET_ORDER_MOST_REASSIGNED: return r.state.reassignment_count();
      case v1::TICKET_ORDER_LONGEST_REQUESTER_WAIT: return r.clocks.requester_wait_us;
      case v1::TICKET_ORDER_LONGEST_AGENT_WAIT: return r.clocks.agent_wait_us;
      default: return r.state.last_event_us();
    }
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
    int64_t ka = key(a), kb = key(b);
    if (ka != kb) return ka > kb;
    return a.state.ticket_id() < b.state.ticket_id();
  });

  v1::ListTicketsResponse response;
  response.set_total(rows.size());
  for (size_t i = page->begin(rows.size()); i < page->end(rows.size()); ++i) {
    const internal::TicketState& s = rows[i].state;
    v1::TicketSummary* t = response.add_tickets();
    t->set_ticket_id(s.ticket_id());
    t->set_status(s.status());
    t->set_priority(s.priority());
    *t->mutable_assignee() = s.assignee();
    *t->mutable_requester() = s.requester();
    t->set_service(s.service());
    t->set_reopen_count(s.reopen_count());
    t->set_reassignment_count(s.reassignment_count());
    *t->mutable_created_at() = FromMicros(s.created_at_us() != 0 ? s.created_at_us() : s.first_event_us());
    *t->mutable_last_event_at() = FromMicros(s.last_event_us());
    FillClocks(rows[i].clocks, t->mutable_clocks());
  }
  response.set_next_page_token(page->NextToken(rows.size()));
  return response;
}

}  // namespace rapport
