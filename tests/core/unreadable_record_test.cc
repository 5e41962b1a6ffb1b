// A stored record that no longer parses is an error wherever it is read, never
// "not found" or "nothing there": the write path refuses the batch and stores
// none of it, a read RPC answers DATA_LOSS naming the record and the ticket.
// Real RocksDB in a temp dir, real gRPC in process; the damage is garbage
// bytes written under a ticket-state key through the Store API while the
// server is down.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/test_util.h"
#include "grpcpp/client_context.h"
#include "rapport/v1/experience.grpc.pb.h"
#include "rapport/v1/ingest.grpc.pb.h"
#include "server/server.h"
#include "store/keys.h"

namespace rapport {
namespace {

using testing::Assign;
using testing::Created;
using testing::Status;

constexpr char kGarbage[] = "\xff\xff\xff\xff not a ticket state";

class UnreadableRecordTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StartServer();
    // T1 resolved by agent kim without a word to the requester (a finding,
    // and an entry in kim's resolutions), then damaged.
    grpc::Status ingested = Ingest({Created("T1", "t1-c", 0), Assign("T1", "t1-a", 10, "kim", "Apps"),
                                    Resolved("T1", "t1-r", 60, "kim")});
    ASSERT_TRUE(ingested.ok()) << ingested.error_message();
    StopServer();
    {
      std::unique_ptr<Store> store = testing::OpenStore(dir_.path());
      ASSERT_NE(store, nullptr);
      Store::Batch batch(*store);
      batch.Put(Family::kTickets, keys::Ticket("acme", "T1"), kGarbage);
      ASSERT_TRUE(store->Commit(&batch).ok());
    }
    StartServer();
  }

  void StartServer() {
    server::ServerOptions options;
    options.listen = "";
    options.data_dir = dir_.path();
    ASSERT_TRUE(server::RapportServer::Start(options, &server_).ok());
    channel_ = server_->InProcessChannel();
    stub_ = v1::ExperienceService::NewStub(channel_);
  }

  void StopServer() {
    stub_.reset();
    channel_.reset();
    server_->Shutdown();
    server_.reset();
  }

  static v1::TicketEvent Resolved(const std::string& ticket, const std::string& id, int64_t minute,
                                  const std::string& agent) {
    v1::TicketEvent e = Status(ticket, id, minute, v1::TICKET_STATUS_RESOLVED);
    e.mutable_actor()->set_id(agent);
    return e;
  }

  // Sends the events as one batch on one stream; the stream's status.
  grpc::Status Ingest(const std::vector<v1::TicketEvent>& events, std::vector<v1::BatchAck>* acks = nullptr) {
    auto stub = v1::IngestService::NewStub(channel_);
    grpc::ClientContext context;
    auto stream = stub->StreamEvents(&context);
    v1::EventBatch batch;
    batch.set_sequence(1);
    for (const v1::TicketEvent& e : events) *batch.add_events() = e;
    stream->Write(batch);
    stream->WritesDone();
    for (v1::BatchAck ack; stream->Read(&ack);) {
      if (acks != nullptr) acks->push_back(ack);
    }
    return stream->Finish();
  }

  // Whether the store holds the event's dedupe key (written with the event).
  bool Stored(const std::string& event_id) {
    std::string value;
    return server_->store().Get(Family::kDedupe, keys::Dedupe("acme", event_id), &value).ok();
  }

  static void ExpectNamesTheDamage(const grpc::Status& status, const std::string& ticket) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::DATA_LOSS) << status.error_message();
    EXPECT_NE(status.error_message().find("ticket state"), std::string::npos) << status.error_message();
    EXPECT_NE(status.error_message().find("ticket '" + ticket + "'"), std::string::npos) << status.error_message();
  }

  testing::TempDir dir_;
  std::unique_ptr<server::RapportServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ExperienceService::Stub> stub_;
};

TEST_F(UnreadableRecordTest, AnEventForTheTicketIsRefusedAndNothingOfItsBatchIsStored) {
  std::vector<v1::BatchAck> acks;
  grpc::Status status =
      Ingest({Created("T5", "t5-c", 100), Status("T1", "t1-closed", 120, v1::TICKET_STATUS_CLOSED)}, &acks);
  ExpectNamesTheDamage(status, "T1");
  EXPECT_TRUE(acks.empty());
  EXPECT_FALSE(Stored("t5-c")) << "the healthy ticket's event shares the refused batch";
  EXPECT_FALSE(Stored("t1-closed"));
}

// Another ticket's resolution near T1's makes the mass-closure check re-read
// T1: the damage is found there, not treated as "no such ticket".
TEST_F(UnreadableRecordTest, ACrossTicketCheckThatReadsTheTicketRefusesTheBatch) {
  std::vector<v1::BatchAck> acks;
  grpc::Status status = Ingest(
      {Created("T2", "t2-c", 20), Assign("T2", "t2-a", 30, "kim", "Apps"), Resolved("T2", "t2-r", 61, "kim")}, &acks);
  ExpectNamesTheDamage(status, "T1");
  EXPECT_TRUE(acks.empty());
  EXPECT_FALSE(Stored("t2-c"));
  EXPECT_FALSE(Stored("t2-r"));
}

TEST_F(UnreadableRecordTest, GetTicketAnswersTheError) {
  v1::GetTicketRequest request;
  request.set_tenant("acme");
  request.set_ticket_id("T1");
  v1::GetTicketResponse response;
  grpc::ClientContext context;
  ExpectNamesTheDamage(stub_->GetTicket(&context, request, &response), "T1");
}

TEST_F(UnreadableRecordTest, GetScoreOfTheTicketAnswersTheError) {
  v1::GetScoreRequest request;
  request.set_tenant("acme");
  request.mutable_scope()->set_kind(v1::SCOPE_KIND_TICKET);
  request.mutable_scope()->set_id("T1");
  v1::ScoreReport response;
  grpc::ClientContext context;
  ExpectNamesTheDamage(stub_->GetScore(&context, request, &response), "T1");
}

// Department is a ticket field: listing findings by department reads T1.
TEST_F(UnreadableRecordTest, ListFindingsByDepartmentAnswersTheError) {
  v1::ListFindingsRequest request;
  request.set_tenant("acme");
  request.mutable_scope()->set_kind(v1::SCOPE_KIND_DEPARTMENT);
  request.mutable_scope()->set_id("Finance");
  v1::ListFindingsResponse response;
  grpc::ClientContext context;
  ExpectNamesTheDamage(stub_->ListFindings(&context, request, &response), "T1");
}

TEST_F(UnreadableRecordTest, ListTicketsAnswersTheError) {
  v1::ListTicketsRequest request;
  request.set_tenant("acme");
  v1::ListTicketsResponse response;
  grpc::ClientContext context;
  ExpectNamesTheDamage(stub_->ListTickets(&context, request, &response), "T1");
}

}  // namespace
}  // namespace rapport
