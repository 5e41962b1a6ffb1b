// The built-in alertmanager sink through the plugin ABI, against a receiver
// on 127.0.0.1 that records every push: what a firing, a severity rise, a
// resolution, the periodic re-send, a restart and Alertmanager's refusals
// make it send. (tests/alerts/alertmanager_test.cc runs it against the real
// Alertmanager.)
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "builtin/builtins.h"
#include "core/http_receiver.h"
#include "event/event.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "plugin/registry.h"

namespace rapport {
namespace {

using nlohmann::json;

// Records every push; answers 200 unless told otherwise.
class PushRecorder {
 public:
  std::string url() const { return absl::StrCat("http://127.0.0.1:", http_.port(), "/am/"); }
  void Answer(int status) {
    http_.Locked([&] { status_ = status; });
  }
  std::vector<json> Pushes() {
    return http_.Locked([&] { return pushes_; });
  }

 private:
  int status_ = 200;          // under http_'s lock
  std::vector<json> pushes_;  // under http_'s lock
  testing::HttpReceiver http_{"/am/api/v2/alerts", [this](const httplib::Request& req, httplib::Response& res) {
                                pushes_.push_back(json::parse(req.body));
                                res.status = status_;
                                if (status_ != 200) res.set_content("bad alert", "text/plain");
                              }};
};

absl::Time Rfc3339(const json& text) {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, text.get<std::string>(), &t, &error)) << text << error;
  return t;
}

v1::Alert Rude(uint64_t cursor, v1::Severity severity, v1::AlertState state) {
  v1::Alert a;
  a.set_tenant("acme");
  a.set_cursor(cursor);
  a.set_alert_id(1);
  a.set_rule("rude");
  a.set_kind("RUDE_REPLY");
  a.set_state(state);
  a.set_severity(severity);
  a.mutable_subjects()->set_tenant("acme");
  a.mutable_subjects()->set_ticket_id("INC-1");
  a.mutable_subjects()->set_agent_id("ann");
  a.mutable_subjects()->set_team("Network");
  a.set_summary("rude: RUDE_REPLY on ticket INC-1");
  a.add_finding_ids("INC-1/f1");
  *a.mutable_first_seen() = FromMicros(absl::ToUnixMicros(absl::FromCivil(absl::CivilDay(2026, 9, 1), absl::UTCTimeZone())));
  return a;
}

class AlertmanagerSinkTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(RegisterBuiltinPlugins(&registry_).ok()); }
  std::unique_ptr<SinkHandle> Make() {
    auto sink = registry_.CreateSink(
        "alertmanager", json{{"name", "am"}, {"kind", "alertmanager"}, {"url", am_.url()}, {"resend_us", 2'000'000}}.dump());
    EXPECT_TRUE(sink.ok()) << sink.status();
    return sink.ok() ? std::move(*sink) : nullptr;
  }

  PushRecorder am_;
  PluginRegistry registry_;
};

TEST_F(AlertmanagerSinkTest, FiringARiseInSeverityAResolutionAndTheResend) {
  auto sink = Make();
  ASSERT_NE(sink, nullptr);
  const absl::Time before = absl::Now();
  SinkDelivery d = sink->Deliver({Rude(1, v1::SEVERITY_MEDIUM, v1::ALERT_STATE_FIRING)});
  ASSERT_TRUE(d.retry.ok()) << d.retry;
  EXPECT_EQ(d.handled, 1u);
  ASSERT_EQ(am_.Pushes().size(), 1u);
  json fired = am_.Pushes()[0];
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0]["labels"], (json{{"alertname", "rude"}, {"tenant", "acme"}, {"kind", "RUDE_REPLY"},
                                      {"severity", "medium"}, {"ticket", "INC-1"}, {"agent", "ann"},
                                      {"team", "Network"}}));
  EXPECT_EQ(fired[0]["annotations"]["evidence"], "INC-1/f1");
  EXPECT_EQ(fired[0]["annotations"]["rapport_alert"], "acme:1");
  EXPECT_EQ(fired[0]["startsAt"], "2026-09-01T00:00:00.000000Z") << "its first seen, in event time";
  EXPECT_GE(Rfc3339(fired[0]["endsAt"]), before + absl::Seconds(8)) << "four re-send intervals ahead";

  // The severity rises: the old label set ends, the new one fires.
  sink->Deliver({Rude(2, v1::SEVERITY_HIGH, v1::ALERT_STATE_FIRING)});
  ASSERT_EQ(am_.Pushes().size(), 2u);
  json risen = am_.Pushes()[1];
  ASSERT_EQ(risen.size(), 2u);
  EXPECT_EQ(risen[0]["labels"]["severity"], "medium");
  EXPECT_LE(Rfc3339(risen[0]["endsAt"]), absl::Now());
  EXPECT_EQ(risen[1]["labels"]["severity"], "high");
  EXPECT_GT(Rfc3339(risen[1]["endsAt"]), absl::Now());

  // The periodic re-send, once an interval has passed since the last.
  ASSERT_TRUE(sink->Refresh(absl::Now()).ok());
  ASSERT_EQ(am_.Pushes().size(), 3u);
  EXPECT_EQ(am_.Pushes()[2].size(), 1u);
  EXPECT_EQ(am_.Pushes()[2][0]["labels"]["severity"], "high");
  ASSERT_TRUE(sink->Refresh(absl::Now() + absl::Seconds(1)).ok());
  EXPECT_EQ(am_.Pushes().size(), 3u) << "within the interval: nothing";

  // Resolved: endsAt now, and nothing left to re-send.
  sink->Deliver({Rude(3, v1::SEVERITY_HIGH, v1::ALERT_STATE_RESOLVED)});
  ASSERT_EQ(am_.Pushes().size(), 4u);
  EXPECT_LE(Rfc3339(am_.Pushes()[3][0]["endsAt"]), absl::Now());
  ASSERT_TRUE(sink->Refresh(absl::Now() + absl::Seconds(10)).ok());
  EXPECT_EQ(am_.Pushes().size(), 4u);
}

TEST_F(AlertmanagerSinkTest, AfterARestartWhatStillFiresIsResentNotRedelivered) {
  auto sink = Make();
  ASSERT_NE(sink, nullptr);
  SinkDelivery d = sink->Deliver({Rude(2, v1::SEVERITY_HIGH, v1::ALERT_STATE_FIRING)}, /*replayed=*/true);
  EXPECT_EQ(d.handled, 1u);
  EXPECT_TRUE(am_.Pushes().empty()) << "a replayed entry is not sent as a delivery";
  ASSERT_TRUE(sink->Refresh(absl::Now()).ok());
  ASSERT_EQ(am_.Pushes().size(), 1u) << "the first refresh re-sends it";
  EXPECT_EQ(am_.Pushes()[0][0]["labels"]["severity"], "high");
}

TEST_F(AlertmanagerSinkTest, ARefusalIsCountedAndNotKeptAnOutageIsRetried) {
  auto sink = Make();
  ASSERT_NE(sink, nullptr);
  am_.Answer(400);
  SinkDelivery refused = sink->Deliver({Rude(1, v1::SEVERITY_MEDIUM, v1::ALERT_STATE_FIRING)});
  EXPECT_TRUE(refused.retry.ok()) << refused.retry;
  EXPECT_EQ(refused.handled, 1u);
  EXPECT_EQ(refused.refused, 1u);
  EXPECT_NE(refused.refused_why.find("answered 400: bad alert"), std::string::npos) << refused.refused_why;
  am_.Answer(200);
  ASSERT_TRUE(sink->Refresh(absl::Now()).ok());
  EXPECT_EQ(am_.Pushes().size(), 1u) << "what Alertmanager refused is not re-sent";

  am_.Answer(503);
  SinkDelivery later = sink->Deliver({Rude(2, v1::SEVERITY_MEDIUM, v1::ALERT_STATE_FIRING)});
  EXPECT_EQ(later.handled, 0u);
  EXPECT_EQ(later.retry.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(later.retry.message().find("answered 503"), std::string::npos) << later.retry;
}

// A score rule's alert: its kind, its scope as the subject's label (a
// department, which has no label of its own, as scope), the score and its
// threshold as the evidence.
TEST_F(AlertmanagerSinkTest, AScoreAlertNamesItsScope) {
  auto sink = Make();
  ASSERT_NE(sink, nullptr);
  std::vector<v1::Alert> entries;
  for (auto [cursor, kind, id] : {std::tuple{1, v1::SCOPE_KIND_TEAM, "Network"},
                                  std::tuple{2, v1::SCOPE_KIND_DEPARTMENT, "Finance"},
                                  std::tuple{3, v1::SCOPE_KIND_TENANT, ""}}) {
    v1::Alert a;
    a.set_tenant("acme");
    a.set_cursor(cursor);
    a.set_alert_id(cursor);
    a.set_rule("score-low");
    a.set_kind("SCORE_BELOW");
    a.set_state(v1::ALERT_STATE_FIRING);
    a.set_severity(v1::SEVERITY_MEDIUM);
    a.mutable_subjects()->set_tenant("acme");
    a.mutable_subjects()->mutable_scope()->set_kind(kind);
    a.mutable_subjects()->mutable_scope()->set_id(id);
    a.set_score(-31.25);
    a.set_threshold(-20);
    entries.push_back(a);
  }
  ASSERT_TRUE(sink->Deliver(entries).retry.ok());
  ASSERT_EQ(am_.Pushes().size(), 1u);
  const json push = am_.Pushes()[0];
  ASSERT_EQ(push.size(), 3u);
  const json base = {{"alertname", "score-low"}, {"tenant", "acme"}, {"kind", "SCORE_BELOW"}, {"severity", "medium"}};
  json team = base, department = base;
  team["team"] = "Network";
  department["scope"] = "department/Finance";
  EXPECT_EQ(push[0]["labels"], team);
  EXPECT_EQ(push[1]["labels"], department);
  EXPECT_EQ(push[2]["labels"], base) << "the tenant is a label already";
  EXPECT_EQ(push[0]["annotations"]["evidence"], "score -31.2, threshold -20.0");
}

}  // namespace
}  // namespace rapport
