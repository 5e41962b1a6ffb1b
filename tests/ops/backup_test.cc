// Backups and the rebuilds' directory swaps. CreateBackup writes a RocksDB checkpoint of the live store while a
// stream ingests; a server started on the copy is complete (every event
// acknowledged before the call), recovers without a missing write, and once
// the rest is sent again answers exactly what the original answers.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/test_util.h"
#include "grpcpp/client_context.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "rapport/v1/experience.grpc.pb.h"
#include "rapport/v1/ingest.grpc.pb.h"
#include "ingest/rebuild.h"
#include "server/server.h"

namespace rapport {
namespace {

using testing::Assign;
using testing::Comment;
using testing::Created;
using testing::Status;

constexpr int kTicketsFirst = 40;   // acknowledged before the backup
constexpr int kTicketsDuring = 400;  // streamed while it is taken

// A ticket's life: opened, assigned to one of five agents in two teams,
// answered, resolved; every fourth answer curt, every third resolved late.
std::vector<v1::TicketEvent> Life(int n) {
  const std::string t = absl::StrCat("INC", n);
  const int at = n * 7;
  const std::string agent = absl::StrCat("agent", n % 5);
  const std::string team = n % 5 < 3 ? "Service Desk" : "Network";
  return {Created(t, t + "-c", at, team), Assign(t, t + "-a", at + 2, agent, team),
          Comment(t, t + "-r", at + (n % 3 == 0 ? 600 : 30), v1::ACTOR_ROLE_AGENT,
                  n % 4 == 0 ? "Reboot." : "Thanks for reporting this, I have reset your profile; please try again."),
          Status(t, t + "-s", at + (n % 3 == 0 ? 3000 : 60), v1::TICKET_STATUS_RESOLVED)};
}

// Streams tickets [first, last) in batches of one ticket each; every batch
// acked. With `acked`, paced (a batch every 2 ms), so a backup asked for
// meanwhile lands mid-stream.
void Send(const std::shared_ptr<grpc::Channel>& channel, int first, int last, std::atomic<int>* acked = nullptr) {
  auto stub = v1::IngestService::NewStub(channel);
  grpc::ClientContext context;
  auto stream = stub->StreamEvents(&context);
  for (int n = first; n < last; ++n) {
    v1::EventBatch batch;
    batch.set_sequence(n + 1);
    for (v1::TicketEvent& e : Life(n)) *batch.add_events() = std::move(e);
    ASSERT_TRUE(stream->Write(batch));
    v1::BatchAck ack;
    ASSERT_TRUE(stream->Read(&ack));
    ASSERT_EQ(ack.rejected_size(), 0) << ack.ShortDebugString();
    if (acked != nullptr) {
      acked->store(n + 1);
      absl::SleepFor(absl::Milliseconds(2));
    }
  }
  stream->WritesDone();
  ASSERT_TRUE(stream->Finish().ok());
}

grpc::Status Backup(const std::shared_ptr<grpc::Channel>& channel, const std::string& dir,
                    v1::CreateBackupResponse* response) {
  auto stub = v1::AdminService::NewStub(channel);
  v1::CreateBackupRequest request;
  request.set_dir(dir);
  grpc::ClientContext context;
  return stub->CreateBackup(&context, request, response);
}

// Every team's and agent's report and the tenant's, as text.
std::string Scores(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = v1::ExperienceService::NewStub(channel);
  std::string out;
  for (v1::ScopeKind kind : {v1::SCOPE_KIND_TEAM, v1::SCOPE_KIND_AGENT}) {
    v1::ListScoresRequest request;
    request.set_tenant("acme");
    request.set_kind(kind);
    request.set_page_size(1000);
    v1::ListScoresResponse response;
    grpc::ClientContext context;
    EXPECT_TRUE(stub->ListScores(&context, request, &response).ok());
    absl::StrAppend(&out, response.ShortDebugString(), "\n");
  }
  v1::GetScoreRequest request;
  request.set_tenant("acme");
  request.mutable_scope()->set_kind(v1::SCOPE_KIND_TENANT);
  v1::ScoreReport report;
  grpc::ClientContext context;
  EXPECT_TRUE(stub->GetScore(&context, request, &report).ok());
  return out + report.ShortDebugString();
}

uint64_t EventsOf(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = v1::AdminService::NewStub(channel);
  v1::GetStatsRequest request;
  request.set_tenant("acme");
  v1::GetStatsResponse stats;
  grpc::ClientContext context;
  EXPECT_TRUE(stub->GetStats(&context, request, &stats).ok());
  return stats.tenants_size() == 1 ? stats.tenants(0).events() : 0;
}

std::unique_ptr<server::RapportServer> StartOn(const std::string& dir, bool rebuild = false) {
  server::ServerOptions options;
  options.listen = "";
  options.data_dir = dir;
  options.rebuild = rebuild;
  std::unique_ptr<server::RapportServer> server;
  absl::Status s = server::RapportServer::Start(options, &server);
  EXPECT_TRUE(s.ok()) << s;
  return server;
}

TEST(Backup, ACopyTakenUnderIngestRestoresToTheSameScores) {
  testing::TempDir dir;
  const std::string live = dir.path() + "/live", copy = dir.path() + "/backup";
  std::string expected;
  int acked_before = 0;
  {
    auto server = StartOn(live);
    ASSERT_NE(server, nullptr);
    auto channel = server->InProcessChannel();
    Send(channel, 0, kTicketsFirst);
    std::atomic<int> acked{kTicketsFirst};
    std::thread during([&] { Send(channel, kTicketsFirst, kTicketsFirst + kTicketsDuring, &acked); });
    // Let the stream get going, bounded: the backup must land mid-stream to test anything.
    for (int i = 0; i < 2000 && acked.load() < kTicketsFirst + 20; ++i) absl::SleepFor(absl::Milliseconds(1));
    acked_before = acked.load();
    v1::CreateBackupResponse backup;
    grpc::Status status = Backup(channel, copy, &backup);
    during.join();
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(backup.dir(), copy);
    EXPECT_GT(backup.sequence(), 0u);
    EXPECT_GT(backup.files(), 0u);
    expected = Scores(channel);
    ASSERT_EQ(EventsOf(channel), 4u * (kTicketsFirst + kTicketsDuring));
  }
  auto restored = StartOn(copy);
  ASSERT_NE(restored, nullptr);
  EXPECT_TRUE(restored->recovery().complete()) << restored->recovery().Describe();
  EXPECT_TRUE(restored->recovery().marked) << "the copy carries its commit mark";
  auto channel = restored->InProcessChannel();
  const uint64_t in_copy = EventsOf(channel);
  EXPECT_GE(in_copy, 4u * acked_before) << "every event acknowledged before the call is in the copy";
  EXPECT_EQ(in_copy % 4, 0u) << "a batch is in the copy whole or not at all";
  // Not asserted (it depends on timing), but shown: where the copy was cut.
  std::cout << "backup cut after " << in_copy / 4 << " of " << kTicketsFirst + kTicketsDuring << " tickets ("
            << acked_before << " acked when it was asked for)\n";
  // Whatever the copy missed, sent again, gives the original's answers.
  Send(channel, 0, kTicketsFirst + kTicketsDuring);
  EXPECT_EQ(EventsOf(channel), 4u * (kTicketsFirst + kTicketsDuring));
  EXPECT_EQ(Scores(channel), expected);
}

TEST(Backup, RefusesADirectoryItCannotUseAndSaysWhy) {
  testing::TempDir dir;
  auto server = StartOn(dir.path() + "/live");
  ASSERT_NE(server, nullptr);
  auto channel = server->InProcessChannel();
  Send(channel, 0, 3);
  v1::CreateBackupResponse response;
  grpc::Status s = Backup(channel, "relative/dir", &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("not absolute"), std::string::npos) << s.error_message();
  s = Backup(channel, dir.path() + "/no/such/parent", &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  s = Backup(channel, dir.path() + "/live", &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
  // A refused call leaves nothing behind, and the next one works.
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/no"));
  ASSERT_TRUE(Backup(channel, dir.path() + "/ok", &response).ok());
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/ok/CURRENT"));
  EXPECT_TRUE(Backup(channel, dir.path() + "/ok", &response).error_code() == grpc::StatusCode::ALREADY_EXISTS);
}

TEST(Rebuild, WorksBesideADataDirectoryNamedWithATrailingSlash) {
  EXPECT_EQ(SiblingPath("/srv/rapport/store/", ".rebuild"), "/srv/rapport/store.rebuild");
  EXPECT_EQ(SiblingPath("/srv/rapport/store", ".old"), "/srv/rapport/store.old");
  EXPECT_EQ(SiblingPath("var/rapport//", ".old"), "var/rapport.old");
  testing::TempDir dir;
  {
    auto server = StartOn(dir.path() + "/live/");
    ASSERT_NE(server, nullptr);
    Send(server->InProcessChannel(), 0, 5);
  }
  auto rebuilt = StartOn(dir.path() + "/live/", /*rebuild=*/true);
  ASSERT_NE(rebuilt, nullptr);
  EXPECT_EQ(EventsOf(rebuilt->InProcessChannel()), 20u);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/live/.rebuild"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/live.rebuild"));
}

TEST(Rebuild, ASwapInterruptedBetweenItsRenamesIsUndoneAtTheNextStart) {
  testing::TempDir dir;
  const std::string live = dir.path() + "/live";
  {
    auto server = StartOn(live);
    ASSERT_NE(server, nullptr);
    Send(server->InProcessChannel(), 0, 5);
  }
  // Killed after moving the store aside, before moving the rebuilt one in.
  std::filesystem::rename(live, live + ".old");
  auto server = StartOn(live);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(EventsOf(server->InProcessChannel()), 20u) << "the old store is back, not an empty one";
  EXPECT_FALSE(std::filesystem::exists(live + ".old"));
  server.reset();
  // And a swap never removes a parked store when nothing stands in its place.
  std::filesystem::rename(live, live + ".old");
  std::filesystem::create_directory(live);
  std::filesystem::create_directory(dir.path() + "/rebuilt");
  EXPECT_EQ(SwapInRebuilt(live, dir.path() + "/rebuilt").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(std::filesystem::exists(live + ".old/CURRENT"));
}

TEST(Rebuild, AStartRemovesTheWorkDirectoriesOfARebuildThatDied) {
  testing::TempDir dir;
  const std::string live = dir.path() + "/live";
  {
    auto server = StartOn(live);
    ASSERT_NE(server, nullptr);
    Send(server->InProcessChannel(), 0, 2);
  }
  // As a kill -9 during a live rebuild leaves them: a checkpoint and a half-replayed store.
  for (const char* suffix : {".snapshot", ".rebuild"}) {
    std::filesystem::create_directory(live + suffix);
    std::ofstream(live + suffix + "/000001.sst") << "table";
  }
  auto server = StartOn(live);
  ASSERT_NE(server, nullptr);
  EXPECT_FALSE(std::filesystem::exists(live + ".snapshot"));
  EXPECT_FALSE(std::filesystem::exists(live + ".rebuild"));
  EXPECT_EQ(EventsOf(server->InProcessChannel()), 8u);
}

}  // namespace
}  // namespace rapport
