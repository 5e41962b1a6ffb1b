#include "query/ticket_query.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "absl/strings/str_cat.h"
#include "event/event.h"
#include "ingest/aliases.h"
#include "store/keys.h"
#include "store/records.h"
#include "detect/detectors.h"
#include "query/page.h"
#include "ticket/identity.h"
#include "ticket/revisions.h"
#include "ticket/ticket.h"
#include "tone/tone.h"

namespace rapport {

namespace {

// Timeline entries per page when the request sets none, and the bytes a
// page's entries may reach: 200 comments of 1 KB with their tone are about
// 250 KB, and the cap keeps a page of the largest events ingest accepts
// (64 KiB texts) near 512 KiB, well under a client's 4 MB default.
constexpr uint32_t kTimelinePageSize = 200;
constexpr size_t kTimelinePageBytes = 512 * 1024;

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

// A timeline entry's event as the analysis read it: the source's ids stay,
// the role is the ticket's, and "rapport.person" names the person when the
// actor's id is an alias.
void ShowResolvedActor(const v1::TicketEvent& resolved, v1::TicketEvent* entry) {
  if (resolved.actor().role() != entry->actor().role()) {
    entry->mutable_actor()->set_role(resolved.actor().role());
    if (!resolved.attributes().contains("rapport.role_reason")) entry->mutable_attributes()->erase("rapport.role_reason");
  }
  if (resolved.actor().id() != entry->actor().id()) {
    (*entry->mutable_attributes())["rapport.person"] = resolved.actor().id();
  }
}

// The whole timeline is folded (the header is the fold of every event), but
// only the page's entries are kept and toned. The page ends early once its
// entries (before their tone) would pass kTimelinePageBytes, keeping at least one. Returns the
// number of entries in the whole timeline.
absl::StatusOr<size_t> ScanTimeline(const Store& store, const std::string& tenant, const std::string& ticket_id,
                                    Page* page, internal::TicketState* state, v1::GetTicketResponse* response) {
  const size_t first = page->begin(SIZE_MAX);
  size_t last = page->end(SIZE_MAX);
  size_t index = 0, bytes = 0;
  absl::Status unreadable;
  v1::TicketEvent outside;  // an event before or after the page
  ticket::Revisions revisions;  // of the whole timeline: a later edit changes an earlier page
  // The header is the fold of the resolved people (ticket/identity.h); an
  // entry keeps the ids the source said, with the role and person they read as.
  AliasDirectory directory(store);
  auto person_of = [&](const std::string& id) {
    auto person = directory.Resolve(tenant, id);
    if (!person.ok()) {
      unreadable.Update(person.status());
      return id;
    }
    return *std::move(person);
  };
  v1::TicketEvent resolved;
  const std::string prefix = keys::TicketEventsPrefix(tenant, ticket_id);
  absl::Status scan = store.Scan(
      Family::kEvents, prefix, [&](absl::string_view key, absl::string_view value) {
        if (!keys::IsEventOf(key, prefix)) return true;  // another ticket's: ids match exactly
        const bool in_page = index >= first && index < last;
        v1::TimelineEntry* entry = in_page ? response->add_timeline() : nullptr;
        v1::TicketEvent* event = in_page ? entry->mutable_event() : &outside;
        unreadable = records::ParseEvent(value, tenant, ticket_id, event);
        if (!unreadable.ok()) return false;
        revisions.Add(*event);
        uint64_t arrival = keys::EventArrival(key);
        const v1::TicketEvent& folded =
            ticket::ResolvePeople(*event, state->requester().id(), state->assignee().agent_id(), person_of, &resolved);
        if (!unreadable.ok()) return false;
        ticket::Transition t = ticket::Apply(folded, arrival, state);
        if (in_page && &folded != event) ShowResolvedActor(folded, event);
        if (in_page) {
          entry->set_transition(t.transition);
          entry->set_reopen(t.reopen);
          entry->set_reassignment(t.reassignment);
          const size_t size = entry->ByteSizeLong();
          if (bytes + size > kTimelinePageBytes && response->timeline_size() > 1) {
            response->mutable_timeline()->RemoveLast();
            last = index;
          } else {
            bytes += size;
          }
        }
        ++index;
        return true;
      });
  if (!scan.ok()) return scan;
  if (!unreadable.ok()) return unreadable;
  page->Shorten(last - first);
  // Tone reads each comment as its revisions leave it (ticket/revisions.h).
  for (v1::TimelineEntry& entry : *response->mutable_timeline()) {
    const bool comment = entry.event().kind() == v1::EVENT_KIND_COMMENT_ADDED;
    entry.set_withdrawn(comment && revisions.Withdrawn(entry.event().event_id()));
    entry.set_edited(comment && revisions.Edited(entry.event().event_id()));
    v1::TicketEvent scratch;
    const v1::TicketEvent& e = revisions.Effective(entry.event(), &scratch);
    if (e.kind() == v1::EVENT_KIND_COMMENT_ADDED && e.comment().public_()) FillTone(e.comment().text(), entry.mutable_tone());
  }
  return index;
}

// The ticket's counts, reconciled with the source's own counters, and which
// came from the source: the same fields on a ticket and on its summary.
template <typename Message>
void SetCounts(const internal::TicketState& state, Message* out) {
  const ticket::Counts counts = ticket::ReconciledCounts(state);
  out->set_reopen_count(counts.reopen);
  out->set_reassignment_count(counts.reassignment);
  out->set_team_reassignment_count(counts.team_reassignment);
  for (const std::string& name : counts.from_source) out->add_counts_from_source(name);
}

// The ticket's fields and clocks, from the fold of its whole timeline.
void FillHeader(const std::string& tenant, const std::string& ticket_id, const internal::TicketState& state,
                int64_t watermark, v1::GetTicketResponse* response) {
  response->set_tenant(tenant);
  response->set_ticket_id(ticket_id);
  response->set_status(state.status());
  response->set_priority(state.priority());
  *response->mutable_assignee() = state.assignee();
  *response->mutable_requester() = state.requester();
  response->set_service(state.service());
  response->set_category(state.category());
  SetCounts(state, response);
  int64_t created = state.created_at_us() != 0 ? state.created_at_us() : state.first_event_us();
  *response->mutable_created_at() = FromMicros(created);
  if (state.resolved_at_us() != 0) *response->mutable_resolved_at() = FromMicros(state.resolved_at_us());
  if (state.closed_at_us() != 0) *response->mutable_closed_at() = FromMicros(state.closed_at_us());
  *response->mutable_last_event_at() = FromMicros(state.last_event_us());

  ticket::Clocks clocks = ticket::ReadClocks(state, watermark);
  v1::TicketClocks* out = response->mutable_clocks();
  for (size_t status = 1; status < clocks.time_in_status.size(); ++status) {
    if (clocks.time_in_status[status] == 0) continue;
    v1::StatusTime* st = out->add_time_in_status();
    st->set_status(static_cast<v1::TicketStatus>(status));
    *st->mutable_duration() = DurationFromMicros(clocks.time_in_status[status]);
  }
  FillClocks(clocks, out);
}

}  // namespace

absl::StatusOr<v1::GetTicketResponse> ReadTicket(const Store& store, const v1::GetTicketRequest& request,
                                                 const detect::TenantThresholds* thresholds) {
  const std::string& tenant = request.tenant();
  const std::string& ticket_id = request.ticket_id();
  auto tenant_state = ReadTenant(store, tenant);
  if (!tenant_state.ok()) return tenant_state.status();
  if (absl::Status s = CheckId("ticket_id", ticket_id); !s.ok()) return s;
  auto page = Page::Of(request, kTimelinePageSize);
  if (!page.ok()) return page.status();
  v1::GetTicketResponse response;
  internal::TicketState state;
  auto total = ScanTimeline(store, tenant, ticket_id, &*page, &state, &response);
  if (!total.ok()) return total.status();
  if (*total == 0) {
    return absl::NotFoundError(absl::StrCat("tenant '", tenant, "' has no ticket '", ticket_id, "'"));
  }
  response.set_timeline_total(static_cast<uint32_t>(*total));
  response.set_next_page_token(page->NextToken(*total));

  const int64_t watermark = tenant_state->watermark_us();

  FillHeader(tenant, ticket_id, state, watermark, &response);

  // Findings and the SLA ledger come from the stored state, which the
  // detectors keep; the refold above only rebuilds the base fields.
  auto read = records::ReadTicketState(store, tenant, ticket_id);
  if (!read.ok()) return read.status();
  if (read->has_value()) {
    const internal::TicketState& stored = **read;
    if (request.page_token().empty()) {  // findings: the first page only (GetTicketResponse)
      *response.mutable_findings() = stored.findings();
      // In the order they happened, as the timeline is.
      std::stable_sort(response.mutable_findings()->begin(), response.mutable_findings()->end(),
                       [](const v1::Finding& a, const v1::Finding& b) { return ToMicros(a.at()) < ToMicros(b.at()); });
    }
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
    sla->set_calendar(ledger.calendar);
    *sla->mutable_first_response_left() = DurationFromMicros(ledger.first_response_left_us);
    *sla->mutable_resolution_left() = DurationFromMicros(ledger.resolution_left_us);
  }
  return response;
}

absl::StatusOr<v1::GetTicketResponse> ReadTicket(const Store& store, const std::string& tenant,
                                                 const std::string& ticket_id,
                                                 const detect::TenantThresholds* thresholds) {
  v1::GetTicketRequest request;
  request.set_tenant(tenant);
  request.set_ticket_id(ticket_id);
  return ReadTicket(store, request, thresholds);
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
  absl::Status unreadable;
  absl::Status scan = store.Scan(Family::kTickets, keys::TenantPrefix(request.tenant()),
                                 [&](absl::string_view key, absl::string_view value) {
                                   Row row;
                                   unreadable = records::ParseTicketStateAt(key, value, request.tenant(), &row.state);
                                   if (!unreadable.ok()) return false;
                                   if (request.open_only() && IsTerminal(row.state.status())) return true;
                                   row.clocks = ticket::ReadClocks(row.state, tenant->watermark_us());
                                   rows.push_back(std::move(row));
                                   return true;
                                 });
  if (!scan.ok()) return scan;
  if (!unreadable.ok()) return unreadable;

  auto key = [&](const Row& r) -> int64_t {
    switch (request.order()) {
      case v1::TICKET_ORDER_MOST_REOPENED: return ticket::ReconciledCounts(r.state).reopen;
      case v1::TICKET_ORDER_MOST_REASSIGNED: return ticket::ReconciledCounts(r.state).reassignment;
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
    SetCounts(s, t);
    *t->mutable_created_at() = FromMicros(s.created_at_us() != 0 ? s.created_at_us() : s.first_event_us());
    *t->mutable_last_event_at() = FromMicros(s.last_event_us());
    FillClocks(rows[i].clocks, t->mutable_clocks());
  }
  response.set_next_page_token(page->NextToken(rows.size()));
  return response;
}

}  // namespace rapport
