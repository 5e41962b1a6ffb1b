// The alertmanager sink against a real Prometheus Alertmanager (Debian
// prometheus-alertmanager) started here on 127.0.0.1 with gossip off: an
// alert appears in GET /api/v2/alerts with its labels, stays active while
// the sink re-sends it past the endsAt it gave (across a restart of the
// server too), and resolves — in the API
// and in a resolved notification to Alertmanager's own webhook receiver —
// once its cause is withdrawn.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "alerts/silent_close.h"
#include "core/grpc_ingest.h"
#include "core/http_receiver.h"
#include "core/test_util.h"
#include "grpcpp/grpcpp.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "rapport/v1/ingest.grpc.pb.h"
#include "server/server.h"

namespace rapport {
namespace {

using nlohmann::json;
using testing::Comment;
using testing::SilentClose;

bool WaitFor(const std::function<bool()>& done, std::chrono::seconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return done();
}

// Where Alertmanager sends its notifications (its webhook receiver format).
class NotificationReceiver {
 public:
  int port() const { return http_.port(); }
  std::vector<json> notifications() {
    return http_.Locked([&] { return notifications_; });
  }

 private:
  std::vector<json> notifications_;  // under http_'s lock
  testing::HttpReceiver http_{"/am", [this](const httplib::Request& req, httplib::Response& res) {
                                notifications_.push_back(json::parse(req.body, nullptr, false));
                                res.status = 200;
                              }};
};

class Alertmanager {
 public:
  // Starts it on a free port, routing everything to `receiver_port` quickly.
  Alertmanager(const std::string& dir, int receiver_port) : port_(testing::FreePort()) {
    const std::string config = dir + "/am.yml";
    std::ofstream(config) << "route:\n"
                             "  receiver: test\n"
                             "  group_by: [alertname, tenant]\n"
                             "  group_wait: 1s\n"
                             "  group_interval: 1s\n"
                             "  repeat_interval: 1h\n"
                             "receivers:\n"
                             "  - name: test\n"
                             "    webhook_configs:\n"
                             "      - url: http://127.0.0.1:"
                          << receiver_port << "/am\n        send_resolved: true\n";
    log_ = dir + "/alertmanager.log";
    pid_ = fork();
    if (pid_ == 0) {
      const std::string args[] = {"--config.file=" + config, "--storage.path=" + dir + "/am-data",
                                  absl::StrCat("--web.listen-address=127.0.0.1:", port_), "--cluster.listen-address="};
      std::freopen(log_.c_str(), "w", stdout);
      std::freopen(log_.c_str(), "a", stderr);
      execlp("prometheus-alertmanager", "prometheus-alertmanager", args[0].c_str(), args[1].c_str(),
             args[2].c_str(), args[3].c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~Alertmanager() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool Ready() {
    return WaitFor(
        [&] {
          httplib::Client client("127.0.0.1", port_);
          auto r = client.Get("/-/ready");
          return r && r->status == 200;
        },
        std::chrono::seconds(30));
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_); }
  std::string log() const { return testing::ReadFile(log_); }

  // The alerts it holds as active (GET /api/v2/alerts leaves resolved out).
  json Active() {
    httplib::Client client("127.0.0.1", port_);
    auto r = client.Get("/api/v2/alerts?active=true&silenced=false&inhibited=false");
    return r && r->status == 200 ? json::parse(r->body, nullptr, false) : json::array();
  }

 private:
  int port_;
  pid_t pid_ = -1;
  std::string log_;
};

json FindAlert(const json& alerts, const std::string& alertname) {
  for (const json& a : alerts) {
    if (a.is_object() && a["labels"].value("alertname", "") == alertname) return a;
  }
  return nullptr;
}

TEST(AlertmanagerSinkTest, AnAlertAppearsWithItsLabelsStaysWhileResentAndResolvesWhenWithdrawn) {
  if (std::system("command -v prometheus-alertmanager >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "prometheus-alertmanager is not installed (scripts/deps.sh installs it); not tested";
  }
  testing::TempDir dir;
  NotificationReceiver receiver;
  Alertmanager am(dir.path(), receiver.port());
  ASSERT_TRUE(am.Ready()) << am.log();

  server::ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.data_dir = dir.path() + "/store";
  RapportConfig config;
  alert::AlertRule rule;
  rule.name = "silent-close";
  rule.kinds = {v1::FINDING_KIND_RESOLVED_WITHOUT_CONTACT};
  rule.subject = alert::SubjectKind::kTicket;
  alert::TenantAlerts& acme = config.alerts.tenants["acme"];
  acme.defaults = false;
  acme.rules = {rule};
  alert::SinkConfig sink;
  sink.name = "am";
  sink.kind = "alertmanager";
  sink.url = am.url();
  sink.resend_us = 1'000'000;  // endsAt 4 s ahead: the test outlives it only if re-sent
  acme.sinks = {sink};
  options.config = config;
  std::unique_ptr<server::RapportServer> server;
  ASSERT_TRUE(server::RapportServer::Start(options, &server).ok());
  auto send = [&](const std::vector<v1::TicketEvent>& events) {
    testing::StreamBatch(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server->port()), grpc::InsecureChannelCredentials()), events);
  };

  send(SilentClose("INC-7", 0, "ann"));
  ASSERT_TRUE(WaitFor([&] { return !FindAlert(am.Active(), "silent-close").is_null(); }, std::chrono::seconds(20)))
      << am.log();
  const json alert = FindAlert(am.Active(), "silent-close");
  const json& labels = alert["labels"];
  EXPECT_EQ(labels.value("tenant", ""), "acme") << alert;
  EXPECT_EQ(labels.value("kind", ""), "RESOLVED_WITHOUT_CONTACT") << alert;
  EXPECT_EQ(labels.value("severity", ""), "medium") << alert;
  EXPECT_EQ(labels.value("ticket", ""), "INC-7") << alert;
  EXPECT_EQ(labels.value("agent", ""), "ann") << alert;
  EXPECT_NE(alert["annotations"].value("summary", ""), "") << alert;
  EXPECT_NE(alert["annotations"].value("evidence", "").find("INC-7/"), std::string::npos) << alert;

  // Past the first endsAt (4 s): still active only because it was re-sent.
  std::this_thread::sleep_for(std::chrono::seconds(7));
  EXPECT_FALSE(FindAlert(am.Active(), "silent-close").is_null()) << "the sink stopped re-sending: " << am.log();
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const json& n : receiver.notifications()) {
          if (n.value("status", "") == "firing") return true;
        }
        return false;
      },
      std::chrono::seconds(20)));

  // A restarted server takes the alerts still firing back from the store and
  // goes on re-sending them.
  server->Shutdown(2);
  server.reset();
  ASSERT_TRUE(server::RapportServer::Start(options, &server).ok());
  std::this_thread::sleep_for(std::chrono::seconds(6));
  EXPECT_FALSE(FindAlert(am.Active(), "silent-close").is_null()) << "not re-sent after the restart: " << am.log();

  // The public answer (sent before the resolution) arrives late: the finding
  // is withdrawn, the alert clears.
  send({Comment("INC-7", "INC-7-late", 2, v1::ACTOR_ROLE_AGENT, "I reset your password, please try again.")});
  EXPECT_TRUE(WaitFor([&] { return FindAlert(am.Active(), "silent-close").is_null(); }, std::chrono::seconds(20)))
      << am.Active();
  EXPECT_TRUE(WaitFor(
      [&] {
        for (const json& n : receiver.notifications()) {
          if (n.value("status", "") != "resolved") continue;
          for (const json& a : n["alerts"]) {
            if (a["labels"].value("alertname", "") == "silent-close" && a["labels"].value("ticket", "") == "INC-7") {
              return true;
            }
          }
        }
        return false;
      },
      std::chrono::seconds(20)))
      << "no resolved notification from Alertmanager";
  server->Shutdown(2);
}

}  // namespace
}  // namespace rapport
