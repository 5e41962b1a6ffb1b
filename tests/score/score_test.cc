// The score on hand-built tickets: components, weighting, windows, trends,
// late events, rebuilds and explanations. Real RocksDB, the real write path.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>

#include "absl/strings/escaping.h"
#include "event/event.h"
#include "event/json.h"
#include "ingest/rebuild.h"
#include "score/aggregates.h"
#include "score_fixture.h"
#include "store/keys.h"
#include "store/sums.h"

namespace rapport {
namespace {

using testing::At;
using testing::Comment;
using testing::Created;
using testing::kDayMin;
using testing::kHourMin;
using testing::Status;

class ScoreTest : public testing::ScoreFixture {};

TEST(TicketScoreTest, TimeCurveAndQuadrants) {
  EXPECT_DOUBLE_EQ(score::TimeRatioPoints(0), 100);
  EXPECT_DOUBLE_EQ(score::TimeRatioPoints(0.5), 75);
  EXPECT_DOUBLE_EQ(score::TimeRatioPoints(1), 0);
  EXPECT_DOUBLE_EQ(score::TimeRatioPoints(1.5), -50);
  EXPECT_DOUBLE_EQ(score::TimeRatioPoints(5), -100);
  EXPECT_EQ(score::Quadrant(true, 10, true, 0), v1::RELATIONSHIP_PARTNER);
  EXPECT_EQ(score::Quadrant(true, -1, true, 5), v1::RELATIONSHIP_SERVICE_GAP);
  EXPECT_EQ(score::Quadrant(true, 5, true, -1), v1::RELATIONSHIP_COMMUNICATION_GAP);
  EXPECT_EQ(score::Quadrant(true, -5, true, -1), v1::RELATIONSHIP_BROKEN);
  EXPECT_EQ(score::Quadrant(true, -5, false, 0), v1::RELATIONSHIP_SERVICE_GAP) << "no text: communications unjudged";
}

// The worst numbers a stored ticket could carry (from a survey stored before
// validation refused its scale, or any reading gone wrong) never make a
// score, a component or an aggregate sum that is not a number.
TEST(ScoreGuardTest, NoInputMakesAScoreOrASumThatIsNotANumber) {
  const double inf = std::numeric_limits<double>::infinity();
  const double worst[] = {std::numeric_limits<double>::quiet_NaN(), inf, -inf, 1e308, -1e308,
                          std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest()};
  detect::Thresholds thresholds;
  score::ScoreOptions options;
  for (double v : worst) {
    SCOPED_TRACE(v);
    internal::TicketState s;
    s.set_tenant("acme");
    s.set_ticket_id("T");
    s.set_event_count(5);
    s.set_created_at_us(At(0));
    s.set_status(v1::TICKET_STATUS_RESOLVED);
    s.set_resolved_at_us(At(60));
    s.mutable_assignee()->set_team("Apps");
    s.mutable_score()->mutable_inputs()->set_has_survey(true);
    s.mutable_score()->mutable_inputs()->set_survey_0_to_10(v);
    internal::DetectorState* d = s.mutable_detect();
    d->set_agent_toned_messages(1);
    d->set_agent_tone_points(v);
    d->set_requester_messages(2);
    d->set_requester_first_compound(v);
    d->set_requester_last_compound(v);
    d->set_requester_min_compound(v);
    score::TicketScore score = score::ScoreTicket(s, thresholds, options);
    ASSERT_TRUE(score.scored) << "resolution integrity still applies";
    EXPECT_TRUE(std::isfinite(score.score)) << score.score;
    EXPECT_TRUE(std::isfinite(score.weight));
    EXPECT_TRUE(std::isfinite(score.services));
    EXPECT_TRUE(std::isfinite(score.communications));
    for (int c = 0; c < score::kComponentCount; ++c) {
      EXPECT_TRUE(std::isfinite(score.shares[c])) << score::ComponentName(c);
      if (score.applicable[c]) {
        EXPECT_TRUE(std::isfinite(score.components[c])) << score::ComponentName(c);
      }
    }
    internal::TicketScoreRecord record = score::MakeRecord(s, score, options);
    SumVector sums{};
    ASSERT_TRUE(AddEncodedSums(record.sums(), &sums).ok());
    for (int64_t slot : sums) {
      EXPECT_LE(std::abs(slot), int64_t{1'000'000'000}) << "at most ±1000 (in millionths) for one ticket";
    }
  }
}

TEST(SumsTest, MergeAddsAndRefusesGarbage) {
  SumVector a{}, b{};
  a[0] = 1;
  a[5] = -7;
  b[5] = 7;
  b[63] = 42;
  SumVector total{};
  ASSERT_TRUE(AddEncodedSums(EncodeSums(a), &total).ok());
  ASSERT_TRUE(AddEncodedSums(EncodeSums(b), &total).ok());
  EXPECT_EQ(total[0], 1);
  EXPECT_EQ(total[5], 0);
  EXPECT_EQ(total[63], 42);
  EXPECT_EQ(EncodeSums(total).size(), 1u + 2 * 9) << "zero slots are dropped";
  SumVector back{};
  ASSERT_TRUE(AddEncodedSums(NegatedSums(EncodeSums(total)), &back).ok());
  ASSERT_TRUE(AddEncodedSums(EncodeSums(total), &back).ok());
  EXPECT_EQ(EncodeSums(back), EncodeSums(SumVector{}));
  EXPECT_FALSE(AddEncodedSums("x", &back).ok());
  EXPECT_FALSE(AddEncodedSums(std::string("\x01\x50", 2) + std::string(8, '\0'), &back).ok()) << "slot 80";
}

// In a day the query reads (the ticket's, after the last whole month), in a
// month record it reads (an earlier month) and in a week record it reads (one
// of the trend's whole weeks).
TEST_F(ScoreTest, MalformedAggregateIsReportedNotMisread) {
  Send(Handled("A", 0, "kim", "Apps", 10, 60));
  const std::string tag = score::ScopeTag(v1::SCOPE_KIND_TEAM, "Apps");
  const int64_t day = score::DayOf(At(0));
  for (const std::string& key : {keys::Aggregate("acme", tag, day),
                                 keys::AggregateRollup("acme", tag, 'm', score::MonthOfDay(day) - 3),
                                 keys::AggregateRollup("acme", tag, 'w', score::WeekOfDay(day) - 2)}) {
    SCOPED_TRACE(absl::CHexEscape(key));
    Store::Batch batch(*store_);
    batch.Merge(Family::kAggregates, key, "garbage");
    ASSERT_TRUE(store_->Commit(&batch).ok());
    v1::GetScoreRequest request;
    request.set_tenant("acme");
    request.mutable_scope()->set_kind(v1::SCOPE_KIND_TEAM);
    request.mutable_scope()->set_id("Apps");
    auto report = score::GetScore(*store_, request, scores_.options());
    EXPECT_FALSE(report.ok());
    Store::Batch undo(*store_);
    undo.Delete(Family::kAggregates, key);
    ASSERT_TRUE(store_->Commit(&undo).ok());
  }
}

TEST_F(ScoreTest, ComponentsOfAWellHandledAndABadlyHandledTicket) {
  Send(Handled("GOOD", 0, "kim", "Apps", 10, 60));
  // High priority targets: 1h first response, 8h resolution.
  auto slow = Handled("SLOW", 0, "lee", "Apps", 3 * kHourMin, 2 * kDayMin, "done");
  slow[0].set_priority(v1::PRIORITY_HIGH);
  Send(slow);
  v1::ScoreReport good = Score(v1::SCOPE_KIND_TICKET, "GOOD");
  v1::ScoreReport bad = Score(v1::SCOPE_KIND_TICKET, "SLOW");
  ASSERT_TRUE(good.scored());
  ASSERT_TRUE(bad.scored());
  EXPECT_GT(good.score(), 50);
  EXPECT_LT(bad.score(), good.score() - 50);
  EXPECT_EQ(good.relationship(), v1::RELATIONSHIP_PARTNER);
  auto component = [](const v1::ScoreReport& r, const std::string& name) {
    for (const auto& c : r.components()) {
      if (c.component() == name) return c;
    }
    return v1::ComponentScore();
  };
  EXPECT_LT(component(bad, "timeliness").score(), -90) << "both targets missed by far";
  EXPECT_FALSE(component(good, "survey").applicable());
  EXPECT_GE(good.score(), -100);
  EXPECT_LE(good.score(), 100);
}

TEST_F(ScoreTest, SurveyMapsToTheRangeAndFeedsHappiness) {
  auto events = Handled("A", 0, "kim", "Apps", 10, 60);
  v1::TicketEvent survey = Status("A", "A-6", 120, v1::TICKET_STATUS_RESOLVED);
  survey.set_kind(v1::EVENT_KIND_SURVEY_RECEIVED);
  survey.clear_status();
  survey.mutable_actor()->set_role(v1::ACTOR_ROLE_REQUESTER);
  survey.mutable_survey()->set_score(1);
  survey.mutable_survey()->set_scale_min(1);
  survey.mutable_survey()->set_scale_max(5);
  events.push_back(survey);
  auto b = Handled("B", 0, "kim", "Apps", 10, 60);
  survey.set_ticket_id("B");
  survey.set_event_id("B-6");
  survey.mutable_survey()->set_score(5);
  b.push_back(survey);
  Send(events);
  Send(b);
  v1::ScoreReport a = Score(v1::SCOPE_KIND_TICKET, "A");
  for (const auto& c : a.components()) {
    if (c.component() == "survey") {
      EXPECT_DOUBLE_EQ(c.score(), -100);
    }
  }
  v1::ScoreReport team = Score(v1::SCOPE_KIND_TEAM, "Apps");
  EXPECT_TRUE(team.has_surveys());
  EXPECT_EQ(team.surveys(), 2u);
  EXPECT_DOUBLE_EQ(team.survey_happiness(), 0) << "one top (10), one bottom (0)";
  EXPECT_DOUBLE_EQ(team.expectation_gap(), team.survey_happiness() - team.score());
}

// A poisoned survey already in the store (written before validation refused
// its scale) reaches the score stage when a late event refolds its ticket:
// the stage drops it, and every aggregate stays a number.
TEST_F(ScoreTest, APoisonedStoredSurveyCannotReachAnAggregate) {
  Send(Handled("A", 0, "kim", "Apps", 10, 60));
  Send(Handled("B", 0, "kim", "Apps", 10, 60));
  const double inf = std::numeric_limits<double>::infinity();
  const std::pair<double, double> scales[] = {{-inf, inf}, {-1e308, 1e308}, {1, 1}};
  Store::Batch batch(*store_);
  uint64_t arrival = uint64_t{1} << 40;
  for (const auto& [min, max] : scales) {
    v1::TicketEvent survey = Status("A", "poison-" + std::to_string(arrival), 120, v1::TICKET_STATUS_RESOLVED);
    survey.set_kind(v1::EVENT_KIND_SURVEY_RECEIVED);
    survey.clear_status();
    survey.mutable_survey()->set_scale_min(min);
    survey.mutable_survey()->set_scale_max(max);
    survey.mutable_survey()->set_score(4);
    const std::string key = keys::Event("acme", "A", ToMicros(survey.occurred_at()), arrival++);
    batch.Put(Family::kEvents, key, survey.SerializeAsString());
    batch.Put(Family::kDedupe, keys::Dedupe("acme", survey.event_id()), key);
  }
  ASSERT_TRUE(store_->Commit(&batch).ok());
  // Late: refolds A from its stored events, the poisoned surveys included.
  Send({Comment("A", "A-late", 30, v1::ACTOR_ROLE_REQUESTER, "Thanks, it works now!")});

  for (auto [kind, id] : {std::pair{v1::SCOPE_KIND_TENANT, ""}, std::pair{v1::SCOPE_KIND_TEAM, "Apps"},
                          std::pair{v1::SCOPE_KIND_AGENT, "kim"}, std::pair{v1::SCOPE_KIND_TICKET, "A"}}) {
    v1::ScoreReport report = Score(kind, id);
    ASSERT_TRUE(report.scored()) << id;
    EXPECT_TRUE(std::isfinite(report.score())) << id << ": " << report.score();
    EXPECT_GE(report.score(), -100) << id;
    EXPECT_LE(report.score(), 100) << id;
  }
  for (const auto& [key, value] : Dump(*store_, Family::kAggregates)) {
    SumVector sums{};
    ASSERT_TRUE(AddEncodedSums(value, &sums).ok());
    // A roll-up (tenant ∅ scope ∅ 'm' month, or 'w' week) holds its weighted
    // sums in fixed point and the half-life stamp (score/aggregates.h).
    if (key.size() > 10 && key[key.size() - 10] == '\0' && (key[key.size() - 9] == 'm' || key[key.size() - 9] == 'w')) {
      EXPECT_TRUE(score::TakeRollupStamp(&sums, scores_.options().half_life_us));
      for (int64_t& slot : sums) slot = static_cast<int64_t>(static_cast<double>(slot) / score::kRollupScale);
    }
    for (int64_t slot : sums) EXPECT_LE(std::abs(slot), int64_t{10'000'000'000}) << "two tickets at most";
  }
}

// Two teams with the same four component profiles; in "Upset" the badly
// handled ticket's requester was upset, in "Calm" the well handled one's.
TEST_F(ScoreTest, UpsetRequesterMovesTheTeamMoreThanACalmOne) {
  const std::string calm = "Could you have a look at this when you have a moment?";
  const std::string upset = "This is terrible and unacceptable, I am furious, I lost a whole day of work!";
  auto ticket = [&](const std::string& id, const std::string& team, bool bad, const std::string& middle) {
    std::vector<v1::TicketEvent> e = {
        Created(id, id + "-1", 0, team),
        testing::Assign(id, id + "-2", 1, "agent-" + id, team),
        Comment(id, id + "-3", 2, v1::ACTOR_ROLE_REQUESTER, "The printer on floor 3 prints blank pages."),
        Comment(id, id + "-4", 5, v1::ACTOR_ROLE_AGENT, "Thank you for reporting this, I am looking into it now."),
        Comment(id, id + "-5", 6, v1::ACTOR_ROLE_REQUESTER, middle),
        Comment(id, id + "-6", 8, v1::ACTOR_ROLE_AGENT, "I understand, sorry for the trouble. I am on it right now."),
        Comment(id, id + "-7", 9, v1::ACTOR_ROLE_REQUESTER, "The printer on floor 3 prints blank pages."),
        Comment(id, id + "-8", bad ? 2 * kDayMin : 20, v1::ACTOR_ROLE_AGENT,
                "I replaced the toner, it should print again. Thank you for your patience."),
        Status(id, id + "-9", bad ? 2 * kDayMin + 1 : 21, v1::TICKET_STATUS_RESOLVED)};
    e[0].mutable_requester()->set_id("req-" + id);
    e[0].set_priority(bad ? v1::PRIORITY_HIGH : v1::PRIORITY_MEDIUM);  // 8h to resolve, missed by far
    return e;
  };
  Send(ticket("U-GOOD", "Upset", false, calm));
  Send(ticket("U-BAD", "Upset", true, upset));
  Send(ticket("C-GOOD", "Calm", false, upset));
  Send(ticket("C-BAD", "Calm", true, calm));
  // The same component values pairwise ...
  auto components = [&](const std::string& id) {
    std::vector<double> values;
    const v1::ScoreReport report = Score(v1::SCOPE_KIND_TICKET, id);
    for (const auto& c : report.components()) values.push_back(c.applicable() ? c.score() : NAN);
    return values;
  };
  auto same = [](const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!(std::isnan(a[i]) && std::isnan(b[i])) && std::abs(a[i] - b[i]) > 1e-9) return false;
    }
    return true;
  };
  ASSERT_TRUE(same(components("U-GOOD"), components("C-GOOD")));
  ASSERT_TRUE(same(components("U-BAD"), components("C-BAD")));
  const double good = Score(v1::SCOPE_KIND_TICKET, "U-GOOD").score();
  const double bad = Score(v1::SCOPE_KIND_TICKET, "U-BAD").score();
  ASSERT_GT(good, bad + 20);
  // ... but the upset requester's ticket weighs more.
  v1::ScoreReport upset_team = Score(v1::SCOPE_KIND_TEAM, "Upset");
  v1::ScoreReport calm_team = Score(v1::SCOPE_KIND_TEAM, "Calm");
  EXPECT_LT(upset_team.score(), (good + bad) / 2 - 5);
  EXPECT_GT(calm_team.score(), (good + bad) / 2 + 5);
  EXPECT_GT(upset_team.weighted_tickets(), 2.5);
}

TEST_F(ScoreTest, WindowsTrendsAndDecayOnHandBuiltDays) {
  // Days 0..29: agent "rise" slow, "fall" quick; days 30..59 the other way round.
  for (int day = 0; day < 60; ++day) {
    bool early = day < 30;
    int64_t m = day * kDayMin;
    Send(Handled("R" + std::to_string(day), m, "rise", "Apps", early ? 20 * kHourMin : 5, early ? 6 * kDayMin : 30));
    Send(Handled("F" + std::to_string(day), m, "fall", "Apps", early ? 5 : 20 * kHourMin, early ? 30 : 6 * kDayMin));
  }
  const double quick = Score(v1::SCOPE_KIND_TICKET, "R40").score();
  const double slow = Score(v1::SCOPE_KIND_TICKET, "R10").score();
  ASSERT_GT(quick, slow + 50);
  ASSERT_NEAR(Score(v1::SCOPE_KIND_TICKET, "R59").score(), quick, 1e-9) << "identical tickets";

  v1::Window last30;
  *last30.mutable_start() = FromMicros(At(30 * kDayMin));
  *last30.mutable_end() = FromMicros(At(60 * kDayMin));
  v1::ScoreReport rise = Score(v1::SCOPE_KIND_AGENT, "rise", &last30);
  EXPECT_EQ(rise.tickets(), 30u);
  EXPECT_NEAR(rise.score(), quick, 1e-6) << "a window of identical tickets scores like one of them";
  ASSERT_TRUE(rise.has_trend());
  EXPECT_NEAR(rise.trend(), quick - slow, 1e-6) << "against days 0..29";

  v1::ScoreReport all_time = Score(v1::SCOPE_KIND_AGENT, "fall");
  EXPECT_EQ(all_time.tickets(), 60u);
  ASSERT_TRUE(all_time.has_trend());
  // The watermark is day 65 (the last slow resolution): the last 30 days
  // hold only slow tickets, the 30 before mostly quick ones.
  EXPECT_LT(all_time.trend(), (slow - quick) / 2) << "last 30 days against the 30 before";
  // Recency: the recent (slow) half weighs more than the early (quick) half.
  EXPECT_LT(all_time.score(), (quick + slow) / 2);
  EXPECT_GT(all_time.score(), slow);

  v1::ListScoresRequest request;
  request.set_tenant("acme");
  request.set_kind(v1::SCOPE_KIND_AGENT);
  request.set_order(v1::SCORE_ORDER_MOST_IMPROVED);
  auto improved = score::ListScores(*store_, request, scores_.options());
  ASSERT_TRUE(improved.ok());
  ASSERT_EQ(improved->scores_size(), 2);
  EXPECT_EQ(improved->scores(0).scope().id(), "rise");
  request.set_order(v1::SCORE_ORDER_WORST_FIRST);
  request.set_page_size(1);
  auto worst = score::ListScores(*store_, request, scores_.options());
  ASSERT_TRUE(worst.ok());
  EXPECT_EQ(worst->scores(0).scope().id(), "fall");
  EXPECT_EQ(worst->total(), 2u);
  EXPECT_FALSE(worst->next_page_token().empty());
}

TEST_F(ScoreTest, BadRequestsAreRefusedWithAReason) {
  Send(Handled("A", 0, "kim", "Apps", 10, 60));
  v1::GetScoreRequest request;
  request.set_tenant("acme");
  EXPECT_EQ(score::GetScore(*store_, request, scores_.options()).status().code(), absl::StatusCode::kInvalidArgument);
  request.mutable_scope()->set_kind(v1::SCOPE_KIND_AGENT);
  EXPECT_EQ(score::GetScore(*store_, request, scores_.options()).status().code(), absl::StatusCode::kInvalidArgument);
  request.mutable_scope()->set_kind(v1::SCOPE_KIND_TICKET);
  request.mutable_scope()->set_id("NOPE");
  EXPECT_EQ(score::GetScore(*store_, request, scores_.options()).status().code(), absl::StatusCode::kNotFound);
  request.set_tenant("nobody");
  request.mutable_scope()->set_kind(v1::SCOPE_KIND_TENANT);
  EXPECT_EQ(score::GetScore(*store_, request, scores_.options()).status().code(), absl::StatusCode::kNotFound);
  request.set_tenant("acme");
  *request.mutable_window()->mutable_start() = FromMicros(At(100));
  *request.mutable_window()->mutable_end() = FromMicros(At(50));
  EXPECT_EQ(score::GetScore(*store_, request, scores_.options()).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rapport
