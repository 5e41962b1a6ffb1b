// API keys end to end: a real RapportServer (real RocksDB in a temp dir, gRPC
// and HTTP on 127.0.0.1), keys written to the real keys file the way
// `rapportd keys` writes it, real gRPC stubs and cpp-httplib's client.
// Every RPC and every HTTP route is asked with no key, a malformed one, an
// unknown one, a revoked one, another tenant's and one without the role.
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "auth/api_keys.h"
#include "core/test_util.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "rapport/v1/alerts.grpc.pb.h"
#include "rapport/v1/experience.grpc.pb.h"
#include "rapport/v1/ingest.grpc.pb.h"
#include "server/server.h"
#include "server/webhook_auth.h"

namespace rapport {
namespace {

using auth::Role;
using grpc::StatusCode;

// Adds a key to the keys file of `data_dir` and returns it.
std::string MakeKey(const std::string& data_dir, const std::string& tenant, Role role) {
  auto generated = auth::GenerateKey();
  EXPECT_TRUE(generated.ok());
  auth::KeyRecord record;
  record.hash = generated->hash;
  record.tenant = tenant;
  record.role = role;
  record.label = "test";
  record.created = absl::ToUnixSeconds(absl::Now());
  EXPECT_TRUE(auth::UpdateKeyFile(data_dir, [&](std::vector<auth::KeyRecord>* keys) {
                keys->push_back(record);
                return absl::OkStatus();
              }).ok());
  return generated->key;
}

void RevokeKey(const std::string& data_dir, const std::string& key) {
  const std::string id = *auth::KeyIdOf(key);
  EXPECT_TRUE(auth::UpdateKeyFile(data_dir, [&](std::vector<auth::KeyRecord>* keys) {
                std::erase_if(*keys, [&](const auth::KeyRecord& r) { return r.hash.id == id; });
                return absl::OkStatus();
              }).ok());
}

v1::TicketEvent Event(const std::string& tenant, const std::string& id) {
  v1::TicketEvent e = testing::Created("T-1", id, 0);
  e.set_tenant(tenant);
  return e;
}

// One RPC, called for `tenant` with `authorization` ("" sends none).
using Rpc = std::function<grpc::Status(grpc::Channel*, const std::string& tenant, const std::string& authorization)>;

void Authorize(grpc::ClientContext* context, const std::string& authorization) {
  if (!authorization.empty()) context->AddMetadata("authorization", authorization);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
}

template <typename Request>
Request WithTenant(const std::string& tenant) {
  Request r;
  r.set_tenant(tenant);
  return r;
}

grpc::Status StreamOne(grpc::Channel* channel, const std::string& tenant, const std::string& authorization) {
  grpc::ClientContext context;
  Authorize(&context, authorization);
  auto stream = v1::IngestService::NewStub(channel->shared_from_this())->StreamEvents(&context);
  v1::EventBatch batch;
  batch.set_sequence(1);
  *batch.add_events() = Event(tenant, absl::StrCat("e-", absl::ToUnixNanos(absl::Now())));
  stream->Write(batch);
  stream->WritesDone();
  v1::BatchAck ack;
  while (stream->Read(&ack)) {
  }
  return stream->Finish();
}

struct RpcCase {
  std::string name;
  Role needs;
  bool operator_only = false;  // belongs to no tenant (backups)
  bool tenantless = false;     // takes no tenant (plugins)
  Rpc call;
};

std::vector<RpcCase> AllRpcs(const std::string& backup_root) {
  auto exp = [](grpc::Channel* c) { return v1::ExperienceService::NewStub(c->shared_from_this()); };
  auto adm = [](grpc::Channel* c) { return v1::AdminService::NewStub(c->shared_from_this()); };
  std::vector<RpcCase> rpcs;
  rpcs.push_back({"GetTicket", Role::kRead, false, false, [=](grpc::Channel* c, const std::string& t, const std::string& a) {
                    grpc::ClientContext ctx;
                    Authorize(&ctx, a);
                    auto req = WithTenant<v1::GetTicketRequest>(t);
                    req.set_ticket_id("T-1");
                    v1::GetTicketResponse resp;
                    return exp(c)->GetTicket(&ctx, req, &resp);
                  }});
  rpcs.push_back({"ListTickets", Role::kRead, false, false, [=](grpc::Channel* c, const std::string& t, const std::string& a) {
                    grpc::ClientContext ctx;
                    Authorize(&ctx, a);
                    v1::ListTicketsResponse resp;
                    return exp(c)->ListTickets(&ctx, WithTenant<v1::ListTicketsRequest>(t), &resp);
                  }});
  rpcs.push_back({"ListFindings", Role::kRead, false, false, [=](grpc::Channel* c, const std::string& t, const std::string& a) {
                    grpc::ClientContext ctx;
                    Authorize(&ctx, a);
                    v1::ListFindingsResponse resp;
                    return exp(c)->ListFindings(&ctx, WithTenant<v1::ListFindingsRequest>(t), &resp);
                  }});
  rpcs.push_back({"GetScore", Role::kRead, false, false, [=](grpc::Channel* c, const std::string& t, const std::string& a) {
                    grpc::ClientContext ctx;
                    Authorize(&ctx, a);
                    v1::ScoreReport resp;
                    return exp(c)->GetScore(&ctx, WithTenant<v1::GetScoreRequest>(t), &resp);
                  }});
  rpcs.push_back({"ListScores", Role::kRead, false, false, [=](grpc::Channel* c, const std::string& t, const std::string& a) {
                    grpc::ClientContext ctx;
                    Authorize(&ctx, a);
                    v1::ListScoresResponse resp;
                    return exp(c)->ListScores(&ctx, WithTenant<v1::ListScoresRequest>(t), &resp);
                  }});
  rpcs.push_back({"ExplainScore", Role::kRead, false, false, [=](grpc::Channel* c, const std::string& t, const std::string& a) {
                    grpc::ClientContext ctx;
                    Authorize(&ctx, a);
                    v1::ScoreExplanation resp;
                    return exp(c)->ExplainScore(&ctx, WithTenant<v1::GetScoreRequest>(t), &resp);
                  }});
  rpcs.push_back({"IngestRaw", Role::kIngest, false, false, [=](grpc::Channel* c, const std::string& t, const std::string& a) {
                    grpc::ClientContext ctx;
                    Authorize(&ctx, a);
                    auto req = WithTenant<v1::RawPayload>(t);
                    req.set_adapter("jsonl");
                    req.set_body("");
                    v1::BatchAck resp;
                    return v1::IngestService::NewStub(c->shared_from_this())->IngestRaw(&ctx, req, &resp);
                  }});
  rpcs.push_back({"StreamEvents", Role::kIngest, false, false, StreamOne});
  rpcs.push_back({"GetStats", Role::kAdmin, false, false, [=](grpc::Channel* c, const std::string& t, const std::string& a) {
                    grpc::ClientContext ctx;
                    Authorize(&ctx, a);
                    v1::GetStatsResponse resp;
                    return adm(c)->GetStats(&ctx, WithTenant<v1::GetStatsRequest>(t), &resp);
                  }});
  rpcs.push_back({"ListAlerts", Role::kRead, false, false, [=](grpc::Channel* c, const std::string& t, const std::string& a) {
                    grpc::ClientContext ctx;
                    Authorize(&ctx, a);
                    v1::ListAlertsResponse resp;
                    return v1::AlertService::NewStub(c->shared_from_this())
                        ->ListAlerts(&ctx, WithTenant<v1::ListAlertsRequest>(t), &resp);
                  }});
  // An allowed watch stays open, live: it ends at a short deadline instead.
  rpcs.push_back({"WatchAlerts", Role::kRead, false, false, [=](grpc::Channel* c, const std::string& t, const std::string& a) {
                    grpc::ClientContext ctx;
                    Authorize(&ctx, a);
                    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(1500));
                    auto stream = v1::AlertService::NewStub(c->shared_from_this())
                                      ->WatchAlerts(&ctx, WithTenant<v1::WatchAlertsRequest>(t));
                    v1::WatchAlertsResponse entry;
                    while (stream->Read(&entry)) {
                    }
                    return stream->Finish();
                  }});
  rpcs.push_back({"ListPlugins", Role::kAdmin, false, true, [=](grpc::Channel* c, const std::string&, const std::string& a) {
                    grpc::ClientContext ctx;
                    Authorize(&ctx, a);
                    v1::ListPluginsResponse resp;
                    return adm(c)->ListPlugins(&ctx, v1::ListPluginsRequest(), &resp);
                  }});
  rpcs.push_back({"CreateBackup", Role::kAdmin, true, false, [=](grpc::Channel* c, const std::string&, const std::string& a) {
                    static int n = 0;
                    grpc::ClientContext ctx;
                    Authorize(&ctx, a);
                    v1::CreateBackupRequest req;
                    req.set_dir(absl::StrCat(backup_root, "/backup-", ++n));
                    v1::CreateBackupResponse resp;
                    return adm(c)->CreateBackup(&ctx, req, &resp);
                  }});
  return rpcs;
}

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_dir_ = dir_.path() + "/store";
    keys_["acme-ingest"] = MakeKey(data_dir_, "acme", Role::kIngest);
    keys_["acme-read"] = MakeKey(data_dir_, "acme", Role::kRead);
    keys_["acme-admin"] = MakeKey(data_dir_, "acme", Role::kAdmin);
    keys_["beta-admin"] = MakeKey(data_dir_, "beta", Role::kAdmin);
    keys_["operator"] = MakeKey(data_dir_, "*", Role::kAdmin);
    keys_["revoked"] = MakeKey(data_dir_, "acme", Role::kAdmin);
    RevokeKey(data_dir_, keys_["revoked"]);
    StartServer("");
  }

  void StartServer(const std::string& config_text) {
    server::ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.http_listen = "127.0.0.1:0";
    options.data_dir = data_dir_;
    if (!config_text.empty()) {
      auto config = ParseConfig(config_text);
      ASSERT_TRUE(config.ok()) << config.status();
      options.config = *config;
    }
    absl::Status s = server::RapportServer::Start(options, &server_);
    ASSERT_TRUE(s.ok()) << s;
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials());
    http_ = std::make_unique<httplib::Client>("127.0.0.1", server_->http_port());
    http_->set_read_timeout(30, 0);
  }

  void TearDown() override {
    http_.reset();
    server_.reset();
  }

  std::string Bearer(const std::string& name) { return "Bearer " + keys_.at(name); }

  testing::TempDir dir_;
  std::string data_dir_;
  std::map<std::string, std::string> keys_;
  std::unique_ptr<server::RapportServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<httplib::Client> http_;
};

bool Refused(const grpc::Status& s) {
  return s.error_code() == StatusCode::UNAUTHENTICATED || s.error_code() == StatusCode::PERMISSION_DENIED;
}

TEST_F(AuthTest, EveryRpcRefusesMissingWrongRevokedOtherTenantAndRoleLessKeys) {
  ASSERT_TRUE(server_->authorizer().Enabled());
  auto unknown = auth::GenerateKey();
  ASSERT_TRUE(unknown.ok());
  for (const RpcCase& rpc : AllRpcs(dir_.path())) {
    SCOPED_TRACE(rpc.name);
    grpc::Channel* c = channel_.get();
    // Who is asking does not depend on what: unknown tenants too.
    for (const std::string tenant : {"acme", "no-such-tenant"}) {
      EXPECT_EQ(rpc.call(c, tenant, "").error_code(), StatusCode::UNAUTHENTICATED);
      EXPECT_EQ(rpc.call(c, tenant, "Bearer not-a-key").error_code(), StatusCode::UNAUTHENTICATED);
      EXPECT_EQ(rpc.call(c, tenant, "Basic " + keys_["acme-admin"]).error_code(), StatusCode::UNAUTHENTICATED);
      EXPECT_EQ(rpc.call(c, tenant, "Bearer " + unknown->key).error_code(), StatusCode::UNAUTHENTICATED);
      EXPECT_EQ(rpc.call(c, tenant, Bearer("revoked")).error_code(), StatusCode::UNAUTHENTICATED);
      // The right id with a wrong secret.
      std::string forged = keys_["acme-admin"];
      forged.back() = forged.back() == '0' ? '1' : '0';
      EXPECT_EQ(rpc.call(c, tenant, "Bearer " + forged).error_code(), StatusCode::UNAUTHENTICATED);
    }
    if (rpc.operator_only) {
      EXPECT_EQ(rpc.call(c, "acme", Bearer("acme-admin")).error_code(), StatusCode::PERMISSION_DENIED);
    } else if (!rpc.tenantless) {
      // Another tenant's key, whether the asked tenant exists or not.
      EXPECT_EQ(rpc.call(c, "acme", Bearer("beta-admin")).error_code(), StatusCode::PERMISSION_DENIED);
      EXPECT_EQ(rpc.call(c, "no-such-tenant", Bearer("acme-admin")).error_code(), StatusCode::PERMISSION_DENIED);
    }
    // Without the role.
    const std::string roleless = rpc.needs == Role::kRead ? "acme-ingest" : "acme-read";
    EXPECT_EQ(rpc.call(c, "acme", Bearer(roleless)).error_code(), StatusCode::PERMISSION_DENIED);
    if (rpc.needs == Role::kAdmin) {
      EXPECT_EQ(rpc.call(c, "acme", Bearer("acme-ingest")).error_code(), StatusCode::PERMISSION_DENIED);
    }
    // The right key (admin includes every role; the operator every tenant).
    const std::string right = rpc.operator_only ? "operator"
                              : rpc.needs == Role::kRead ? "acme-read"
                              : rpc.needs == Role::kIngest ? "acme-ingest"
                                                           : "acme-admin";
    for (const std::string& who : {right, std::string("operator")}) {
      const grpc::Status s = rpc.call(c, "acme", Bearer(who));
      EXPECT_FALSE(Refused(s)) << who << ": " << s.error_message();
    }
    if (!rpc.operator_only) {
      EXPECT_FALSE(Refused(rpc.call(c, "acme", Bearer("acme-admin"))));
    }
  }
}

// One ServerReflectionRequest{list_services: ""} as a unary call on the
// streaming method (one message each way on the wire).
grpc::Status ListServicesByReflection(grpc::Channel* channel, const std::string& authorization, std::string* answer) {
  grpc::GenericStub stub(channel->shared_from_this());
  grpc::ClientContext ctx;
  Authorize(&ctx, authorization);
  const std::string request("\x3a\x00", 2);
  grpc::Slice slice(request);
  grpc::ByteBuffer in(&slice, 1), out;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", grpc::StubOptions(), &in,
                 &out, [&](grpc::Status s) { done.set_value(s); });
  grpc::Status status = done.get_future().get();
  std::vector<grpc::Slice> slices;
  answer->clear();
  if (out.Dump(&slices).ok()) {
    for (const grpc::Slice& s : slices) answer->append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return status;
}

TEST_F(AuthTest, ReflectionNeedsAnyValidKey) {
  std::string answer;
  grpc::Status s = ListServicesByReflection(channel_.get(), "", &answer);
  EXPECT_EQ(s.error_code(), StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_EQ(answer.find("rapport.v1"), std::string::npos) << "nothing of the schema without a key";
  EXPECT_EQ(ListServicesByReflection(channel_.get(), Bearer("revoked"), &answer).error_code(),
            StatusCode::UNAUTHENTICATED);
  // Any valid key, whatever its tenant and role.
  s = ListServicesByReflection(channel_.get(), Bearer("acme-ingest"), &answer);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_NE(answer.find("rapport.v1.ExperienceService"), std::string::npos);
}

TEST_F(AuthTest, RefusalsSayWhatIsMissingWithoutEchoingTheKey) {
  grpc::ClientContext ctx;
  Authorize(&ctx, Bearer("beta-admin"));
  v1::ListTicketsResponse resp;
  grpc::Status s = v1::ExperienceService::NewStub(channel_)->ListTickets(&ctx, WithTenant<v1::ListTicketsRequest>("acme"), &resp);
  EXPECT_EQ(s.error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_NE(s.error_message().find("tenant 'beta', not 'acme'"), std::string::npos) << s.error_message();
  const std::string secret = keys_["beta-admin"].substr(keys_["beta-admin"].rfind('_') + 1);
  EXPECT_EQ(s.error_message().find(secret), std::string::npos);
  grpc::ClientContext none;
  s = v1::ExperienceService::NewStub(channel_)->ListTickets(&none, WithTenant<v1::ListTicketsRequest>("acme"), &resp);
  EXPECT_NE(s.error_message().find("rapportd keys create"), std::string::npos) << s.error_message();
}

TEST_F(AuthTest, AStreamChecksEveryEventsTenantAndAKeyRevokedMidStream) {
  // beta's ingest key: a batch naming acme ends the stream, the first acked.
  const std::string beta_ingest = MakeKey(data_dir_, "beta", Role::kIngest);
  absl::SleepFor(absl::Seconds(2));  // the server re-reads the file
  grpc::ClientContext ctx;
  Authorize(&ctx, "Bearer " + beta_ingest);
  auto stream = v1::IngestService::NewStub(channel_)->StreamEvents(&ctx);
  v1::EventBatch ok_batch;
  ok_batch.set_sequence(1);
  *ok_batch.add_events() = Event("beta", "b-1");
  ASSERT_TRUE(stream->Write(ok_batch));
  v1::BatchAck ack;
  ASSERT_TRUE(stream->Read(&ack));
  EXPECT_EQ(ack.accepted(), 1u);
  v1::EventBatch mixed;
  mixed.set_sequence(2);
  *mixed.add_events() = Event("beta", "b-2");
  *mixed.add_events() = Event("acme", "a-1");
  stream->Write(mixed);
  stream->WritesDone();
  while (stream->Read(&ack)) {
  }
  grpc::Status s = stream->Finish();
  EXPECT_EQ(s.error_code(), StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_NE(s.error_message().find("event 1"), std::string::npos) << s.error_message();
  // Nothing of the refused batch was stored (b-2 came with it).
  grpc::ClientContext stats_ctx;
  Authorize(&stats_ctx, Bearer("operator"));
  v1::GetStatsResponse stats;
  ASSERT_TRUE(v1::AdminService::NewStub(channel_)->GetStats(&stats_ctx, v1::GetStatsRequest(), &stats).ok());
  EXPECT_EQ(stats.events_accepted(), 1u);

  // Revoked while a stream is open: its next batch is refused.
  grpc::ClientContext ctx2;
  Authorize(&ctx2, "Bearer " + beta_ingest);
  auto open = v1::IngestService::NewStub(channel_)->StreamEvents(&ctx2);
  v1::EventBatch first;
  first.set_sequence(1);
  *first.add_events() = Event("beta", "b-3");
  ASSERT_TRUE(open->Write(first));
  ASSERT_TRUE(open->Read(&ack));
  RevokeKey(data_dir_, beta_ingest);
  absl::SleepFor(absl::Seconds(3));
  v1::EventBatch after;
  after.set_sequence(2);
  *after.add_events() = Event("beta", "b-4");
  open->Write(after);
  open->WritesDone();
  while (open->Read(&ack)) {
  }
  EXPECT_EQ(open->Finish().error_code(), StatusCode::UNAUTHENTICATED);
}

TEST_F(AuthTest, ARevokedKeyStopsWithinSecondsAndANewKeyWorksWithoutARestart) {
  const std::string key = MakeKey(data_dir_, "acme", Role::kRead);
  auto list = [&] {
    grpc::ClientContext ctx;
    Authorize(&ctx, "Bearer " + key);
    v1::ListTicketsResponse resp;
    return v1::ExperienceService::NewStub(channel_)->ListTickets(&ctx, WithTenant<v1::ListTicketsRequest>("acme"), &resp);
  };
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (list().error_code() == StatusCode::UNAUTHENTICATED && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(100));
  ASSERT_FALSE(Refused(list()));
  RevokeKey(data_dir_, key);
  const absl::Time revoked = absl::Now();
  deadline = revoked + absl::Seconds(10);
  while (list().error_code() != StatusCode::UNAUTHENTICATED && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(list().error_code(), StatusCode::UNAUTHENTICATED);
  EXPECT_LT(absl::Now() - revoked, absl::Seconds(3));
}

TEST_F(AuthTest, StatsShowOtherTenantsOnlyToTheOperator) {
  for (const auto& [tenant, key] : {std::pair{"acme", "acme-ingest"}, std::pair{"beta", "beta-admin"}}) {
    ASSERT_TRUE(StreamOne(channel_.get(), tenant, Bearer(key)).ok());
  }
  auto stats = [&](const std::string& who, const std::string& tenant) {
    grpc::ClientContext ctx;
    Authorize(&ctx, Bearer(who));
    v1::GetStatsResponse resp;
    EXPECT_TRUE(v1::AdminService::NewStub(channel_)->GetStats(&ctx, WithTenant<v1::GetStatsRequest>(tenant), &resp).ok());
    return resp;
  };
  v1::GetStatsResponse own = stats("acme-admin", "");
  ASSERT_EQ(own.tenants_size(), 1);
  EXPECT_EQ(own.tenants(0).tenant(), "acme");
  EXPECT_EQ(own.events_accepted(), 0u);  // process-wide figures are the operator's
  EXPECT_EQ(own.store_size(), 0);
  EXPECT_EQ(stats("operator", "").tenants_size(), 2);
  EXPECT_EQ(stats("operator", "").events_accepted(), 2u);
}

TEST_F(AuthTest, HttpRoutesCheckKeysAfterTheToolsOwnSignature) {
  // Probes need no key.
  for (const char* path : {"/healthz", "/readyz"}) {
    auto r = http_->Get(path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << path;
  }
  auto metrics = [&](const std::string& authorization) {
    httplib::Headers h;
    if (!authorization.empty()) h.emplace("Authorization", authorization);
    auto r = http_->Get("/metrics", h);
    return r ? r->status : -1;
  };
  EXPECT_EQ(metrics(""), 401);
  EXPECT_EQ(metrics("Bearer nope"), 401);
  EXPECT_EQ(metrics(Bearer("revoked")), 401);
  EXPECT_EQ(metrics(Bearer("acme-admin")), 403);  // every tenant's figures: the operator's
  EXPECT_EQ(metrics(Bearer("operator")), 200);

  const std::string body = testing::ReadFile(std::string(FIXTURES) + "/jira/issue_created.json");
  auto post = [&](const std::string& tenant, httplib::Headers headers) {
    auto r = http_->Post(absl::StrCat("/v1/webhooks/jira/", tenant).c_str(), headers, body, "application/json");
    return r ? r->status : -1;
  };
  auto bearer = [&](const std::string& who) { return httplib::Headers{{"Authorization", Bearer(who)}}; };
  for (const std::string tenant : {"acme", "no-such-tenant"}) {
    EXPECT_EQ(post(tenant, {}), 401);
    EXPECT_EQ(post(tenant, {{"Authorization", "Bearer nope"}}), 401);
    EXPECT_EQ(post(tenant, bearer("revoked")), 401);
  }
  EXPECT_EQ(post("acme", bearer("beta-admin")), 403);
  EXPECT_EQ(post("no-such-tenant", bearer("acme-admin")), 403);
  EXPECT_EQ(post("acme", bearer("acme-read")), 403);
  EXPECT_EQ(post("acme", bearer("acme-ingest")), 200);
  EXPECT_EQ(post("acme", bearer("operator")), 200);
  auto r = http_->Post("/v1/webhooks/jira/acme", httplib::Headers{}, body, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Bearer realm=\"rapport\"");
}

TEST_F(AuthTest, AToolsSignatureIsEnoughForItsTenantAndAKeyStillWorks) {
  server_.reset();
  StartServer("tenants:\n  acme:\n    webhooks:\n      jira: {secret: jira-secret}\n");
  const std::string body = testing::ReadFile(std::string(FIXTURES) + "/jira/issue_created.json");
  auto post = [&](const std::string& tenant, httplib::Headers headers) {
    auto r = http_->Post(absl::StrCat("/v1/webhooks/jira/", tenant).c_str(), headers, body, "application/json");
    return r ? r->status : -1;
  };
  EXPECT_EQ(post("acme", {{"X-Hub-Signature", server::JiraSignature("jira-secret", body)}}), 200);
  EXPECT_EQ(post("acme", {{"X-Hub-Signature", server::JiraSignature("guess", body)}}), 401);
  EXPECT_EQ(post("acme", {}), 401);
  // The signature is acme's: it proves nothing for beta.
  EXPECT_EQ(post("beta", {{"X-Hub-Signature", server::JiraSignature("jira-secret", body)}}), 401);
  EXPECT_EQ(post("acme", {{"Authorization", Bearer("acme-ingest")}}), 200);
  EXPECT_EQ(post("acme", {{"Authorization", Bearer("beta-admin")}}), 403);
}

TEST_F(AuthTest, StreamsAndRequestsPerKeyAndTenantAreLimitedWithTheLimitNamed) {
  server_.reset();
  StartServer("limits: {max_streams_per_key: 2, max_streams_per_tenant: 3, requests_per_second_per_key: 5}\n");
  // Streams that have had a batch acked are open on the server.
  struct Open {
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientReaderWriter<v1::EventBatch, v1::BatchAck>> stream;
  };
  int sequence = 0;
  auto open = [&](const std::string& who, grpc::Status* refused) {
    auto o = std::make_unique<Open>();
    Authorize(&o->ctx, Bearer(who));
    o->stream = v1::IngestService::NewStub(channel_)->StreamEvents(&o->ctx);
    v1::EventBatch batch;
    batch.set_sequence(1);
    *batch.add_events() = Event("acme", absl::StrCat("s-", ++sequence));
    v1::BatchAck ack;
    if (o->stream->Write(batch) && o->stream->Read(&ack)) return o;
    o->stream->WritesDone();
    *refused = o->stream->Finish();
    return std::unique_ptr<Open>();
  };
  grpc::Status refused;
  auto a1 = open("acme-ingest", &refused);
  auto a2 = open("acme-ingest", &refused);
  ASSERT_TRUE(a1 && a2) << refused.error_message();
  ASSERT_FALSE(open("acme-ingest", &refused));
  EXPECT_EQ(refused.error_code(), StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(refused.error_message().find("limits.max_streams_per_key (2)"), std::string::npos) << refused.error_message();
  auto a3 = open("acme-admin", &refused);
  ASSERT_TRUE(a3) << refused.error_message();
  ASSERT_FALSE(open("acme-admin", &refused));
  EXPECT_EQ(refused.error_code(), StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(refused.error_message().find("limits.max_streams_per_tenant (3)"), std::string::npos) << refused.error_message();
  // Another tenant is not held back by acme's streams.
  auto b1 = open("beta-admin", &refused);
  EXPECT_FALSE(b1) << "beta's key writes acme events here: refused for the tenant, not the limit";
  EXPECT_EQ(refused.error_code(), StatusCode::PERMISSION_DENIED);
  // An ended stream frees its place.
  a1->stream->WritesDone();
  EXPECT_TRUE(a1->stream->Finish().ok());
  a1.reset();
  std::unique_ptr<Open> again;
  for (int i = 0; i < 50 && !again; ++i) {
    again = open("acme-ingest", &refused);
    if (!again) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(again) << refused.error_message();
  for (auto* o : {a2.get(), a3.get(), again.get()}) {
    if (o == nullptr) continue;
    o->stream->WritesDone();
    (void)o->stream->Finish();
  }

  // Requests: a burst over 5 per second is refused, naming the limit.
  grpc::Status last;
  for (int i = 0; i < 20 && last.ok(); ++i) {
    grpc::ClientContext ctx;
    Authorize(&ctx, Bearer("acme-read"));
    v1::ListTicketsResponse resp;
    last = v1::ExperienceService::NewStub(channel_)->ListTickets(&ctx, WithTenant<v1::ListTicketsRequest>("acme"), &resp);
  }
  EXPECT_EQ(last.error_code(), StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(last.error_message().find("5 requests per second (limits.requests_per_second_per_key)"), std::string::npos)
      << last.error_message();
  // Per key: the operator's key is not held back by acme-read's.
  int status = 0;
  for (int i = 0; i < 20 && status != 429; ++i) {
    auto r = http_->Get("/metrics", httplib::Headers{{"Authorization", Bearer("operator")}});
    ASSERT_TRUE(r);
    if (i == 0) {
      EXPECT_EQ(r->status, 200);
    }
    status = r->status;
  }
  EXPECT_EQ(status, 429);
}

TEST_F(AuthTest, BackupsCarryTheKeys) {
  grpc::ClientContext ctx;
  Authorize(&ctx, Bearer("operator"));
  v1::CreateBackupRequest req;
  req.set_dir(dir_.path() + "/backup");
  v1::CreateBackupResponse resp;
  ASSERT_TRUE(v1::AdminService::NewStub(channel_)->CreateBackup(&ctx, req, &resp).ok());
  auto copied = auth::ReadKeyFile(dir_.path() + "/backup");
  ASSERT_TRUE(copied.ok()) << copied.status();
  ASSERT_TRUE(copied->has_value());
  EXPECT_EQ((*copied)->size(), 5u);
  // A server on the backup takes the same keys.
  server_.reset();
  data_dir_ = dir_.path() + "/backup";
  StartServer("");
  grpc::ClientContext again;
  Authorize(&again, Bearer("acme-read"));
  v1::ListTicketsResponse list;
  EXPECT_FALSE(Refused(v1::ExperienceService::NewStub(channel_)->ListTickets(&again, WithTenant<v1::ListTicketsRequest>("acme"), &list)));
}

TEST(AuthModeTest, LoopbackWithoutKeysIsOpenRequireAuthClosesItAndNonLoopbackNeedsAKey) {
  testing::TempDir dir;
  server::ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.data_dir = dir.path() + "/store";
  std::unique_ptr<server::RapportServer> server;
  ASSERT_TRUE(server::RapportServer::Start(options, &server).ok());
  EXPECT_FALSE(server->authorizer().Enabled());
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server->port()), grpc::InsecureChannelCredentials());
  v1::ListPluginsResponse plugins;
  {
    grpc::ClientContext ctx;
    EXPECT_TRUE(v1::AdminService::NewStub(channel)->ListPlugins(&ctx, v1::ListPluginsRequest(), &plugins).ok());
  }
  server.reset();

  RapportConfig required;
  required.require_auth = true;
  options.config = required;
  ASSERT_TRUE(server::RapportServer::Start(options, &server).ok());
  EXPECT_TRUE(server->authorizer().Enabled());
  channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server->port()), grpc::InsecureChannelCredentials());
  {
    grpc::ClientContext ctx;
    EXPECT_EQ(v1::AdminService::NewStub(channel)->ListPlugins(&ctx, v1::ListPluginsRequest(), &plugins).error_code(),
              StatusCode::UNAUTHENTICATED);
  }
  server.reset();

  options.config.reset();
  for (const std::string exposed : {"0.0.0.0:0", "[::]:0"}) {
    options.listen = exposed;
    absl::Status s = server::RapportServer::Start(options, &server);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << exposed;
    EXPECT_NE(s.message().find("rapportd keys create"), std::string::npos) << s.message();
  }
  options.listen = "127.0.0.1:0";
  options.http_listen = "0.0.0.0:0";
  EXPECT_EQ(server::RapportServer::Start(options, &server).code(), absl::StatusCode::kFailedPrecondition);

  // A key named by its hash in the configuration is enough to start.
  auto generated = auth::GenerateKey();
  ASSERT_TRUE(generated.ok());
  auto config = ParseConfig(absl::StrCat("tenants:\n  \"*\":\n    keys: [{hash: \"", generated->hash.text,
                                         "\", role: admin}]\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  options.listen = "0.0.0.0:0";
  options.http_listen = "";
  options.config = *config;
  ASSERT_TRUE(server::RapportServer::Start(options, &server).ok());
  channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server->port()), grpc::InsecureChannelCredentials());
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + generated->key);
  EXPECT_TRUE(v1::AdminService::NewStub(channel)->ListPlugins(&ctx, v1::ListPluginsRequest(), &plugins).ok());
}

TEST(AuthConfigTest, KeysByHashAreCheckedAndNeverEchoed) {
  auto generated = auth::GenerateKey();
  ASSERT_TRUE(generated.ok());
  // The key pasted where its hash goes.
  auto pasted = ParseConfig(absl::StrCat("tenants:\n  acme:\n    keys: [{hash: \"", generated->key, "\", role: read}]\n"));
  ASSERT_FALSE(pasted.ok());
  EXPECT_EQ(pasted.status().message().find(generated->key), std::string::npos);
  EXPECT_NE(pasted.status().message().find("tenants.acme.keys[0].hash"), std::string::npos) << pasted.status();
  auto bad_role = ParseConfig(absl::StrCat("tenants:\n  acme:\n    keys: [{hash: \"", generated->hash.text, "\", role: boss}]\n"));
  EXPECT_FALSE(bad_role.ok());
  EXPECT_FALSE(ParseConfig("tenants:\n  \"*\":\n    detectors: {reply_gap: 8h}\n").ok());
  EXPECT_FALSE(ParseConfig("auth: {required: maybe}\n").ok());
  auto good = ParseConfig(absl::StrCat("auth: {required: true}\ntenants:\n  acme:\n    keys: [{hash: \"", generated->hash.text,
                                       "\", role: ingest}]\n"));
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_TRUE(good->require_auth);
  ASSERT_EQ(good->api_keys["acme"].size(), 1u);
  EXPECT_EQ(good->api_keys["acme"][0].role, Role::kIngest);
  // Naming a tenant only for its keys changes no derived setting.
  EXPECT_EQ(good->DerivedSettingsDigest(), RapportConfig().DerivedSettingsDigest());
}

TEST(ApiKeysTest, TheKeysFileReaderRefusesWhatItDidNotWrite) {
  auto generated = auth::GenerateKey();
  ASSERT_TRUE(generated.ok());
  EXPECT_TRUE(auth::KeyMatches(generated->hash, generated->key));
  EXPECT_FALSE(auth::KeyMatches(generated->hash, generated->key + "0"));
  auth::KeyRecord r{generated->hash, "acme", Role::kRead, "label", 1};
  const std::string text = auth::RenderKeyFile({r});
  auto parsed = auth::ParseKeyFile(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)[0].hash.text, generated->hash.text);
  EXPECT_EQ(text.find(generated->key), std::string::npos);  // only the hash is stored
  for (const std::string& bad : {std::string("{"), std::string("[]"), std::string("{\"format\":\"x\",\"keys\":[]}"),
                                 std::string("{\"format\":\"rapport-keys/1\",\"keys\":[{}]}"),
                                 auth::RenderKeyFile({r, r})}) {
    EXPECT_FALSE(auth::ParseKeyFile(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace rapport
