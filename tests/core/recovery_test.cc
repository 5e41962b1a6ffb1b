// A damaged write-ahead log never loses acknowledged events in silence:
// rapportd is stopped with its events still only in the WAL, the WAL is cut
// (on a record boundary, which RocksDB itself does not notice) or corrupted,
// and the restarted server logs the shortfall, reports it in GetStats and in
// the health service — or, with --wal-recovery=strict, refuses to start.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/test_util.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "rapport/v1/ingest.grpc.pb.h"
#include "server/server.h"

namespace rapport {
namespace {

namespace fs = std::filesystem;

class RecoveryTest : public ::testing::Test {
 protected:
  absl::Status Start(WalRecovery mode = WalRecovery::kServe) {
    server::ServerOptions options;
    options.listen = "";
    options.data_dir = dir_.path();
    options.wal_recovery = mode;
    return server::RapportServer::Start(options, &server_);
  }

  // Sends one batch of `count` comment events and waits for its ack.
  void Ingest(int batch, int count) {
    auto stub = v1::IngestService::NewStub(server_->InProcessChannel());
    grpc::ClientContext context;
    auto stream = stub->StreamEvents(&context);
    v1::EventBatch events;
    events.set_sequence(1);
    for (int i = 0; i < count; ++i) {
      const std::string ticket = absl::StrCat("INC", batch, "-", i);
      *events.add_events() = testing::Created(ticket, absl::StrCat("b", batch, "-", i), batch * 100 + i);
    }
    ASSERT_TRUE(stream->Write(events));
    v1::BatchAck ack;
    ASSERT_TRUE(stream->Read(&ack));
    ASSERT_EQ(ack.accepted(), static_cast<uint64_t>(count));
    stream->WritesDone();
    ASSERT_TRUE(stream->Finish().ok());
  }

  v1::GetStatsResponse Stats() {
    auto stub = v1::AdminService::NewStub(server_->InProcessChannel());
    grpc::ClientContext context;
    v1::GetStatsResponse response;
    EXPECT_TRUE(stub->GetStats(&context, v1::GetStatsRequest(), &response).ok());
    return response;
  }

  grpc::health::v1::HealthCheckResponse::ServingStatus Health(const std::string& service) {
    auto stub = grpc::health::v1::Health::NewStub(server_->InProcessChannel());
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    EXPECT_TRUE(stub->Check(&context, request, &response).ok());
    return response.status();
  }

  // The newest write-ahead log file (the one the server was writing).
  std::string NewestWal() {
    std::string newest;
    for (const auto& entry : fs::directory_iterator(dir_.path())) {
      const std::string name = entry.path().filename().string();
      if (absl::EndsWith(name, ".log") && (newest.empty() || entry.path().string() > newest)) {
        newest = entry.path().string();
      }
    }
    return newest;
  }

  // Ingests a first batch, notes where the WAL ended after its ack, ingests
  // `later` more batches and stops the server (the events stay in the WAL:
  // closing flushes no memtable). Returns the WAL and the first batch's end.
  std::pair<std::string, uintmax_t> IngestThenStop(int later) {
    EXPECT_TRUE(Start().ok());
    Ingest(0, 50);
    const std::string wal = NewestWal();
    const uintmax_t first_end = fs::file_size(wal);
    for (int b = 1; b <= later; ++b) Ingest(b, 50);
    if (later > 0) {
      EXPECT_GT(fs::file_size(wal), first_end);
    }
    server_->Shutdown();
    server_.reset();
    return {wal, first_end};
  }

  testing::TempDir dir_;
  std::unique_ptr<server::RapportServer> server_;
};

TEST_F(RecoveryTest, AnIntactWalRecoversEverythingAndSaysSo) {
  auto [wal, first_end] = IngestThenStop(/*later=*/3);
  ASSERT_TRUE(Start().ok());
  EXPECT_TRUE(server_->recovery().marked);
  EXPECT_TRUE(server_->recovery().complete());
  EXPECT_TRUE(Stats().recovery().complete());
  EXPECT_EQ(Health(server::kRecoveryHealthService), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(RecoveryTest, AWalCutOnARecordBoundaryIsReportedNotSilent) {
  auto [wal, first_end] = IngestThenStop(/*later=*/3);
  fs::resize_file(wal, first_end);  // RocksDB sees a clean, shorter log

  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(Start().ok());
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(absl::StrContains(log, "acknowledged writes were lost")) << log;
  EXPECT_TRUE(absl::StrContains(log, dir_.path())) << log;

  const RecoveryReport& report = server_->recovery();
  EXPECT_FALSE(report.complete());
  // Three batches of 50 events, each event several keys (event, dedupe, state, ...).
  EXPECT_GE(report.missing_writes(), 150u);
  v1::GetStatsResponse stats = Stats();
  EXPECT_FALSE(stats.recovery().complete());
  EXPECT_EQ(stats.recovery().missing_writes(), report.missing_writes());
  EXPECT_TRUE(absl::StrContains(stats.recovery().detail(), "missing")) << stats.recovery().detail();
  // The server serves what it recovered and says what it lost.
  EXPECT_EQ(Health(""), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(Health(server::kRecoveryHealthService), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  ASSERT_EQ(stats.tenants_size(), 1);
  EXPECT_EQ(stats.tenants(0).events(), 50u);
}

TEST_F(RecoveryTest, StrictModeRefusesACutWalAndKeepsTheEvidence) {
  auto [wal, first_end] = IngestThenStop(/*later=*/2);
  fs::resize_file(wal, first_end);

  absl::Status refused = Start(WalRecovery::kStrict);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(refused.message(), dir_.path())) << refused;
  EXPECT_TRUE(absl::StrContains(refused.message(), "--wal-recovery=serve")) << refused;
  // Refusing changed nothing: strict refuses again, serve then reports the loss.
  EXPECT_FALSE(Start(WalRecovery::kStrict).ok());
  ASSERT_TRUE(Start(WalRecovery::kServe).ok());
  EXPECT_FALSE(server_->recovery().complete());
}

TEST_F(RecoveryTest, ACorruptedWalIsReportedAndRefusedWhenStrict) {
  auto [wal, first_end] = IngestThenStop(/*later=*/3);
  {
    // Damage the second batch's record; the third and fourth follow it.
    std::fstream file(wal, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(first_end + 200));
    const std::string garbage(64, '\x5a');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  absl::Status refused = Start(WalRecovery::kStrict);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(absl::StrContains(refused.message(), dir_.path())) << refused;
  EXPECT_TRUE(absl::StrContains(refused.message(), "What to do")) << refused;

  ASSERT_TRUE(Start().ok());
  EXPECT_FALSE(server_->recovery().complete());
  EXPECT_EQ(Health(server::kRecoveryHealthService), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Stats().tenants(0).events(), 50u);
}

TEST_F(RecoveryTest, AStoreInUseIsNamedWithWhatToDo) {
  ASSERT_TRUE(Start().ok());
  std::unique_ptr<server::RapportServer> second;
  server::ServerOptions options;
  options.listen = "";
  options.data_dir = dir_.path();
  absl::Status refused = server::RapportServer::Start(options, &second);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(absl::StrContains(refused.message(), dir_.path())) << refused;
  EXPECT_TRUE(absl::StrContains(refused.message(), "in use by another process")) << refused;
}

TEST_F(RecoveryTest, AnIncompleteDirectoryIsNamedWithWhatToDo) {
  auto [wal, first_end] = IngestThenStop(/*later=*/0);
  fs::remove(fs::path(dir_.path()) / "CURRENT");
  absl::Status refused = Start();
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(absl::StrContains(refused.message(), "restore it from a backup")) << refused;
}

}  // namespace
}  // namespace rapport
