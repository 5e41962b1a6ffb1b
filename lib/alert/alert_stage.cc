#include "alert/alert_stage.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include <map>
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "alert/alert_log.h"
#include "detect/findings.h"
#include "event/event.h"
#include "rapport/internal/alerts.pb.h"
#include "score/score_query.h"
#include "store/keys.h"
#include "store/records.h"
#include "base/log.h"

namespace rapport::alert {
namespace {

// Causes named in an entry (the newest), so an entry stays small whatever
// the number of findings behind a long-open alert.
constexpr int kMaxCauseIds = 20;
// Scopes of a kind a score rule judges per evaluation (one page).
constexpr uint32_t kMaxScoredScopes = 1000;
// The subject of a rule's RATE_LIMITED summary alert.
constexpr char kRateSubject[] = "~:rate-limited";

std::string CauseId(const v1::Finding& f) { return absl::StrCat(f.ticket_id(), "/", f.id()); }

bool MatchesKind(const AlertRule& rule, v1::FindingKind kind) {
  return rule.on == AlertRule::On::kFinding &&
         (rule.kinds.empty() || std::find(rule.kinds.begin(), rule.kinds.end(), kind) != rule.kinds.end());
}

bool Matches(const AlertRule& rule, const v1::Finding& f, const internal::TicketState& t) {
  if (!MatchesKind(rule, f.kind()) || f.severity() < rule.min_severity) return false;
  const Where& w = rule.where;
  if (w.requester_vip && t.requester().vip() != *w.requester_vip) return false;
  if (!w.team.empty() && f.team() != w.team) return false;
  if (!w.service.empty() && t.service() != w.service) return false;
  if (!w.agent.empty() && f.agent_id() != w.agent) return false;
  if (!w.department.empty() && t.requester().department() != w.department) return false;
  return true;
}

std::string SubjectId(SubjectKind kind, const v1::Finding& f, const internal::TicketState& t) {
  switch (kind) {
    case SubjectKind::kTicket: return f.ticket_id();
    case SubjectKind::kAgent: return f.agent_id();
    case SubjectKind::kTeam: return f.team();
    case SubjectKind::kRequester: return f.requester_id();
    case SubjectKind::kService: return t.service();
    case SubjectKind::kTenant: return "";
  }
  return "";
}

// The subjects an entry names: the rule's subject and what the cause names.
v1::AlertSubjects Subjects(const std::string& tenant, SubjectKind kind, const v1::Finding& f,
                           const internal::TicketState& t) {
  v1::AlertSubjects s;
  s.set_tenant(tenant);
  if (kind == SubjectKind::kTicket) {
    s.set_ticket_id(f.ticket_id());
    s.set_requester_id(f.requester_id());
    s.set_service(t.service());
  }
  if (kind == SubjectKind::kRequester) s.set_requester_id(f.requester_id());
  if (kind == SubjectKind::kService) s.set_service(t.service());
  if (kind != SubjectKind::kTenant && kind != SubjectKind::kService && kind != SubjectKind::kRequester) {
    s.set_team(f.team());
  }
  if (kind == SubjectKind::kTicket || kind == SubjectKind::kAgent) s.set_agent_id(f.agent_id());
  return s;
}

std::string SubjectText(SubjectKind kind, const std::string& id) {
  return kind == SubjectKind::kTenant ? "the tenant" : absl::StrCat(SubjectKindName(kind), " ", id);
}

// One open-alert slot of this batch: loaded once, changed in memory,
// written once.
struct Slot {
  std::string rule, subject;
  std::optional<internal::OpenAlert> open;
  int64_t deadline_at_load = 0;  // its entry in the quiet index as stored
  bool changed = false;
};

// The work of one tenant in one batch.
class TenantRun {
 public:
  TenantRun(const std::string& tenant, int64_t watermark, StageContext& context, std::vector<v1::Alert>* entries,
            AlertCounters* counts)
      : tenant_(tenant), watermark_(watermark), context_(context), entries_(entries), counts_(counts) {}

  absl::Status Init() {
    auto next = NextCursor(context_.store(), tenant_);
    if (!next.ok()) return next.status();
    next_cursor_ = *next;
    first_cursor_ = *next;
    return absl::OkStatus();
  }

  absl::StatusOr<Slot*> Load(const std::string& rule, const std::string& subject) {
    const std::string key = keys::OpenAlert(tenant_, rule, subject);
    auto it = slots_.find(key);
    if (it != slots_.end()) return &it->second;
    Slot slot{rule, subject, std::nullopt, 0, false};
    std::string bytes;
    absl::Status s = context_.store().Get(Family::kAlerts, key, &bytes);
    if (s.ok()) {
      slot.open.emplace();
      if (absl::Status p = ParseOpenAlert(bytes, tenant_, &*slot.open); !p.ok()) return p;
      slot.deadline_at_load = slot.open->quiet_deadline_us();
    } else if (!absl::IsNotFound(s)) {
      return s;
    }
    order_.push_back(key);
    return &slots_.emplace(key, std::move(slot)).first->second;
  }

  // A finding no longer holds: its alert loses the cause.
  absl::Status Withdraw(const AlertRule& rule, const v1::Finding& f, const internal::TicketState& t) {
    auto slot = Load(rule.name, SubjectKey(rule.subject, SubjectId(rule.subject, f, t)));
    if (!slot.ok()) return slot.status();
    if (!(*slot)->open) return absl::OkStatus();
    auto* refs = (*slot)->open->mutable_refs();
    auto it = std::find(refs->begin(), refs->end(), CauseId(f));
    if (it == refs->end()) return absl::OkStatus();
    refs->erase(it);
    (*slot)->changed = true;
    if (refs->empty()) Resolve(**slot, watermark_, "withdrawn");
    return absl::OkStatus();
  }

  // A finding matched `rule`: opens or updates the subject's alert.
  absl::Status Match(const AlertRule& rule, const v1::Finding& f, const internal::TicketState& t) {
    const std::string id = SubjectId(rule.subject, f, t);
    auto loaded = Load(rule.name, SubjectKey(rule.subject, id));
    if (!loaded.ok()) return loaded.status();
    Slot& slot = **loaded;
    const int64_t at = ToMicros(f.at());
    if (slot.open && slot.open->quiet_deadline_us() > 0 && slot.open->quiet_deadline_us() <= at) {
      Resolve(slot, slot.open->quiet_deadline_us(), "quiet");
    }
    const std::string cause = CauseId(f);
    if (slot.open) {
      auto& refs = *slot.open->mutable_refs();
      if (std::find(refs.begin(), refs.end(), cause) != refs.end()) return absl::OkStatus();
      slot.open->add_refs(cause);
      v1::Alert& a = *slot.open->mutable_latest();
      a.set_count(a.count() + 1);
      if (at > ToMicros(a.last_seen())) *a.mutable_last_seen() = f.at();
      a.set_severity(std::max(a.severity(), f.severity()));
      AddCause(&a, cause, f.at());
      a.set_summary(Summary(rule, id, a, f));
      SetQuiet(rule, slot, ToMicros(a.last_seen()) + rule.quiet_us);
      Append(slot, v1::ALERT_STATE_FIRING);
      return absl::OkStatus();
    }
    auto allowed = TakeRate(rule, at);
    if (!allowed.ok()) return allowed.status();
    if (!*allowed) return RateLimited(rule, f);
    v1::Alert a;
    a.set_rule(rule.name);
    a.set_kind(detect::KindName(f.kind()));
    a.set_severity(f.severity());
    *a.mutable_subjects() = Subjects(tenant_, rule.subject, f, t);
    a.set_count(1);
    *a.mutable_first_seen() = f.at();
    *a.mutable_last_seen() = f.at();
    AddCause(&a, cause, f.at());
    a.set_summary(Summary(rule, id, a, f));
    Open(slot, std::move(a), {cause});
    SetQuiet(rule, slot, at + rule.quiet_us);
    return absl::OkStatus();
  }

  // A score rule's verdict on one scope: `firing` opens the alert (or keeps
  // it open), `recovered` resolves it; neither leaves it as it is.
  absl::Status ScoreVerdict(const AlertRule& rule, const v1::ScoreReport& report, bool firing, bool recovered,
                            double value, double threshold) {
    const std::string subject = absl::StrCat("s", static_cast<int>(report.scope().kind()), ":", report.scope().id());
    auto loaded = Load(rule.name, subject);
    if (!loaded.ok()) return loaded.status();
    Slot& slot = **loaded;
    if (slot.open && recovered) {
      slot.open->mutable_latest()->set_score(value);
      Resolve(slot, watermark_, "recovered");
      return absl::OkStatus();
    }
    if (!firing) return absl::OkStatus();
    if (slot.open) {  // still low: kept open, quietly
      *slot.open->mutable_latest()->mutable_last_seen() = FromMicros(watermark_);
      slot.open->mutable_latest()->set_score(value);
      slot.changed = true;
      return absl::OkStatus();
    }
    v1::Alert a;
    a.set_rule(rule.name);
    a.set_kind(rule.below ? "SCORE_BELOW" : "SCORE_DROP");
    a.set_severity(v1::SEVERITY_MEDIUM);
    a.mutable_subjects()->set_tenant(tenant_);
    *a.mutable_subjects()->mutable_scope() = report.scope();
    a.set_score(value);
    a.set_threshold(threshold);
    a.set_count(1);
    *a.mutable_first_seen() = FromMicros(watermark_);
    *a.mutable_last_seen() = FromMicros(watermark_);
    *a.mutable_cause_at() = FromMicros(watermark_);
    const std::string scope_text =
        report.scope().id().empty() ? "the tenant" : absl::StrCat(report.scope().id());
    a.set_summary(rule.below ? absl::StrFormat("%s: the score of %s is %.1f, below %.1f", rule.name, scope_text,
                                               value, threshold)
                             : absl::StrFormat("%s: the score of %s fell %.1f points (more than %.1f)", rule.name,
                                               scope_text, value, threshold));
    Open(slot, std::move(a), {});
    return absl::OkStatus();
  }

  // Resolves every open alert whose quiet deadline the watermark reached.
  absl::Status ResolveQuiet() {
    const std::string prefix = keys::AlertQuietPrefix(tenant_);
    std::vector<std::pair<std::string, std::string>> due;
    absl::Status bad;
    absl::Status scan = context_.store().Scan(Family::kAlerts, prefix, [&](absl::string_view k, absl::string_view) {
      keys::QuietEntry e;
      if (!keys::ParseAlertQuiet(k, prefix, &e)) {
        bad = absl::DataLossError(absl::StrCat("a quiet-index key of tenant '", tenant_, "' is malformed"));
        return false;
      }
      if (e.deadline_us > watermark_) return false;
      due.emplace_back(e.rule, e.subject);
      return true;
    });
    if (!scan.ok()) return scan;
    if (!bad.ok()) return bad;
    for (const auto& [rule, subject] : due) {
      if (auto slot = Load(rule, subject); !slot.ok()) return slot.status();
    }
    for (const std::string& key : order_) {  // loaded earlier in the batch or just now
      Slot& slot = slots_[key];
      const int64_t deadline = slot.open ? slot.open->quiet_deadline_us() : 0;
      if (deadline > 0 && deadline <= watermark_) {
        Resolve(slot, deadline, slot.subject == kRateSubject ? "rate window ended" : "quiet");
      }
    }
    return absl::OkStatus();
  }

  // Writes the open alerts, the quiet index, the rate windows, the entries
  // and the next cursor into the batch.
  void Write() {
    Store::Batch& w = context_.writes();
    for (const std::string& key : order_) {
      const Slot& slot = slots_[key];
      if (!slot.changed) continue;
      const int64_t deadline = slot.open ? slot.open->quiet_deadline_us() : 0;
      if (slot.deadline_at_load > 0 && slot.deadline_at_load != deadline) {
        w.Delete(Family::kAlerts, keys::AlertQuiet(tenant_, slot.deadline_at_load, slot.rule, slot.subject));
      }
      if (deadline > 0 && deadline != slot.deadline_at_load) {
        w.Put(Family::kAlerts, keys::AlertQuiet(tenant_, deadline, slot.rule, slot.subject), "");
      }
      if (slot.open) {
        w.Put(Family::kAlerts, key, slot.open->SerializeAsString());
      } else {
        w.Delete(Family::kAlerts, key);
      }
    }
    for (const auto& [rule, window] : rates_) {
      w.Put(Family::kAlerts, keys::AlertRateWindow(tenant_, rule), window.SerializeAsString());
    }
    if (next_cursor_ == first_cursor_) return;
    for (auto it = entries_->end() - static_cast<ptrdiff_t>(next_cursor_ - first_cursor_); it != entries_->end(); ++it) {
      w.Put(Family::kAlerts, keys::AlertLog(tenant_, it->cursor()), it->SerializeAsString());
    }
    std::string next;
    keys::PutBigEndian64(&next, next_cursor_);
    w.Put(Family::kAlerts, keys::AlertNextCursor(tenant_), next);
  }

 private:
  static void AddCause(v1::Alert* a, const std::string& cause, const google::protobuf::Timestamp& at) {
    a->add_finding_ids(cause);
    if (a->finding_ids_size() > kMaxCauseIds) a->mutable_finding_ids()->erase(a->mutable_finding_ids()->begin());
    if (ToMicros(at) >= ToMicros(a->cause_at())) *a->mutable_cause_at() = at;
  }

  static std::string Summary(const AlertRule& rule, const std::string& id, const v1::Alert& a, const v1::Finding& f) {
    std::string s = absl::StrCat(rule.name, ": ", a.kind(), " on ", SubjectText(rule.subject, id));
    if (a.count() > 1) absl::StrAppend(&s, " (", a.count(), " findings)");
    absl::StrAppend(&s, ": ", f.summary());
    return s;
  }

  void SetQuiet(const AlertRule& rule, Slot& slot, int64_t deadline) {
    slot.open->set_quiet_deadline_us(rule.quiet_us > 0 ? deadline : 0);
  }

  void Open(Slot& slot, v1::Alert alert, std::vector<std::string> refs) {
    slot.open.emplace();
    *slot.open->mutable_latest() = std::move(alert);
    for (std::string& r : refs) slot.open->add_refs(std::move(r));
    slot.open->mutable_latest()->set_alert_id(next_cursor_);
    Append(slot, v1::ALERT_STATE_FIRING);
    ++counts_->raised_by_rule[slot.rule];
  }

  // Writes the slot's latest state as a new entry of the log.
  void Append(Slot& slot, v1::AlertState state) {
    v1::Alert& a = *slot.open->mutable_latest();
    a.set_tenant(tenant_);
    a.set_cursor(next_cursor_++);
    a.set_state(state);
    entries_->push_back(a);
    slot.changed = true;
  }

  void Resolve(Slot& slot, int64_t at, const char* why) {
    v1::Alert& a = *slot.open->mutable_latest();
    *a.mutable_resolved_at() = FromMicros(at);
    a.set_resolution(why);
    Append(slot, v1::ALERT_STATE_RESOLVED);
    ++counts_->cleared_by_rule[slot.rule];
    slot.open.reset();
  }

  // Whether the rule may raise one more alert at `at` (and counts it).
  absl::StatusOr<bool> TakeRate(const AlertRule& rule, int64_t at) {
    if (rule.rate_max == 0 || rule.rate_per_us <= 0) return true;
    auto it = rates_.find(rule.name);
    if (it == rates_.end()) {
      internal::RateWindow stored;
      std::string bytes;
      absl::Status s = context_.store().Get(Family::kAlerts, keys::AlertRateWindow(tenant_, rule.name), &bytes);
      if (s.ok() && !stored.ParseFromString(bytes)) {
        return absl::DataLossError(
            absl::StrCat("the rate window of alert rule '", rule.name, "' of tenant '", tenant_, "' is unreadable"));
      }
      if (!s.ok() && !absl::IsNotFound(s)) return s;
      it = rates_.emplace(rule.name, stored).first;
    }
    internal::RateWindow& w = it->second;
    if (w.window_start_us() == 0 || at >= w.window_start_us() + rule.rate_per_us) {
      w.set_window_start_us(at);
      w.set_raised(0);
    }
    if (w.raised() >= rule.rate_max) return false;
    w.set_raised(w.raised() + 1);
    return true;
  }

  // The excess of a rule's rate: counted in one RATE_LIMITED alert that
  // resolves when the rate window ends (no entry per excess match).
  absl::Status RateLimited(const AlertRule& rule, const v1::Finding& f) {
    auto loaded = Load(rule.name, kRateSubject);
    if (!loaded.ok()) return loaded.status();
    Slot& slot = **loaded;
    const int64_t window_end = rates_[rule.name].window_start_us() + rule.rate_per_us;
    if (slot.open) {
      v1::Alert& a = *slot.open->mutable_latest();
      a.set_count(a.count() + 1);
      a.set_severity(std::max(a.severity(), f.severity()));
      *a.mutable_last_seen() = f.at();
      a.set_summary(absl::StrCat(rule.name, ": ", a.count(), " more alerts not raised (at most ", rule.rate_max,
                                 " per rate window)"));
      slot.changed = true;
      return absl::OkStatus();
    }
    v1::Alert a;
    a.set_rule(rule.name);
    a.set_kind("RATE_LIMITED");
    a.set_severity(f.severity());
    a.mutable_subjects()->set_tenant(tenant_);
    a.set_count(1);
    *a.mutable_first_seen() = f.at();
    *a.mutable_last_seen() = f.at();
    *a.mutable_cause_at() = f.at();
    a.set_summary(absl::StrCat(rule.name, ": more than ", rule.rate_max,
                               " alerts in one rate window; the excess is counted here"));
    Open(slot, std::move(a), {});
    slot.open->set_quiet_deadline_us(window_end);
    return absl::OkStatus();
  }

  const std::string& tenant_;
  int64_t watermark_;
  StageContext& context_;
  std::vector<v1::Alert>* entries_;
  AlertCounters* counts_;
  uint64_t next_cursor_ = 1, first_cursor_ = 1;
  std::map<std::string, Slot> slots_;  // node-based: a Slot* stays valid
  std::vector<std::string> order_;  // slot keys in load order: writes in a fixed order
  std::map<std::string, internal::RateWindow> rates_;
};

struct Raised {
  const v1::Finding* finding;
  const internal::TicketState* ticket;
};

// Steps 1 and 2 of the header's list.
absl::Status ApplyFindings(const std::string& tenant, const std::vector<AlertRule>& rules, StageContext& context,
                           TenantRun& run) {
  std::vector<Raised> raised;
  std::vector<std::pair<v1::Finding, const internal::TicketState*>> withdrawn;
  context.ForEachTicket(tenant, [&](internal::TicketState* t) {
    std::vector<v1::Finding> loaded = context.FindingsAtLoad(tenant, t->ticket_id());
    for (v1::Finding& old : loaded) {
      const bool still = std::any_of(t->findings().begin(), t->findings().end(),
                                     [&](const v1::Finding& f) { return f.id() == old.id(); });
      if (!still) withdrawn.emplace_back(std::move(old), t);
    }
    for (const v1::Finding& f : t->findings()) {
      const bool had = std::any_of(loaded.begin(), loaded.end(), [&](const v1::Finding& o) { return o.id() == f.id(); });
      if (!had) raised.push_back({&f, t});
    }
  });
  for (const auto& [f, t] : withdrawn) {
    for (const AlertRule& rule : rules) {
      if (!MatchesKind(rule, f.kind())) continue;
      if (absl::Status s = run.Withdraw(rule, f, *t); !s.ok()) return s;
    }
  }
  std::sort(raised.begin(), raised.end(), [](const Raised& a, const Raised& b) {
    const int64_t ta = ToMicros(a.finding->at()), tb = ToMicros(b.finding->at());
    if (ta != tb) return ta < tb;
    if (a.finding->ticket_id() != b.finding->ticket_id()) return a.finding->ticket_id() < b.finding->ticket_id();
    return a.finding->id() < b.finding->id();
  });
  for (const Raised& r : raised) {
    for (const AlertRule& rule : rules) {
      if (!Matches(rule, *r.finding, *r.ticket)) continue;
      if (absl::Status s = run.Match(rule, *r.finding, *r.ticket); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

int64_t DayOf(int64_t us) { return us >= 0 ? us / kDayUs : (us - kDayUs + 1) / kDayUs; }

// Step 3: one score rule, over the whole days before the watermark's day.
absl::Status ApplyScoreRule(const std::string& tenant, const AlertRule& rule, int64_t watermark,
                            const Store& store, const score::ScoreOptions& scoring, TenantRun& run) {
  const int64_t end = DayOf(watermark) * kDayUs;
  v1::Window window;
  *window.mutable_start() = FromMicros(end - rule.window_us);
  *window.mutable_end() = FromMicros(end);
  std::vector<v1::ScoreReport> reports;
  if (!rule.scope_id.empty() || rule.scope_kind == v1::SCOPE_KIND_TENANT) {
    v1::GetScoreRequest request;
    request.set_tenant(tenant);
    request.mutable_scope()->set_kind(rule.scope_kind);
    request.mutable_scope()->set_id(rule.scope_id);
    *request.mutable_window() = window;
    auto report = score::GetScore(store, request, scoring);
    if (absl::IsNotFound(report.status())) return absl::OkStatus();  // nothing scored yet
    if (!report.ok()) return report.status();
    reports.push_back(std::move(*report));
  } else {
    v1::ListScoresRequest request;
    request.set_tenant(tenant);
    request.set_kind(rule.scope_kind);
    *request.mutable_window() = window;
    request.set_page_size(kMaxScoredScopes);
    auto list = score::ListScores(store, request, scoring);
    if (absl::IsNotFound(list.status())) return absl::OkStatus();
    if (!list.ok()) return list.status();
    for (v1::ScoreReport& r : *list->mutable_scores()) reports.push_back(std::move(r));
  }
  for (const v1::ScoreReport& r : reports) {
    if (!r.scored()) continue;
    if (rule.below) {
      const bool firing = r.score() < *rule.below;
      const bool recovered = r.score() >= *rule.below + rule.hysteresis;
      if (auto s = run.ScoreVerdict(rule, r, firing, recovered, r.score(), *rule.below); !s.ok()) return s;
    } else if (rule.drop && r.has_trend()) {
      const double fall = -r.trend();
      const bool firing = fall > *rule.drop;
      const bool recovered = fall <= *rule.drop - rule.hysteresis;
      if (auto s = run.ScoreVerdict(rule, r, firing, recovered, fall, *rule.drop); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

// Every open alert of every tenant in `store`, by key.
absl::Status ReadAllOpenAlerts(const Store& store, std::map<std::string, internal::OpenAlert>* out) {
  const std::string prefix = absl::StrCat(keys::kOpenAlert, keys::kSep);
  absl::Status bad;
  absl::Status scan = store.Scan(Family::kAlerts, prefix, [&](absl::string_view key, absl::string_view value) {
    const absl::string_view rest = key.substr(prefix.size());
    const std::string tenant(rest.substr(0, rest.find(keys::kSep)));
    internal::OpenAlert open;
    bad = ParseOpenAlert(value, tenant, &open);
    if (bad.ok()) out->emplace(std::string(key), std::move(open));
    return bad.ok();
  });
  return scan.ok() ? bad : scan;
}

// Appends reconciled entries to the carried-over logs of a rebuilt store.
class LogAppender {
 public:
  explicit LogAppender(Store* store) : store_(store), batch_(*store) {}

  // Writes `a` as the next entry of its tenant's log (cursor set here; an
  // entry that `opens` an alert is also its alert id).
  absl::Status Append(v1::Alert* a, bool opens) {
    auto it = next_.find(a->tenant());
    if (it == next_.end()) {
      auto next = NextCursor(*store_, a->tenant());
      if (!next.ok()) return next.status();
      it = next_.emplace(a->tenant(), *next).first;
    }
    a->set_cursor(it->second++);
    if (opens) a->set_alert_id(a->cursor());
    batch_.Put(Family::kAlerts, keys::AlertLog(a->tenant(), a->cursor()), a->SerializeAsString());
    return absl::OkStatus();
  }

  // The tenant's newest event time, when an alert resolves (read once).
  absl::StatusOr<int64_t> Watermark(const std::string& tenant) {
    if (auto it = watermarks_.find(tenant); it != watermarks_.end()) return it->second;
    auto state = records::ReadTenantState(*store_, tenant);
    if (!state.ok()) return state.status();
    return watermarks_[tenant] = state->has_value() ? (*state)->watermark_us() : 0;
  }

  // The open record at `key` (null: none) and its quiet-index entry.
  void PutOpen(const std::string& key, const v1::Alert& latest, const std::string& subject, int64_t old_deadline,
               const internal::OpenAlert* open) {
    const int64_t deadline = open ? open->quiet_deadline_us() : 0;
    if (old_deadline > 0 && old_deadline != deadline) {
      batch_.Delete(Family::kAlerts, keys::AlertQuiet(latest.tenant(), old_deadline, latest.rule(), subject));
    }
    if (deadline > 0) batch_.Put(Family::kAlerts, keys::AlertQuiet(latest.tenant(), deadline, latest.rule(), subject), "");
    if (open) {
      batch_.Put(Family::kAlerts, key, open->SerializeAsString());
    } else {
      batch_.Delete(Family::kAlerts, key);
    }
  }

  absl::Status Commit() {
    for (const auto& [tenant, next] : next_) {
      std::string value;
      keys::PutBigEndian64(&value, next);
      batch_.Put(Family::kAlerts, keys::AlertNextCursor(tenant), value);
    }
    return batch_.Count() > 0 ? store_->Commit(&batch_) : absl::OkStatus();
  }

 private:
  Store* store_;
  Store::Batch batch_;
  std::map<std::string, uint64_t> next_;        // next cursor by tenant, once read
  std::map<std::string, int64_t> watermarks_;   // by tenant, once read
};

// The subject part of an open alert's key.
std::string SubjectOfKey(const std::string& key, const v1::Alert& latest) {
  return key.substr(keys::OpenAlert(latest.tenant(), latest.rule(), "").size());
}

}  // namespace

absl::Status AlertStage::BeforeCarryOver(const Store& fresh) {
  derived_open_.clear();
  return ReadAllOpenAlerts(fresh, &derived_open_);
}

absl::Status AlertStage::AfterCarryOver(Store* fresh) {
  std::map<std::string, internal::OpenAlert> carried;
  if (absl::Status s = ReadAllOpenAlerts(*fresh, &carried); !s.ok()) return s;
  LogAppender log(fresh);
  uint64_t raised = 0, resolved = 0;
  for (auto& [key, old] : carried) {
    if (derived_open_.count(key)) continue;
    v1::Alert a = old.latest();
    auto watermark = log.Watermark(a.tenant());
    if (!watermark.ok()) return watermark.status();
    *a.mutable_resolved_at() = FromMicros(*watermark);
    a.set_resolution("rebuilt");
    a.set_state(v1::ALERT_STATE_RESOLVED);
    if (absl::Status s = log.Append(&a, /*opens=*/false); !s.ok()) return s;
    log.PutOpen(key, a, SubjectOfKey(key, a), old.quiet_deadline_us(), nullptr);
    ++resolved;
  }
  for (auto& [key, derived] : derived_open_) {
    auto it = carried.find(key);
    const std::string subject = SubjectOfKey(key, derived.latest());
    if (it != carried.end()) {  // open on both sides: the new causes, no entry
      internal::OpenAlert kept = it->second;
      *kept.mutable_refs() = derived.refs();
      kept.set_quiet_deadline_us(derived.quiet_deadline_us());
      log.PutOpen(key, kept.latest(), subject, it->second.quiet_deadline_us(), &kept);
      continue;
    }
    v1::Alert* a = derived.mutable_latest();
    a->set_state(v1::ALERT_STATE_FIRING);
    if (absl::Status s = log.Append(a, /*opens=*/true); !s.ok()) return s;
    log.PutOpen(key, *a, subject, 0, &derived);
    ++raised;
  }
  derived_open_.clear();
  if (absl::Status s = log.Commit(); !s.ok()) return s;
  if (raised + resolved > 0) {
    Log(LogLevel::kInfo, "rebuild: appended the alerts the new derivation differs by",
        {{"raised", std::to_string(raised)}, {"resolved", std::to_string(resolved)}});
  }
  return absl::OkStatus();
}

AlertStage::AlertStage(AlertSettings settings, const score::ScoreOptions* scoring, AlertHub* hub)
    : settings_(std::move(settings)), scoring_(scoring), hub_(hub) {}

absl::Status AlertStage::OnWatermark(const std::string& tenant, int64_t before_us, int64_t after_us,
                                     StageContext& context) {
  const std::vector<AlertRule> rules = settings_.For(tenant).RulesInForce();
  if (rules.empty()) return absl::OkStatus();
  AlertCounters counts;
  const size_t first_entry = pending_.size();
  TenantRun run(tenant, after_us, context, &pending_, &counts);
  absl::Status s = run.Init();
  if (s.ok()) s = ApplyFindings(tenant, rules, context, run);
  if (s.ok() && DayOf(after_us) > DayOf(before_us)) {
    for (const AlertRule& rule : rules) {
      if (rule.on != AlertRule::On::kScore) continue;
      s = ApplyScoreRule(tenant, rule, after_us, context.store(), *scoring_, run);
      if (!s.ok()) break;
    }
  }
  if (s.ok()) s = run.ResolveQuiet();
  if (!s.ok()) {
    pending_.resize(first_entry);
    return s;
  }
  run.Write();
  for (const auto& [rule, n] : counts.raised_by_rule) batch_counts_.raised_by_rule[rule] += n;
  for (const auto& [rule, n] : counts.cleared_by_rule) batch_counts_.cleared_by_rule[rule] += n;
  return absl::OkStatus();
}

void AlertStage::AfterBatch(bool committed) {
  if (committed) {
    if (hub_ != nullptr) hub_->Publish(pending_);
    absl::MutexLock lock(&counters_mu_);
    for (const auto& [rule, n] : batch_counts_.raised_by_rule) counters_.raised_by_rule[rule] += n;
    for (const auto& [rule, n] : batch_counts_.cleared_by_rule) counters_.cleared_by_rule[rule] += n;
  }
  pending_.clear();
  batch_counts_ = {};
}

AlertCounters AlertStage::counters() const {
  absl::MutexLock lock(&counters_mu_);
  return counters_;
}

}  // namespace rapport::alert
