// The jsonl sink run by a real server (real RocksDB, real file): every entry
// once, in order, across a restart; a backfill sends nothing old.

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "alerts/silent_close.h"
#include "core/test_util.h"
#include "grpcpp/grpcpp.h"
#include "httplib.h"
#include "openssl/evp.h"
#include "openssl/hmac.h"
#include "nlohmann/json.hpp"
#include "rapport/v1/alerts.grpc.pb.h"
#include "rapport/v1/ingest.grpc.pb.h"
#include "server/server.h"

namespace rapport {
namespace {

using testing::Created;
using testing::SilentClose;

constexpr int64_t kDayMin = 24 * 60;

class SinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = data_.path() + "/alerts.jsonl";
    StartServer();
  }

  // `sink` replaces the jsonl sink when set.
  void StartServer(std::optional<alert::SinkConfig> other = std::nullopt) {
    server::ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.data_dir = data_.path() + "/store";
    RapportConfig config;
    alert::AlertRule rule;
    rule.name = "silent";
    rule.kinds = {v1::FINDING_KIND_RESOLVED_WITHOUT_CONTACT};
    rule.subject = alert::SubjectKind::kAgent;
    alert::TenantAlerts& acme = config.alerts.tenants["acme"];
    acme.defaults = false;
    acme.rules = {rule};
    acme.max_age_us = alert::kDayUs;
    alert::SinkConfig sink;
    sink.name = "file";
    sink.kind = "jsonl";
    sink.path = path_;
    acme.sinks = {other ? *other : sink};
    options.config = config;
    absl::Status s = server::RapportServer::Start(options, &server_);
    ASSERT_TRUE(s.ok()) << s;
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials());
  }

  void Ingest(const std::vector<v1::TicketEvent>& events) {
    auto stub = v1::IngestService::NewStub(channel_);
    grpc::ClientContext context;
    auto stream = stub->StreamEvents(&context);
    v1::EventBatch batch;
    batch.set_sequence(1);
    for (const auto& e : events) *batch.add_events() = e;
    ASSERT_TRUE(stream->Write(batch));
    v1::BatchAck ack;
    ASSERT_TRUE(stream->Read(&ack));
    ASSERT_EQ(ack.rejected_size(), 0);
    stream->WritesDone();
    ASSERT_TRUE(stream->Finish().ok());
  }

  void RaiseAlerts(int first, int n, int64_t minute) {
    std::vector<v1::TicketEvent> events;
    for (int i = first; i < first + n; ++i) {
      for (auto& e : SilentClose(absl::StrCat("T", i), minute + i, absl::StrCat("agent-", i))) events.push_back(e);
    }
    Ingest(events);
  }

  // The cursors in the file, once it holds `n` lines (or after 20 s).
  std::vector<uint64_t> Delivered(size_t n) {
    std::vector<uint64_t> cursors;
    for (int tries = 0; tries < 200; ++tries) {
      cursors.clear();
      std::ifstream in(path_);
      std::string line;
      while (std::getline(in, line)) cursors.push_back(std::stoull(nlohmann::json::parse(line).at("cursor").get<std::string>()));  // proto JSON: uint64 as a string
      if (cursors.size() >= n) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return cursors;
  }

  static std::vector<uint64_t> Range(uint64_t from, uint64_t to) {
    std::vector<uint64_t> out;
    for (uint64_t c = from; c <= to; ++c) out.push_back(c);
    return out;
  }

  testing::TempDir data_;
  std::string path_;
  std::unique_ptr<server::RapportServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(SinkTest, EveryEntryOnceInOrderAcrossARestart) {
  RaiseAlerts(0, 5, 0);
  EXPECT_EQ(Delivered(5), Range(1, 5));
  server_->Shutdown(2);
  server_.reset();
  StartServer();
  RaiseAlerts(5, 4, 10);
  EXPECT_EQ(Delivered(9), Range(1, 9)) << "nothing delivered before the restart is sent again";
  // Counted just after the file is written: wait for it (bounded).
  const std::string wanted = "rapport_alert_deliveries_total{tenant=\"acme\",sink=\"file\",outcome=\"delivered\"} 4";
  std::string metrics;
  for (int tries = 0; tries < 50 && metrics.find(wanted) == std::string::npos; ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    metrics = server_->RenderMetrics();
  }
  EXPECT_NE(metrics.find(wanted), std::string::npos) << metrics;
}

TEST_F(SinkTest, ABackfillRecordsOldAlertsButSendsOnlyRecentOnes) {
  // A year-old cause and the newest event arrive together (a backfill).
  std::vector<v1::TicketEvent> events = SilentClose("OLD", 0, "ann");
  events.push_back(Created("NOW", "now-1", 30 * kDayMin));
  Ingest(events);
  RaiseAlerts(0, 1, 30 * kDayMin);  // recent: sent
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // give a wrong second line time to show
  EXPECT_EQ(Delivered(1), Range(2, 2)) << "cursor 1 (ann, a month old) is recorded, not sent";
  auto stub = v1::AlertService::NewStub(channel_);
  v1::ListAlertsRequest request;
  request.set_tenant("acme");
  grpc::ClientContext context;
  v1::ListAlertsResponse response;
  ASSERT_TRUE(stub->ListAlerts(&context, request, &response).ok());
  EXPECT_EQ(response.alerts_size(), 2) << "both are in the log";
}

// A receiver on 127.0.0.1 that checks every signature itself and answers
// from a script: the first request 500, the second 429, then 200, except
// 400 for anything about agent-1.
class Receiver {
 public:
  explicit Receiver(std::string secret) : secret_(std::move(secret)) {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      const std::string ts = req.get_header_value("X-Rapport-Timestamp");
      unsigned char mac[EVP_MAX_MD_SIZE];
      unsigned int size = 0;
      const std::string text = ts + "." + req.body;
      HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
           reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac, &size);
      std::string hex;
      for (unsigned int i = 0; i < size; ++i) hex += absl::StrFormat("%02x", mac[i]);
      if (req.get_header_value("X-Rapport-Signature") != "sha256=" + hex) ++bad_signatures;
      if (req.get_header_value("X-Team") != "ops") ++missing_headers;
      const std::string id = req.get_header_value("X-Rapport-Alert-Id");
      ++requests;
      ++attempts[id];
      if (requests == 1) {
        res.status = 500;
      } else if (requests == 2) {
        res.status = 429;
      } else if (req.body.find("agent-1\"") != std::string::npos) {
        res.status = 400;
      } else {
        res.status = 200;
        acked.push_back(id);
      }
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }

  std::mutex mu_;
  int requests = 0, bad_signatures = 0, missing_headers = 0;
  std::map<std::string, int> attempts;
  std::vector<std::string> acked;

 private:
  std::string secret_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

TEST_F(SinkTest, TheWebhookSinkSignsRetriesOn5xxAnd429AndNeverRetriesA400) {
  Receiver receiver("s3cret");
  alert::SinkConfig hook;
  hook.name = "ops";
  hook.kind = "webhook";
  hook.url = absl::StrCat("http://127.0.0.1:", receiver.port(), "/hook");
  hook.secret = "s3cret";
  hook.headers = {{"X-Team", "ops"}};
  hook.timeout_us = 5'000'000;
  server_->Shutdown(2);
  server_.reset();
  StartServer(hook);
  RaiseAlerts(0, 3, 0);  // agent-0, agent-1 (refused), agent-2
  auto done = [&] {
    std::lock_guard<std::mutex> lock(receiver.mu_);
    return receiver.acked.size() >= 2;
  };
  for (int tries = 0; tries < 150 && !done(); ++tries) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  {
    std::lock_guard<std::mutex> lock(receiver.mu_);
    EXPECT_EQ(receiver.acked, (std::vector<std::string>{"acme:1", "acme:3"}));
    EXPECT_EQ(receiver.attempts["acme:1"], 3) << "500, 429, then 200";
    EXPECT_EQ(receiver.attempts["acme:2"], 1) << "a 400 is permanent";
    EXPECT_EQ(receiver.bad_signatures, 0);
    EXPECT_EQ(receiver.missing_headers, 0);
  }
  // After a restart only what is new is sent: nothing answered 2xx again.
  server_->Shutdown(2);
  server_.reset();
  StartServer(hook);
  RaiseAlerts(3, 1, 10);
  auto four = [&] {
    std::lock_guard<std::mutex> lock(receiver.mu_);
    return receiver.acked.size() >= 3;
  };
  for (int tries = 0; tries < 100 && !four(); ++tries) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::lock_guard<std::mutex> lock(receiver.mu_);
  EXPECT_EQ(receiver.acked, (std::vector<std::string>{"acme:1", "acme:3", "acme:4"}));
  EXPECT_EQ(receiver.attempts["acme:2"], 1);
}

TEST(SinkConfigTest, ASinkThatCannotBeMadeRefusesToStart) {
  struct Case {
    const char* kind;
    const char* url;
    const char* message;
  } cases[] = {
      {"pagerduty", "https://events.pagerduty.com", "no sink named 'pagerduty' (available: alertmanager, jsonl, webhook)"},
      {"alertmanager", "alertmanager:9093", "needs a url starting with http:// or https://"},
  };
  for (const Case& c : cases) {
    testing::TempDir dir;
    server::ServerOptions options;
    options.listen = "";
    options.data_dir = dir.path();
    RapportConfig config;
    alert::SinkConfig sink;
    sink.name = "ops";
    sink.kind = c.kind;
    sink.url = c.url;
    config.alerts.tenants["acme"].sinks = {sink};
    options.config = config;
    std::unique_ptr<server::RapportServer> server;
    absl::Status s = server::RapportServer::Start(options, &server);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(s.message().find("tenants.acme.alerts.sinks: alert sink 'ops'"), std::string::npos) << s;
    EXPECT_NE(s.message().find(c.message), std::string::npos) << s;
  }
}

}  // namespace
}  // namespace rapport
