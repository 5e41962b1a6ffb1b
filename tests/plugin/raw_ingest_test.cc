// IngestRaw and ListPlugins over real gRPC (in-process channel), with a real
// store: a native payload in, canonical events stored, errors that say why.
#include <gtest/gtest.h>

#include "absl/strings/str_format.h"
#include "core/test_util.h"
#include "grpcpp/client_context.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "rapport/v1/experience.grpc.pb.h"
#include "rapport/v1/ingest.grpc.pb.h"
#include "server/server.h"

namespace rapport {
namespace {

std::string Fixture(const std::string& path) { return testing::ReadFile(std::string(FIXTURES) + "/" + path); }

class RawIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server::ServerOptions options;
    options.listen = "";
    options.data_dir = dir_.path();
    options.plugin_dir = MODULE_DIR;
    ASSERT_TRUE(server::RapportServer::Start(options, &server_).ok());
    ingest_ = v1::IngestService::NewStub(server_->InProcessChannel());
  }

  grpc::Status Send(const std::string& adapter, const std::string& body, v1::BatchAck* ack, bool want_scores = false) {
    v1::RawPayload payload;
    payload.set_adapter(adapter);
    payload.set_tenant("acme");
    payload.set_body(body);
    payload.set_sequence(9);
    payload.set_want_scores(want_scores);
    grpc::ClientContext context;
    return ingest_->IngestRaw(&context, payload, ack);
  }

  testing::TempDir dir_;
  std::unique_ptr<server::RapportServer> server_;
  std::unique_ptr<v1::IngestService::Stub> ingest_;
};

TEST_F(RawIngestTest, ANativePayloadIsStoredAndScored) {
  v1::BatchAck ack;
  ASSERT_TRUE(Send("servicenow", Fixture("servicenow/incident_bundle.json"), &ack, true).ok());
  EXPECT_EQ(ack.sequence(), 9u);
  EXPECT_EQ(ack.accepted(), 9u);
  EXPECT_EQ(ack.rejected_size(), 0);
  ASSERT_EQ(ack.ticket_scores_size(), 1);
  EXPECT_EQ(ack.ticket_scores(0).ticket_id(), "INC0010042");
  EXPECT_TRUE(ack.ticket_scores(0).scored());
  auto experience = v1::ExperienceService::NewStub(server_->InProcessChannel());
  v1::GetTicketRequest request;
  request.set_tenant("acme");
  request.set_ticket_id("INC0010042");
  v1::GetTicketResponse ticket;
  grpc::ClientContext context;
  ASSERT_TRUE(experience->GetTicket(&context, request, &ticket).ok());
  EXPECT_EQ(ticket.status(), v1::TICKET_STATUS_RESOLVED);
  EXPECT_EQ(ticket.requester().id(), "abel.tuter");
  // Polled again: every event is a duplicate.
  v1::BatchAck again;
  ASSERT_TRUE(Send("servicenow", Fixture("servicenow/incident_bundle.json"), &again).ok());
  EXPECT_EQ(again.accepted(), 0u);
  EXPECT_EQ(again.duplicates(), 9u);
}

TEST_F(RawIngestTest, BadRowsAreRejectedAndTheirNeighboursKept) {
  v1::BatchAck ack;
  ASSERT_TRUE(Send("jsonl", Fixture("jsonl/events.jsonl"), &ack).ok());
  EXPECT_EQ(ack.accepted(), 2u);
  ASSERT_EQ(ack.rejected_size(), 1);
  EXPECT_EQ(ack.rejected(0).code(), "INVALID_JSON");
  EXPECT_NE(ack.rejected(0).message().find("record 2"), std::string::npos) << ack.rejected(0).message();
}

// A body of "{}" lines is one empty event per 3 bytes. The ack used to list
// every refusal (3.9 MB of them: 1.3 million refusals, a 57 MB ack no default
// client reads, built in 1.5 GB of server memory); 1.2 MB is enough to show it.
TEST_F(RawIngestTest, APayloadOfEmptyRecordsGetsASmallAck) {
  std::string body;
  while (body.size() < 1'200'000) body += "{}\n";
  const uint64_t records = body.size() / 3;
  v1::BatchAck ack;
  grpc::Status status = Send("jsonl", body, &ack);
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  EXPECT_EQ(ack.accepted(), 0u);
  EXPECT_EQ(ack.rejected_size(), 100);
  uint64_t counted = 0;
  for (const auto& [code, n] : ack.rejected_by_code()) counted += n;
  EXPECT_EQ(counted, records);
  EXPECT_EQ(ack.rejected_by_code().at("MISSING_FIELD"), records);
  EXPECT_LT(ack.ByteSizeLong(), 64u << 10);
}

// More events than a batch takes: committed as several batches, every event
// stored, the ack's detail bounded and its counts complete.
TEST_F(RawIngestTest, APayloadLargerThanABatchIsStoredWholeWithABoundedAck) {
  std::string body;
  for (int i = 0; i < 2500; ++i) {
    body += absl::StrFormat(R"({"tenant":"acme","ticket_id":"R%d","event_id":"r%d",)"
                            R"("occurred_at":"2026-09-01T08:%02d:00Z","kind":"ticket_created"})" "\n",
                            i % 50, i, i % 60);
    if (i % 5 == 0) {  // 500 events without the status a status change needs
      body += absl::StrFormat(R"({"tenant":"acme","ticket_id":"R%d","event_id":"s%d",)"
                              R"("occurred_at":"2026-09-01T09:00:00Z","kind":"status_changed"})" "\n",
                              i % 50, i);
    }
    if (i % 10 == 0) body += "not json\n";  // 250 records the adapter refuses
  }
  v1::BatchAck ack;
  grpc::Status status = Send("jsonl", body, &ack);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(ack.accepted(), 2500u);
  EXPECT_EQ(ack.rejected_size(), 100);
  EXPECT_EQ(ack.rejected_by_code().at("MISSING_FIELD"), 500u);
  EXPECT_EQ(ack.rejected_by_code().at("INVALID_JSON"), 250u);
  EXPECT_LT(ack.ByteSizeLong(), 32u << 10);
  v1::GetStatsResponse stats;
  grpc::ClientContext context;
  ASSERT_TRUE(v1::AdminService::NewStub(server_->InProcessChannel())
                  ->GetStats(&context, v1::GetStatsRequest(), &stats)
                  .ok());
  EXPECT_EQ(stats.events_accepted(), 2500u);
}

TEST_F(RawIngestTest, ErrorsSayWhatToFix) {
  v1::BatchAck ack;
  grpc::Status s = Send("servicenow", Fixture("servicenow/missing_number.json"), &ack);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("'number'"), std::string::npos) << s.error_message();
  s = Send("remedy", "{}", &ack);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(s.error_message().find("available:"), std::string::npos);
  s = Send("", "{}", &ack);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  s = Send("c-echo", "T9 e9 1788249600\n", &ack);  // the C module from --plugin-dir
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(ack.accepted(), 1u);
}

TEST_F(RawIngestTest, ListPluginsShowsOriginsAndRefusals) {
  auto admin = v1::AdminService::NewStub(server_->InProcessChannel());
  v1::ListPluginsResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(admin->ListPlugins(&context, v1::ListPluginsRequest(), &response).ok());
  bool builtin_csv = false, module_c = false;
  for (const auto& p : response.plugins()) {
    builtin_csv |= p.name() == "csv" && p.origin() == "built-in";
    module_c |= p.name() == "c-echo" && p.origin().find("c_echo.so") != std::string::npos;
  }
  EXPECT_TRUE(builtin_csv);
  EXPECT_TRUE(module_c);
  EXPECT_EQ(response.refused_size(), 6);
}

}  // namespace
}  // namespace rapport
