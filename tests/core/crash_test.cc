// Durability under kill -9: rapportd runs as a real process on loopback, is
// killed with SIGKILL several times mid-stream and restarted on the same data
// directory while the client keeps re-sending its un-acked batches. Every
// acked event must be stored exactly once, and no restart may find an
// acknowledged write missing from the WAL. ctest kills 4 times;
// scripts/crash-test sets RAPPORT_CRASH_CYCLES (100) for the long run.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "server/client/stream_ingester.h"
#include "core/test_util.h"
#include "event/event.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
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
  options.window = 16;
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

}  // namespace
}  // namespace rapport
