// Durability under kill -9 and SIGTERM: rapportd runs as a real process on
// loopback. Killed with SIGKILL several times mid-stream and restarted on the
// same data directory while the client keeps re-sending its un-acked batches,
// it must store every acked event exactly once, and no restart may find an
// acknowledged write missing from the WAL (ctest kills 4 times;
// scripts/crash-test sets RAPPORT_CRASH_CYCLES, 100, for the long run).
// Stopped with SIGTERM under load, it must stop reading at once, ack what it
// read and end every stream UNAVAILABLE, with each batch stored whole or not
// at all.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "server/client/stream_ingester.h"
#include "core/test_util.h"
#include "event/event.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "rapport/v1/ingest.grpc.pb.h"
#include "rapport/internal/state.pb.h"
#include "rapport/v1/experience.grpc.pb.h"
#include "store/keys.h"
#include "store/store.h"

namespace rapport {
namespace {

pid_t StartServer(const std::string& listen, const std::string& data_dir, const std::string& log) {
  pid_t pid = fork();
  if (pid == 0) {
    FILE* out = freopen(log.c_str(), "a", stderr);
    (void)out;
    execl(RAPPORTD_PATH, RAPPORTD_PATH, ("--listen=" + listen).c_str(), ("--data-dir=" + data_dir).c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

// Waits (bounded) until the server answers a call.
bool WaitUntilServing(const std::string& target) {
  for (int i = 0; i < 200; ++i) {
    // A fresh channel per try: a channel's own reconnect backoff would make
    // this wait far longer than the server needs to start.
    auto stub = v1::ExperienceService::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
    v1::GetTicketRequest request;
    request.set_tenant("probe");
    request.set_ticket_id("probe");
    v1::GetTicketResponse response;
    auto status = stub->GetTicket(&context, request, &response);
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE &&
        status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

int Cycles() {
  const char* cycles = std::getenv("RAPPORT_CRASH_CYCLES");
  return cycles != nullptr && std::atoi(cycles) > 0 ? std::atoi(cycles) : 4;
}

TEST(Crash, EveryAckedEventIsStoredExactlyOnceAcrossKill9) {
  testing::TempDir dir;
  const std::string data_dir = dir.path() + "/data";
  const std::string log = dir.path() + "/rapportd.log";
  const std::string target = absl::StrCat("127.0.0.1:", testing::FreePort());

  const int cycles = Cycles();
  const size_t kEvents = std::max<size_t>(80000, static_cast<size_t>(cycles) * 4000);
  std::vector<v1::TicketEvent> events;
  events.reserve(kEvents);
  for (size_t i = 0; i < kEvents; ++i) {
    std::string ticket = absl::StrCat("INC", 100000 + i / 8);
    std::string id = absl::StrCat("ev-", i);
    // The same span of event time however many events (all in the past).
    int64_t minute = static_cast<int64_t>(i * 80000 / kEvents);
    if (i % 8 == 0) {
      events.push_back(testing::Created(ticket, id, minute));
    } else {
      events.push_back(testing::Comment(ticket, id, minute, i % 2 ? v1::ACTOR_ROLE_AGENT : v1::ACTOR_ROLE_REQUESTER,
                                        "Thanks, I restarted the client and the VPN still drops every hour."));
    }
  }

  pid_t pid = StartServer(target, data_dir, log);
  ASSERT_TRUE(WaitUntilServing(target));

  std::atomic<size_t> acked_batches{0};
  std::atomic<bool> client_done{false};
  client::StreamIngester::Options options;
  options.target = target;
  options.batch_size = 100;
  options.in_flight = 16;
  options.retry_for = absl::Seconds(60);
  options.on_ack = [&](size_t, const v1::BatchAck&) { acked_batches++; };
  absl::StatusOr<client::IngestResult> result;
  std::thread client([&] {
    result = client::StreamIngester(options).Run(events);
    client_done = true;
  });

  // Kill at evenly spaced points of the batches acked, up to 90% (bounded waits).
  const size_t batches = kEvents / 100;
  int kills = 0;
  for (int k = 1; k <= cycles; ++k) {
    const double at = 0.9 * k / (cycles + 1);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!client_done && acked_batches < at * batches && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (client_done) break;
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    ++kills;
    pid = StartServer(target, data_dir, log);
    ASSERT_TRUE(WaitUntilServing(target)) << "rapportd did not come back; see " << log;
  }
  client.join();
  kill(pid, SIGTERM);
  int wait_status = 0;
  waitpid(pid, &wait_status, 0);
  EXPECT_TRUE(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) << "clean shutdown on SIGTERM";

  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_GE(kills, cycles * 3 / 4) << "the stream finished before the kills landed; raise kEvents";
  const std::string server_log = testing::ReadFile(log);
  EXPECT_EQ(server_log.find("acknowledged writes were lost"), std::string::npos) << server_log;
  EXPECT_GE(result->totals.reconnects, static_cast<uint64_t>(kills));
  // Exactly once from the client's view: a batch committed just before a
  // kill lost its ack, was re-sent, and came back as duplicates.
  EXPECT_EQ(result->totals.accepted + result->totals.duplicates, kEvents);

  // Exactly once on disk.
  std::unique_ptr<Store> store;
  Store::Options store_options;
  store_options.path = data_dir;
  ASSERT_TRUE(Store::Open(store_options, &store).ok());
  std::vector<int> seen(kEvents, 0);
  size_t stored = 0;
  ASSERT_TRUE(store->Scan(Family::kEvents, "", [&](absl::string_view, absl::string_view value) {
    v1::TicketEvent e;
    e.ParseFromArray(value.data(), static_cast<int>(value.size()));
    size_t index = std::stoul(e.event_id().substr(3));
    if (index < kEvents) seen[index]++;
    ++stored;
    return true;
  }).ok());
  EXPECT_EQ(stored, kEvents);
  std::string tenant_bytes;
  ASSERT_TRUE(store->Get(Family::kMeta, keys::TenantMeta("acme"), &tenant_bytes).ok());
  internal::TenantState tenant;
  tenant.ParseFromString(tenant_bytes);
  EXPECT_EQ(tenant.events(), kEvents) << "derived counters agree with the events";
  EXPECT_EQ(tenant.tickets(), kEvents / 8);
  size_t lost = 0, duplicated = 0;
  for (size_t i = 0; i < kEvents; ++i) {
    lost += seen[i] == 0;
    duplicated += seen[i] > 1;
    EXPECT_LE(lost + duplicated, 0u) << "event ev-" << i << " stored " << seen[i] << " times";
    if (lost + duplicated > 10) break;
  }
  std::cout << "kill -9 cycles: " << kills << ", events: " << kEvents << ", reconnects: "
            << result->totals.reconnects << ", rejected: " << result->totals.rejected << ", lost: " << lost << ", duplicated: " << duplicated << "\n";
}

// One stream of a load: a writer sends batches of `kPerBatch` events until
// the stream breaks; a reader records the acks.
struct LoadStream {
  static constexpr int kPerBatch = 20;
  static constexpr int kMaxBatches = 5000;
  int id = 0;
  std::atomic<int> sent{0};
  std::atomic<int> acked{0};  // acks come in order: batches [0, acked) are acked
  grpc::Status status;

  static std::string EventId(int stream, int batch, int i) { return absl::StrCat("s", stream, "-b", batch, "-e", i); }

  void Run(const std::string& target) {
    auto stub = v1::IngestService::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    auto stream = stub->StreamEvents(&context);
    std::thread writer([&] {
      for (int b = 0; b < kMaxBatches; ++b) {
        v1::EventBatch batch;
        batch.set_sequence(b);
        for (int i = 0; i < kPerBatch; ++i) {
          const std::string ticket = absl::StrCat("S", id, "-", b);
          *batch.add_events() = i == 0 ? testing::Created(ticket, EventId(id, b, i), b)
                                       : testing::Comment(ticket, EventId(id, b, i), b, v1::ACTOR_ROLE_REQUESTER,
                                                          "Still waiting for the laptop, any news?");
        }
        if (!stream->Write(batch)) return;
        ++sent;
      }
      stream->WritesDone();
    });
    v1::BatchAck ack;
    while (stream->Read(&ack)) {
      EXPECT_EQ(ack.sequence(), static_cast<uint64_t>(acked.load()));
      ++acked;
    }
    writer.join();
    status = stream->Finish();
  }
};

TEST(Shutdown, SigtermUnderLoadAcksWhatWasReadAndEndsStreamsUnavailable) {
  testing::TempDir dir;
  const std::string data_dir = dir.path() + "/data";
  const std::string log = dir.path() + "/rapportd.log";
  const std::string target = absl::StrCat("127.0.0.1:", testing::FreePort());
  pid_t pid = StartServer(target, data_dir, log);
  ASSERT_TRUE(WaitUntilServing(target));

  constexpr int kStreams = 4;
  std::vector<std::unique_ptr<LoadStream>> streams;
  std::vector<std::thread> threads;
  for (int s = 0; s < kStreams; ++s) {
    streams.push_back(std::make_unique<LoadStream>());
    streams.back()->id = s;
    threads.emplace_back([&, s] { streams[s]->Run(target); });
  }
  // Every stream is busy: acked some and sending more (bounded wait).
  auto busy = [&] {
    for (const auto& s : streams) {
      if (s->acked < 20) return false;
    }
    return true;
  };
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
       !busy() && std::chrono::steady_clock::now() < until;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(busy()) << "the load did not start; see " << log;

  const auto term = std::chrono::steady_clock::now();
  kill(pid, SIGTERM);
  for (auto& t : threads) t.join();
  int wait_status = 0;
  waitpid(pid, &wait_status, 0);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - term).count();
  EXPECT_TRUE(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) << "clean exit on SIGTERM";
  EXPECT_LT(seconds, 5.0) << "the streams drained at once, not at the end of the 10 s grace period";
  std::cout << "SIGTERM to exit: " << seconds << " s; batches acked per stream:";
  for (const auto& s : streams) std::cout << " " << s->acked;
  std::cout << "\n";

  for (const auto& s : streams) {
    EXPECT_EQ(s->status.error_code(), grpc::StatusCode::UNAVAILABLE) << s->status.error_message();
    EXPECT_NE(s->status.error_message().find("shutting down"), std::string::npos) << s->status.error_message();
    EXPECT_NE(s->status.error_message().find(absl::StrCat("batches up to sequence ", s->acked - 1, " are acked")),
              std::string::npos)
        << s->status.error_message();
    EXPECT_LT(s->acked, LoadStream::kMaxBatches) << "the stream was still sending at SIGTERM";
  }

  // After a restart every acked batch is stored whole, and every other batch
  // whole or not at all.
  std::unique_ptr<Store> store;
  Store::Options store_options;
  store_options.path = data_dir;
  ASSERT_TRUE(Store::Open(store_options, &store).ok());
  std::map<std::pair<int, int>, int> stored;  // (stream, batch) -> events stored
  ASSERT_TRUE(store->Scan(Family::kEvents, "", [&](absl::string_view, absl::string_view value) {
    v1::TicketEvent e;
    e.ParseFromArray(value.data(), static_cast<int>(value.size()));
    int stream = 0, batch = 0, i = 0;
    EXPECT_EQ(sscanf(e.event_id().c_str(), "s%d-b%d-e%d", &stream, &batch, &i), 3) << e.event_id();
    stored[{stream, batch}]++;
    return true;
  }).ok());
  size_t unacked_stored = 0;
  for (const auto& s : streams) {
    for (int b = 0; b < s->acked; ++b) {
      ASSERT_EQ(stored[std::make_pair(s->id, b)], LoadStream::kPerBatch) << "acked batch " << b << " of stream " << s->id;
    }
    for (int b = s->acked; b < LoadStream::kMaxBatches; ++b) {
      auto it = stored.find({s->id, b});
      if (it == stored.end()) continue;
      EXPECT_EQ(it->second, LoadStream::kPerBatch) << "un-acked batch " << b << " of stream " << s->id << " is half stored";
      ++unacked_stored;
    }
  }
  EXPECT_EQ(unacked_stored, 0u) << "every batch read before SIGTERM was acked before the stream ended";
}

}  // namespace
}  // namespace rapport
