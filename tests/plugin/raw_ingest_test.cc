// IngestRaw and ListPlugins over real gRPC (in-process channel), with a real
// store: a native payload in, canonical events stored, errors that say why.
#include <gtest/gtest.h>


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
