#include "score/score_query.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "event/event.h"
#include "query/page.h"
#include "query/read_request.h"
#include "score/aggregates.h"
#include "store/keys.h"
#include "store/records.h"

namespace rapport::score {
namespace {

constexpr int kFindingKinds = kSumSlots - kFirstFindingKind + 1;  // kind 0 (unspecified) included

// Decayed sums of one window.
struct Accum {
  double weight = 0, services_weight = 0, services = 0, communications_weight = 0, communications = 0;
  double share[kComponentCount] = {}, component_weight[kComponentCount] = {}, component[kComponentCount] = {};
  uint64_t tickets = 0, surveys = 0, top = 0, bottom = 0;
  uint64_t findings[kFindingKinds] = {};

  void Add(const SumVector& s, double decay) {
    auto d = [&](int slot) { return decay * static_cast<double>(s[slot]) / kMicro; };
    tickets += static_cast<uint64_t>(s[kTickets]);
    weight += d(kWeight);
    services_weight += d(kServicesWeight);
    services += d(kServicesSum);
    communications_weight += d(kCommunicationsWeight);
    communications += d(kCommunicationsSum);
    for (int c = 0; c < kComponentCount; ++c) {
      share[c] += d(kShareBase + c);
      component_weight[c] += d(kComponentWeightBase + c);
      component[c] += d(kComponentSumBase + c);
    }
    surveys += static_cast<uint64_t>(s[kSurveys]);
    top += static_cast<uint64_t>(s[kSurveyTop]);
    bottom += static_cast<uint64_t>(s[kSurveyBottom]);
    for (int k = 1; k < kFindingKinds; ++k) findings[k] += static_cast<uint64_t>(s[FindingSlot(k)]);
  }
  // Below a millionth of a ticket the sums are rounding residue.
  bool scored() const { return weight > 1e-6; }
  double Points(int c) const { return scored() ? share[c] / weight : 0; }
  // Summed largest |points| first, the order ExplainScore lists them in, so
  // both give bit-identical scores.
  double Score() const {
    std::array<double, kComponentCount> points;
    for (int c = 0; c < kComponentCount; ++c) points[c] = Points(c);
    return SumLargestFirst(points);
  }
};

// Whole UTC days [first_day, last_day]; decay counted back from end_us.
struct Range {
  int64_t first_day = std::numeric_limits<int64_t>::min() / 2;
  int64_t last_day = std::numeric_limits<int64_t>::max() / 2;
  int64_t end_us = 0;
  bool Contains(int64_t day) const { return day >= first_day && day <= last_day; }
};

struct Plan {
  Range current;
  bool has_trend = false;
  Range recent, before;  // trend: recent minus before
  v1::Window window;     // the window as resolved
};

// The first day with a ticket of the tenant: the earliest per-day sum of its
// TENANT scope. The watermark's day when it has none.
absl::StatusOr<int64_t> FirstDataDay(const Store& store, const std::string& tenant, int64_t watermark) {
  const std::string prefix = keys::AggregateScopePrefix(tenant, ScopeTag(v1::SCOPE_KIND_TENANT, ""));
  int64_t first = DayOf(watermark);
  absl::Status s = store.Scan(Family::kAggregates, prefix, [&](absl::string_view key, absl::string_view) {
    if (!keys::IsAggregateDayOf(key, prefix)) return true;
    first = std::min(first, keys::AggregateDay(key));
    return false;
  });
  if (!s.ok()) return s;
  return first;
}

// The window clamped to the tenant's data (query/read_request.h): with
// neither end cutting anything it is the all-time window, trend included.
absl::StatusOr<Plan> MakePlan(const Store& store, const internal::TenantState& tenant, const v1::Window& window,
                              const ScoreOptions& o) {
  auto asked = CheckWindow(window);
  if (!asked.ok()) return asked.status();
  Plan plan;
  const int64_t watermark = tenant.watermark_us();
  // A start anywhere in the first data day takes that whole day: it cuts nothing.
  int64_t first_us = std::numeric_limits<int64_t>::min();
  if (asked->start_us) {
    auto first_day = FirstDataDay(store, tenant.tenant(), watermark);
    if (!first_day.ok()) return first_day.status();
    first_us = DayStartMicros(*first_day + 1) - 1;
  }
  const TimeWindow w = asked->ClampedTo(first_us, watermark);
  if (!w.start_us && !w.end_us) {
    int64_t last = DayOf(watermark);
    int64_t n = std::max<int64_t>(1, o.trend_window_us / (86'400'000'000));
    plan.current.last_day = last;
    plan.current.end_us = watermark;
    plan.has_trend = true;
    plan.recent = {last - n + 1, last, watermark};
    plan.before = {last - 2 * n + 1, last - n, DayStartMicros(last - n + 1)};
    *plan.window.mutable_end() = FromMicros(watermark);
    return plan;
  }
  const int64_t end = w.end_us.value_or(watermark + 1);
  if (w.start_us && end <= *w.start_us) {  // the window lies after the data
    plan.current = {1, 0, end};
    plan.window = window;
    return plan;
  }
  plan.current = {w.start_us ? DayOf(*w.start_us) : plan.current.first_day, DayOf(end - 1), end};
  if (w.start_us) {
    int64_t n = plan.current.last_day - plan.current.first_day + 1;
    plan.has_trend = true;
    plan.recent = plan.current;
    plan.before = {plan.current.first_day - n, plan.current.first_day - 1, *w.start_us};
    *plan.window.mutable_start() = FromMicros(*w.start_us);
  }
  *plan.window.mutable_end() = FromMicros(end);
  return plan;
}

double Decay(const Range& r, int64_t day, const ScoreOptions& o) {
  if (o.half_life_us <= 0) return 1;
  double age = static_cast<double>(std::max<int64_t>(0, r.end_us - DayStartMicros(day)));
  return std::exp2(-age / static_cast<double>(o.half_life_us));  // 0.5^(age / half-life)
}

struct Sums {
  Accum current, recent, before;
};

void Fill(const Plan& plan, const Sums& sums, const ScoreOptions& o, v1::ScoreReport* r) {
  const Accum& a = sums.current;
  *r->mutable_window() = plan.window;
  r->set_scored(a.scored());
  r->set_tickets(a.tickets);
  r->set_weighted_tickets(a.weight);
  if (a.scored()) r->set_score(a.Score());
  bool has_services = a.services_weight > 1e-6, has_communications = a.communications_weight > 1e-6;
  if (has_services) r->set_services_score(a.services / a.services_weight);
  if (has_communications) r->set_communications_score(a.communications / a.communications_weight);
  r->set_relationship(Quadrant(has_services, r->services_score(), has_communications, r->communications_score()));
  for (int k = 1; k < kFindingKinds; ++k) {
    if (a.findings[k] == 0) continue;
    v1::FindingCount* f = r->add_findings();
    f->set_kind(static_cast<v1::FindingKind>(k));
    f->set_count(a.findings[k]);
  }
  if (a.surveys > 0) {
    r->set_has_surveys(true);
    r->set_surveys(a.surveys);
    r->set_survey_happiness(100.0 * (static_cast<double>(a.top) - static_cast<double>(a.bottom)) / a.surveys);
    r->set_expectation_gap(r->survey_happiness() - r->score());
  }
  if (plan.has_trend && sums.recent.scored() && sums.before.scored()) {
    r->set_has_trend(true);
    r->set_trend(sums.recent.Score() - sums.before.Score());
  }
  for (int c = 0; c < kComponentCount; ++c) {
    if (a.component_weight[c] <= 1e-6) continue;
    v1::ComponentScore* cs = r->add_components();
    cs->set_component(ComponentName(c));
    cs->set_applicable(true);
    cs->set_score(a.component[c] / a.component_weight[c]);
    cs->set_weight(o.weights[c]);
  }
}

// What GetScore and ExplainScore check before reading: the tenant, the
// scope and the window (even a TICKET scope's, which it does not read).
absl::StatusOr<internal::TenantState> CheckRequest(const Store& store, const v1::GetScoreRequest& request) {
  auto tenant = ReadTenant(store, request.tenant());
  if (!tenant.ok()) return tenant.status();
  if (absl::Status s = CheckScope(request.scope(), ScopeUse::kRequired); !s.ok()) return s;
  if (absl::Status s = CheckWindow(request.window()).status(); !s.ok()) return s;
  return tenant;
}

absl::StatusOr<internal::TicketState> LoadTicket(const Store& store, const std::string& tenant,
                                                 const std::string& ticket_id) {
  auto state = records::ReadTicketState(store, tenant, ticket_id);
  if (!state.ok()) return state.status();
  if (!state->has_value()) {
    return absl::NotFoundError(absl::StrCat("tenant '", tenant, "' has no ticket '", ticket_id, "'"));
  }
  return std::move(**state);
}

// A ticket's own report: its record, no decay, no trend.
absl::Status FillTicket(const internal::TicketState& s, const ScoreOptions& o, v1::ScoreReport* r) {
  const internal::TicketScoreRecord& rec = s.score().counted();
  Sums sums;
  if (rec.scored()) {
    SumVector v{};
    if (absl::Status read = records::AddTicketScore(s, &v); !read.ok()) return read;
    sums.current.Add(v, 1.0);
  }
  Plan plan;
  Fill(plan, sums, o, r);
  r->clear_window();
  if (rec.scored()) r->set_score(rec.score());
  r->clear_components();
  for (int c = 0; c < kComponentCount && c < rec.components_size(); ++c) {
    v1::ComponentScore* cs = r->add_components();
    cs->set_component(ComponentName(c));
    cs->set_applicable(!std::isnan(rec.components(c)));
    if (cs->applicable()) cs->set_score(rec.components(c));
    cs->set_weight(o.weights[c]);
  }
  return absl::OkStatus();
}

// 0.5^(age / half-life) of a roll-up, whose contributions are already
// decayed to the first instant of the next period, and its fixed-point scale.
double RollupDecay(const Range& r, Period period, int64_t number, const ScoreOptions& o) {
  double factor = 1;
  if (o.half_life_us > 0) {
    const double age = static_cast<double>(r.end_us - DayStartMicros(PeriodFirstDay(period, number + 1)));
    factor = std::exp2(-age / static_cast<double>(o.half_life_us));
  }
  return factor / kRollupScale;
}

// The whole periods inside days [first, last]: [.first, .second], none when
// .first > .second.
std::pair<int64_t, int64_t> WholePeriods(Period period, int64_t first, int64_t last) {
  const int64_t a = PeriodOfDay(period, first), b = PeriodOfDay(period, last);
  return {first == PeriodFirstDay(period, a) ? a : a + 1, last == PeriodFirstDay(period, b + 1) - 1 ? b : b - 1};
}

// Reads one scope's sums for the ranges of a query: whole months from their
// roll-ups, then at each range's edges whole weeks from theirs and only the
// remaining days from day records, so a range costs O(months + 8 weeks +
// 12 days) reads whatever the number of tickets. The ranges overlap (a
// trend's recent days are the current window's last ones), so their weeks
// and days are planned first and read in forward passes, a record decoded
// once for every range it falls in, and a short gap between two planned runs
// is stepped over rather than sought past (a seek costs about as much as
// reading six records).
class ScopeReader {
 public:
  ScopeReader(const Store& store, const std::string& tenant, const std::string& tag, const ScoreOptions& o)
      : cursor_(store, Family::kAggregates),
        tenant_(tenant),
        tag_(tag),
        days_(keys::AggregateScopePrefix(tenant, tag)),
        months_(keys::AggregateRollupsPrefix(tenant, tag, static_cast<char>(Period::kMonth))),
        weeks_(keys::AggregateRollupsPrefix(tenant, tag, static_cast<char>(Period::kWeek))),
        o_(o) {}

  // Plans one range: its whole months are read now, its edges by Finish.
  absl::Status Add(const Range& r, Accum* out) {
    if (r.first_day > r.last_day) return absl::OkStatus();
    const bool open_start = r.first_day <= std::numeric_limits<int64_t>::min() / 4;
    if (!o_.read_rollups) {  // every day from its own record
      days_planned_.push_back({r.first_day, r.last_day, &r, out});
      return absl::OkStatus();
    }
    // An open start has no first month to trim (and no day to compute one from).
    const auto [whole_first, whole_last] =
        WholePeriods(Period::kMonth, open_start ? r.last_day : r.first_day, r.last_day);
    if (!open_start) {
      if (whole_first > whole_last) {
        AddEdge(r.first_day, r.last_day, r, out);
        return absl::OkStatus();
      }
      if (r.first_day < MonthFirstDay(whole_first)) AddEdge(r.first_day, MonthFirstDay(whole_first) - 1, r, out);
    }
    if (absl::Status s = Months(open_start, whole_first, whole_last, r, out); !s.ok()) return s;
    if (MonthFirstDay(whole_last + 1) <= r.last_day) AddEdge(MonthFirstDay(whole_last + 1), r.last_day, r, out);
    return absl::OkStatus();
  }

  // Reads the planned weeks, then the planned days (a stale week's among them).
  absl::Status Finish() {
    if (absl::Status s = ReadPlanned(/*weeks=*/true); !s.ok()) return s;
    return ReadPlanned(/*weeks=*/false);
  }

 private:
  // Weeks or days [first, last] of one range; a first day at or below the
  // open-start bound reads from the scope's first day.
  struct Span {
    int64_t first, last;
    const Range* range;
    Accum* out;
    bool Contains(int64_t n) const { return n >= first && n <= last; }
  };
  static constexpr int64_t kStepRatherThanSeek = 6;

  // Days [first, last] of a range's edge: its whole weeks from their roll-ups.
  void AddEdge(int64_t first, int64_t last, const Range& r, Accum* out) {
    const auto [first_week, last_week] = WholePeriods(Period::kWeek, first, last);
    if (first_week > last_week) {
      days_planned_.push_back({first, last, &r, out});
      return;
    }
    if (first < WeekFirstDay(first_week)) days_planned_.push_back({first, WeekFirstDay(first_week) - 1, &r, out});
    weeks_planned_.push_back({first_week, last_week, &r, out});
    if (WeekFirstDay(last_week + 1) <= last) days_planned_.push_back({WeekFirstDay(last_week + 1), last, &r, out});
  }

  // Reads the planned weeks or days: one forward scan per run of spans that
  // overlap or lie within kStepRatherThanSeek of each other.
  absl::Status ReadPlanned(bool weeks) {
    std::vector<Span> spans = std::exchange(weeks ? weeks_planned_ : days_planned_, {});
    const std::string& prefix = weeks ? weeks_ : days_;
    std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.first < b.first; });
    for (size_t begin = 0; begin < spans.size();) {
      int64_t last = spans[begin].last;
      size_t end = begin + 1;
      for (; end < spans.size() && spans[end].first <= last + 1 + kStepRatherThanSeek; ++end) {
        last = std::max(last, spans[end].last);
      }
      const int64_t first = spans[begin].first;
      const std::string start = first <= std::numeric_limits<int64_t>::min() / 4 ? prefix
                                : weeks ? keys::AggregateRollup(tenant_, tag_, static_cast<char>(Period::kWeek), first)
                                        : keys::Aggregate(tenant_, tag_, first);
      absl::Status bad;
      absl::Status s = cursor_.ScanFrom(prefix, start, [&](absl::string_view key, absl::string_view value) {
        if (key.size() != prefix.size() + 8) return false;  // past the scope's days: its roll-ups
        const int64_t n = weeks ? keys::AggregateRollupOfKey(key) : keys::AggregateDay(key);
        if (n > last) return false;
        if (std::none_of(spans.begin() + begin, spans.begin() + end, [&](const Span& sp) { return sp.Contains(n); })) {
          return true;  // in a gap stepped over
        }
        SumVector v{};
        if (bad = records::AddAggregate(key, value, tenant_, &v); !bad.ok()) return false;
        const bool fresh = !weeks || TakeRollupStamp(&v, o_.half_life_us);
        for (size_t i = begin; i < end; ++i) {
          const Span& span = spans[i];
          if (!span.Contains(n)) continue;
          if (!weeks) {
            span.out->Add(v, Decay(*span.range, n, o_));
          } else if (fresh) {
            span.out->Add(v, RollupDecay(*span.range, Period::kWeek, n, o_));
          } else {  // weighed with another half-life: read from its days
            days_planned_.push_back({WeekFirstDay(n), WeekFirstDay(n + 1) - 1, span.range, span.out});
          }
        }
        return true;
      });
      if (!s.ok()) return s;
      if (!bad.ok()) return bad;
      begin = end;
    }
    return absl::OkStatus();
  }

  // Whole months [first, last], or every month up to `last` with `open_start`.
  // A month weighed with another half-life is read from its weeks and days.
  absl::Status Months(bool open_start, int64_t first, int64_t last, const Range& r, Accum* out) {
    absl::Status bad;
    std::vector<int64_t> stale;
    const std::string start =
        open_start ? months_ : keys::AggregateRollup(tenant_, tag_, static_cast<char>(Period::kMonth), first);
    absl::Status s = cursor_.ScanFrom(months_, start, [&](absl::string_view key, absl::string_view value) {
      if (key.size() != months_.size() + 8) return true;
      const int64_t month = keys::AggregateRollupOfKey(key);
      if (month > last) return false;
      SumVector v{};
      if (bad = records::AddAggregate(key, value, tenant_, &v); !bad.ok()) return false;
      if (TakeRollupStamp(&v, o_.half_life_us)) {
        out->Add(v, RollupDecay(r, Period::kMonth, month, o_));
      } else {
        stale.push_back(month);
      }
      return true;
    });
    if (!s.ok()) return s;
    if (!bad.ok()) return bad;
    for (int64_t month : stale) AddEdge(MonthFirstDay(month), MonthFirstDay(month + 1) - 1, r, out);
    return absl::OkStatus();
  }

  Store::Cursor cursor_;
  const std::string& tenant_;
  const std::string& tag_;
  const std::string days_, months_, weeks_;  // the scope's day, month and week key prefixes
  const ScoreOptions& o_;
  std::vector<Span> weeks_planned_, days_planned_;
};

bool SameRange(const Range& a, const Range& b) {
  return a.first_day == b.first_day && a.last_day == b.last_day && a.end_us == b.end_us;
}

absl::Status ReadScope(const Store& store, const std::string& tenant, const std::string& tag, const Plan& plan,
                       const ScoreOptions& o, Sums* sums) {
  ScopeReader reader(store, tenant, tag, o);
  if (absl::Status s = reader.Add(plan.current, &sums->current); !s.ok()) return s;
  const bool recent_is_current = plan.has_trend && SameRange(plan.recent, plan.current);
  if (plan.has_trend) {
    if (!recent_is_current) {
      if (absl::Status s = reader.Add(plan.recent, &sums->recent); !s.ok()) return s;
    }
    if (absl::Status s = reader.Add(plan.before, &sums->before); !s.ok()) return s;
  }
  if (absl::Status s = reader.Finish(); !s.ok()) return s;
  if (recent_is_current) sums->recent = sums->current;
  return absl::OkStatus();
}

// The tags of a tenant's scopes of one kind with aggregates: one seek per
// scope, past its days and months, so the list costs O(scopes).
absl::StatusOr<std::vector<std::string>> ScopesOfKind(const Store& store, const std::string& tenant,
                                                      v1::ScopeKind kind) {
  const std::string prefix = keys::AggregateKindPrefix(tenant, kind);
  Store::Cursor cursor(store, Family::kAggregates);
  std::vector<std::string> tags;
  std::string start = prefix;
  for (bool more = true; more;) {
    more = false;
    absl::Status s = cursor.ScanFrom(prefix, start, [&](absl::string_view key, absl::string_view) {
      absl::string_view rest = key.substr(tenant.size() + keys::kSep.size());
      tags.emplace_back(rest.substr(0, rest.find(keys::kSep)));
      start = keys::PrefixEnd(keys::AggregateScopePrefix(tenant, tags.back()));
      more = true;
      return false;
    });
    if (!s.ok()) return s;
  }
  return tags;
}

}  // namespace

absl::StatusOr<v1::ScoreReport> GetScore(const Store& store, const v1::GetScoreRequest& asked,
                                         const ScoreOptions& o) {
  auto tenant = CheckRequest(store, asked);
  if (!tenant.ok()) return tenant.status();
  v1::GetScoreRequest request = asked;  // a person's scope by their id, whichever alias was asked
  if (absl::Status s = ResolvePersonScope(store, request.tenant(), request.mutable_scope()); !s.ok()) return s;
  v1::ScoreReport report;
  report.set_tenant(request.tenant());
  *report.mutable_scope() = request.scope();
  if (request.scope().kind() == v1::SCOPE_KIND_TICKET) {
    auto state = LoadTicket(store, request.tenant(), request.scope().id());
    if (!state.ok()) return state.status();
    if (absl::Status s = FillTicket(*state, o, &report); !s.ok()) return s;
    return report;
  }
  auto plan = MakePlan(store, *tenant, request.window(), o);
  if (!plan.ok()) return plan.status();
  Sums sums;
  std::string tag = ScopeTag(request.scope().kind(), request.scope().kind() == v1::SCOPE_KIND_TENANT ? "" : request.scope().id());
  if (absl::Status s = ReadScope(store, request.tenant(), tag, *plan, o, &sums); !s.ok()) return s;
  Fill(*plan, sums, o, &report);
  return report;
}

absl::StatusOr<v1::ListScoresResponse> ListScores(const Store& store, const v1::ListScoresRequest& request,
                                                  const ScoreOptions& o) {
  auto tenant = ReadTenant(store, request.tenant());
  if (!tenant.ok()) return tenant.status();
  if (absl::Status s = CheckEnum<v1::ScopeKind>("kind", request.kind()); !s.ok()) return s;
  if (request.kind() == v1::SCOPE_KIND_UNSPECIFIED) {
    return absl::InvalidArgumentError("kind is required: TICKET, AGENT, TEAM, REQUESTER, DEPARTMENT, SERVICE or TENANT");
  }
  if (absl::Status s = CheckEnum<v1::ScoreOrder>("order", request.order()); !s.ok()) return s;
  auto page = Page::Of(request, 20);
  if (!page.ok()) return page.status();
  auto plan = MakePlan(store, *tenant, request.window(), o);
  if (!plan.ok()) return plan.status();

  std::vector<v1::ScoreReport> all;
  if (request.kind() == v1::SCOPE_KIND_TICKET) {
    absl::Status bad;
    absl::Status s = store.Scan(Family::kTickets, keys::TenantPrefix(request.tenant()),
                                [&](absl::string_view key, absl::string_view value) {
                                  internal::TicketState state;
                                  bad = records::ParseTicketStateAt(key, value, request.tenant(), &state);
                                  if (!bad.ok()) return false;
                                  const internal::TicketScoreRecord& rec = state.score().counted();
                                  if (!rec.scored() || !plan->current.Contains(rec.day())) return true;
                                  v1::ScoreReport r;
                                  r.set_tenant(request.tenant());
                                  r.mutable_scope()->set_kind(v1::SCOPE_KIND_TICKET);
                                  r.mutable_scope()->set_id(state.ticket_id());
                                  if (bad = FillTicket(state, o, &r); !bad.ok()) return false;
                                  all.push_back(std::move(r));
                                  return true;
                                });
    if (!s.ok()) return s;
    if (!bad.ok()) return bad;
  } else {
    auto tags = ScopesOfKind(store, request.tenant(), request.kind());
    if (!tags.ok()) return tags.status();
    for (const std::string& tag : *tags) {
      Sums sums;
      if (absl::Status s = ReadScope(store, request.tenant(), tag, *plan, o, &sums); !s.ok()) return s;
      v1::ScoreReport r;
      r.set_tenant(request.tenant());
      r.mutable_scope()->set_kind(request.kind());
      r.mutable_scope()->set_id(std::string(ScopeTagId(tag)));
      Fill(*plan, sums, o, &r);
      if (r.scored()) all.push_back(std::move(r));
    }
  }

  auto by_id = [](const v1::ScoreReport& a, const v1::ScoreReport& b) { return a.scope().id() < b.scope().id(); };
  switch (request.order()) {
    case v1::SCORE_ORDER_BEST_FIRST:
      std::stable_sort(all.begin(), all.end(), [&](auto& a, auto& b) {
        return a.score() != b.score() ? a.score() > b.score() : by_id(a, b);
      });
      break;
    case v1::SCORE_ORDER_MOST_DECLINED:
    case v1::SCORE_ORDER_MOST_IMPROVED: {
      const bool declined = request.order() == v1::SCORE_ORDER_MOST_DECLINED;
      // Only scopes with a trend can be ranked by change.
      all.erase(std::remove_if(all.begin(), all.end(), [](auto& r) { return !r.has_trend(); }), all.end());
      std::stable_sort(all.begin(), all.end(), [&](auto& a, auto& b) {
        if (a.trend() != b.trend()) return declined ? a.trend() < b.trend() : a.trend() > b.trend();
        return by_id(a, b);
      });
      break;
    }
    default:
      std::stable_sort(all.begin(), all.end(), [&](auto& a, auto& b) {
        return a.score() != b.score() ? a.score() < b.score() : by_id(a, b);
      });
  }
  v1::ListScoresResponse response;
  response.set_total(all.size());
  for (size_t i = page->begin(all.size()); i < page->end(all.size()); ++i) *response.add_scores() = std::move(all[i]);
  response.set_next_page_token(page->NextToken(all.size()));
  return response;
}

}  // namespace rapport::score

namespace rapport::score {
namespace {

bool RelevantTo(int component, v1::FindingKind kind) {
  switch (component) {
    case kTimeliness:
      return kind == v1::FINDING_KIND_FIRST_RESPONSE_BREACH || kind == v1::FINDING_KIND_RESOLUTION_BREACH ||
             kind == v1::FINDING_KIND_STALE;
    case kResolutionIntegrity:
      return kind >= v1::FINDING_KIND_REOPENED_AFTER_RESOLVE && kind <= v1::FINDING_KIND_BOILERPLATE_RESOLUTION;
    case kCommunication:
      return kind == v1::FINDING_KIND_RUDE_REPLY || kind == v1::FINDING_KIND_CURT_TO_UPSET_REQUESTER ||
             kind == v1::FINDING_KIND_REPLY_GAP;
    case kRequesterSentiment:
      return kind == v1::FINDING_KIND_REQUESTER_DISTRESS;
    default:
      return false;
  }
}

// share[c] of a stored ticket record: its normalized weight times its value.
std::array<double, kComponentCount> Shares(const internal::TicketScoreRecord& rec, const ScoreOptions& o) {
  std::array<double, kComponentCount> shares{};
  double total = 0;
  for (int c = 0; c < kComponentCount && c < rec.components_size(); ++c) {
    if (!std::isnan(rec.components(c))) total += o.weights[c];
  }
  if (total <= 0) return shares;
  for (int c = 0; c < kComponentCount && c < rec.components_size(); ++c) {
    if (!std::isnan(rec.components(c))) shares[c] = o.weights[c] / total * rec.components(c);
  }
  return shares;
}

// What in the ticket explains its reading of `component`.
void AddEvidence(int component, const internal::TicketState& s, v1::Contribution* out) {
  int added = 0;
  for (const v1::Finding& f : s.findings()) {
    if (!RelevantTo(component, f.kind()) || added >= 2) continue;
    for (const v1::Evidence& e : f.evidence()) {
      v1::Evidence* copy = out->add_evidence();
      *copy = e;
      copy->set_note(absl::StrCat(s.ticket_id(), ": ", f.summary(), e.note().empty() ? "" : " — ", e.note()));
      break;
    }
    ++added;
  }
  if (added > 0) return;
  const internal::DetectorState& d = s.detect();
  v1::Evidence e;
  if (component == kCommunication && !d.agent_worst_event().empty()) {
    e.set_event_id(d.agent_worst_event());
    e.set_note(absl::StrFormat("%s: least courteous agent message (%.0f points)", s.ticket_id(), d.agent_worst_points()));
  } else if (component == kRequesterSentiment && !d.last_requester_text_event().empty()) {
    e.set_event_id(d.last_requester_text_event());
    e.set_note(absl::StrFormat("%s: requester sentiment %.2f at the start, %.2f at the end", s.ticket_id(),
                               d.requester_first_compound(), d.requester_last_compound()));
  } else if (component == kSurvey && !s.score().inputs().survey_event().empty()) {
    e.set_event_id(s.score().inputs().survey_event());
    e.set_note(absl::StrFormat("%s: survey answer %.1f of 10", s.ticket_id(), s.score().inputs().survey_0_to_10()));
  } else {
    return;
  }
  *out->add_evidence() = std::move(e);
}

// Up to `limit` tickets of the scope created in the window, for evidence.
absl::StatusOr<std::vector<internal::TicketState>> ScopeTickets(const Store& store, const std::string& tenant,
                                                                const std::string& tag, const Range& range,
                                                                size_t limit) {
  std::string prefix = keys::ScopeIndexPrefix(tenant, tag);
  std::string start = range.first_day > std::numeric_limits<int64_t>::min() / 4
                          ? keys::ScopeIndexDay(tenant, tag, range.first_day)
                          : prefix;
  std::string stop = keys::ScopeIndexDay(tenant, tag, range.last_day + 1);
  std::vector<std::string> ticket_keys;
  absl::Status s = store.ScanFrom(Family::kIndex, prefix, start, [&](absl::string_view key, absl::string_view) {
    if (key >= stop || ticket_keys.size() >= limit) return false;
    ticket_keys.push_back(keys::Ticket(tenant, keys::ScopeIndexTicket(key, prefix)));
    return true;
  });
  if (!s.ok()) return s;
  std::vector<std::string> values;
  std::vector<bool> found;
  if (s = store.MultiGet(Family::kTickets, ticket_keys, &values, &found); !s.ok()) return s;
  std::vector<internal::TicketState> states;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!found[i]) continue;
    states.emplace_back();
    absl::Status parsed = records::ParseTicketStateAt(ticket_keys[i], values[i], tenant, &states.back());
    if (!parsed.ok()) return parsed;
  }
  return states;
}

}  // namespace

absl::StatusOr<v1::ScoreExplanation> ExplainScore(const Store& store, const v1::GetScoreRequest& asked,
                                                  const ScoreOptions& o) {
  auto tenant = CheckRequest(store, asked);
  if (!tenant.ok()) return tenant.status();
  v1::GetScoreRequest request = asked;  // a person's scope by their id, whichever alias was asked
  if (absl::Status s = ResolvePersonScope(store, request.tenant(), request.mutable_scope()); !s.ok()) return s;
  v1::ScoreExplanation ex;
  v1::ScoreReport* report = ex.mutable_report();
  report->set_tenant(request.tenant());
  *report->mutable_scope() = request.scope();
  std::array<double, kComponentCount> points{};
  std::array<bool, kComponentCount> applicable{};
  std::array<double, kComponentCount> means{};
  std::vector<internal::TicketState> tickets;
  if (request.scope().kind() == v1::SCOPE_KIND_TICKET) {
    auto state = LoadTicket(store, request.tenant(), request.scope().id());
    if (!state.ok()) return state.status();
    if (absl::Status s = FillTicket(*state, o, report); !s.ok()) return s;
    const internal::TicketScoreRecord& rec = state->score().counted();
    if (rec.scored()) points = Shares(rec, o);
    for (int c = 0; c < kComponentCount && c < rec.components_size(); ++c) {
      applicable[c] = rec.scored() && !std::isnan(rec.components(c));
      means[c] = applicable[c] ? rec.components(c) : 0;
    }
    tickets.push_back(std::move(*state));
  } else {
    auto plan = MakePlan(store, *tenant, request.window(), o);
    if (!plan.ok()) return plan.status();
    Sums sums;
    std::string tag = ScopeTag(request.scope().kind(), request.scope().kind() == v1::SCOPE_KIND_TENANT ? "" : request.scope().id());
    if (absl::Status s = ReadScope(store, request.tenant(), tag, *plan, o, &sums); !s.ok()) return s;
    Fill(*plan, sums, o, report);
    for (int c = 0; c < kComponentCount; ++c) {
      applicable[c] = sums.current.component_weight[c] > 1e-6;
      points[c] = sums.current.Points(c);
      means[c] = applicable[c] ? sums.current.component[c] / sums.current.component_weight[c] : 0;
    }
    auto found = ScopeTickets(store, request.tenant(), tag, plan->current, 5000);
    if (!found.ok()) return found.status();
    tickets = std::move(*found);
  }

  std::vector<v1::Contribution> contributions;
  for (int c = 0; c < kComponentCount; ++c) {
    if (!applicable[c]) continue;
    v1::Contribution contribution;
    contribution.set_component(ComponentName(c));
    contribution.set_points(points[c]);
    contribution.set_summary(absl::StrFormat("%s averages %.1f (weight %.0f%%): %+.1f points", ComponentName(c),
                                             means[c], 100 * o.weights[c], points[c]));
    // The tickets that pull hardest in the contribution's direction.
    std::vector<std::pair<double, const internal::TicketState*>> pulls;
    for (const internal::TicketState& t : tickets) {
      const internal::TicketScoreRecord& rec = t.score().counted();
      if (!rec.scored() || c >= rec.components_size() || std::isnan(rec.components(c))) continue;
      double pull = rec.weight() * Shares(rec, o)[c];
      if ((points[c] < 0) == (pull < 0) && pull != 0) pulls.emplace_back(pull, &t);
    }
    std::sort(pulls.begin(), pulls.end(), [](auto& a, auto& b) {
      if (std::abs(a.first) != std::abs(b.first)) return std::abs(a.first) > std::abs(b.first);
      return a.second->ticket_id() < b.second->ticket_id();
    });
    for (size_t i = 0; i < pulls.size() && i < 3; ++i) {
      contribution.add_ticket_ids(pulls[i].second->ticket_id());
      AddEvidence(c, *pulls[i].second, &contribution);
    }
    contributions.push_back(std::move(contribution));
  }
  std::stable_sort(contributions.begin(), contributions.end(), [](auto& a, auto& b) {
    return std::abs(a.points()) > std::abs(b.points());
  });
  // The score is the sum of the listed points, in the listed order, so a
  // client adding them up gets exactly the score.
  double total = 0;
  for (v1::Contribution& contribution : contributions) {
    total += contribution.points();
    *ex.add_contributions() = std::move(contribution);
  }
  ex.set_score(total);
  report->set_score(total);
  if (report->has_surveys()) report->set_expectation_gap(report->survey_happiness() - total);
  return ex;
}

}  // namespace rapport::score
