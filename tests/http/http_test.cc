// The HTTP port end to end: a real rapportd (RapportServer with a real
// RocksDB store) listening on 127.0.0.1, cpp-httplib's client, the tools'
// payloads from tests/fixtures, signed as the tools sign them.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/test_util.h"
#include "grpcpp/client_context.h"
#include "nlohmann/json.hpp"
#include "rapport/v1/admin.grpc.pb.h"
#include "rapport/v1/experience.grpc.pb.h"
#include "rapport/v1/ingest.grpc.pb.h"
#include "config/config.h"
#include "server/server.h"
#include "server/webhook_auth.h"

namespace rapport {
namespace {

using Json = nlohmann::json;

std::string Fixture(const std::string& path) { return testing::ReadFile(std::string(FIXTURES) + "/" + path); }

std::string Iso(absl::Time t) { return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone()); }

constexpr size_t kMaxBody = 64 << 10;

class HttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string token_file = dir_.path() + "-fs-token";
    std::ofstream(token_file) << "fs-token\n";
    files_.push_back(token_file);
    const std::string config = dir_.path() + "-config.yaml";
    std::ofstream(config) << "tenants:\n"
                             "  acme:\n"
                             "    webhooks:\n"
                             "      jira: {secret: [jira-new, jira-old]}\n"
                             "      zendesk: {secret: zd-secret}\n"
                             "      servicenow: {token: sn-token}\n"
                             "      freshservice: {token_file: "
                          << token_file << "}\n";
    files_.push_back(config);
    server::ServerOptions options;
    options.listen = "";
    options.http_listen = "127.0.0.1:0";
    options.data_dir = dir_.path() + "/store";
    options.config_path = config;
    options.limits.max_message_bytes = kMaxBody;
    absl::Status s = server::RapportServer::Start(options, &server_);
    ASSERT_TRUE(s.ok()) << s;
    ASSERT_GT(server_->http_port(), 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->http_port());
    client_->set_read_timeout(30, 0);
  }
  void TearDown() override {
    client_.reset();  // its keep-alive connection would hold a worker until it times out
    server_.reset();
    for (const std::string& f : files_) std::remove(f.c_str());
  }

  httplib::Result Post(const std::string& path, const std::string& body, httplib::Headers headers = {}) {
    return client_->Post(path.c_str(), headers, body, "application/json");
  }

  uint64_t EventsStored() {
    v1::GetStatsResponse stats;
    grpc::ClientContext context;
    EXPECT_TRUE(v1::AdminService::NewStub(server_->InProcessChannel())
                    ->GetStats(&context, v1::GetStatsRequest(), &stats)
                    .ok());
    return stats.events_accepted();
  }

  grpc::Status Ticket(const std::string& tenant, const std::string& id, v1::GetTicketResponse* ticket) {
    v1::GetTicketRequest request;
    request.set_tenant(tenant);
    request.set_ticket_id(id);
    grpc::ClientContext context;
    return v1::ExperienceService::NewStub(server_->InProcessChannel())->GetTicket(&context, request, ticket);
  }

  // Sends `head` (request line and headers, no body) on a fresh connection
  // and returns the status line of the answer; the server must answer
  // without waiting for a body, within 5 s (its read timeout is 10 s).
  std::string HeadOnly(const std::string& head) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(server_->http_port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval timeout{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    std::string answer;
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        send(fd, head.data(), head.size(), 0) == static_cast<ssize_t>(head.size())) {
      char buf[4096];
      ssize_t n;
      while (answer.find("\r\n") == std::string::npos && (n = recv(fd, buf, sizeof(buf), 0)) > 0) {
        answer.append(buf, static_cast<size_t>(n));
      }
    }
    close(fd);
    return answer.substr(0, answer.find("\r\n"));
  }

  testing::TempDir dir_;
  std::vector<std::string> files_;
  std::unique_ptr<server::RapportServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

void ExpectJsonError(const httplib::Result& r, int status, const std::string& says) {
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, status) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  Json body = Json::parse(r->body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << r->body;
  EXPECT_NE(body.value("error", "").find(says), std::string::npos) << r->body;
}

TEST_F(HttpTest, ASignedJiraDeliveryIsStoredAndAMissingOrWrongSignatureIsRefused) {
  const std::string body = Fixture("jira/issue_created.json");
  ExpectJsonError(Post("/v1/webhooks/jira/acme", body), 401, "X-Hub-Signature");
  ExpectJsonError(Post("/v1/webhooks/jira/acme", body, {{"X-Hub-Signature", server::JiraSignature("guess", body)}}),
                  401, "does not match");
  // Signed over another body: the signature covers the bytes.
  ExpectJsonError(Post("/v1/webhooks/jira/acme", body + " ",
                       {{"X-Hub-Signature", server::JiraSignature("jira-new", body)}}),
                  401, "does not match");
  EXPECT_EQ(EventsStored(), 0u);
  v1::GetTicketResponse ticket;
  EXPECT_EQ(Ticket("acme", "ITSD-123", &ticket).error_code(), grpc::StatusCode::NOT_FOUND);

  auto r = Post("/v1/webhooks/jira/acme", body, {{"X-Hub-Signature", server::JiraSignature("jira-new", body)}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  Json ack = Json::parse(r->body);
  EXPECT_GE(ack["accepted"].get<int>(), 1);
  EXPECT_EQ(ack["rejected"], Json::array());
  ASSERT_TRUE(Ticket("acme", "ITSD-123", &ticket).ok());
  EXPECT_GE(ticket.timeline_size(), 1);

  // Rotation: the old secret still signs; the same delivery again is a duplicate.
  r = Post("/v1/webhooks/jira/acme", body, {{"X-Hub-Signature", server::JiraSignature("jira-old", body)}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Json::parse(r->body)["accepted"], 0);
  EXPECT_GE(Json::parse(r->body)["duplicates"].get<int>(), 1);
}

TEST_F(HttpTest, ASignedZendeskDeliveryIsStoredAStaleOneIsAReplay) {
  const std::string body = Fixture("zendesk/status_changed.json");
  const std::string now = Iso(absl::Now());
  auto headers = [&](const std::string& secret, const std::string& at) {
    return httplib::Headers{{"X-Zendesk-Webhook-Signature", server::ZendeskSignature(secret, at, body)},
                            {"X-Zendesk-Webhook-Signature-Timestamp", at}};
  };
  ExpectJsonError(Post("/v1/webhooks/zendesk/acme", body), 401, "X-Zendesk-Webhook-Signature");
  ExpectJsonError(Post("/v1/webhooks/zendesk/acme", body, headers("guess", now)), 401, "does not match");
  // Signed with the right secret, but ten minutes ago: a replay.
  ExpectJsonError(Post("/v1/webhooks/zendesk/acme", body, headers("zd-secret", Iso(absl::Now() - absl::Minutes(10)))),
                  401, "replay");
  // A signature over BODY + TIMESTAMP (the order an old doc gave) is not Zendesk's.
  httplib::Headers swapped = headers("zd-secret", now);
  swapped.erase("X-Zendesk-Webhook-Signature");
  swapped.emplace("X-Zendesk-Webhook-Signature", server::ZendeskSignature("zd-secret", "", body + now));
  ExpectJsonError(Post("/v1/webhooks/zendesk/acme", body, swapped), 401, "does not match");
  EXPECT_EQ(EventsStored(), 0u);

  auto r = Post("/v1/webhooks/zendesk/acme", body, headers("zd-secret", now));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Json::parse(r->body)["accepted"], 1);
  v1::GetTicketResponse ticket;
  ASSERT_TRUE(Ticket("acme", "5158", &ticket).ok());
  EXPECT_EQ(ticket.timeline_size(), 1);
}

TEST_F(HttpTest, ToolsThatDoNotSignSendAToken) {
  const std::string incident = Fixture("servicenow/incident_bundle.json");
  ExpectJsonError(Post("/v1/webhooks/servicenow/acme", incident), 401, "token is required");
  ExpectJsonError(Post("/v1/webhooks/servicenow/acme", incident, {{"Authorization", "Bearer nope"}}), 401,
                  "does not match");
  ExpectJsonError(Post("/v1/webhooks/servicenow/acme", incident, {{"X-Rapport-Token", "sn-token-"}}), 401,
                  "does not match");
  // Another tenant's token is not this one's.
  ExpectJsonError(Post("/v1/webhooks/freshservice/acme", Fixture("freshservice/ticket_created.json"),
                       {{"X-Rapport-Token", "sn-token"}}),
                  401, "does not match");
  EXPECT_EQ(EventsStored(), 0u);

  auto r = Post("/v1/webhooks/servicenow/acme", incident, {{"Authorization", "Bearer sn-token"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Json::parse(r->body)["accepted"], 10);
  // The token from token_file, without the file's newline.
  r = Post("/v1/webhooks/freshservice/acme", Fixture("freshservice/ticket_created.json"),
           {{"X-Rapport-Token", "fs-token"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Json::parse(r->body)["accepted"], 1);
  EXPECT_EQ(EventsStored(), 11u);
  v1::GetTicketResponse ticket;
  EXPECT_TRUE(Ticket("acme", "INC0010042", &ticket).ok());
}

// A reload (SIGHUP) replaces the webhook credentials without a restart: the
// new token works at once, the removed one no longer does.
TEST_F(HttpTest, AReloadReplacesTheWebhookCredentials) {
  const std::string body = Fixture("freshservice/ticket_created.json");
  auto reloaded = ParseConfig("tenants: {acme: {webhooks: {freshservice: {token: fs-rotated}}}}");
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  const std::vector<std::string> applied = server_->Reload(*reloaded);
  EXPECT_NE(std::find(applied.begin(), applied.end(), "tenants.*.webhooks"), applied.end());
  ExpectJsonError(Post("/v1/webhooks/freshservice/acme", body, {{"X-Rapport-Token", "fs-token"}}), 401,
                  "does not match");
  auto r = Post("/v1/webhooks/freshservice/acme", body, {{"X-Rapport-Token", "fs-rotated"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(EventsStored(), 1u);
}

// /metrics speaks the Prometheus text format and counts this port's answers
// with bounded labels: a made-up adapter or path is not a series of its own.
TEST_F(HttpTest, MetricsCountEveryAnswerByRouteAdapterAndCode) {
  ExpectJsonError(Post("/v1/webhooks/servicenow/acme", "{}"), 401, "token");
  ExpectJsonError(Post("/v1/webhooks/made-up-1/acme", "{}"), 404, "no adapter");
  ExpectJsonError(Post("/v1/webhooks/made-up-2/acme", "{}"), 404, "no adapter");
  ASSERT_TRUE(client_->Get("/nowhere"));
  ASSERT_TRUE(client_->Get("/healthz"));
  // An answer is counted after it is written, and each request here has a
  // connection (a worker) of its own, so the client may read an answer
  // before it is counted: ask again until all are, bounded.
  const std::vector<std::string> counted = {
      R"(rapport_http_requests_total{route="/v1/webhooks",adapter="servicenow",code="401"} 1)",
      R"(rapport_http_requests_total{route="/v1/webhooks",adapter="unknown",code="404"} 2)",
      R"(rapport_http_requests_total{route="other",adapter="",code="404"} 1)",
      R"(rapport_http_requests_total{route="/healthz",adapter="",code="200"} 1)"};
  auto all_counted = [&](const std::string& text) {
    return std::all_of(counted.begin(), counted.end(),
                       [&](const std::string& series) { return text.find(series) != std::string::npos; });
  };
  httplib::Result r = client_->Get("/metrics");
  for (int i = 0; i < 100 && r && !all_counted(r->body); ++i) {
    absl::SleepFor(absl::Milliseconds(20));
    r = client_->Get("/metrics");
  }
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = r->body;
  EXPECT_NE(text.find("# TYPE rapport_http_requests_total counter"), std::string::npos) << text;
  for (const std::string& series : counted) EXPECT_NE(text.find(series), std::string::npos) << series << "\n" << text;
  EXPECT_EQ(text.find("made-up"), std::string::npos);
  EXPECT_NE(text.find("rapport_events_ingested_total 0"), std::string::npos) << text;
}

TEST_F(HttpTest, ABodyTheAdapterRefusesGetsAJsonError) {
  const httplib::Headers token{{"X-Rapport-Token", "sn-token"}};
  ExpectJsonError(Post("/v1/webhooks/servicenow/acme", "{not json", token), 400, "");
  ExpectJsonError(Post("/v1/webhooks/servicenow/acme", Fixture("servicenow/missing_number.json"), token), 400,
                  "'number'");
  ExpectJsonError(Post("/v1/webhooks/remedy/acme", "{}"), 404, "no adapter named 'remedy'");
  ExpectJsonError(Post("/v1/webhooks/jira", "{}"), 404, "no such route");
  EXPECT_EQ(EventsStored(), 0u);
}

// A tenant with no webhook settings takes unsigned deliveries; a payload
// whose every event is refused is a 422 with the per-event reasons.
TEST_F(HttpTest, EveryEventRejectedIs422WithTheReasons) {
  auto r = Post("/v1/webhooks/jsonl/open", "{}\n{}\n{\"tenant\":\"open\"}\n");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 422) << r->body;
  Json ack = Json::parse(r->body);
  EXPECT_EQ(ack["accepted"], 0);
  ASSERT_EQ(ack["rejected"].size(), 3u);
  EXPECT_EQ(ack["rejected"][1]["index"], 1);
  EXPECT_EQ(ack["rejected"][1]["code"], "MISSING_FIELD");
  EXPECT_FALSE(ack["rejected"][1]["message"].get<std::string>().empty());
  EXPECT_EQ(ack["rejected_by_code"]["MISSING_FIELD"], 3);

  // One good event among bad ones: 200, the bad ones listed.
  r = Post("/v1/webhooks/jsonl/open",
           "{}\n{\"tenant\":\"open\",\"ticket_id\":\"T1\",\"event_id\":\"e1\","
           "\"occurred_at\":\"2026-09-01T08:00:00Z\",\"kind\":\"ticket_created\"}\n");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Json::parse(r->body)["accepted"], 1);
  EXPECT_EQ(Json::parse(r->body)["rejected"].size(), 1u);
}

TEST_F(HttpTest, LimitsHoldBeforeTheBodyIsRead) {
  const std::string path = "POST /v1/webhooks/jsonl/open HTTP/1.1\r\nHost: x\r\n";
  EXPECT_EQ(HeadOnly(path + "Content-Length: 1000000\r\n\r\n"), "HTTP/1.1 413 Payload Too Large");
  EXPECT_EQ(HeadOnly(path + "Transfer-Encoding: chunked\r\n\r\n"), "HTTP/1.1 411 Length Required");
  EXPECT_EQ(HeadOnly(path + "Content-Length: 10\r\nContent-Encoding: gzip\r\n\r\n"),
            "HTTP/1.1 415 Unsupported Media Type");
  EXPECT_EQ(HeadOnly(path + "\r\n"), "HTTP/1.1 411 Length Required");
  // And through a client that sends the body: refused, nothing stored.
  ExpectJsonError(Post("/v1/webhooks/jsonl/open", std::string(kMaxBody + 1, ' ')), 413, "over 65536 bytes");
  EXPECT_EQ(EventsStored(), 0u);
}

TEST_F(HttpTest, HealthAndReadiness) {
  auto r = client_->Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = client_->Get("/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;

  server_->http_front_door()->SetReady(false);
  r = client_->Get("/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->get_header_value("Retry-After"), "5");
  r = Post("/v1/webhooks/jsonl/open", "{}\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->get_header_value("Retry-After"), "5");
  r = client_->Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << "still serving";
}

// During a real shutdown the HTTP port stays up while the ingest streams
// drain, and says 503 to new deliveries.
TEST_F(HttpTest, ShutdownAnswers503WhileDraining) {
  auto ingest = v1::IngestService::NewStub(server_->InProcessChannel());
  grpc::ClientContext context;
  // An open stream, known to the server (its first batch is acked): the
  // shutdown ends it, then keeps the ports open a second for its last acks.
  auto stream = ingest->StreamEvents(&context);
  v1::EventBatch batch;
  *batch.add_events() = testing::Created("T1", "e1", 0);
  ASSERT_TRUE(stream->Write(batch));
  v1::BatchAck first;
  ASSERT_TRUE(stream->Read(&first));
  ASSERT_EQ(first.accepted(), 1u);
  std::thread stopping([&] { server_->Shutdown(); });
  int status = 0;
  for (int i = 0; i < 400 && status != 503; ++i) {
    auto r = client_->Get("/readyz");
    if (r) status = r->status;
    if (status != 503) absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(status, 503);
  auto r = Post("/v1/webhooks/jsonl/open", "{}\n");
  if (r) {  // the port may already be closed: then there is no answer at all, which is as good
    EXPECT_EQ(r->status, 503);
    EXPECT_EQ(r->get_header_value("Retry-After"), "5");
  }
  stream->WritesDone();
  v1::BatchAck ack;
  while (stream->Read(&ack)) {
  }
  (void)stream->Finish();
  stopping.join();
}

}  // namespace
}  // namespace rapport
