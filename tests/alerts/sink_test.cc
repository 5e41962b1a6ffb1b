// Sinks run by a real server (real RocksDB, real file, real HTTP on
// 127.0.0.1): every entry once, in order, across a restart and a kill -9
// mid-retry; a backfill sends nothing old; the webhook signs and retries.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
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
#include "core/grpc_ingest.h"
#include "core/http_receiver.h"
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

// Agents first .. first+n-1 each close a ticket silently: one alert each
// under the "silent" rule (per agent), in that order.
std::vector<v1::TicketEvent> AlertEvents(int first, int n, int64_t minute) {
  std::vector<v1::TicketEvent> events;
  for (int i = first; i < first + n; ++i) {
    for (auto& e : SilentClose(absl::StrCat("T", i), minute + i, absl::StrCat("agent-", i))) events.push_back(e);
  }
  return events;
}

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

  void Ingest(const std::vector<v1::TicketEvent>& events) { testing::StreamBatch(channel_, events); }
  void RaiseAlerts(int first, int n, int64_t minute) { testing::StreamBatch(channel_, AlertEvents(first, n, minute)); }

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
// each request as `answer(alert id, request number, body)` says. What it
// counts is read with the receiver's lock held (WaitUntil, Locked).
class Receiver {
 public:
  using Answer = std::function<int(const std::string& id, int request, const std::string& body)>;
  Receiver(std::string secret, Answer answer) : secret_(std::move(secret)), answer_(std::move(answer)) {}
  std::string url() const { return http_.url(); }
  // Waits (bounded) until `done` holds under the lock.
  bool WaitUntil(const std::function<bool()>& done, int tenths = 150) {
    for (int tries = 0; tries < tenths; ++tries) {
      if (http_.Locked(done)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return http_.Locked(done);
  }
  template <typename Read>
  auto Locked(Read read) {
    return http_.Locked(read);
  }

  int requests = 0, bad_signatures = 0, missing_headers = 0;
  std::map<std::string, int> attempts;
  std::vector<std::string> acked;

 private:
  void Handle(const httplib::Request& req, httplib::Response& res) {
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
    res.status = answer_(id, requests, req.body);
    if (res.status / 100 == 2) acked.push_back(id);
  }

  std::string secret_;
  Answer answer_;
  testing::HttpReceiver http_{"/hook", [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); }};
};

TEST_F(SinkTest, TheWebhookSinkSignsRetriesOn5xxAnd429AndNeverRetriesA400) {
  // The first request 500, the second 429, then 200, except 400 for anything
  // about agent-1.
  Receiver receiver("s3cret", [](const std::string&, int request, const std::string& body) {
    if (request == 1) return 500;
    if (request == 2) return 429;
    return body.find("agent-1\"") != std::string::npos ? 400 : 200;
  });
  alert::SinkConfig hook;
  hook.name = "ops";
  hook.kind = "webhook";
  hook.url = receiver.url();
  hook.secret = "s3cret";
  hook.headers = {{"X-Team", "ops"}};
  hook.timeout_us = 5'000'000;
  server_->Shutdown(2);
  server_.reset();
  StartServer(hook);
  RaiseAlerts(0, 3, 0);  // agent-0, agent-1 (refused), agent-2
  receiver.WaitUntil([&] { return receiver.acked.size() >= 2; });
  receiver.Locked([&] {
    EXPECT_EQ(receiver.acked, (std::vector<std::string>{"acme:1", "acme:3"}));
    EXPECT_EQ(receiver.attempts["acme:1"], 3) << "500, 429, then 200";
    EXPECT_EQ(receiver.attempts["acme:2"], 1) << "a 400 is permanent";
    EXPECT_EQ(receiver.bad_signatures, 0);
    EXPECT_EQ(receiver.missing_headers, 0);
  });
  // After a restart only what is new is sent: nothing answered 2xx again.
  server_->Shutdown(2);
  server_.reset();
  StartServer(hook);
  RaiseAlerts(3, 1, 10);
  receiver.WaitUntil([&] { return receiver.acked.size() >= 3; }, 100);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  receiver.Locked([&] {
    EXPECT_EQ(receiver.acked, (std::vector<std::string>{"acme:1", "acme:3", "acme:4"}));
    EXPECT_EQ(receiver.attempts["acme:2"], 1);
  });
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

// rapportd as its own process, killed with SIGKILL while it retries a
// delivery: after the restart every alert arrives, and none the receiver had
// answered 2xx is sent again (the delivery cursor moved past them before).
class RapportdProcess {
 public:
  RapportdProcess(const std::string& config, const std::string& data_dir) : port_(testing::FreePort()) {
    pid_ = fork();
    if (pid_ == 0) {
      const std::string args[] = {absl::StrCat("--listen=127.0.0.1:", port_), "--data-dir=" + data_dir,
                                  "--config=" + config, "--log-level=warning"};
      execl(RAPPORTD, RAPPORTD, args[0].c_str(), args[1].c_str(), args[2].c_str(), args[3].c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials());
  }
  ~RapportdProcess() { Kill(SIGTERM); }
  bool Connected() {
    return channel_->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(30));
  }
  void Kill(int signal) {
    if (pid_ <= 0) return;
    kill(pid_, signal);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

 private:
  int port_;
  pid_t pid_ = -1;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST(WebhookSinkCrashTest, AfterAKillMidRetryEveryAlertArrivesAndNoAnswered2xxIsSentAgain) {
  std::atomic<bool> failing{true};
  Receiver receiver("s3cret", [&](const std::string& id, int, const std::string&) {
    return failing.load() && id == "acme:3" ? 503 : 200;
  });
  testing::TempDir dir;
  const std::string config = dir.path() + "/rapport.yaml";
  std::ofstream(config) << "tenants:\n"
                           "  acme:\n"
                           "    alerts:\n"
                           "      defaults: false\n"
                           "      rules:\n"
                           "        - {name: silent, on: finding, kinds: [RESOLVED_WITHOUT_CONTACT], subject: agent}\n"
                           "      sinks:\n"
                           "        - {name: ops, kind: webhook, url: \""
                        << receiver.url() << "\", secret: s3cret, headers: {X-Team: ops}, timeout: 5s}\n";
  const std::string data = dir.path() + "/store";
  {
    RapportdProcess rapportd(config, data);
    ASSERT_TRUE(rapportd.Connected());
    testing::StreamBatch(rapportd.channel(), AlertEvents(0, 3, 0));  // acme:1 .. acme:3
    ASSERT_TRUE(receiver.WaitUntil([&] { return receiver.attempts["acme:3"] >= 2; }))
        << "acme:3 was not retried";
    rapportd.Kill(SIGKILL);  // in the backoff before its next attempt
  }
  failing = false;
  RapportdProcess rapportd(config, data);
  ASSERT_TRUE(rapportd.Connected());
  testing::StreamBatch(rapportd.channel(), AlertEvents(3, 1, 10));  // acme:4
  ASSERT_TRUE(receiver.WaitUntil([&] { return receiver.acked.size() >= 4; }, 200));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // time for a wrong repeat to show
  receiver.Locked([&] {
    EXPECT_EQ(receiver.acked, (std::vector<std::string>{"acme:1", "acme:2", "acme:3", "acme:4"}));
    EXPECT_EQ(receiver.attempts["acme:1"], 1);
    EXPECT_EQ(receiver.attempts["acme:2"], 1);
    EXPECT_EQ(receiver.bad_signatures, 0);
  });
}

}  // namespace
}  // namespace rapport
