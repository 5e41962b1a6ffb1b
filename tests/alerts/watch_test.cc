// AlertService over real gRPC on 127.0.0.1 against a real server (real
// RocksDB): WatchAlerts replays, goes live, resumes from a cursor across a
// restart, and survives a stalled reader; ListAlerts pages.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "alerts/silent_close.h"
#include "core/test_util.h"
#include "grpcpp/grpcpp.h"
#include "rapport/v1/alerts.grpc.pb.h"
#include "rapport/v1/ingest.grpc.pb.h"
#include "server/server.h"

namespace rapport {
namespace {

using testing::SilentClose;

class WatchTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(); }

  void StartServer() {
    server::ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.data_dir = dir_.path();
    RapportConfig config;
    // No rate limit: some tests raise thousands of alerts on purpose.
    alert::AlertRule rule;
    rule.name = "silent";
    rule.kinds = {v1::FINDING_KIND_RESOLVED_WITHOUT_CONTACT};
    rule.subject = alert::SubjectKind::kAgent;
    config.alerts.defaults.defaults = false;
    config.alerts.defaults.rules = {rule};
    options.config = config;
    absl::Status s = server::RapportServer::Start(options, &server_);
    ASSERT_TRUE(s.ok()) << s;
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials());
  }

  void Restart() {
    server_->Shutdown(2);
    server_.reset();
    StartServer();
  }

  // Ingests `agents` silent closes (one alert each) starting at `first`.
  void RaiseAlerts(int first, int agents) {
    auto stub = v1::IngestService::NewStub(channel_);
    grpc::ClientContext context;
    auto stream = stub->StreamEvents(&context);
    uint64_t seq = 0;
    for (int i = first; i < first + agents; i += 200) {
      v1::EventBatch batch;
      batch.set_sequence(++seq);
      for (int j = i; j < std::min(first + agents, i + 200); ++j) {
        for (auto& e : SilentClose(absl::StrCat("T", j), j, absl::StrCat("agent-", j))) *batch.add_events() = e;
      }
      ASSERT_TRUE(stream->Write(batch));
      v1::BatchAck ack;
      ASSERT_TRUE(stream->Read(&ack));
      ASSERT_EQ(ack.rejected_size(), 0);
    }
    stream->WritesDone();
    ASSERT_TRUE(stream->Finish().ok());
  }

  struct Watch {
    std::unique_ptr<grpc::ClientContext> context = std::make_unique<grpc::ClientContext>();
    std::unique_ptr<grpc::ClientReader<v1::WatchAlertsResponse>> reader;
  };

  // `channel`: null for the shared one.
  Watch Open(uint64_t after, std::vector<std::string> kinds = {}, std::shared_ptr<grpc::Channel> channel = nullptr) {
    Watch w;
    w.context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::WatchAlertsRequest request;
    request.set_tenant("acme");
    request.set_after_cursor(after);
    for (auto& k : kinds) request.add_kinds(k);
    stub_ = v1::AlertService::NewStub(channel ? channel : channel_);
    w.reader = stub_->WatchAlerts(w.context.get(), request);
    return w;
  }

  // Reads until `count` alerts came (or the stream ends); the cursors, and
  // how often the stream said it caught up or fell behind.
  std::vector<uint64_t> ReadAlerts(Watch& w, size_t count, int* caught_up = nullptr, int* fell_behind = nullptr) {
    std::vector<uint64_t> cursors;
    v1::WatchAlertsResponse r;
    while (cursors.size() < count && w.reader->Read(&r)) {
      if (r.has_alert()) cursors.push_back(r.alert().cursor());
      if (r.caught_up() && caught_up) ++*caught_up;
      if (r.fell_behind() && fell_behind) ++*fell_behind;
    }
    return cursors;
  }

  static std::vector<uint64_t> Range(uint64_t from, uint64_t to) {
    std::vector<uint64_t> out;
    for (uint64_t c = from; c <= to; ++c) out.push_back(c);
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<server::RapportServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AlertService::Stub> stub_;
};

TEST_F(WatchTest, ReplayFromZeroReturnsEveryEntryOnceThenGoesLive) {
  RaiseAlerts(0, 30);
  Watch w = Open(0);
  int caught_up = 0;
  EXPECT_EQ(ReadAlerts(w, 30, &caught_up), Range(1, 30));
  // Live: what is raised now arrives after the replay's end.
  RaiseAlerts(30, 5);
  EXPECT_EQ(ReadAlerts(w, 5, &caught_up), Range(31, 35));
  EXPECT_EQ(caught_up, 1);
  w.context->TryCancel();
  w.reader->Finish();
}

TEST_F(WatchTest, AReconnectWithTheLastCursorGetsEveryLaterAlertExactlyOnceAcrossARestart) {
  RaiseAlerts(0, 10);
  uint64_t last = 0;
  {
    Watch w = Open(0);
    const auto got = ReadAlerts(w, 7);
    ASSERT_EQ(got, Range(1, 7));
    last = got.back();
    w.context->TryCancel();
    w.reader->Finish();
  }
  RaiseAlerts(10, 10);  // raised while the subscriber is away
  Restart();
  RaiseAlerts(20, 10);  // and after the restart
  Watch w = Open(last);
  EXPECT_EQ(ReadAlerts(w, 23), Range(8, 30));
  RaiseAlerts(30, 3);
  EXPECT_EQ(ReadAlerts(w, 3), Range(31, 33));
  w.context->TryCancel();
  w.reader->Finish();
}

TEST_F(WatchTest, AShutdownEndsTheStreamWithUnavailableAndTheCursor) {
  RaiseAlerts(0, 3);
  Watch w = Open(0);
  ASSERT_EQ(ReadAlerts(w, 3), Range(1, 3));
  server_->Shutdown(5);
  v1::WatchAlertsResponse r;
  while (w.reader->Read(&r)) {
  }
  grpc::Status status = w.reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_NE(status.error_message().find("after_cursor 3"), std::string::npos) << status.error_message();
}

TEST_F(WatchTest, FiltersByKindAndSeverity) {
  RaiseAlerts(0, 3);
  Watch none = Open(0, {"RUDE_REPLY"});
  Watch all = Open(0, {"RESOLVED_WITHOUT_CONTACT"});
  EXPECT_EQ(ReadAlerts(all, 3), Range(1, 3));
  RaiseAlerts(3, 1);
  EXPECT_EQ(ReadAlerts(all, 1), Range(4, 4));
  none.context->TryCancel();
  v1::WatchAlertsResponse r;
  while (none.reader->Read(&r)) EXPECT_FALSE(r.has_alert()) << "RUDE_REPLY only";
  none.reader->Finish();
  all.context->TryCancel();
  all.reader->Finish();
}

TEST_F(WatchTest, AStalledSubscriberFallsBehindAndStillGetsEveryAlertOnce) {
  // A client that reads nothing: on its own connection with a small receive
  // window (no bandwidth probe), so the server's writes stop quickly.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 16 << 10);
  auto small = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials(),
                                         args);
  Watch stalled = Open(0, {}, small);
  Watch reading = Open(0);
  // Wait until both streams are live, so the commits below go to their buffers.
  int caught_up = 0;
  v1::WatchAlertsResponse r;
  ASSERT_TRUE(stalled.reader->Read(&r));
  EXPECT_TRUE(r.caught_up());
  ASSERT_TRUE(reading.reader->Read(&r));
  EXPECT_TRUE(r.caught_up());
  const int kAlerts = 4000;  // more than the stream window and kWatchBuffer hold
  const auto started = std::chrono::steady_clock::now();
  RaiseAlerts(0, kAlerts);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_LT(seconds, 60) << "ingest must not wait for a subscriber";
  EXPECT_EQ(ReadAlerts(reading, kAlerts), Range(1, kAlerts));
  int fell_behind = 0;
  EXPECT_EQ(ReadAlerts(stalled, kAlerts, &caught_up, &fell_behind), Range(1, kAlerts));
  EXPECT_GE(fell_behind, 1) << "the stalled stream's buffer overflowed";
  for (Watch* w : {&stalled, &reading}) {
    w->context->TryCancel();
    w->reader->Finish();
  }
}

TEST_F(WatchTest, ListAlertsPagesNewestFirstAndListsWhatIsOpen) {
  RaiseAlerts(0, 12);
  auto stub = v1::AlertService::NewStub(channel_);
  v1::ListAlertsRequest request;
  request.set_tenant("acme");
  request.set_page_size(5);
  std::vector<uint64_t> cursors;
  for (int page = 0; page < 10; ++page) {
    grpc::ClientContext context;
    v1::ListAlertsResponse response;
    ASSERT_TRUE(stub->ListAlerts(&context, request, &response).ok());
    for (const auto& a : response.alerts()) cursors.push_back(a.cursor());
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  std::vector<uint64_t> expected = Range(1, 12);
  std::reverse(expected.begin(), expected.end());
  EXPECT_EQ(cursors, expected);
  // A token is bound to its request.
  request.set_state(v1::ALERT_STATE_RESOLVED);
  grpc::ClientContext context;
  v1::ListAlertsResponse response;
  EXPECT_EQ(stub->ListAlerts(&context, request, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListAlertsRequest firing;
  firing.set_tenant("acme");
  firing.set_state(v1::ALERT_STATE_FIRING);
  grpc::ClientContext c2;
  ASSERT_TRUE(stub->ListAlerts(&c2, firing, &response).ok());
  EXPECT_EQ(response.alerts_size(), 12);
}

}  // namespace
}  // namespace rapport
