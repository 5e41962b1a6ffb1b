// The alert stage on the real write path: real RocksDB in a temp dir, the
// real Ingestor with the detectors, the score stage and the alert stage, fed
// hand-built timelines. What the log holds is read back as WatchAlerts and
// ListAlerts read it.

#include "alert/alert_stage.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "alert/alert_log.h"
#include "core/test_util.h"
#include "detect/detectors.h"
#include "event/event.h"
#include "ingest/ingestor.h"
#include "ingest/rebuild.h"
#include "score/score_query.h"
#include "score/score_stage.h"
#include "store/keys.h"

namespace rapport {
namespace {

using testing::Assign;
using testing::At;
using testing::Comment;
using testing::Created;
using testing::Status;
using v1::ACTOR_ROLE_AGENT;
using v1::ACTOR_ROLE_REQUESTER;

constexpr int64_t kDayMin = 24 * 60;
// At(0) is 08:00 UTC: day 1 ends at minute 960.
constexpr int64_t kDay2 = 960;
constexpr int64_t kDay3 = kDay2 + kDayMin;

// A ticket kim resolves without a word to the requester (RESOLVED_WITHOUT_CONTACT).
std::vector<v1::TicketEvent> SilentClose(const std::string& t, int64_t minute, const std::string& agent = "kim") {
  std::vector<v1::TicketEvent> events = {
      Created(t, t + "-1", minute), Assign(t, t + "-2", minute + 5, agent, "Service Desk"),
      Comment(t, t + "-3", minute + 10, ACTOR_ROLE_AGENT, "Closing, user error.", /*is_public=*/false),
      Status(t, t + "-4", minute + 20, v1::TICKET_STATUS_RESOLVED)};
  for (size_t i = 1; i < events.size(); ++i) events[i].mutable_actor()->set_id(agent);
  return events;
}

// A ticket whose agent answers rudely (RUDE_REPLY).
std::vector<v1::TicketEvent> RudeTicket(const std::string& t, int64_t minute) {
  std::vector<v1::TicketEvent> events = {
      Created(t, t + "-1", minute), Assign(t, t + "-2", minute + 1, "kim", "Service Desk"),
      Comment(t, t + "-3", minute + 2, ACTOR_ROLE_REQUESTER, "The VPN drops every hour."),
      Comment(t, t + "-4", minute + 5, ACTOR_ROLE_AGENT, "Not our problem. Talk to your manager.")};
  events[1].mutable_actor()->set_id("kim");
  events[3].mutable_actor()->set_id("kim");
  return events;
}

// A ticket handled well.
std::vector<v1::TicketEvent> GoodTicket(const std::string& t, int64_t minute) {
  return {Created(t, t + "-1", minute), Assign(t, t + "-2", minute + 1, "lee", "Service Desk"),
          Comment(t, t + "-3", minute + 2, ACTOR_ROLE_REQUESTER, "The printer on floor 3 is jammed."),
          Comment(t, t + "-4", minute + 5, ACTOR_ROLE_AGENT,
                  "Thank you for reporting it! I cleared the jam, it prints again. Have a great day."),
          Comment(t, t + "-5", minute + 8, ACTOR_ROLE_REQUESTER, "Great, thanks a lot, works perfectly!"),
          Status(t, t + "-6", minute + 10, v1::TICKET_STATUS_RESOLVED)};
}

std::vector<v1::TicketEvent> Join(std::vector<std::vector<v1::TicketEvent>> parts) {
  std::vector<v1::TicketEvent> all;
  for (auto& p : parts) all.insert(all.end(), p.begin(), p.end());
  return all;
}

class AlertStageTest : public ::testing::Test {
 protected:
  void Start(alert::AlertSettings settings = {}) { StartAt(dir_.path(), std::move(settings)); }

  void StartAt(const std::string& path, alert::AlertSettings settings) {
    ingestor_.reset();
    store_.reset();
    Store::Options options;
    options.path = path;
    ASSERT_TRUE(Store::Open(options, &store_).ok());
    detectors_ = std::make_unique<detect::DetectorStage>();
    scores_ = std::make_unique<score::ScoreStage>(&detectors_->thresholds(), score::ScoreOptions());
    alerts_ = std::make_unique<alert::AlertStage>(std::move(settings), &scores_->options(), &hub_);
    Ingestor::Options ingest;
    ingest.now_micros = [] { return At(365 * kDayMin); };
    ingest.stages = {detectors_.get(), scores_.get(), alerts_.get()};
    ingestor_ = std::move(*Ingestor::Create(store_.get(), ingest));
  }

  void Send(const std::vector<v1::TicketEvent>& events) {
    v1::EventBatch batch;
    for (const auto& e : events) *batch.add_events() = e;
    auto ack = ingestor_->Apply(batch);
    ASSERT_TRUE(ack.ok()) << ack.status();
    ASSERT_EQ(ack->rejected_size(), 0) << ack->rejected(0).message();
  }

  void AdvanceTo(int64_t minute) {
    Send({Created("CLOCK-" + std::to_string(minute), "clock-" + std::to_string(minute), minute)});
  }

  // Closes the store, rebuilds it (ingest/rebuild.h) with `settings` and
  // reopens it with them.
  void Rebuild(alert::AlertSettings settings) {
    ingestor_.reset();
    store_.reset();
    detect::DetectorStage detectors;
    score::ScoreStage scores(&detectors.thresholds(), score::ScoreOptions());
    alert::AlertStage alerts(settings, &scores.options(), nullptr);
    Ingestor::Options ingest;
    ingest.now_micros = [] { return At(365 * kDayMin); };
    ingest.stages = {&detectors, &scores, &alerts};
    Store::Options options;
    options.path = dir_.path();
    RebuildStats stats;
    absl::Status s = RebuildDerivedData(options, ingest, &stats);
    ASSERT_TRUE(s.ok()) << s;
    StartAt(dir_.path(), std::move(settings));
  }

  std::vector<v1::Alert> Log() {
    std::vector<v1::Alert> out;
    absl::Status s = alert::ReadLog(*store_, "acme", 0, 100000, &out);
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }

  std::vector<v1::Alert> Of(const std::string& rule) {
    std::vector<v1::Alert> out;
    for (v1::Alert& a : Log()) {
      if (a.rule() == rule) out.push_back(std::move(a));
    }
    return out;
  }

  testing::TempDir dir_;
  alert::AlertHub hub_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<detect::DetectorStage> detectors_;
  std::unique_ptr<score::ScoreStage> scores_;
  std::unique_ptr<alert::AlertStage> alerts_;
  std::unique_ptr<Ingestor> ingestor_;
};

TEST_F(AlertStageTest, DefaultRulesRaiseAlertsWithNoAlertConfiguration) {
  Start();
  Send(Join({RudeTicket("A", 0), SilentClose("B", 30)}));
  const auto rude = Of("rude-reply");
  ASSERT_EQ(rude.size(), 1u);
  EXPECT_EQ(rude[0].kind(), "RUDE_REPLY");
  EXPECT_EQ(rude[0].state(), v1::ALERT_STATE_FIRING);
  EXPECT_EQ(rude[0].subjects().agent_id(), "kim");
  EXPECT_EQ(rude[0].subjects().tenant(), "acme");
  ASSERT_EQ(rude[0].finding_ids_size(), 1);
  EXPECT_EQ(rude[0].finding_ids(0).rfind("A/", 0), 0u) << rude[0].finding_ids(0);
  EXPECT_EQ(rude[0].alert_id(), rude[0].cursor());
  EXPECT_NE(rude[0].summary().find("RUDE_REPLY on agent kim"), std::string::npos) << rude[0].summary();
  ASSERT_EQ(Of("resolved-without-contact").size(), 1u);
  // Cursors are 1, 2, ... in the order written.
  const auto log = Log();
  for (size_t i = 0; i < log.size(); ++i) EXPECT_EQ(log[i].cursor(), i + 1);
  auto next = alert::NextCursor(*store_, "acme");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, log.size() + 1);
}

TEST_F(AlertStageTest, DefaultsFalseTurnsTheShippedRulesOff) {
  alert::AlertSettings settings;
  settings.defaults.defaults = false;
  Start(settings);
  Send(Join({RudeTicket("A", 0), SilentClose("B", 30)}));
  EXPECT_TRUE(Log().empty());
}

TEST_F(AlertStageTest, OneOpenAlertPerRuleAndSubjectCountsLaterMatches) {
  Start();
  Send(SilentClose("A", 0));
  Send(SilentClose("B", 60));
  Send(SilentClose("C", 120, "ann"));
  const auto log = Of("resolved-without-contact");
  ASSERT_EQ(log.size(), 3u) << "kim: fired, updated; ann: fired";
  EXPECT_EQ(log[0].subjects().agent_id(), "kim");
  EXPECT_EQ(log[1].alert_id(), log[0].alert_id()) << "the update is of the same alert";
  EXPECT_EQ(log[1].count(), 2u);
  EXPECT_EQ(log[1].finding_ids_size(), 2);
  EXPECT_EQ(ToMicros(log[1].first_seen()), ToMicros(log[0].first_seen()));
  EXPECT_GT(ToMicros(log[1].last_seen()), ToMicros(log[0].last_seen()));
  EXPECT_EQ(log[2].subjects().agent_id(), "ann");
  EXPECT_NE(log[2].alert_id(), log[0].alert_id());
  // Sending the same events again changes nothing.
  Send(SilentClose("A", 0));
  EXPECT_EQ(Of("resolved-without-contact").size(), 3u);
  v1::ListAlertsRequest firing;
  firing.set_tenant("acme");
  firing.set_state(v1::ALERT_STATE_FIRING);
  firing.add_kinds("RESOLVED_WITHOUT_CONTACT");
  auto open = alert::ListAlerts(*store_, firing);
  ASSERT_TRUE(open.ok()) << open.status();
  EXPECT_EQ(open->alerts_size(), 2);
}

// A rebuild with other settings keeps the log as it was and appends only
// the differences: a resolution for what the new rules no longer raise, a
// firing entry for what they newly raise, nothing for what both keep open
// (which then goes on with the new derivation's causes).
TEST_F(AlertStageTest, ARebuildAppendsOnlyWhatTheNewDerivationDiffersBy) {
  Start();
  Send(Join({SilentClose("A", 0, "kim"), SilentClose("B", 30, "lee"), RudeTicket("C", 60)}));
  const std::vector<v1::Alert> before = Log();
  ASSERT_EQ(Of("rude-reply").size(), 1u);
  ASSERT_EQ(Of("resolved-without-contact").size(), 2u);

  alert::AlertSettings after;
  after.defaults.defaults = false;  // rude-reply goes
  alert::AlertRule silent;
  for (const alert::AlertRule& r : alert::DefaultRules()) {
    if (r.name == "resolved-without-contact") silent = r;  // stays as it was
  }
  alert::AlertRule team = silent;  // new
  team.name = "silent-team";
  team.subject = alert::SubjectKind::kTeam;
  after.defaults.rules = {silent, team};
  Rebuild(after);

  const std::vector<v1::Alert> rebuilt = Log();
  ASSERT_EQ(rebuilt.size(), before.size() + 2) << "one resolution, one new alert";
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(rebuilt[i].SerializeAsString(), before[i].SerializeAsString()) << "entry " << i + 1 << " kept as it was";
  }
  const v1::Alert& gone = rebuilt[before.size()];
  EXPECT_EQ(gone.rule(), "rude-reply");
  EXPECT_EQ(gone.state(), v1::ALERT_STATE_RESOLVED);
  EXPECT_EQ(gone.resolution(), "rebuilt");
  EXPECT_EQ(gone.alert_id(), Of("rude-reply")[0].alert_id());
  EXPECT_EQ(gone.cursor(), before.back().cursor() + 1);
  const v1::Alert& added = rebuilt[before.size() + 1];
  EXPECT_EQ(added.rule(), "silent-team");
  EXPECT_EQ(added.state(), v1::ALERT_STATE_FIRING);
  EXPECT_EQ(added.alert_id(), added.cursor());
  EXPECT_EQ(added.subjects().team(), "Service Desk");
  EXPECT_EQ(added.count(), 2u);

  Rebuild(after);
  EXPECT_EQ(Log().size(), rebuilt.size()) << "a second rebuild with the same settings appends nothing";

  // Kim's alert, kept open across the rebuild, still resolves when its cause
  // is withdrawn; the team's alert keeps lee's cause and stays open.
  Send({Comment("A", "A-late", 15, ACTOR_ROLE_AGENT, "I reset your password, please try again.")});
  const std::vector<v1::Alert> last = Log();
  ASSERT_EQ(last.size(), rebuilt.size() + 1) << "kim's alert resolves; the team's loses a cause quietly";
  EXPECT_EQ(last[rebuilt.size()].rule(), "resolved-without-contact");
  EXPECT_EQ(last[rebuilt.size()].resolution(), "withdrawn");
  EXPECT_EQ(last[rebuilt.size()].subjects().agent_id(), "kim");
  v1::ListAlertsRequest firing;
  firing.set_tenant("acme");
  firing.set_state(v1::ALERT_STATE_FIRING);
  auto open = alert::ListAlerts(*store_, firing);
  ASSERT_TRUE(open.ok()) << open.status();
  std::set<std::string> rules;
  for (const v1::Alert& a : open->alerts()) rules.insert(a.rule());
  EXPECT_EQ(rules, (std::set<std::string>{"resolved-without-contact", "silent-team"})) << "lee's and the team's";
}

TEST_F(AlertStageTest, AWithdrawnFindingResolvesItsAlert) {
  Start();
  Send(SilentClose("A", 0));
  ASSERT_EQ(Of("resolved-without-contact").size(), 1u);
  // The public answer (sent before the resolution) reaches Rapport late: the
  // refold withdraws the finding, and the alert resolves with it.
  Send({Comment("A", "A-late", 15, ACTOR_ROLE_AGENT, "I reset your password, please try again.")});
  const auto log = Of("resolved-without-contact");
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1].state(), v1::ALERT_STATE_RESOLVED);
  EXPECT_EQ(log[1].resolution(), "withdrawn");
  EXPECT_EQ(log[1].alert_id(), log[0].alert_id());
  v1::ListAlertsRequest firing;
  firing.set_tenant("acme");
  firing.set_state(v1::ALERT_STATE_FIRING);
  auto open = alert::ListAlerts(*store_, firing);
  ASSERT_TRUE(open.ok());
  for (const auto& a : open->alerts()) EXPECT_NE(a.rule(), "resolved-without-contact");
}

TEST_F(AlertStageTest, AnAlertWithTwoCausesResolvesWhenTheLastIsWithdrawn) {
  Start();
  Send(Join({SilentClose("A", 0), SilentClose("B", 30)}));
  Send({Comment("A", "A-late", 15, ACTOR_ROLE_AGENT, "I reset your password, please try again.")});
  EXPECT_EQ(Of("resolved-without-contact").size(), 2u) << "fired, updated; still open for B";
  Send({Comment("B", "B-late", 45, ACTOR_ROLE_AGENT, "I reset your password, please try again.")});
  const auto log = Of("resolved-without-contact");
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[2].state(), v1::ALERT_STATE_RESOLVED);
}

TEST_F(AlertStageTest, AQuietPeriodOnEventTimeResolves) {
  Start();
  Send(SilentClose("A", 0));
  AdvanceTo(20 * 60);  // 20 h: not yet
  ASSERT_EQ(Of("resolved-without-contact").size(), 1u);
  AdvanceTo(26 * 60);
  const auto log = Of("resolved-without-contact");
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1].resolution(), "quiet");
  EXPECT_EQ(ToMicros(log[1].resolved_at()), At(20) + 24 * alert::kHourUs) << "at the deadline, not the watermark";
  // A new match after the quiet period opens a new alert.
  Send(SilentClose("B", 27 * 60));
  const auto again = Of("resolved-without-contact");
  ASSERT_EQ(again.size(), 3u);
  EXPECT_EQ(again[2].state(), v1::ALERT_STATE_FIRING);
  EXPECT_EQ(again[2].alert_id(), again[2].cursor());
}

TEST_F(AlertStageTest, RateLimitSummarisesTheExcessInOneAlert) {
  alert::AlertSettings settings;
  settings.defaults.defaults = false;
  alert::AlertRule rule;
  rule.name = "silent";
  rule.kinds = {v1::FINDING_KIND_RESOLVED_WITHOUT_CONTACT};
  rule.subject = alert::SubjectKind::kTicket;
  rule.rate_max = 2;
  rule.rate_per_us = alert::kHourUs;
  settings.defaults.rules.push_back(rule);
  Start(settings);
  Send(Join({SilentClose("A", 0), SilentClose("B", 1), SilentClose("C", 2), SilentClose("D", 3), SilentClose("E", 4)}));
  auto log = Of("silent");
  ASSERT_EQ(log.size(), 3u) << "two alerts, one summary";
  EXPECT_EQ(log[0].subjects().ticket_id(), "A");
  EXPECT_EQ(log[1].subjects().ticket_id(), "B");
  EXPECT_EQ(log[2].kind(), "RATE_LIMITED");
  // The window ends: the summary resolves with the whole excess counted.
  AdvanceTo(120);
  log = Of("silent");
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[3].kind(), "RATE_LIMITED");
  EXPECT_EQ(log[3].state(), v1::ALERT_STATE_RESOLVED);
  EXPECT_EQ(log[3].count(), 3u);
  EXPECT_EQ(log[3].resolution(), "rate window ended");
  // A new window raises again.
  Send(SilentClose("F", 130));
  log = Of("silent");
  ASSERT_EQ(log.size(), 5u);
  EXPECT_EQ(log[4].subjects().ticket_id(), "F");
}

TEST_F(AlertStageTest, ReplayInOtherBatchesGivesTheSameAlerts) {
  Start();
  const auto events = Join({SilentClose("A", 0), RudeTicket("B", 10), SilentClose("C", 40, "ann"),
                            RudeTicket("D", 50), SilentClose("E", 30 * 60)});
  Send(events);
  std::vector<v1::Alert> whole = Log();
  ASSERT_GE(whole.size(), 4u);
  // The same events, one per batch, into a second store.
  testing::TempDir other;
  Store::Options options;
  options.path = other.path();
  std::unique_ptr<Store> store;
  ASSERT_TRUE(Store::Open(options, &store).ok());
  detect::DetectorStage detectors;
  score::ScoreStage scores(&detectors.thresholds(), score::ScoreOptions());
  alert::AlertStage alerts({}, &scores.options(), nullptr);
  Ingestor::Options ingest;
  ingest.now_micros = [] { return At(365 * kDayMin); };
  ingest.stages = {&detectors, &scores, &alerts};
  auto ingestor = std::move(*Ingestor::Create(store.get(), ingest));
  for (const auto& e : events) {
    v1::EventBatch batch;
    *batch.add_events() = e;
    ASSERT_TRUE(ingestor->Apply(batch).ok());
  }
  std::vector<v1::Alert> one_by_one;
  ASSERT_TRUE(alert::ReadLog(*store, "acme", 0, 1000, &one_by_one).ok());
  std::multiset<std::string> a, b;
  for (const auto& x : whole) a.insert(absl::StrCat(x.rule(), "|", x.state(), "|", x.subjects().agent_id(), "|", x.count()));
  for (const auto& x : one_by_one) b.insert(absl::StrCat(x.rule(), "|", x.state(), "|", x.subjects().agent_id(), "|", x.count()));
  EXPECT_EQ(a, b);
}

// The score of the tenant over one whole day, as a score rule reads it.
double DayScore(const Store& store, int64_t day_start_minute) {
  v1::GetScoreRequest request;
  request.set_tenant("acme");
  request.mutable_scope()->set_kind(v1::SCOPE_KIND_TENANT);
  // Whole UTC days: the day holding `day_start_minute`.
  const int64_t start = At(day_start_minute) / alert::kDayUs * alert::kDayUs;
  *request.mutable_window()->mutable_start() = FromMicros(start);
  *request.mutable_window()->mutable_end() = FromMicros(start + alert::kDayUs);
  auto report = score::GetScore(store, request, score::ScoreOptions());
  EXPECT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->scored());
  return report->score();
}

TEST_F(AlertStageTest, AScoreRuleFiresBelowAndClearsOnlyPastTheHysteresis) {
  const auto bad_day = Join({RudeTicket("A", 0), SilentClose("B", 10), RudeTicket("C", 20), SilentClose("D", 30)});
  const auto good_day = Join({GoodTicket("E", kDay2 + 60), GoodTicket("F", kDay2 + 90), GoodTicket("G", kDay2 + 120)});
  // First the scores the rules will read, measured on a scratch store at the
  // same moments (the batch that enters a new day reads the days before it).
  double s1 = 0, s2 = 0;
  {
    Start();
    Send(bad_day);
    s1 = DayScore(*store_, 0);
    AdvanceTo(kDay2);
    Send(good_day);
    s2 = DayScore(*store_, kDay2);
  }
  ASSERT_GT(s2 - s1, 6) << "the good day must score clearly better: " << s1 << " vs " << s2;
  testing::TempDir fresh;
  alert::AlertSettings settings;
  settings.defaults.defaults = false;
  alert::AlertRule sticky;
  sticky.name = "sticky";
  sticky.on = alert::AlertRule::On::kScore;
  sticky.scope_kind = v1::SCOPE_KIND_TENANT;
  sticky.window_us = alert::kDayUs;
  sticky.below = s1 + 1;
  sticky.hysteresis = (s2 - s1) + 1;  // s2 < below + hysteresis: stays open
  alert::AlertRule clears = sticky;
  clears.name = "clears";
  clears.hysteresis = (s2 - s1) - 3;  // s2 >= below + hysteresis: resolves
  settings.defaults.rules = {sticky, clears};
  StartAt(fresh.path(), settings);
  Send(bad_day);
  EXPECT_TRUE(Log().empty()) << "judged when the day is over";
  AdvanceTo(kDay2);
  for (const char* rule : {"sticky", "clears"}) {
    const auto log = Of(rule);
    ASSERT_EQ(log.size(), 1u) << rule;
    EXPECT_EQ(log[0].kind(), "SCORE_BELOW");
    EXPECT_EQ(log[0].state(), v1::ALERT_STATE_FIRING);
    EXPECT_NEAR(log[0].score(), s1, 1e-6);
    EXPECT_EQ(log[0].subjects().scope().kind(), v1::SCOPE_KIND_TENANT);
  }
  Send(good_day);
  AdvanceTo(kDay3);
  EXPECT_EQ(Of("sticky").size(), 1u) << "above the threshold, not past the hysteresis: still open";
  const auto log = Of("clears");
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1].state(), v1::ALERT_STATE_RESOLVED);
  EXPECT_EQ(log[1].resolution(), "recovered");
  EXPECT_NEAR(log[1].score(), s2, 1e-6);
  ingestor_.reset();
  store_.reset();  // before `fresh` goes
}

TEST_F(AlertStageTest, CommittedEntriesReachTheHubInOrder) {
  struct Collect : alert::AlertListener {
    void OnCommitted(const std::vector<v1::Alert>& entries) override {
      for (const auto& e : entries) cursors.push_back(e.cursor());
    }
    std::vector<uint64_t> cursors;
  } collect;
  Start();
  hub_.Add("acme", &collect);
  Send(SilentClose("A", 0));
  Send(RudeTicket("B", 10));
  hub_.Remove("acme", &collect);
  const auto log = Log();
  ASSERT_EQ(collect.cursors.size(), log.size());
  for (size_t i = 0; i < log.size(); ++i) EXPECT_EQ(collect.cursors[i], log[i].cursor());
}

}  // namespace
}  // namespace rapport
