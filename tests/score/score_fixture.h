// A real store and the real write path (detectors, then scores) for the
// score tests, with builders for whole tickets.
#ifndef RAPPORT_TESTS_SCORE_SCORE_FIXTURE_H_
#define RAPPORT_TESTS_SCORE_SCORE_FIXTURE_H_

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/test_util.h"
#include "detect/detectors.h"
#include "ingest/ingestor.h"
#include "score/score_query.h"
#include "score/score_stage.h"
#include "store/store.h"

namespace rapport::testing {

inline constexpr int64_t kHourMin = 60;
inline constexpr int64_t kDayMin = 24 * 60;

class ScoreFixture : public ::testing::Test {
 public:  // also driven directly by tests that need several stores
  void SetUp() override { Open(); }

  void Open() {
    ingestor_.reset();
    store_.reset();
    Store::Options options;
    options.path = dir_.path();
    ASSERT_TRUE(Store::Open(options, &store_).ok());
    ingestor_ = std::move(*Ingestor::Create(store_.get(), IngestOptions()));
  }

  Ingestor::Options IngestOptions() {
    Ingestor::Options ingest;
    ingest.now_micros = [] { return At(3 * 365 * kDayMin); };
    ingest.stages = {&detectors_, &scores_};
    return ingest;
  }

  void Send(const std::vector<v1::TicketEvent>& events) {
    v1::EventBatch batch;
    for (const auto& e : events) *batch.add_events() = e;
    auto ack = ingestor_->Apply(batch);
    ASSERT_TRUE(ack.ok()) << ack.status();
    ASSERT_EQ(ack->rejected_size(), 0) << ack->rejected(0).message();
  }

  v1::ScoreReport Score(v1::ScopeKind kind, const std::string& id, const v1::Window* window = nullptr) {
    v1::GetScoreRequest request;
    request.set_tenant("acme");
    request.mutable_scope()->set_kind(kind);
    request.mutable_scope()->set_id(id);
    if (window != nullptr) *request.mutable_window() = *window;
    auto report = score::GetScore(*store_, request, scores_.options());
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : v1::ScoreReport();
  }

  // Every record of a family, for byte-for-byte comparisons.
  static std::map<std::string, std::string> Dump(const Store& store, Family family) {
    std::map<std::string, std::string> out;
    EXPECT_TRUE(store.Scan(family, "", [&](absl::string_view k, absl::string_view v) {
                       out.emplace(std::string(k), std::string(v));
                       return true;
                     }).ok());
    return out;
  }

  // A ticket handled by `agent` of `team`: created at `minute`, answered
  // after `reply_after` minutes, resolved after `resolve_after` minutes.
  static std::vector<v1::TicketEvent> Handled(const std::string& ticket, int64_t minute, const std::string& agent,
                                              const std::string& team, int64_t reply_after, int64_t resolve_after,
                                              const std::string& reply = "Thanks for the report, I have reset your "
                                                                         "VPN profile. Please try again.") {
    std::vector<v1::TicketEvent> events = {
        Created(ticket, ticket + "-1", minute, team),
        Comment(ticket, ticket + "-2", minute + 1, v1::ACTOR_ROLE_REQUESTER, "The VPN does not connect."),
        Assign(ticket, ticket + "-3", minute + 2, agent, team),
        Comment(ticket, ticket + "-4", minute + reply_after, v1::ACTOR_ROLE_AGENT, reply),
        Status(ticket, ticket + "-5", minute + resolve_after, v1::TICKET_STATUS_RESOLVED)};
    events[0].mutable_requester()->set_id("req-" + ticket);
    return events;
  }

  TempDir dir_;
  detect::DetectorStage detectors_;
  score::ScoreStage scores_{&detectors_.thresholds(), score::ScoreOptions()};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Ingestor> ingestor_;
};

}  // namespace rapport::testing

#endif  // RAPPORT_TESTS_SCORE_SCORE_FIXTURE_H_
