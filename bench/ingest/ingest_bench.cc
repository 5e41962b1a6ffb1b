// bench/ingest: the real ingest path against its two ceilings, in one run.
//
//   (a) noop     IngestService acking every batch without storing it: the gRPC transport ceiling
//   (b) minimal  each event's serialized bytes under its own key, one WriteBatch per batch, the
//                real path's write options: the storage ceiling
//   (c) real     rapportd's full write path (validation, dedupe, ticket fold, every stage)
//   (d) core     the same Ingestor without the analysis stages (validation, dedupe, ticket
//                fold and state, group commit): what the foundation's write path costs alone
//
// Each server runs in its own process (this binary with --serve) on 127.0.0.1,
// so peak RSS is per server; the same client streams the same events to each,
// batches of 100 with up to 16 un-acked. Usage: scripts/bench-ingest [--events N].
//
// --reads measures what ingest does to queries: GetScore latency on one real
// server while it is idle, while the client above streams at full speed, and
// while 20 streams send ~1 MB batches (1,000 events with comments of ~2 KB),
// all in one run, so the loaded percentiles read against the idle ones.
//
// --writer measures the single writer alone, in this process and without RPC:
// the Ingestor of (c) and of (d) applying the same events in groups of 16
// prepared batches, the thread CPU time of the writer's part per event. On a
// loaded machine it is steadier than throughput, and it is what bounds (c).
//
// --stalled_subscriber runs (c) alone, alerting on every finding (one alert
// per ticket, updated by each later finding), rounds with a WatchAlerts
// stream from cursor 0 that never reads alternating with rounds without
// one: the ratio of the medians is what a stalled subscriber costs ingest.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <random>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "base/net.h"
#include "base/thread.h"
#include "calendar/calendar.h"
#include "event/event.h"
#include "score/score_stage.h"
#include "detect/detectors.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "rapport/v1/alerts.grpc.pb.h"
#include "rapport/v1/experience.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "server/client/stream_ingester.h"
#include "ingest/ingestor.h"
#include "server/ingest_queue.h"
#include "server/ingest_service.h"
#include "server/server.h"
#include "store/keys.h"
#include "store/store.h"

ABSL_FLAG(int, events, 300000, "events streamed to each server");
ABSL_FLAG(std::string, serve, "", "internal: run one server (noop, minimal or real) and wait for SIGTERM");
ABSL_FLAG(std::string, listen, "", "internal: the server's address");
ABSL_FLAG(std::string, data_dir, "", "internal: the server's data directory");
ABSL_FLAG(bool, json, false, "print the figures as JSON");
ABSL_FLAG(int, rounds, 3, "rounds of the three servers, interleaved; each figure is the median round");
ABSL_FLAG(bool, writer, false, "measure the writer alone (core and real Ingestor, in process, no RPC)");
ABSL_FLAG(bool, calendars, false,
          "with --writer: also the real writer with a business calendar on every target and as the default, "
          "interleaved with the others");
ABSL_FLAG(bool, reads, false,
          "GetScore latency on the real server: idle, while one client streams --events at full speed, and while "
          "--load_streams streams send ~1 MB batches");
ABSL_FLAG(bool, alert_every_finding, false,
          "internal: the real server also alerts on every finding, per ticket, without a rate limit");
ABSL_FLAG(bool, stalled_subscriber, false,
          "the real server alone, rounds with a WatchAlerts stream that never reads interleaved with rounds without");
ABSL_FLAG(int, load_streams, 20, "with --reads: streams of ~1 MB batches");
ABSL_FLAG(int, load_batches, 4, "with --reads: ~1 MB batches each of those streams sends");
ABSL_FLAG(int, probes, 3000, "with --reads: GetScore calls of the idle measurement");
ABSL_FLAG(std::string, probe, "", "internal: call GetScore on this address until a byte arrives on standard input");
ABSL_FLAG(int64_t, probe_calls, 1000000, "internal: with --probe, at most this many calls");
ABSL_FLAG(std::string, probe_out, "", "internal: with --probe, the file each call's latency in ms is written to");

namespace rapport {
namespace {

// --- the servers -------------------------------------------------------------

void WaitForSigterm() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  int sig = 0;
  sigwait(&signals, &sig);
}

int Serve(const std::string& mode, const std::string& listen, const std::string& data_dir) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  if (mode == "real") {
    server::ServerOptions options;
    options.listen = listen;
    options.data_dir = data_dir;
    if (absl::GetFlag(FLAGS_alert_every_finding)) {
      // Alert traffic for a subscriber to fall behind on: one alert per
      // ticket with a finding, each later finding an update.
      RapportConfig config;
      alert::AlertRule every;
      every.name = "every-finding";
      every.subject = alert::SubjectKind::kTicket;
      config.alerts.defaults.rules = {every};
      options.config = config;
    }
    std::unique_ptr<server::RapportServer> server;
    if (absl::Status s = server::RapportServer::Start(options, &server); !s.ok()) {
      std::cerr << s << "\n";
      return 1;
    }
    WaitForSigterm();
    server->Shutdown();
    return 0;
  }
  std::unique_ptr<Store> store;
  std::unique_ptr<Ingestor> ingestor;
  std::unique_ptr<server::IngestQueue> queue;
  server::IngestQueue::ApplyFn apply;
  if (mode == "core" || mode == "minimal") {
    Store::Options options;
    options.path = data_dir;
    if (absl::Status s = Store::Open(options, &store); !s.ok()) {
      std::cerr << s << "\n";
      return 1;
    }
  }
  if (mode == "core") {
    auto created = Ingestor::Create(store.get(), Ingestor::Options());
    if (!created.ok()) {
      std::cerr << created.status() << "\n";
      return 1;
    }
    ingestor = std::move(*created);
    queue = std::make_unique<server::IngestQueue>(ingestor.get());
  } else if (mode == "noop") {
    apply = [](const v1::EventBatch& batch) -> absl::StatusOr<v1::BatchAck> {
      v1::BatchAck ack;
      ack.set_sequence(batch.sequence());
      ack.set_accepted(batch.events_size());
      return ack;
    };
  } else if (mode == "minimal") {
    Store* raw = store.get();
    apply = [raw](const v1::EventBatch& batch) -> absl::StatusOr<v1::BatchAck> {
      Store::Batch writes(*raw);
      for (const v1::TicketEvent& e : batch.events()) {
        writes.Put(Family::kEvents, keys::Dedupe(e.tenant(), e.event_id()), e.SerializeAsString());
      }
      if (absl::Status s = raw->Commit(&writes); !s.ok()) return s;
      v1::BatchAck ack;
      ack.set_sequence(batch.sequence());
      ack.set_accepted(batch.events_size());
      return ack;
    };
  } else {
    std::cerr << "unknown --serve mode " << mode << "\n";
    return 2;
  }
  if (!queue) queue = std::make_unique<server::IngestQueue>(apply);
  server::IngestServiceImpl service(queue.get(), Limits());
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  auto grpc_server = builder.BuildAndStart();
  if (!grpc_server) return 1;
  WaitForSigterm();
  grpc_server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  queue->Stop();
  grpc_server->Wait();
  return 0;
}

// --- the client side -----------------------------------------------------------

// Help-desk-like events: tickets of ten events (creation, assignment, status
// changes, comments of realistic length), ~400 bytes serialized on average.
std::vector<v1::TicketEvent> MakeEvents(size_t count) {
  static const char* const kTexts[] = {
      "Hi Emma, thanks for reaching out. Could you tell me which version of the VPN client you are running? You find "
      "it under Help > About. A screenshot of the error message would also help, together with the time it happened, "
      "so I can match it with the gateway logs.",
      "Since this morning Outlook asks for my password every few minutes, even after I type it in. I restarted the "
      "laptop twice and it still happens. I can't work like this and I have a deadline today, please help as soon as "
      "you can.",
      "Thanks for the details. I have reset your mail profile and pushed the corrected settings to your laptop; please "
      "restart once, sign in again and let me know if the prompts stop. If they don't, I'll call you this afternoon.",
      "That fixed it, thank you so much! Everything works again and the prompts are gone. Have a great day.",
      "The printer on the 3rd floor jams every morning with the first print job; the tray seems to be misaligned and "
      "the display shows error 13.B2. Colleagues on the same floor have the same problem since the service visit.",
  };
  static const char* const kDepartments[] = {"Finance", "Sales", "Engineering", "HR", "Legal"};
  static const char* const kServices[] = {"email", "vpn", "laptop", "printing", "erp", "phone"};
  std::mt19937 rng(42);
  std::vector<v1::TicketEvent> events;
  events.reserve(count);
  // A ticket opens every minute; the stream ends a day before now, at midnight
  // UTC, since validation refuses events from the future.
  constexpr int64_t kDayUs = 86'400'000'000;
  const int64_t span_us = static_cast<int64_t>(count / 10 + 1) * 60'000'000;
  const int64_t base = (absl::ToUnixMicros(absl::Now()) - span_us) / kDayUs * kDayUs - kDayUs;
  for (size_t i = 0; i < count; ++i) {
    size_t ticket = i / 10, step = i % 10;
    v1::TicketEvent e;
    e.set_tenant("bench");
    e.set_ticket_id(absl::StrCat("INC", 1000000 + ticket));
    e.set_event_id(absl::StrCat("bench-", i));
    *e.mutable_occurred_at() = FromMicros(base + static_cast<int64_t>(ticket) * 60'000'000 +
                                          static_cast<int64_t>(step) * 600'000'000);
    e.set_source("bench");
    (*e.mutable_attributes())["source_record"] = absl::StrCat("a1f5c2e9d07b4", 1000000 + ticket, "0e6b8a3c:", step);
    (*e.mutable_attributes())["channel"] = "portal";
    // A well-run ticket: question, legitimate wait, answer, fix, thanks, resolution.
    const bool agent = step != 0 && step != 5 && step != 8;
    // 2,000 requesters and six services, so a requester opens a ticket every
    // few days; every resolution uses the same template text (a busy
    // boilerplate key, the costliest case for the cross-ticket index).
    const std::string requester = absl::StrCat("user.", (ticket * 7919) % 2000);
    e.mutable_actor()->set_id(agent ? absl::StrCat("agent.", ticket % 20) : requester);
    e.mutable_actor()->set_role(agent ? v1::ACTOR_ROLE_AGENT : v1::ACTOR_ROLE_REQUESTER);
    switch (step) {
      case 0:
        e.set_kind(v1::EVENT_KIND_TICKET_CREATED);
        e.set_status(v1::TICKET_STATUS_NEW);
        e.set_priority(v1::PRIORITY_MEDIUM);
        e.mutable_requester()->set_id(requester);
        e.mutable_requester()->set_department(kDepartments[ticket % 5]);
        e.set_service(kServices[(ticket / 7) % 6]);
        e.set_category("mailbox");
        e.mutable_assignee()->set_team("Service Desk");
        (*e.mutable_attributes())["subject"] = "Outlook keeps asking for my password";
        break;
      case 1:
        e.set_kind(v1::EVENT_KIND_ASSIGNMENT_CHANGED);
        e.mutable_assignee()->set_agent_id(absl::StrCat("agent.", ticket % 20));
        e.mutable_assignee()->set_team("Service Desk");
        break;
      case 2:
      case 4:
      case 6:
      case 9:
        e.set_kind(v1::EVENT_KIND_STATUS_CHANGED);
        e.set_status(step == 4 ? v1::TICKET_STATUS_PENDING_REQUESTER
                     : step == 9 ? v1::TICKET_STATUS_RESOLVED : v1::TICKET_STATUS_IN_PROGRESS);
        if (step == 9) e.mutable_resolution()->set_notes("Reset mail profile and re-entered credentials.");
        break;
      default:
        e.set_kind(v1::EVENT_KIND_COMMENT_ADDED);
        e.mutable_comment()->set_text(kTexts[step == 3 ? 0 : step == 5 ? (rng() % 2 ? 1 : 4) : step == 7 ? 2 : 3]);
        e.mutable_comment()->set_public_(true);
    }
    events.push_back(std::move(e));
  }
  return events;
}

long ReadStatusKb(pid_t pid, const char* field) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::string(field).size()));
  }
  return 0;
}

// CPU seconds (user + system) from a /proc stat file.
double StatCpuSeconds(const std::string& path) {
  std::ifstream in(path);
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t comm_end = stat.rfind(')');
  if (comm_end == std::string::npos) return 0;
  std::vector<std::string> fields = absl::StrSplit(stat.substr(comm_end + 2), ' ');
  // After the comm: state is field 3, utime and stime are fields 14 and 15.
  if (fields.size() < 13) return 0;
  return (std::stod(fields[11]) + std::stod(fields[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// The server process's CPU so far, and its writer thread's (0 if it has none).
std::pair<double, double> ServerCpuSeconds(pid_t pid) {
  double writer = 0;
  for (const auto& task : std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/task"))) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (name == "rapport-writer") writer = StatCpuSeconds(task.path() / "stat");
  }
  return {StatCpuSeconds(absl::StrCat("/proc/", pid, "/stat")), writer};
}

struct Figures {
  std::string mode;
  double events_per_second = 0;
  double p50_ms = 0, p99_ms = 0;
  long peak_rss_kb = 0;
  std::vector<long> rss_kb_at_quarters;
  // CPU per event: the whole server process, and its single writer thread.
  double server_cpu_us = 0, writer_cpu_us = 0;
  uint64_t alert_entries = 0;  // the real server's alert log at the end
};

bool WaitServing(const std::string& target) {
  for (int i = 0; i < 200; ++i) {
    auto stub = grpc::health::v1::Health::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
    grpc::health::v1::HealthCheckResponse response;
    if (stub->Check(&context, grpc::health::v1::HealthCheckRequest(), &response).ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// A WatchAlerts stream of the bench tenant from cursor 0 that never reads:
// what a stalled subscriber costs the writer.
class StalledSubscriber {
 public:
  explicit StalledSubscriber(const std::string& target)
      : channel_(grpc::CreateChannel(target, grpc::InsecureChannelCredentials())),
        stub_(v1::AlertService::NewStub(channel_)) {
    v1::WatchAlertsRequest request;
    request.set_tenant("bench");
    reader_ = stub_->WatchAlerts(&context_, request);
  }
  ~StalledSubscriber() { context_.TryCancel(); }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AlertService::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::WatchAlertsResponse>> reader_;
};

// The cursor of the newest alert entry of the bench tenant (0: none).
uint64_t NewestAlertCursor(const std::string& target) {
  auto stub = v1::AlertService::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  v1::ListAlertsRequest request;
  request.set_tenant("bench");
  request.set_page_size(1);
  grpc::ClientContext context;
  v1::ListAlertsResponse response;
  if (!stub->ListAlerts(&context, request, &response).ok() || response.alerts_size() == 0) return 0;
  return response.alerts(0).cursor();
}

absl::StatusOr<Figures> RunOne(const char* self, const std::string& mode, const std::vector<v1::TicketEvent>& events,
                               bool stalled_subscriber = false) {
  char dir_template[] = "/tmp/rapport-bench-XXXXXX";
  std::string dir = mkdtemp(dir_template);
  std::string target = absl::StrCat("127.0.0.1:", PickFreeLoopbackPort());
  pid_t pid = fork();
  if (pid == 0) {
    const std::string alerts = absl::StrCat("--alert_every_finding=", absl::GetFlag(FLAGS_alert_every_finding));
    execl(self, self, ("--serve=" + mode).c_str(), ("--listen=" + target).c_str(), ("--data_dir=" + dir + "/db").c_str(),
          alerts.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  if (!WaitServing(target)) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return absl::UnavailableError(absl::StrCat("the ", mode, " server did not start on ", target));
  }
  Figures figures;
  figures.mode = mode;
  const size_t batches = (events.size() + 99) / 100;
  std::vector<absl::Time> sent(batches);
  std::vector<double> latency_ms;
  latency_ms.reserve(batches);
  client::StreamIngester::Options options;
  options.target = target;
  options.batch_size = 100;
  options.in_flight = 16;
  options.on_send = [&](size_t b) { sent[b] = absl::Now(); };
  options.on_ack = [&](size_t b, const v1::BatchAck&) {
    latency_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - sent[b]));
    size_t done = latency_ms.size();
    for (size_t quarter = 1; quarter <= 4; ++quarter) {
      if (done == batches * quarter / 4) figures.rss_kb_at_quarters.push_back(ReadStatusKb(pid, "VmRSS:"));
    }
  };
  std::unique_ptr<StalledSubscriber> subscriber;
  if (stalled_subscriber) subscriber = std::make_unique<StalledSubscriber>(target);
  absl::Time start = absl::Now();
  auto result = client::StreamIngester(options).Run(events);
  double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  subscriber.reset();
  if (mode == "real") figures.alert_entries = NewestAlertCursor(target);
  figures.peak_rss_kb = ReadStatusKb(pid, "VmHWM:");
  auto [server_cpu, writer_cpu] = ServerCpuSeconds(pid);
  figures.server_cpu_us = 1e6 * server_cpu / static_cast<double>(events.size());
  figures.writer_cpu_us = 1e6 * writer_cpu / static_cast<double>(events.size());
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  std::string cleanup = absl::StrCat("rm -rf '", dir, "'");
  if (std::system(cleanup.c_str()) != 0) std::cerr << "could not remove " << dir << "\n";
  if (!result.ok()) return result.status();
  if (result->totals.accepted != events.size()) {
    return absl::InternalError(absl::StrCat(mode, ": ", result->totals.accepted, " of ", events.size(), " accepted"));
  }
  figures.events_per_second = events.size() / seconds;
  std::sort(latency_ms.begin(), latency_ms.end());
  figures.p50_ms = latency_ms[latency_ms.size() / 2];
  figures.p99_ms = latency_ms[std::min(latency_ms.size() - 1, latency_ms.size() * 99 / 100)];
  return figures;
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// What the writer runs: the store alone, the real stages on 24/7 clocks, or
// the real stages with every clock on a business calendar.
enum class WriterMode { kCore, kReal, kRealCalendars };

// Mon-Fri 08:00-12:00 and 13:00-17:00 in Berlin with holidays, so deadlines
// cross nights, weekends, a lunch break and DST: on every priority's target
// and as the tenant default (reply_gap, stale).
absl::StatusOr<detect::Thresholds> CalendarThresholds() {
  calendar::WeeklyHours hours;
  for (int day = 0; day < 5; ++day) hours[day] = {{8 * 60, 12 * 60}, {13 * 60, 17 * 60}};
  std::vector<calendar::Holiday> holidays = {{absl::CivilDay(2026, 12, 24), absl::CivilDay(2026, 12, 24), false},
                                             {absl::CivilDay(2026, 12, 28), absl::CivilDay(2026, 12, 31), false},
                                             {absl::CivilDay(2000, 1, 1), absl::CivilDay(2000, 1, 1), true},
                                             {absl::CivilDay(2000, 5, 1), absl::CivilDay(2000, 5, 1), true}};
  auto desk = calendar::Calendar::Make("bench-desk", "Europe/Berlin", hours, holidays);
  if (!desk.ok()) return desk.status();
  detect::Thresholds thresholds;
  for (auto& c : thresholds.target_calendar) c = *desk;
  thresholds.calendar = *desk;
  return thresholds;
}

// The writer's CPU microseconds per event: Prepare (done by the receiving
// threads in the server) is timed apart from ApplyGroup (the writer).
absl::StatusOr<std::pair<double, double>> WriterCost(WriterMode mode, const std::vector<v1::TicketEvent>& events) {
  detect::Thresholds thresholds;
  if (mode == WriterMode::kRealCalendars) {
    auto with_calendars = CalendarThresholds();
    if (!with_calendars.ok()) return with_calendars.status();
    thresholds = *with_calendars;
  }
  char dir_template[] = "/tmp/rapport-bench-XXXXXX";
  std::string dir = mkdtemp(dir_template);
  std::pair<double, double> cost;
  {
    std::unique_ptr<Store> store;
    Store::Options options;
    options.path = dir + "/db";
    if (absl::Status s = Store::Open(options, &store); !s.ok()) return s;
    detect::DetectorStage detectors{detect::TenantThresholds(thresholds)};
    score::ScoreStage scores(&detectors.thresholds(), score::ScoreOptions());
    Ingestor::Options ingest_options;
    if (mode != WriterMode::kCore) ingest_options.stages = {&detectors, &scores};
    auto ingestor = Ingestor::Create(store.get(), ingest_options);
    if (!ingestor.ok()) return ingestor.status();
    double prepare_s = 0, apply_s = 0;
    constexpr size_t kBatch = 100, kGroup = server::IngestQueue::kMaxGroup;
    for (size_t first = 0; first < events.size(); first += kBatch * kGroup) {
      std::vector<v1::EventBatch> batches;
      for (size_t b = first; b < std::min(events.size(), first + kBatch * kGroup); b += kBatch) {
        batches.emplace_back();
        for (size_t i = b; i < std::min(events.size(), b + kBatch); ++i) *batches.back().add_events() = events[i];
      }
      double t0 = ThreadCpuSeconds();
      std::vector<std::unique_ptr<PreparedBatch>> prepared;
      std::vector<const v1::EventBatch*> group;
      std::vector<const PreparedBatch*> group_prepared;
      for (const v1::EventBatch& batch : batches) {
        prepared.push_back((*ingestor)->Prepare(batch));
        group.push_back(&batch);
        group_prepared.push_back(prepared.back().get());
      }
      double t1 = ThreadCpuSeconds();
      auto acks = (*ingestor)->ApplyGroup(group, group_prepared);
      double t2 = ThreadCpuSeconds();
      if (!acks.ok()) return acks.status();
      prepare_s += t1 - t0;
      apply_s += t2 - t1;
    }
    cost = {1e6 * apply_s / static_cast<double>(events.size()), 1e6 * prepare_s / static_cast<double>(events.size())};
  }
  std::string cleanup = absl::StrCat("rm -rf '", dir, "'");
  if (std::system(cleanup.c_str()) != 0) std::cerr << "could not remove " << dir << "\n";
  return cost;
}

int RunWriterBench(const std::vector<v1::TicketEvent>& events, int rounds, bool calendars) {
  std::vector<WriterMode> modes = {WriterMode::kCore, WriterMode::kReal};
  if (calendars) modes.push_back(WriterMode::kRealCalendars);
  std::map<WriterMode, std::vector<double>> apply;
  std::vector<double> real_prepare;
  for (int round = 0; round < rounds; ++round) {
    for (WriterMode mode : modes) {
      auto cost = WriterCost(mode, events);
      if (!cost.ok()) {
        std::cerr << "bench_ingest: " << cost.status() << "\n";
        return 1;
      }
      apply[mode].push_back(cost->first);
      if (mode == WriterMode::kReal) real_prepare.push_back(cost->second);
    }
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const double core = median(apply[WriterMode::kCore]), real = median(apply[WriterMode::kReal]);
  std::cout << absl::StrFormat(
      "%d events, groups of %d batches of 100; writer CPU per event, median of %d rounds\n\n"
      "core writer   %6.2f us\nreal writer   %6.2f us   (%.2fx core)\nreal prepare  %6.2f us   (on the receiving "
      "threads, not the writer)\n",
      events.size(), server::IngestQueue::kMaxGroup, rounds, core, real, real / core, median(real_prepare));
  if (calendars) {
    const double with = median(apply[WriterMode::kRealCalendars]);
    std::cout << absl::StrFormat("real writer, business calendars on every target   %6.2f us   (%.3fx real)\n", with,
                                 with / real);
  }
  return 0;
}

// --- reads under ingest --------------------------------------------------------

// GetScore calls on a fixed schedule, one every kProbeInterval, rotating
// through tenant, agent, team and department scopes (all time), until `stop`
// is set or `max_calls` or `max_time` is reached; each call's latency in ms
// (-1 for a failed call). Open loop, as independent users would call: a call
// starts at its scheduled time whether or not the ones before it have
// answered, and its latency counts from that time, so a stall of a second
// counts every call scheduled during it, not one slow call among thousands of
// fast ones; and a call that takes longer than the interval does not delay
// the next (a sequential client would pile every such call's excess onto all
// the later ones, measuring its own queue rather than the server).
constexpr absl::Duration kProbeInterval = absl::Milliseconds(2);

v1::GetScoreRequest ProbeRequest(size_t i) {
  v1::GetScoreRequest request;
  request.set_tenant("bench");
  switch (i % 4) {
    case 0: request.mutable_scope()->set_kind(v1::SCOPE_KIND_TENANT); break;
    case 1:
      request.mutable_scope()->set_kind(v1::SCOPE_KIND_AGENT);
      request.mutable_scope()->set_id(absl::StrCat("agent.", i % 20));
      break;
    case 2:
      request.mutable_scope()->set_kind(v1::SCOPE_KIND_TEAM);
      request.mutable_scope()->set_id("Service Desk");
      break;
    default:
      request.mutable_scope()->set_kind(v1::SCOPE_KIND_DEPARTMENT);
      request.mutable_scope()->set_id("Finance");
  }
  return request;
}

std::vector<double> Probe(const std::string& target, const std::atomic<bool>& stop, size_t max_calls,
                          absl::Duration max_time) {
  auto stub = v1::ExperienceService::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  struct Call {
    grpc::ClientContext context;
    v1::GetScoreRequest request;
    v1::ScoreReport report;
    absl::Time scheduled;
    double ms = -1;
  };
  std::vector<std::unique_ptr<Call>> calls;
  absl::Mutex mu;
  size_t outstanding = 0;
  const absl::Time start = absl::Now(), until = start + max_time;
  for (size_t i = 0; i < max_calls && !stop.load() && absl::Now() < until; ++i) {
    auto call = std::make_unique<Call>();
    call->scheduled = start + kProbeInterval * static_cast<int64_t>(i);
    if (absl::Now() < call->scheduled) absl::SleepFor(call->scheduled - absl::Now());
    call->request = ProbeRequest(i);
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    {
      absl::MutexLock lock(&mu);
      ++outstanding;
    }
    Call* c = call.get();
    stub->async()->GetScore(&c->context, &c->request, &c->report, [c, &mu, &outstanding](grpc::Status status) {
      absl::MutexLock lock(&mu);
      if (status.ok()) c->ms = absl::ToDoubleMilliseconds(absl::Now() - c->scheduled);
      --outstanding;
    });
    calls.push_back(std::move(call));
  }
  // Every call has a deadline, so this wait ends.
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(+[](size_t* n) { return *n == 0; }, &outstanding));
  std::vector<double> ms;
  ms.reserve(calls.size());
  for (const auto& call : calls) ms.push_back(call->ms);
  return ms;
}

struct ReadFigures {
  std::string load;
  size_t calls = 0, failed = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  double events_per_second = 0;  // of the load
};

ReadFigures Summarize(std::string load, std::vector<double> ms, double events_per_second) {
  ReadFigures f;
  f.load = std::move(load);
  f.events_per_second = events_per_second;
  f.failed = static_cast<size_t>(std::count(ms.begin(), ms.end(), -1.0));
  ms.erase(std::remove(ms.begin(), ms.end(), -1.0), ms.end());
  f.calls = ms.size();
  if (ms.empty()) return f;
  std::sort(ms.begin(), ms.end());
  f.p50_ms = ms[ms.size() / 2];
  f.p99_ms = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  f.max_ms = ms.back();
  return f;
}

// The events of one heavy stream: the generated tickets under ids of their
// own, each comment ~2.3 KB, so 1,000 events (the batch limit) are ~1 MB.
std::vector<v1::TicketEvent> HeavyEvents(int stream, size_t count) {
  std::vector<v1::TicketEvent> events = MakeEvents(count);
  for (v1::TicketEvent& e : events) {
    e.set_ticket_id(absl::StrCat("S", stream, "-", e.ticket_id()));
    e.set_event_id(absl::StrCat("s", stream, "-", e.event_id()));
    if (e.has_comment()) {
      std::string text = e.comment().text();
      while (text.size() < 2300) absl::StrAppend(&text, " ", e.comment().text());
      e.mutable_comment()->set_text(text);
    }
  }
  return events;
}

// The probe runs in a process of its own, as a desk lead's client would: in
// the load's process, gRPC's pollers serve every channel's connection from
// whichever thread is polling, so the probe's thread ended up writing the load's
// megabytes and its latency measured this client, not the server.
int RunProbeChild(const std::string& target, size_t max_calls, const std::string& out_path) {
  std::atomic<bool> stop{false};
  // A byte on standard input stops the probe; end of input alone does not.
  std::thread([&stop] {
    char byte;
    if (read(STDIN_FILENO, &byte, 1) == 1) stop = true;
  }).detach();
  std::vector<double> ms = Probe(target, stop, max_calls, absl::Minutes(10));
  std::ofstream out(out_path);
  for (double v : ms) out << v << "\n";
  out.close();
  return out ? 0 : 1;
}

class ProbeProcess {
 public:
  ProbeProcess(const char* self, const std::string& target, size_t max_calls, const std::string& out_path)
      : out_path_(out_path) {
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[0], STDIN_FILENO);
      close(fds[0]);
      close(fds[1]);
      execl(self, self, ("--probe=" + target).c_str(), absl::StrCat("--probe_calls=", max_calls).c_str(),
            ("--probe_out=" + out_path).c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[0]);
    stop_fd_ = fds[1];
  }

  // Stops the probe (now, or after its calls when `stop_now` is false) and
  // returns each call's latency; empty when the probe failed.
  std::vector<double> Finish(bool stop_now) {
    std::vector<double> ms;
    if (pid_ <= 0) return ms;
    if (stop_now && write(stop_fd_, "x", 1) != 1) std::cerr << "bench_ingest: could not stop the probe\n";
    int status = 0;
    waitpid(pid_, &status, 0);
    close(stop_fd_);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return ms;
    std::ifstream in(out_path_);
    for (double v; in >> v;) ms.push_back(v);
    std::filesystem::remove(out_path_);
    return ms;
  }

 private:
  std::string out_path_;
  pid_t pid_ = -1;
  int stop_fd_ = -1;
};

// Runs `load` (which returns the events it stored) while probing GetScore.
ReadFigures UnderLoad(const char* self, const std::string& dir, const std::string& name, const std::string& target,
                      const std::function<absl::StatusOr<size_t>()>& load) {
  ProbeProcess prober(self, target, 1'000'000, dir + "/probe.txt");
  const absl::Time start = absl::Now();
  auto stored = load();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  std::vector<double> ms = prober.Finish(/*stop_now=*/true);
  if (!stored.ok()) std::cerr << "bench_ingest: " << name << ": " << stored.status() << "\n";
  return Summarize(name, std::move(ms), stored.ok() ? static_cast<double>(*stored) / seconds : 0);
}

int RunReadBench(const char* self, const std::vector<v1::TicketEvent>& events) {
  char dir_template[] = "/tmp/rapport-bench-XXXXXX";
  std::string dir = mkdtemp(dir_template);
  std::string target = absl::StrCat("127.0.0.1:", PickFreeLoopbackPort());
  pid_t pid = fork();
  if (pid == 0) {
    execl(self, self, "--serve=real", ("--listen=" + target).c_str(), ("--data_dir=" + dir + "/db").c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  auto stop_server = [&] {
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
    std::string cleanup = absl::StrCat("rm -rf '", dir, "'");
    if (std::system(cleanup.c_str()) != 0) std::cerr << "could not remove " << dir << "\n";
  };
  if (!WaitServing(target)) {
    stop_server();
    std::cerr << "bench_ingest: the real server did not start on " << target << "\n";
    return 1;
  }
  // The first fifth of the events is the data the queries read.
  const size_t warm = events.size() / 5;
  auto stream = [&](const std::vector<v1::TicketEvent>& part, size_t batch_size,
                    const std::string& channel_name) -> absl::StatusOr<size_t> {
    // The load stands in for remote clients, which would not share the
    // server's cores: at a lower priority than the server and the probe.
    LowerThisThreadPriority(10);
    client::StreamIngester::Options options;
    options.batch_size = batch_size;
    options.in_flight = 16;
    options.make_channel = [&] {
      grpc::ChannelArguments args;
      args.SetString("rapport.bench.channel", channel_name);  // a connection of its own
      return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
    };
    auto result = client::StreamIngester(options).Run(part);
    if (!result.ok()) return result.status();
    return static_cast<size_t>(result->totals.accepted);
  };
  std::vector<ReadFigures> rows;
  if (auto s = stream({events.begin(), events.begin() + warm}, 100, "warm"); !s.ok()) {
    std::cerr << "bench_ingest: warm-up: " << s.status() << "\n";
    stop_server();
    return 1;
  }
  rows.push_back(Summarize(
      "idle", ProbeProcess(self, target, absl::GetFlag(FLAGS_probes), dir + "/probe.txt").Finish(false), 0));
  rows.push_back(UnderLoad(self, dir, "1 stream, full speed (batches of 100)", target, [&] {
    return stream({events.begin() + warm, events.end()}, 100, "full-speed");
  }));
  const int streams = std::max(1, absl::GetFlag(FLAGS_load_streams));
  const size_t per_stream = 1000 * static_cast<size_t>(std::max(1, absl::GetFlag(FLAGS_load_batches)));
  std::vector<std::vector<v1::TicketEvent>> heavy;
  size_t heavy_bytes = 0;
  for (int i = 0; i < streams; ++i) {
    heavy.push_back(HeavyEvents(i, per_stream));
    for (const auto& e : heavy.back()) heavy_bytes += e.ByteSizeLong();
  }
  const std::string heavy_name = absl::StrFormat("%d streams of %.1f MB batches", streams,
                                                 heavy_bytes / (static_cast<double>(streams) * per_stream / 1000) / 1e6);
  rows.push_back(UnderLoad(self, dir, heavy_name, target, [&]() -> absl::StatusOr<size_t> {
    std::vector<absl::StatusOr<size_t>> results(streams, size_t{0});
    std::vector<std::thread> threads;
    for (int i = 0; i < streams; ++i) {
      threads.emplace_back([&, i] { results[i] = stream(heavy[i], 1000, absl::StrCat("heavy-", i)); });
    }
    for (std::thread& t : threads) t.join();
    size_t total = 0;
    for (const auto& r : results) {
      if (!r.ok()) return r.status();
      total += *r;
    }
    return total;
  }));
  stop_server();

  const double idle_p99 = rows.front().p99_ms;
  std::cout << absl::StrFormat(
      "GetScore (tenant, agent, team, department scopes; all time) over gRPC on 127.0.0.1, one call every %s, "
      "latency from its scheduled time when the call before made it late, on one real server holding %d events first, "
      "while idle and under each load\n\n",
      absl::FormatDuration(kProbeInterval), warm);
  std::cout << "| load | load events/s | GetScore calls | p50 ms | p99 ms | max ms | p99 / idle p99 |\n"
               "|---|---:|---:|---:|---:|---:|---:|\n";
  int status = 0;
  for (const ReadFigures& r : rows) {
    std::cout << absl::StrFormat("| %s | %s | %d%s | %.3f | %.3f | %.1f | %.1f |\n", r.load,
                                 r.events_per_second > 0 ? absl::StrFormat("%.0f", r.events_per_second) : "",
                                 r.calls, r.failed > 0 ? absl::StrFormat(" (%d failed)", r.failed) : "", r.p50_ms,
                                 r.p99_ms, r.max_ms, r.p99_ms / idle_p99);
    if (r.failed > 0 || r.calls == 0) status = 1;
  }
  return status;
}

}  // namespace
}  // namespace rapport

namespace rapport {

// --stalled_subscriber: what one subscriber that never reads costs the real
// path, in events/s and in writer CPU per event. Rounds alternate without
// and with it; each figure is the median of its rounds.
int RunStalledSubscriberBench(const char* self, const std::vector<v1::TicketEvent>& events, int rounds) {
  std::vector<Figures> without, with;
  for (int round = 0; round < rounds; ++round) {
    for (bool stalled : {false, true}) {
      auto figures = RunOne(self, "real", events, stalled);
      if (!figures.ok()) {
        std::cerr << "bench_ingest: " << figures.status() << "\n";
        return 1;
      }
      (stalled ? with : without).push_back(*figures);
    }
  }
  auto median = [](std::vector<Figures> runs, double Figures::*field) {
    std::sort(runs.begin(), runs.end(), [&](const Figures& a, const Figures& b) { return a.*field < b.*field; });
    return runs[runs.size() / 2].*field;
  };
  const double rate_without = median(without, &Figures::events_per_second);
  const double rate_with = median(with, &Figures::events_per_second);
  const double writer_without = median(without, &Figures::writer_cpu_us);
  const double writer_with = median(with, &Figures::writer_cpu_us);
  std::cout << absl::StrFormat(
      "%d events to the real server, %d rounds each, alternating; alert entries in the log: %d\n\n"
      "%-26s %12s %12s\n%-26s %12.0f %12.2f\n%-26s %12.0f %12.2f\n\n"
      "events/s with / without          = %.3f   (target >= 0.95)\n"
      "writer us/event with / without   = %.3f   (target <= 1.05)\n",
      events.size(), rounds, with.back().alert_entries, "real server", "events/s", "writer us", "no subscriber",
      rate_without, writer_without, "a stalled subscriber", rate_with, writer_with, rate_with / rate_without,
      writer_with / writer_without);
  return 0;
}

}  // namespace rapport

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (!absl::GetFlag(FLAGS_serve).empty()) {
    return rapport::Serve(absl::GetFlag(FLAGS_serve), absl::GetFlag(FLAGS_listen), absl::GetFlag(FLAGS_data_dir));
  }
  if (!absl::GetFlag(FLAGS_probe).empty()) {
    return rapport::RunProbeChild(absl::GetFlag(FLAGS_probe), static_cast<size_t>(absl::GetFlag(FLAGS_probe_calls)),
                                  absl::GetFlag(FLAGS_probe_out));
  }
  const size_t count = static_cast<size_t>(absl::GetFlag(FLAGS_events));
  auto events = rapport::MakeEvents(count);
  if (absl::GetFlag(FLAGS_writer)) return rapport::RunWriterBench(events, std::max(1, absl::GetFlag(FLAGS_rounds)),
                                                                absl::GetFlag(FLAGS_calendars));
  if (absl::GetFlag(FLAGS_reads)) return rapport::RunReadBench(argv[0], events);
  if (absl::GetFlag(FLAGS_stalled_subscriber)) {
    absl::SetFlag(&FLAGS_alert_every_finding, true);
    return rapport::RunStalledSubscriberBench(argv[0], events, std::max(1, absl::GetFlag(FLAGS_rounds)));
  }
  size_t bytes = 0;
  for (const auto& e : events) bytes += e.ByteSizeLong();
  // Rounds interleave the servers so that machine noise (other processes,
  // compactions, CPU frequency) hits all three alike; the median round of each
  // server is reported.
  const int rounds = std::max(1, absl::GetFlag(FLAGS_rounds));
  const char* const modes[] = {"noop", "minimal", "real", "core"};
  constexpr int kModes = 4;
  std::vector<std::vector<rapport::Figures>> runs(kModes);
  for (int round = 0; round < rounds; ++round) {
    for (int m = 0; m < kModes; ++m) {
      auto figures = rapport::RunOne(argv[0], modes[m], events);
      if (!figures.ok()) {
        std::cerr << "bench_ingest: " << figures.status() << "\n";
        return 1;
      }
      runs[m].push_back(*figures);
    }
  }
  std::vector<rapport::Figures> all;
  for (auto& r : runs) {
    std::sort(r.begin(), r.end(), [](const rapport::Figures& a, const rapport::Figures& b) {
      return a.events_per_second < b.events_per_second;
    });
    all.push_back(r[r.size() / 2]);
  }
  const auto& a = all[0];
  const auto& b = all[1];
  const auto& c = all[2];
  const auto& d = all[3];
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << "{\"events\": " << count << ", \"mean_event_bytes\": " << bytes / count;
    for (const auto& f : all) {
      std::cout << absl::StrFormat(", \"%s\": {\"events_per_second\": %.0f, \"p50_ms\": %.2f, \"p99_ms\": %.2f, "
                                   "\"peak_rss_kb\": %d, \"server_cpu_us_per_event\": %.2f, "
                                   "\"writer_cpu_us_per_event\": %.2f}",
                                   f.mode, f.events_per_second, f.p50_ms, f.p99_ms, f.peak_rss_kb, f.server_cpu_us,
                                   f.writer_cpu_us);
    }
    std::cout << absl::StrFormat(", \"c_over_b\": %.2f, \"c_over_a\": %.2f, \"d_over_b\": %.2f}\n",
                                 c.events_per_second / b.events_per_second, c.events_per_second / a.events_per_second,
                                 d.events_per_second / b.events_per_second);
    return 0;
  }
  std::cout << absl::StrFormat(
      "%d events per server, %d bytes each on average, batches of 100, 16 in flight; median of %d rounds\n\n", count,
      bytes / count, rounds);
  std::cout << absl::StrFormat("%-10s %12s %10s %10s %14s %10s %10s   %s\n", "server", "events/s", "p50 ms",
                               "p99 ms", "peak RSS MiB", "cpu us/ev", "writer us", "RSS MiB at 25/50/75/100%");
  for (const auto& f : all) {
    std::string quarters;
    for (long kb : f.rss_kb_at_quarters) absl::StrAppend(&quarters, quarters.empty() ? "" : " / ", kb / 1024);
    std::cout << absl::StrFormat("%-10s %12.0f %10.2f %10.2f %14.1f %10.2f %10.2f   %s\n", f.mode, f.events_per_second,
                                 f.p50_ms, f.p99_ms, f.peak_rss_kb / 1024.0, f.server_cpu_us, f.writer_cpu_us,
                                 quarters);
  }
  std::cout << absl::StrFormat("\nreal / minimal durable (c/b) = %.2f   (target >= 0.50)\n",
                               c.events_per_second / b.events_per_second);
  std::cout << absl::StrFormat("real / no-op stream    (c/a) = %.2f\n", c.events_per_second / a.events_per_second);
  std::cout << absl::StrFormat("core / minimal durable (d/b) = %.2f   (the write path without analysis)\n",
                               d.events_per_second / b.events_per_second);
  return 0;
}
