// Operations: the metrics a running server renders, configuration reload
// (SIGHUP's work, RapportServer::Reload) and the settings digest that makes a
// server rebuild derived data computed under other thresholds.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/log.h"
#include "base/metrics.h"
#include "config/config.h"
#include "core/test_util.h"
#include "grpcpp/client_context.h"
#include "ingest/rebuild.h"
#include "rapport/v1/ingest.grpc.pb.h"
#include "server/server.h"
#include "store/keys.h"

namespace rapport {
namespace {

// The value of one series ("name" or "name{labels}") in a rendered body; -1 when absent.
double Value(const std::string& body, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(body, '\n')) {
    if (absl::StartsWith(line, series + " ")) {
      double v = -1;
      EXPECT_TRUE(absl::SimpleAtod(line.substr(series.size() + 1), &v)) << line;
      return v;
    }
  }
  return -1;
}

class OpsTest : public ::testing::Test {
 protected:
  absl::Status Start(const RapportConfig& config = RapportConfig()) {
    server::ServerOptions options;
    options.listen = "";
    options.data_dir = dir_.path();
    options.config = config;
    return server::RapportServer::Start(options, &server_);
  }

  // One batch: `count` new tickets, plus one event with an empty tenant.
  v1::BatchAck Ingest(int first, int count, bool with_bad = true) {
    auto stub = v1::IngestService::NewStub(server_->InProcessChannel());
    grpc::ClientContext context;
    auto stream = stub->StreamEvents(&context);
    v1::EventBatch events;
    events.set_sequence(1);
    for (int i = first; i < first + count; ++i) {
      *events.add_events() = testing::Created(absl::StrCat("INC", i), absl::StrCat("e", i), i);
    }
    if (with_bad) {
      v1::TicketEvent bad = testing::Created("INC-bad", absl::StrCat("bad", first), 1);
      bad.clear_tenant();
      *events.add_events() = bad;
    }
    v1::BatchAck ack;
    EXPECT_TRUE(stream->Write(events));
    EXPECT_TRUE(stream->Read(&ack));
    stream->WritesDone();
    EXPECT_TRUE(stream->Finish().ok());
    return ack;
  }

  testing::TempDir dir_;
  std::unique_ptr<server::RapportServer> server_;
};

TEST(Metrics, RendersFamiliesWithHelpTypeAndLabels) {
  MetricsRegistry metrics;
  metrics.AddCounter("demo_requests_total", "Requests.", {"adapter", "status"})->With({"jira", "200"}).Add(2);
  metrics.AddGauge("demo_depth", "Depth.", {})->With({}).Set(7);
  auto& h = metrics.AddHistogram("demo_seconds", "Latency.", {}, {0.1, 1})->With({});
  h.Observe(0.05);
  h.Observe(0.5);
  h.Observe(5);
  metrics.AddCounter("demo_escaped_total", "Label values are escaped.", {"v"})->With({"a\"b\\c\nd"}).Add(1);
  const std::string body = metrics.Render();
  EXPECT_NE(body.find("# HELP demo_requests_total Requests.\n# TYPE demo_requests_total counter\n"), std::string::npos);
  EXPECT_EQ(Value(body, "demo_requests_total{adapter=\"jira\",status=\"200\"}"), 2);
  EXPECT_EQ(Value(body, "demo_depth"), 7);
  EXPECT_EQ(Value(body, "demo_seconds_bucket{le=\"0.1\"}"), 1);
  EXPECT_EQ(Value(body, "demo_seconds_bucket{le=\"1\"}"), 2);
  EXPECT_EQ(Value(body, "demo_seconds_bucket{le=\"+Inf\"}"), 3);
  EXPECT_EQ(Value(body, "demo_seconds_count"), 3);
  EXPECT_DOUBLE_EQ(Value(body, "demo_seconds_sum"), 5.55);
  EXPECT_NE(body.find("demo_escaped_total{v=\"a\\\"b\\\\c\\nd\"} 1"), std::string::npos) << body;
  EXPECT_EQ(body.back(), '\n');
}

TEST_F(OpsTest, CountersMoveByTheEventsIngested) {
  ASSERT_TRUE(Start().ok());
  const std::string before = server_->RenderMetrics();
  EXPECT_EQ(Value(before, "rapport_events_ingested_total"), 0);
  EXPECT_EQ(Value(before, "rapport_webhook_requests_total"), -1) << "declared, no series until the HTTP side counts";
  EXPECT_NE(before.find("# TYPE rapport_webhook_requests_total counter"), std::string::npos);

  EXPECT_EQ(Ingest(0, 5).accepted(), 5u);
  EXPECT_EQ(Ingest(5, 3).accepted(), 3u);
  const std::string after = server_->RenderMetrics();
  EXPECT_EQ(Value(after, "rapport_events_ingested_total"), 8);
  EXPECT_EQ(Value(after, "rapport_events_rejected_total{code=\"MISSING_FIELD\"}"), 2) << after;
  EXPECT_EQ(Value(after, "rapport_batches_total"), 2);
  EXPECT_EQ(Value(after, "rapport_batch_commit_seconds_count"), 2);
  EXPECT_EQ(Value(after, "rapport_batch_commit_seconds_bucket{le=\"+Inf\"}"), 2);
  EXPECT_EQ(Value(after, "rapport_ingest_queue_depth"), 0);
  // A stream leaves the count in OnDone, which may run just after the
  // client has its status.
  const absl::Time until = absl::Now() + absl::Seconds(5);
  while (Value(server_->RenderMetrics(), "rapport_ingest_streams") != 0 && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(Value(server_->RenderMetrics(), "rapport_ingest_streams"), 0);
  EXPECT_GE(Value(after, "rapport_store_live_data_bytes"), 0);
  EXPECT_EQ(Value(after, "rapport_store_write_stalled"), 0);
  EXPECT_GT(Value(after, "process_resident_memory_bytes"), 1 << 20);
  EXPECT_GT(Value(after, "process_open_fds"), 3);
  EXPECT_GE(Value(after, "process_cpu_seconds_total"), 0);
}

TEST_F(OpsTest, FindingsRaisedAreCountedByKind) {
  ASSERT_TRUE(Start().ok());
  // A ticket resolved with no public reply: resolved_without_contact.
  auto stub = v1::IngestService::NewStub(server_->InProcessChannel());
  grpc::ClientContext context;
  auto stream = stub->StreamEvents(&context);
  v1::EventBatch events;
  events.set_sequence(1);
  *events.add_events() = testing::Created("INC1", "c1", 0);
  *events.add_events() = testing::Status("INC1", "s1", 5, v1::TICKET_STATUS_RESOLVED);
  v1::BatchAck ack;
  ASSERT_TRUE(stream->Write(events));
  ASSERT_TRUE(stream->Read(&ack));
  stream->WritesDone();
  ASSERT_TRUE(stream->Finish().ok());
  const std::string body = server_->RenderMetrics();
  EXPECT_GE(Value(body, "rapport_findings_raised_total{kind=\"resolved_without_contact\"}"), 1) << body;
}

// promtool (Debian `prometheus`) lints the whole body: HELP, TYPE, names,
// units. Skipped, saying so, where it is not installed.
TEST_F(OpsTest, PromtoolAcceptsTheMetrics) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "promtool is not installed (Debian package prometheus); the exposition is not linted";
  }
  ASSERT_TRUE(Start().ok());
  Ingest(0, 3);
  server_->metrics().AddCounter("rapport_webhook_requests_total", "", {"adapter", "status"})->With({"jira", "200"}).Add();
  const std::string path = dir_.path() + "/metrics.txt";
  std::ofstream(path) << server_->RenderMetrics();
  const std::string out = dir_.path() + "/promtool.txt";
  const int rc = std::system(("promtool check metrics < " + path + " > " + out + " 2>&1").c_str());
  EXPECT_EQ(rc, 0) << testing::ReadFile(out) << testing::ReadFile(path);
  EXPECT_EQ(testing::ReadFile(out), "") << "no lint warning";
}

TEST_F(OpsTest, ReloadAppliesTheLogLevelAndKeepsWhatNeedsARestart) {
  ASSERT_TRUE(Start().ok());
  SetMinLogLevel(LogLevel::kInfo);
  RapportConfig next;
  next.log_level = LogLevel::kWarning;
  detect::Thresholds thresholds;
  thresholds.reply_gap = detect::kHour;
  next.detectors = detect::TenantThresholds(thresholds);
  next.data_dir = "/elsewhere";
  ::testing::internal::CaptureStderr();
  auto applied = server_->Reload(next);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(applied, std::vector<std::string>{"log.level"});
  EXPECT_EQ(MinLogLevel(), LogLevel::kWarning);
  EXPECT_NE(log.find("log level changed"), std::string::npos) << log;
  EXPECT_NE(log.find("setting=data_dir"), std::string::npos) << log;
  // Derived settings are a LiveRebuild's (tests/ops/rapportd_config_test.py): in force until it swaps in.
  EXPECT_EQ(server_->config().DerivedSettingsDigest(), RapportConfig().DerivedSettingsDigest());
  SetMinLogLevel(LogLevel::kInfo);
}

TEST_F(OpsTest, ChangedThresholdsRebuildTheDerivedDataAtStartup) {
  ASSERT_TRUE(Start().ok());
  Ingest(0, 4, false);
  server_->Shutdown();
  server_.reset();

  // Same settings: no rebuild.
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(Start().ok());
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(log.find("rebuilding derived data"), std::string::npos) << log;
  const std::string first_digest = RapportConfig().DerivedSettingsDigest();
  std::string stored;
  ASSERT_TRUE(server_->store().Get(Family::kMeta, keys::kDerivedSettings, &stored).ok());
  EXPECT_EQ(stored, first_digest);
  server_->Shutdown();
  server_.reset();

  // A new reply_gap: the server says it rebuilds, and records the new digest.
  auto changed = ParseConfig("defaults:\n  detectors:\n    reply_gap: 2h\n");
  ASSERT_TRUE(changed.ok());
  EXPECT_NE(changed->DerivedSettingsDigest(), first_digest);
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(Start(*changed).ok());
  log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("rebuilding derived data"), std::string::npos) << log;
  EXPECT_NE(log.find("other detector or scoring settings"), std::string::npos) << log;
  EXPECT_NE(log.find("rebuilt derived data"), std::string::npos) << log;
  ASSERT_TRUE(server_->store().Get(Family::kMeta, keys::kDerivedSettings, &stored).ok());
  EXPECT_EQ(stored, changed->DerivedSettingsDigest());

  // Only a comment and a spelled-out default differ: no rebuild.
  auto same = ParseConfig("# tuned\ndefaults:\n  detectors:\n    reply_gap: 2h\n    stale: 7d\n");
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->DerivedSettingsDigest(), changed->DerivedSettingsDigest());
}

}  // namespace
}  // namespace rapport
