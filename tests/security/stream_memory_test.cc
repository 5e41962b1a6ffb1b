// A client that opens many streams and never reads an ack cannot make the
// server hold memory without bound: rapportd runs as its own process (so its
// RSS is its own), 200 StreamEvents calls each write batches until flow
// control stops them, never reading, and the server's VmRSS, sampled from
// /proc/<pid>/status the whole time, stays under 512 MiB.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/test_util.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "rapport/v1/ingest.grpc.pb.h"

namespace rapport {
namespace {

constexpr int kStreams = 200;
constexpr int64_t kMaxRssKiB = 512 * 1024;

int64_t RssKiB(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream fields(line.substr(6));
      int64_t kib = 0;
      fields >> kib;
      return kib;
    }
  }
  return -1;
}

TEST(StreamMemoryTest, TwoHundredStreamsThatNeverReadAcksKeepTheServerUnder512MiB) {
  testing::TempDir dir;
  const int port = testing::FreePort();
  ASSERT_GT(port, 0);
  const pid_t server = fork();
  if (server == 0) {
    const std::string listen = absl::StrCat("--listen=127.0.0.1:", port);
    const std::string data = absl::StrCat("--data-dir=", dir.path(), "/store");
    execl(RAPPORTD, RAPPORTD, listen.c_str(), data.c_str(), "--log-level=warning", static_cast<char*>(nullptr));
    _exit(127);
  }
  grpc::ChannelArguments channel_args;
  channel_args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection per channel
  // One connection per stream would test the kernel; streams share a few.
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < 4; ++i) {
    channels.push_back(grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials(),
                                                 channel_args));
  }
  ASSERT_TRUE(channels[0]->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(30)));

  // A batch of 200 events with 1 KiB comments: about 250 KB a message.
  v1::EventBatch batch;
  for (int e = 0; e < 200; ++e) {
    v1::TicketEvent event = testing::Comment("T-1", "", e, v1::ACTOR_ROLE_REQUESTER, std::string(1024, 'x'));
    *batch.add_events() = std::move(event);
  }

  std::atomic<bool> stop{false};
  std::atomic<int64_t> peak{0};
  std::atomic<int64_t> written{0};
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts(kStreams);
  std::vector<std::thread> writers;
  for (int s = 0; s < kStreams; ++s) {
    contexts[s] = std::make_unique<grpc::ClientContext>();
    writers.emplace_back([&, s] {
      auto stream = v1::IngestService::NewStub(channels[s % channels.size()])->StreamEvents(contexts[s].get());
      v1::EventBatch mine = batch;
      for (uint64_t n = 1; !stop.load() && n < 100000; ++n) {
        mine.set_sequence(n);
        for (int e = 0; e < mine.events_size(); ++e) {
          mine.mutable_events(e)->set_event_id(absl::StrCat("s", s, "-b", n, "-e", e));
          mine.mutable_events(e)->set_ticket_id(absl::StrCat("T-", s, "-", n % 50));
        }
        if (!stream->Write(mine)) break;  // cancelled, or the server went
        written.fetch_add(1);
      }
    });
  }
  const absl::Time until = absl::Now() + absl::Seconds(20);
  while (absl::Now() < until) {
    const int64_t rss = RssKiB(server);
    ASSERT_GT(rss, 0) << "rapportd is not running";
    peak.store(std::max(peak.load(), rss));
    absl::SleepFor(absl::Milliseconds(100));
  }
  stop.store(true);
  for (auto& c : contexts) c->TryCancel();  // unblocks writers held by flow control
  for (auto& t : writers) t.join();
  kill(server, SIGTERM);
  int status = 0;
  waitpid(server, &status, 0);
  std::printf("streams=%d batches_written=%lld peak_rss_mib=%.1f\n", kStreams, static_cast<long long>(written.load()),
              peak.load() / 1024.0);
  EXPECT_GT(written.load(), kStreams) << "the streams must have written beyond their first batch";
  EXPECT_LT(peak.load(), kMaxRssKiB);
}

}  // namespace
}  // namespace rapport
