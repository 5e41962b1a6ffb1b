#include "detect/cross_ticket.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <map>
#include <optional>
#include <tuple>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "detect/findings.h"
#include "detect/raise.h"
#include "event/event.h"
#include "store/keys.h"

namespace rapport::detect {
namespace {

using keys::CrossTicketPrefix;

std::string RequesterService(const internal::TicketState& s) {
  return keys::RequesterService(s.requester().id(), s.service());
}

}  // namespace

std::string NotesKey(const std::string& notes) {
  std::string normal;
  bool space = false;
  for (char c : notes) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isspace(u)) {
      space = !normal.empty();
      continue;
    }
    if (std::isdigit(u)) continue;  // ticket numbers and dates do not make a text unique
    if (space) normal.push_back(' ');
    space = false;
    normal.push_back(static_cast<char>(std::tolower(u)));
  }
  while (!normal.empty() && std::ispunct(static_cast<unsigned char>(normal.back()))) normal.pop_back();
  uint64_t hash = 1469598103934665603ULL;  // FNV-1a: stable across processes and builds
  for (char c : normal) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return absl::StrFormat("%016x", hash);
}

std::vector<CrossTicket::Entry> CrossTicket::Stored(const std::string& prefix, int64_t from, int64_t to,
                                                    size_t limit) const {
  std::vector<Entry> entries;
  if (limit == 0 || (from > to && from < 0)) return entries;
  if (auto cached = tails_.Find(prefix, from, to, limit)) return std::move(*cached);
  auto visit = [&](absl::string_view key, absl::string_view) {
    const keys::Timed entry = keys::ParseTimedEntry(key, prefix);
    if (from <= to ? entry.at_us > to : entry.at_us < to) return false;
    entries.push_back({std::string(entry.ticket), entry.at_us});
    return entries.size() < limit;
  };
  if (!tails_.Has(prefix)) {
    // First use of the key: read its newest entries once; later reads
    // around live resolutions are answered from them. Most keys are short,
    // and a forward scan (cheaper than a backward one) reads them whole.
    std::vector<Entry> newest;
    auto collect = [&](absl::string_view key, absl::string_view) {
      const keys::Timed entry = keys::ParseTimedEntry(key, prefix);
      newest.push_back({std::string(entry.ticket), entry.at_us});
      return newest.size() <= IndexTails::kTailEntries;
    };
    absl::Status read = cursor_->ScanFrom(prefix, prefix, collect);
    const bool whole = newest.size() <= IndexTails::kTailEntries;
    if (whole) {
      std::reverse(newest.begin(), newest.end());
    } else if (read.ok()) {
      newest.clear();
      read = cursor_->ScanBackFrom(prefix, keys::TimedEnd(prefix, std::numeric_limits<int64_t>::max()), collect);
    }
    // A tail outlives the batch: one from a failed read would mislead later ones.
    if (!read.ok() && read_error_.ok()) read_error_ = read;
    if (read.ok()) {
      tails_.Fill(prefix, newest, whole);
      if (auto cached = tails_.Find(prefix, from, to, limit)) return std::move(*cached);
    }
  }
  absl::Status read = from <= to ? cursor_->ScanFrom(prefix, keys::TimedStart(prefix, std::max<int64_t>(0, from)), visit)
                                  : cursor_->ScanBackFrom(prefix, keys::TimedEnd(prefix, from), visit);
  if (!read.ok() && read_error_.ok()) read_error_ = read;
  return entries;
}

std::vector<CrossTicket::Entry> CrossTicket::Batched(const std::string& tenant, const std::string& prefix,
                                                     int64_t from, int64_t to) const {
  std::vector<Entry> entries;
  auto by_tenant = batched_.find(tenant);
  if (by_tenant == batched_.end()) return entries;
  auto it = by_tenant->second.find(prefix);
  if (it == by_tenant->second.end()) return entries;
  for (const Entry& e : it->second) {
    if (e.at >= from && e.at <= to) entries.push_back(e);
  }
  return entries;
}

// The most entries within one span of `window` that contains `t`.
size_t DensestRunContaining(std::vector<int64_t> times, int64_t t, int64_t window) {
  std::sort(times.begin(), times.end());
  size_t best = 0;
  for (size_t i = 0, j = 0; j < times.size(); ++j) {
    while (times[j] - times[i] > window) ++i;
    // Widen to the latest start whose span still reaches t.
    if (times[j] >= t && times[i] <= t) best = std::max(best, j - i + 1);
  }
  return best;
}

size_t CrossTicket::RunOf(const std::vector<Entry>& stored, bool complete, const std::string& tenant,
                          const std::string& prefix, int64_t t, int64_t window, size_t cap) const {
  if (!complete) return cap;
  absl::flat_hash_set<std::pair<std::string, int64_t>> seen;
  std::vector<int64_t> times;
  for (const Entry& e : stored) {
    seen.insert({e.ticket, e.at});
    times.push_back(e.at);
  }
  for (const Entry& e : Batched(tenant, prefix, t - window, t + window)) {
    if (seen.insert({e.ticket, e.at}).second) times.push_back(e.at);
  }
  return std::min(DensestRunContaining(std::move(times), t, window), cap);
}

size_t CrossTicket::RunAround(const std::string& tenant, const std::string& prefix, int64_t t, int64_t window,
                              size_t cap) const {
  if (auto known = runs_.find({prefix, t}); known != runs_.end()) return known->second;
  // Newest first from t + window: where a live key's entries are.
  const size_t limit = 2 * cap + 2;
  std::vector<Entry> stored = Stored(prefix, t + window, t - window, limit);
  return RunOf(stored, stored.size() < limit, tenant, prefix, t, window, cap);
}

void CrossTicket::AddUnsettled(const std::string& tenant, const std::string& prefix, int64_t t,
                               int64_t window, size_t cap, absl::flat_hash_set<std::string>* recheck) {
  // A stored resolution u within `window` of t can only change if its run
  // was below the cap before this batch. Its run is at least the entries in
  // [u - window, u] and at least those in [u, u + window]; one scan, newest
  // first from t + window down towards t - 2·window, bounds both for every u
  // it reads. Up to 2·cap+2 entries: that many within t's window put cap of
  // them on one side of t, so t's run is at the cap without reading on.
  const size_t limit = 2 * cap + 2;
  const std::vector<Entry> read = Stored(prefix, t + window, t - 2 * window, limit);
  const bool exhausted = read.size() < limit;
  std::vector<Entry> near;
  for (const Entry& e : read) {
    if (e.at >= t - window) near.push_back(e);
  }
  runs_[{prefix, t}] = RunOf(near, exhausted || read.back().at < t - window, tenant, prefix, t, window, cap);

  const size_t n = read.size();
  size_t newer = 0;  // read[newer..i] are within window after read[i]
  size_t older = 0;  // read[i..older) are within window before read[i]
  for (size_t i = 0; i < n; ++i) {
    const Entry& u = read[i];
    while (read[newer].at > u.at + window) ++newer;
    older = std::max(older, i + 1);
    while (older < n && read[older].at >= u.at - window) ++older;
    if (u.at > t + window || u.at < t - window) continue;
    const size_t after = i - newer + 1, before = older - i;
    if (after < cap && before < cap) recheck->insert(u.ticket);
  }
  if (exhausted || read.back().at < t - window) return;
  // Entries of the window older than the last one read: each has every read
  // entry up to t within `window` after it. Enough of them settle it.
  size_t up_to_t = 0;
  for (const Entry& e : read) up_to_t += e.at <= t;
  if (up_to_t + 1 < cap) AddUnsettledAfterWindowStart(prefix, t, window, cap, recheck);
}

void CrossTicket::AddUnsettledAfterWindowStart(const std::string& prefix, int64_t t, int64_t window, size_t cap,
                                               absl::flat_hash_set<std::string>* recheck) const {
  // An entry u <= t preceded by cap-1 entries since t - window has cap of
  // them within [u - window, u]: only the first cap-1 can have fewer, and
  // the cap-1 entries before t - window say whether they do.
  const int64_t need = static_cast<int64_t>(cap);
  std::vector<Entry> left = Stored(prefix, t - window, t, cap - 1);
  if (left.empty()) return;
  std::vector<Entry> beyond = Stored(prefix, t - window - 1, t - 2 * window, cap - 1);
  for (size_t i = 0; i < left.size(); ++i) {
    int64_t count = static_cast<int64_t>(i) + 1;
    for (const Entry& p : beyond) count += p.at >= left[i].at - window;
    if (count < need) recheck->insert(left[i].ticket);
  }
}

std::string RunSize(size_t run, size_t cap) {
  return run >= cap ? absl::StrCat("at least ", cap) : absl::StrCat(run);
}

void CrossTicket::CheckResolution(internal::TicketState* s, const Thresholds& th) const {
  const internal::DetectorState& d = s->detect();
  if (d.last_resolved_us() == 0) return;
  const int64_t t = d.last_resolved_us();
  const std::string& tenant = s->tenant();
  const std::string& actor = d.last_resolved_by();
  if (!actor.empty()) {
    const size_t cap = 2 * th.mass_closure_count;
    size_t run = RunAround(tenant, CrossTicketPrefix(keys::kMassClosureIndex, tenant, actor), t, th.mass_closure_window, cap);
    if (run >= th.mass_closure_count) {
      v1::Finding* f = Raise(s, v1::FINDING_KIND_MASS_CLOSURE, "mass_closure", t,
                             run >= 2 * th.mass_closure_count ? v1::SEVERITY_CRITICAL : v1::SEVERITY_HIGH,
                             absl::StrCat("one of ", RunSize(run, cap), " tickets ", actor, " resolved within ",
                                          FormatDuration(th.mass_closure_window)),
                             actor);
      *f->add_evidence() = MakeEvidence(d.last_resolved_event(), t, "resolved");
    }
  }
  if (d.resolution_has_notes()) {
    const size_t cap = 2 * th.boilerplate_count;
    size_t run = RunAround(tenant, CrossTicketPrefix(keys::kBoilerplateIndex, tenant, d.resolution_notes_key()), t,
                           th.boilerplate_window, cap);
    if (run >= th.boilerplate_count) {
      std::string text = d.resolution_notes().empty() ? "empty resolution notes"
                                                      : absl::StrCat("\"", d.resolution_notes(), "\"");
      v1::Finding* f = Raise(s, v1::FINDING_KIND_BOILERPLATE_RESOLUTION, "boilerplate", t, v1::SEVERITY_LOW,
                             absl::StrCat(text, " on ", RunSize(run, cap), " tickets within ",
                                          FormatDuration(th.boilerplate_window)),
                             actor);
      v1::Evidence* e = f->add_evidence();
      *e = MakeEvidence(d.last_resolved_event(), t, "resolution notes");
      e->set_text(d.resolution_notes());
    }
  }
}

void CrossTicket::CheckCreation(internal::TicketState* s, const Thresholds& th) const {
  if (s->requester().id().empty() || s->created_at_us() == 0) return;
  const int64_t t = s->created_at_us();
  const std::string match = RequesterService(*s);
  // The latest resolution of another ticket before this one was opened
  // (ties by ticket id, so every arrival order names the same one).
  std::optional<Entry> previous;
  auto consider = [&](const Entry& e) {
    if (e.ticket == s->ticket_id()) return;
    if (!previous || std::tie(e.at, e.ticket) > std::tie(previous->at, previous->ticket)) previous = e;
  };
  // A ticket's own resolutions are few, so a handful of entries finds another's.
  const std::string resolved = CrossTicketPrefix(keys::kResolvedIndex, s->tenant(), match);
  for (const Entry& e : Stored(resolved, t - 1, t - th.reopen_as_new_window, 4)) {
    consider(e);
  }
  for (const Entry& e : Batched(s->tenant(), resolved, t - th.reopen_as_new_window, t - 1)) consider(e);
  if (!previous) return;
  v1::Finding* f = Raise(s, v1::FINDING_KIND_REOPEN_AS_NEW, "reopen_as_new", t, v1::SEVERITY_MEDIUM,
                         absl::StrCat("opened ", FormatDuration(t - previous->at), " after ", previous->ticket,
                                      " (same requester, same service) was resolved"));
  *f->add_evidence() = MakeEvidence(s->detect().created_event(), t,
                                    absl::StrCat("previous ticket ", previous->ticket, " resolved ",
                                                 FormatMicros(previous->at)));
}

void CrossTicket::Index(StageContext& context, const std::string& tenant, const std::string& prefix, int64_t at,
                        const std::string& ticket) {
  context.writes().Put(Family::kIndex, keys::TimedEntry(prefix, at, ticket), "");
  std::vector<Entry>& entries = batched_[tenant][prefix];
  for (const Entry& e : entries) {
    if (e.at == at && e.ticket == ticket) return;  // a refold repeats its ticket's entries
  }
  entries.push_back({ticket, at});
}

void CrossTicket::OnResolved(const v1::TicketEvent& event, internal::TicketState* s, StageContext& context) {
  const int64_t t = ToMicros(event.occurred_at());
  const std::string& tenant = s->tenant();
  const std::string& actor = event.actor().id();
  internal::DetectorState* d = s->mutable_detect();
  // Empty notes are judged only where the source carries text at all.
  d->set_resolution_has_notes(event.has_resolution() &&
                              (!event.resolution().notes().empty() || d->conversation()));
  d->set_resolution_notes_key(event.has_resolution() ? NotesKey(event.resolution().notes()) : "");
  d->set_resolution_notes(event.resolution().notes().substr(0, 200));
  if (!actor.empty()) Index(context, tenant, CrossTicketPrefix(keys::kMassClosureIndex, tenant, actor), t, s->ticket_id());
  if (d->resolution_has_notes()) {
    Index(context, tenant, CrossTicketPrefix(keys::kBoilerplateIndex, tenant, d->resolution_notes_key()), t, s->ticket_id());
  }
  if (!s->requester().id().empty()) Index(context, tenant, CrossTicketPrefix(keys::kResolvedIndex, tenant, RequesterService(*s)), t, s->ticket_id());
  if (!actor.empty()) {
    context.writes().Put(Family::kIndex, keys::TimedEntry(keys::EdgeResolutionsPrefix(tenant), t, s->ticket_id()),
                         keys::EdgeResolutionValue(actor, s->assignee().team(), d->last_resolve_at_edge()));
  }
  batch_[tenant].push_back({s->ticket_id(), actor, d->resolution_has_notes() ? d->resolution_notes_key() : "",
                            s->requester().id(), s->service(), t, true, s->assignee().team(),
                            d->last_resolve_at_edge()});
}

void CrossTicket::OnCreated(const v1::TicketEvent& event, internal::TicketState* s, StageContext& context) {
  s->mutable_detect()->set_created_event(event.event_id());
  if (s->requester().id().empty()) return;
  const int64_t t = ToMicros(event.occurred_at());
  const std::string match = RequesterService(*s);
  Index(context, s->tenant(), CrossTicketPrefix(keys::kCreatedIndex, s->tenant(), match), t, s->ticket_id());
  batch_[s->tenant()].push_back({s->ticket_id(), "", "", s->requester().id(), s->service(), t, false, "", false});
}

absl::Status CrossTicket::Flush(const std::string& tenant, int64_t stored_until, const Thresholds& th,
                                StageContext& context) {
  auto it = batch_.find(tenant);
  if (it == batch_.end()) return absl::OkStatus();
  if (tails_store_ != context.store().instance()) {
    tails_.Clear();
    tails_store_ = context.store().instance();
  }
  // Many short scans of the index: one iterator repositioned for all of them.
  Store::Cursor cursor(context.store(), Family::kIndex);
  cursor_ = &cursor;
  struct Release {
    CrossTicket* self;
    ~Release() {
      self->cursor_ = nullptr;
      self->runs_.clear();
      self->read_error_ = absl::OkStatus();
    }
  } release{this};
  // Tickets whose finding this batch may have completed: this batch's own,
  // stored resolutions near a new one that were not already at the cap, and
  // tickets opened after a new resolution and before the next one.
  absl::flat_hash_set<std::string> recheck;
  for (const Seen& s : it->second) {
    recheck.insert(s.ticket);
    if (!s.resolution) continue;
    if (!s.actor.empty()) {
      AddUnsettled(tenant, CrossTicketPrefix(keys::kMassClosureIndex, tenant, s.actor), s.at, th.mass_closure_window,
                   2 * th.mass_closure_count, &recheck);
    }
    if (!s.notes_key.empty()) {
      AddUnsettled(tenant, CrossTicketPrefix(keys::kBoilerplateIndex, tenant, s.notes_key), s.at, th.boilerplate_window,
                   2 * th.boilerplate_count, &recheck);
    }
    if (s.at > stored_until) continue;  // no stored creation after it
    const std::string match = keys::RequesterService(s.requester, s.service);
    const std::string resolved = CrossTicketPrefix(keys::kResolvedIndex, tenant, match);
    int64_t until = s.at + th.reopen_as_new_window;
    for (const Entry& e : Stored(resolved, s.at + 1, until, 1)) until = std::min(until, e.at);
    for (const Entry& e : Batched(tenant, resolved, s.at + 1, until)) until = std::min(until, e.at);
    for (const Entry& e : Stored(CrossTicketPrefix(keys::kCreatedIndex, tenant, match), s.at + 1, until, SIZE_MAX)) {
      recheck.insert(e.ticket);
    }
  }
  std::vector<std::string> ordered(recheck.begin(), recheck.end());
  std::sort(ordered.begin(), ordered.end());
  for (const std::string& ticket : ordered) {
    auto state = context.MutableTicket(tenant, ticket);
    if (absl::IsNotFound(state.status())) continue;  // no such ticket: nothing to check
    if (!state.ok()) return state.status();
    CheckResolution(*state, th);
    CheckCreation(*state, th);
  }
  if (!read_error_.ok()) return read_error_;
  batch_.erase(tenant);
  return absl::OkStatus();
}

void CrossTicket::AfterBatch(bool committed) {
  if (committed) {
    for (const auto& [tenant, by_prefix] : batched_) {
      for (const auto& [prefix, entries] : by_prefix) {
        for (const Entry& e : entries) tails_.Add(prefix, e.at, e.ticket);
      }
    }
  } else {
    tails_.Clear();  // a failed commit may leave nothing certain about the store
  }
  batch_.clear();
  batched_.clear();
  runs_.clear();
}

bool CrossTicket::IsPeriodic(const v1::Finding& finding) {
  return finding.id().rfind("edge_rate:", 0) == 0;
}

absl::Status CrossTicket::ReviewAgentEdgeRates(const std::string& tenant, int64_t before_us, int64_t after_us,
                                               const Thresholds& th, StageContext& context) {
  if (after_us <= before_us) return absl::OkStatus();
  int64_t first = before_us / kDay * kDay + kDay;
  if (before_us == 0) {
    // A new tenant: its history is all in this batch; review from its first resolution.
    auto it = batch_.find(tenant);
    if (it == batch_.end()) return absl::OkStatus();
    int64_t earliest = after_us;
    for (const Seen& s : it->second) {
      if (s.resolution) earliest = std::min(earliest, s.at);
    }
    first = earliest / kDay * kDay + kDay;
  }
  for (int64_t day = first; day <= after_us; day += kDay) {
    if (absl::Status s = ReviewDay(tenant, day, th, context); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status CrossTicket::ReviewDay(const std::string& tenant, int64_t day, const Thresholds& th,
                                    StageContext& context) {
  struct Agent {
    uint32_t resolutions = 0, edges = 0;
    std::string last_edge_ticket;
    int64_t last_edge_at = 0;
  };
  std::map<std::string, std::map<std::string, Agent>> teams;  // team -> agent -> counts
  const std::string prefix = keys::EdgeResolutionsPrefix(tenant);
  const std::string start = keys::TimedStart(prefix, std::max<int64_t>(0, day - th.agent_rate_window));
  // (time, ticket) -> agent, team, at the edge: the store's entries, then
  // this batch's (a refold repeats a ticket's entries; the key merges them).
  std::map<std::pair<int64_t, std::string>, std::tuple<std::string, std::string, bool>> resolutions;
  absl::Status scan = context.store().ScanFrom(Family::kIndex, prefix, start, [&](absl::string_view key,
                                                                                  absl::string_view value) {
    const keys::Timed entry = keys::ParseTimedEntry(key, prefix);
    if (entry.at_us >= day) return false;
    keys::EdgeResolution r;
    if (!keys::ParseEdgeResolutionValue(value, &r)) return true;
    resolutions[{entry.at_us, std::string(entry.ticket)}] = {std::string(r.agent), std::string(r.team), r.at_edge};
    return true;
  });
  if (!scan.ok()) return scan;
  if (auto it = batch_.find(tenant); it != batch_.end()) {
    for (const Seen& s : it->second) {
      if (!s.resolution || s.actor.empty() || s.at >= day || s.at < day - th.agent_rate_window) continue;
      resolutions[{s.at, s.ticket}] = {s.actor, s.team, s.at_edge};
    }
  }
  for (const auto& [when, who] : resolutions) {
    const auto& [agent, team, edge] = who;
    Agent& a = teams[team][agent];
    ++a.resolutions;
    if (edge) {
      ++a.edges;
      a.last_edge_ticket = when.second;
      a.last_edge_at = when.first;
    }
  }
  for (const auto& [team, agents] : teams) {
    std::vector<double> rates;
    for (const auto& [name, a] : agents) {
      if (a.resolutions >= th.agent_rate_min_tickets) rates.push_back(double(a.edges) / a.resolutions);
    }
    if (rates.size() < 2) continue;  // no team to compare with
    std::sort(rates.begin(), rates.end());
    double median = rates.size() % 2 ? rates[rates.size() / 2]
                                     : (rates[rates.size() / 2 - 1] + rates[rates.size() / 2]) / 2;
    for (const auto& [name, a] : agents) {
      if (a.resolutions < th.agent_rate_min_tickets || a.edges < 2) continue;
      double rate = double(a.edges) / a.resolutions;
      if (rate <= 2 * median) continue;
      auto state = context.MutableTicket(tenant, a.last_edge_ticket);
      if (absl::IsNotFound(state.status())) continue;
      if (!state.ok()) return state.status();
      v1::Finding* f = Raise(*state, v1::FINDING_KIND_SLA_EDGE_CLOSURE, absl::StrCat("edge_rate:", name),
                             a.last_edge_at, v1::SEVERITY_HIGH,
                             absl::StrFormat("%s closed %d of %d tickets in the last minutes before the target over 30 "
                                             "days (%.0f%%), more than twice the %s median (%.0f%%)",
                                             name, a.edges, a.resolutions, 100 * rate, team, 100 * median),
                             name);
      f->set_team(team);
      *f->add_evidence() = MakeEvidence("", a.last_edge_at, absl::StrCat("latest last-minute closure: ", a.last_edge_ticket));
    }
  }
  return absl::OkStatus();
}

}  // namespace rapport::detect
