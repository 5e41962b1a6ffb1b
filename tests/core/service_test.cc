// IngestService and ExperienceService over a real gRPC in-process channel.
#include <gtest/gtest.h>

#include <thread>

#include "server/client/stream_ingester.h"
#include "core/test_util.h"
#include "grpcpp/client_context.h"
#include "grpcpp/generic/generic_stub.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "rapport/v1/experience.grpc.pb.h"
#include "rapport/v1/ingest.grpc.pb.h"
#include "rocksdb/db.h"
#include "server/server.h"
#include "store/keys.h"

namespace rapport {
namespace {

using testing::Created;
using testing::Status;
using testing::TempDir;

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server::ServerOptions options;
    options.listen = "";  // in-process only
    options.data_dir = dir_.path();
    ASSERT_TRUE(server::RapportServer::Start(options, &server_).ok());
    channel_ = server_->InProcessChannel();
  }

  // Opens a second, read-only view of the data directory: it sees only what
  // reached the files (WAL included), not the server's memory.
  bool StoredOnDisk(const std::string& tenant, const std::string& event_id) {
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (int i = 0; i < kFamilyCount; ++i) families.emplace_back(FamilyName(static_cast<Family>(i)), rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    if (!rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), dir_.path(), families, &handles, &db).ok()) return false;
    std::string value;
    bool found = db->Get(rocksdb::ReadOptions(), handles[static_cast<int>(Family::kDedupe)],
                         keys::Dedupe(tenant, event_id), &value).ok();
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
    return found;
  }

  TempDir dir_;
  std::unique_ptr<server::RapportServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(ServiceTest, AcksArriveOnlyAfterTheBatchIsCommitted) {
  auto stub = v1::IngestService::NewStub(channel_);
  grpc::ClientContext context;
  auto stream = stub->StreamEvents(&context);
  for (uint64_t seq = 1; seq <= 5; ++seq) {
    v1::EventBatch batch;
    batch.set_sequence(seq);
    *batch.add_events() = Created("T" + std::to_string(seq), "e" + std::to_string(seq), static_cast<int64_t>(seq));
    ASSERT_TRUE(stream->Write(batch));
    v1::BatchAck ack;
    ASSERT_TRUE(stream->Read(&ack));
    EXPECT_EQ(ack.sequence(), seq);
    EXPECT_EQ(ack.accepted(), 1u);
    EXPECT_TRUE(StoredOnDisk("acme", "e" + std::to_string(seq))) << "acked batch " << seq << " is not on disk";
  }
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(ServiceTest, AcksComeInOrderWithPerEventErrors) {
  auto stub = v1::IngestService::NewStub(channel_);
  grpc::ClientContext context;
  auto stream = stub->StreamEvents(&context);
  const int kBatches = 40;
  std::thread writer([&] {
    for (int b = 0; b < kBatches; ++b) {
      v1::EventBatch batch;
      batch.set_sequence(1000 + b);
      for (int i = 0; i < 10; ++i) {
        std::string id = "b" + std::to_string(b) + "-" + std::to_string(i);
        auto e = Created("T" + std::to_string(b), id, i);
        if (i == 4) e.clear_event_id();
        *batch.add_events() = e;
      }
      if (!stream->Write(batch)) return;
    }
    stream->WritesDone();
  });
  for (int b = 0; b < kBatches; ++b) {
    v1::BatchAck ack;
    ASSERT_TRUE(stream->Read(&ack));
    EXPECT_EQ(ack.sequence(), 1000u + b);
    EXPECT_EQ(ack.accepted(), 9u);
    ASSERT_EQ(ack.rejected_size(), 1);
    EXPECT_EQ(ack.rejected(0).index(), 4u);
    EXPECT_EQ(ack.rejected(0).code(), "MISSING_FIELD");
  }
  writer.join();
  EXPECT_TRUE(stream->Finish().ok());
}

// Sends each message's bytes as they are on one StreamEvents call, then
// reads acks until the server ends the call. A read stays posted while
// writing: an in-process write completes only once the server reads it.
struct RawStream {
  std::vector<v1::BatchAck> acks;
  grpc::Status status;
};
RawStream SendRaw(const std::shared_ptr<grpc::Channel>& channel, const std::vector<std::string>& messages) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue queue;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto call = stub.PrepareCall(&context, "/rapport.v1.IngestService/StreamEvents", &queue);
  RawStream out;
  int read_tag = 1, write_tag = 2;
  grpc::ByteBuffer incoming;
  bool reading = true;
  // Handles completions until the write (or, with `write` false, the read
  // chain) is done; false when the write failed.
  auto run = [&](bool write) {
    void* tag;
    bool ok = false;
    while (queue.Next(&tag, &ok)) {
      if (tag == &write_tag) return ok;
      grpc::Slice slice;
      if (!ok || !incoming.DumpToSingleSlice(&slice).ok()) {
        reading = false;
        if (!write) return true;
        continue;
      }
      v1::BatchAck ack;
      EXPECT_TRUE(ack.ParseFromArray(slice.begin(), static_cast<int>(slice.size())));
      out.acks.push_back(std::move(ack));
      call->Read(&incoming, &read_tag);
    }
    return false;
  };
  call->StartCall(&write_tag);
  run(true);
  call->Read(&incoming, &read_tag);
  bool writable = true;
  for (const std::string& m : messages) {
    grpc::Slice slice(m);
    grpc::ByteBuffer bytes(&slice, 1);
    call->Write(bytes, &write_tag);
    if (!(writable = run(true))) break;
  }
  if (writable) {
    call->WritesDone(&write_tag);
    run(true);
  }
  if (reading) run(false);
  call->Finish(&out.status, &write_tag);
  run(true);
  queue.Shutdown();
  void* tag;
  bool ok;
  while (queue.Next(&tag, &ok)) {
  }
  return out;
}

std::string BatchBytes(uint64_t sequence, const std::vector<v1::TicketEvent>& events) {
  v1::EventBatch batch;
  batch.set_sequence(sequence);
  for (const auto& e : events) *batch.add_events() = e;
  // Serializing does not check UTF-8 (it only logs), so bad bytes go out as given.
  return batch.SerializeAsString();
}

TEST_F(ServiceTest, AnUnparsableBatchEndsTheStreamNamingTheLastGoodBatch) {
  const std::string good = BatchBytes(7, {Created("U1", "u1", 0), Created("U2", "u2", 1)});
  const std::string bad_utf8 = BatchBytes(8, {Created("U\xff\xfe", "u3", 2)});
  std::string truncated = BatchBytes(8, {Created("U4", "u4", 3)});
  truncated.resize(truncated.size() - 5);
  const std::string after = BatchBytes(9, {Created("U5", "u5", 4)});
  v1::EventBatch check;
  ASSERT_FALSE(check.ParseFromString(bad_utf8)) << "proto3 parsing refuses a string that is not UTF-8";
  ASSERT_FALSE(check.ParseFromString(truncated));

  for (const std::string& bad : {bad_utf8, truncated}) {
    RawStream stream = SendRaw(channel_, {good, bad, after});
    EXPECT_EQ(stream.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << stream.status.error_message();
    EXPECT_NE(stream.status.error_message().find("after sequence 7"), std::string::npos)
        << stream.status.error_message();
    ASSERT_EQ(stream.acks.size(), 1u) << "the good batch is acked before the stream ends; nothing after the bad one";
    EXPECT_EQ(stream.acks[0].sequence(), 7u);
  }
  EXPECT_TRUE(StoredOnDisk("acme", "u1"));
  EXPECT_TRUE(StoredOnDisk("acme", "u2"));
  EXPECT_FALSE(StoredOnDisk("acme", "u5")) << "batches after the bad one are not read";

  RawStream first = SendRaw(channel_, {bad_utf8});
  EXPECT_EQ(first.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(first.status.error_message().find("the first batch"), std::string::npos) << first.status.error_message();
}

TEST_F(ServiceTest, TheClientLibraryNamesTheBatchTheServerCannotParse) {
  std::vector<v1::TicketEvent> events = {Created("V1", "v1", 0), Created("V2", "v2", 1), Created("V3", "v3", 2),
                                         Created("V4", "v4", 3), Created("V\xc3", "v5", 4), Created("V6", "v6", 5)};
  client::StreamIngester::Options options;
  options.batch_size = 2;
  options.retry_for = absl::Seconds(3);
  options.make_channel = [this] { return channel_; };
  auto result = client::StreamIngester(options).Run(events);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
  EXPECT_NE(result.status().message().find("refused batch 2 (events 4..5"), std::string::npos) << result.status();
  EXPECT_NE(result.status().message().find("4 events before it are acked"), std::string::npos) << result.status();
  EXPECT_NE(result.status().message().find("after sequence 1"), std::string::npos) << result.status();
  EXPECT_TRUE(StoredOnDisk("acme", "v4"));
}

// 100,000 events in one batch: the first 1,000 are stored, the rest refused.
// The ack used to list every refusal, 12 MB, more than a default client
// reads, so the client never learned that 1,000 events were stored.
TEST_F(ServiceTest, AHugeBatchGetsAnAckAClientCanRead) {
  v1::EventBatch batch;
  batch.set_sequence(1);
  for (int i = 0; i < 100'000; ++i) {
    v1::TicketEvent* e = batch.add_events();
    e->set_tenant("acme");
    e->set_ticket_id("T");
    e->set_event_id("e" + std::to_string(i));
    e->mutable_occurred_at()->set_seconds(testing::At(i % 60) / 1'000'000);
    e->set_kind(v1::EVENT_KIND_TICKET_CREATED);
  }
  ASSERT_LT(batch.ByteSizeLong(), 4u << 20) << "fits the server's message limit";
  auto stub = v1::IngestService::NewStub(channel_);
  grpc::ClientContext context;
  auto stream = stub->StreamEvents(&context);
  ASSERT_TRUE(stream->Write(batch));
  v1::BatchAck ack;
  ASSERT_TRUE(stream->Read(&ack)) << "the ack is readable by a default client";
  EXPECT_EQ(ack.accepted(), 1000u);
  EXPECT_EQ(ack.rejected_size(), 100);
  EXPECT_EQ(ack.rejected_by_code().at("TOO_LARGE"), 99'000u);
  EXPECT_LT(ack.ByteSizeLong(), 64u << 10);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_TRUE(StoredOnDisk("acme", "e999"));
  EXPECT_FALSE(StoredOnDisk("acme", "e1000"));
}

// A conflicting duplicate reaches the client in the ack, in one batch and
// across batches.
TEST_F(ServiceTest, ConflictsAreCountedInTheAck) {
  auto stub = v1::IngestService::NewStub(channel_);
  grpc::ClientContext context;
  auto stream = stub->StreamEvents(&context);
  std::vector<std::vector<v1::TicketEvent>> batches = {
      {Created("T1", "c1", 0), Status("T1", "c1", 5, v1::TICKET_STATUS_CLOSED), Created("T1", "c2", 1)},
      {Status("T1", "c2", 9, v1::TICKET_STATUS_RESOLVED), Created("T1", "c1", 0)}};
  std::vector<v1::BatchAck> acks;
  for (size_t b = 0; b < batches.size(); ++b) {
    v1::EventBatch batch;
    batch.set_sequence(b + 1);
    for (const auto& e : batches[b]) *batch.add_events() = e;
    ASSERT_TRUE(stream->Write(batch));
    ASSERT_TRUE(stream->Read(&acks.emplace_back()));
  }
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(acks[0].accepted(), 2u);
  EXPECT_EQ(acks[0].duplicates(), 1u);
  EXPECT_EQ(acks[0].conflicts(), 1u) << "in one batch";
  EXPECT_EQ(acks[1].duplicates(), 2u);
  EXPECT_EQ(acks[1].conflicts(), 1u) << "across batches; the exact re-send of c1 is no conflict";
  v1::GetStatsResponse stats;
  grpc::ClientContext stats_context;
  ASSERT_TRUE(v1::AdminService::NewStub(channel_)->GetStats(&stats_context, v1::GetStatsRequest(), &stats).ok());
  EXPECT_EQ(stats.events_conflicting_duplicate(), 2u);
}

TEST_F(ServiceTest, ClientReplaysAndGetTicketReadsTheTimeline) {
  std::vector<v1::TicketEvent> events = {Created("T1", "e1", 0), Status("T1", "e3", 20, v1::TICKET_STATUS_RESOLVED),
                                         Status("T1", "e2", 10, v1::TICKET_STATUS_IN_PROGRESS),
                                         Status("T1", "e4", 30, v1::TICKET_STATUS_IN_PROGRESS)};
  client::StreamIngester::Options options;
  options.batch_size = 2;
  options.make_channel = [this] { return channel_; };
  auto result = client::StreamIngester(options).Run(events);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->totals.accepted, 4u);
  auto again = client::StreamIngester(options).Run(events);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->totals.duplicates, 4u);

  auto stub = v1::ExperienceService::NewStub(channel_);
  v1::GetTicketRequest request;
  request.set_tenant("acme");
  request.set_ticket_id("T1");
  v1::GetTicketResponse ticket;
  grpc::ClientContext context;
  ASSERT_TRUE(stub->GetTicket(&context, request, &ticket).ok());
  ASSERT_EQ(ticket.timeline_size(), 4);
  EXPECT_EQ(ticket.timeline(1).event().event_id(), "e2");
  EXPECT_TRUE(ticket.timeline(3).reopen());
  EXPECT_EQ(ticket.reopen_count(), 1u);
  EXPECT_EQ(ticket.status(), v1::TICKET_STATUS_IN_PROGRESS);
}

TEST_F(ServiceTest, GetTicketCarriesTheToneOfPublicMessagesOnly) {
  std::vector<v1::TicketEvent> events = {
      Created("T9", "t1", 0),
      testing::Comment("T9", "t2", 5, v1::ACTOR_ROLE_AGENT, "Not our problem. Talk to your manager."),
      testing::Comment("T9", "t3", 6, v1::ACTOR_ROLE_AGENT, "Not our problem, honestly.", /*is_public=*/false),
      testing::Comment("T9", "t4", 7, v1::ACTOR_ROLE_REQUESTER, "This is awful, I can't work at all!")};
  client::StreamIngester::Options options;
  options.make_channel = [this] { return channel_; };
  ASSERT_TRUE(client::StreamIngester(options).Run(events).ok());
  v1::GetTicketRequest request;
  request.set_tenant("acme");
  request.set_ticket_id("T9");
  v1::GetTicketResponse ticket;
  grpc::ClientContext context;
  ASSERT_TRUE(v1::ExperienceService::NewStub(channel_)->GetTicket(&context, request, &ticket).ok());
  ASSERT_EQ(ticket.timeline_size(), 4);
  EXPECT_TRUE(ticket.timeline(1).tone().rude());
  ASSERT_GT(ticket.timeline(1).tone().cues_size(), 0);
  EXPECT_EQ(ticket.timeline(1).tone().cues(0).text(), "Not our problem");
  EXPECT_FALSE(ticket.timeline(2).has_tone()) << "internal notes are not scored";
  EXPECT_LT(ticket.timeline(3).tone().compound(), -0.3);
  EXPECT_LT(ticket.timeline(3).tone().sentiment(), ticket.timeline(3).tone().compound())
      << "\"I can't work\" is a help-desk frustration cue";
}

TEST_F(ServiceTest, GetTicketErrorsAreActionable) {
  auto stub = v1::ExperienceService::NewStub(channel_);
  v1::GetTicketRequest request;
  v1::GetTicketResponse response;
  {
    grpc::ClientContext context;
    auto status = stub->GetTicket(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find("tenant"), std::string::npos);
  }
  request.set_tenant("acme");
  request.set_ticket_id("nope");
  grpc::ClientContext context;
  auto status = stub->GetTicket(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServiceTest, GetStatsCountsWhatWasIngested) {
  client::StreamIngester::Options options;
  options.make_channel = [this] { return channel_; };
  auto bad = Created("T2", "x2", 1);
  bad.clear_ticket_id();
  auto result = client::StreamIngester(options).Run({Created("T1", "x1", 0), bad, Created("T1", "x1", 0)});
  ASSERT_TRUE(result.ok());
  v1::GetStatsResponse stats;
  grpc::ClientContext context;
  ASSERT_TRUE(v1::AdminService::NewStub(channel_)->GetStats(&context, v1::GetStatsRequest(), &stats).ok());
  EXPECT_EQ(stats.events_accepted(), 1u);
  EXPECT_EQ(stats.events_duplicate(), 1u);
  EXPECT_EQ(stats.events_rejected(), 1u);
  EXPECT_EQ(stats.rejected_by_code().at("MISSING_FIELD"), 1u);
  ASSERT_EQ(stats.tenants_size(), 1);
  EXPECT_EQ(stats.tenants(0).tenant(), "acme");
  EXPECT_EQ(stats.tenants(0).tickets(), 1u);
}

}  // namespace
}  // namespace rapport
