// The score over whole streams: the bundled samples, shuffled and late
// arrivals, and a rebuild from the events.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <set>

#include "event/event.h"
#include "event/json.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "ingest/rebuild.h"
#include "score/aggregates.h"
#include "score_fixture.h"
#include "store/sums.h"

namespace rapport {
namespace {

using testing::Assign;
using testing::Comment;
using testing::Created;
using testing::kDayMin;
using testing::kHourMin;
using testing::Status;

std::vector<v1::TicketEvent> LoadSamples() {
  std::ifstream in(SAMPLES);
  std::vector<v1::TicketEvent> events;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto e = ParseEventJson(line);
    EXPECT_TRUE(e.ok()) << e.status();
    if (e.ok()) events.push_back(std::move(*e));
  }
  return events;
}

// The aggregates as decoded, non-zero sums (a ticket that moved away leaves
// an all-zero record behind, which reads as absent).
std::map<std::string, std::string> LiveAggregates(const Store& store) {
  std::map<std::string, std::string> out;
  EXPECT_TRUE(store.Scan(Family::kAggregates, "", [&](absl::string_view k, absl::string_view v) {
                     SumVector sums{};
                     EXPECT_TRUE(AddEncodedSums(v, &sums).ok());
                     std::string canonical = EncodeSums(sums);
                     if (canonical.size() > 1) out.emplace(std::string(k), canonical);
                     return true;
                   }).ok());
  return out;
}

class ScoreReplayTest : public testing::ScoreFixture {
 protected:
  void SendInBatches(const std::vector<v1::TicketEvent>& events, size_t size) {
    for (size_t i = 0; i < events.size(); i += size) {
      Send(std::vector<v1::TicketEvent>(events.begin() + i, events.begin() + std::min(events.size(), i + size)));
    }
  }

  std::vector<v1::ScoreReport> AllScopes(v1::ScopeKind kind) {
    v1::ListScoresRequest request;
    request.set_tenant("acme");
    request.set_kind(kind);
    request.set_page_size(1000);
    auto list = score::ListScores(*store_, request, scores_.options());
    EXPECT_TRUE(list.ok()) << list.status();
    return list.ok() ? std::vector<v1::ScoreReport>(list->scores().begin(), list->scores().end())
                     : std::vector<v1::ScoreReport>();
  }
};

TEST_F(ScoreReplayTest, SamplesRankTheMisbehavingTeamsAndAgentsLast) {
  SendInBatches(LoadSamples(), 200);
  std::ifstream truth_file(std::string(SAMPLES).substr(0, std::string(SAMPLES).rfind('/')) + "/truth.json");
  std::string text((std::istreambuf_iterator<char>(truth_file)), std::istreambuf_iterator<char>());
  google::protobuf::Struct truth;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(text, &truth).ok());
  auto names = [&](const char* field) {
    std::set<std::string> out;
    for (const auto& v : truth.fields().at(field).list_value().values()) out.insert(v.string_value());
    return out;
  };
  for (auto [field, kind] : {std::pair{"bad_agents", v1::SCOPE_KIND_AGENT}, {"bad_teams", v1::SCOPE_KIND_TEAM}}) {
    std::set<std::string> bad = names(field);
    std::vector<v1::ScoreReport> ranked = AllScopes(kind);  // worst first
    ASSERT_GT(ranked.size(), bad.size());
    std::set<std::string> bottom;
    for (size_t i = 0; i < bad.size(); ++i) bottom.insert(ranked[i].scope().id());
    EXPECT_EQ(bottom, bad) << field;
  }
}

TEST_F(ScoreReplayTest, ExplanationsAddUpToTheScoreForEveryScope) {
  SendInBatches(LoadSamples(), 500);
  int checked = 0;
  for (v1::ScopeKind kind : {v1::SCOPE_KIND_AGENT, v1::SCOPE_KIND_TEAM, v1::SCOPE_KIND_REQUESTER,
                             v1::SCOPE_KIND_DEPARTMENT, v1::SCOPE_KIND_SERVICE, v1::SCOPE_KIND_TENANT,
                             v1::SCOPE_KIND_TICKET}) {
    std::vector<v1::ScoreReport> scopes = AllScopes(kind);
    ASSERT_FALSE(scopes.empty());
    for (const v1::ScoreReport& r : scopes) {
      v1::GetScoreRequest request;
      request.set_tenant("acme");
      *request.mutable_scope() = r.scope();
      auto ex = score::ExplainScore(*store_, request, scores_.options());
      ASSERT_TRUE(ex.ok()) << ex.status();
      double sum = 0;
      for (const auto& c : ex->contributions()) sum += c.points();
      ASSERT_EQ(sum, ex->score()) << r.scope().ShortDebugString();
      ASSERT_EQ(ex->score(), Score(r.scope().kind(), r.scope().id()).score()) << r.scope().ShortDebugString();
      for (int i = 1; i < ex->contributions_size(); ++i) {
        ASSERT_GE(std::abs(ex->contributions(i - 1).points()), std::abs(ex->contributions(i).points()));
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 400);
}

// Tickets whose late events change their score, their agent and their day.
std::vector<v1::TicketEvent> LateStory() {
  std::vector<v1::TicketEvent> events;
  for (int i = 0; i < 6; ++i) {
    std::string id = "T" + std::to_string(i);
    int64_t m = i * 7 * kHourMin;
    events.push_back(Created(id, id + "-c", m, i % 2 ? "Apps" : "Network"));
    events.back().mutable_requester()->set_id("req-" + std::to_string(i % 3));
    events.push_back(Comment(id, id + "-q", m + 3, v1::ACTOR_ROLE_REQUESTER, "My laptop will not boot, I cannot work."));
    events.push_back(Assign(id, id + "-a1", m + 10, "kim", "Apps"));
    events.push_back(Comment(id, id + "-r", m + 30 + i * 40, v1::ACTOR_ROLE_AGENT,
                             i == 2 ? "Not our problem. Read the manual." : "I am sorry about that, I will fix it today."));
    events.push_back(Assign(id, id + "-a2", m + 2 * kHourMin, i % 2 ? "lee" : "kim", "Apps"));
    events.push_back(Status(id, id + "-s", m + (i + 1) * 5 * kHourMin, v1::TICKET_STATUS_RESOLVED));
    if (i == 4) events.push_back(Status(id, id + "-o", m + 2 * kDayMin, v1::TICKET_STATUS_IN_PROGRESS));
  }
  events.push_back(Created("CLOCK", "clock", 20 * kDayMin, "Network"));
  return events;
}

TEST(ScoreOrderTest, LateAndRepeatedEventsCountExactlyOnce) {
  auto run = [](const std::vector<v1::TicketEvent>& events, size_t batch_size, bool resend) {
    struct Run : testing::ScoreFixture {
      void TestBody() override {}
    } fixture;
    fixture.SetUp();
    for (size_t i = 0; i < events.size(); i += batch_size) {
      std::vector<v1::TicketEvent> batch(events.begin() + i, events.begin() + std::min(events.size(), i + batch_size));
      fixture.Send(batch);
      if (resend) fixture.Send(batch);  // duplicates change nothing
    }
    std::map<std::string, std::string> live = LiveAggregates(*fixture.store_);
    std::map<std::string, double> scores;
    for (v1::ScopeKind kind : {v1::SCOPE_KIND_AGENT, v1::SCOPE_KIND_TEAM, v1::SCOPE_KIND_REQUESTER,
                               v1::SCOPE_KIND_TENANT}) {
      for (const char* id : {"kim", "lee", "Apps", "Network", "req-0", "req-1", "req-2", ""}) {
        v1::GetScoreRequest request;
        request.set_tenant("acme");
        request.mutable_scope()->set_kind(kind);
        request.mutable_scope()->set_id(id);
        auto r = score::GetScore(*fixture.store_, request, fixture.scores_.options());
        if (r.ok()) scores[std::to_string(kind) + "/" + id] = r->score();
      }
    }
    return std::make_pair(live, scores);
  };
  auto reference = run(LateStory(), 1000, false);
  ASSERT_FALSE(reference.first.empty());
  EXPECT_GT(reference.second.at(std::to_string(v1::SCOPE_KIND_AGENT) + "/lee"), -100);
  std::mt19937 rng(11);
  for (int round = 0; round < 8; ++round) {
    auto events = LateStory();
    std::shuffle(events.begin(), events.end() - 1, rng);
    auto got = run(events, 1 + round % 4, round % 2 == 1);
    EXPECT_EQ(got.first, reference.first) << "round " << round;
    EXPECT_EQ(got.second, reference.second) << "round " << round;
  }
}

TEST_F(ScoreReplayTest, RebuildFromTheEventsGivesIdenticalScores) {
  SendInBatches(LoadSamples(), 37);
  auto scores = [&] {
    std::vector<std::string> out;
    for (v1::ScopeKind kind : {v1::SCOPE_KIND_AGENT, v1::SCOPE_KIND_TEAM, v1::SCOPE_KIND_REQUESTER,
                               v1::SCOPE_KIND_DEPARTMENT, v1::SCOPE_KIND_SERVICE, v1::SCOPE_KIND_TENANT,
                               v1::SCOPE_KIND_TICKET}) {
      for (const auto& r : AllScopes(kind)) out.push_back(r.SerializeAsString());
    }
    return out;
  };
  const auto before = scores();
  const auto aggregates = LiveAggregates(*store_);
  const auto tickets = Dump(*store_, Family::kTickets);
  ASSERT_GT(before.size(), 400u);
  ingestor_.reset();
  store_.reset();
  Store::Options options;
  options.path = dir_.path();
  RebuildStats stats;
  ASSERT_TRUE(RebuildDerivedData(options, IngestOptions(), &stats).ok());
  EXPECT_EQ(stats.events, LoadSamples().size());
  Open();
  EXPECT_EQ(LiveAggregates(*store_), aggregates);
  EXPECT_EQ(scores(), before);
  EXPECT_EQ(Dump(*store_, Family::kTickets).size(), tickets.size());
}

}  // namespace
}  // namespace rapport
