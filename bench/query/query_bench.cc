// bench/query: GetScore latency over gRPC on 127.0.0.1 against a no-op unary
// call (grpc.health.v1.Health/Check) on the same server, in the same run, for
// stores of several sizes.
//
// Each store is filled with generated tickets through the real write path
// (validation, fold, detectors, scores; in process, without gRPC), then
// rapportd serves it and one client alternates GetScore (random team, agent
// and tenant scopes; all time and 30-day windows) with the no-op call.
// A third call, GetScore of a tenant that does not exist, answers NOT_FOUND
// after the same dispatch, request parsing and first store read; with the
// in-process cost and the response's size and serialization it splits the
// GetScore p99 above the no-op's (docs/performance.md).
// Usage: scripts/bench-query [--tickets=10000,1000000] [--calls=20000] [--keep].
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "config/config.h"
#include "detect/detectors.h"
#include "event/event.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "ingest/ingestor.h"
#include "ingest/rebuild.h"
#include "rapport/v1/experience.grpc.pb.h"
#include "score/score_query.h"
#include "score/score_stage.h"
#include "server/server.h"
#include "store/store.h"

ABSL_FLAG(std::string, tickets, "10000,1000000", "store sizes, in tickets");
ABSL_FLAG(int, calls, 20000, "GetScore calls per store (as many no-op calls, interleaved); 0 measures in process only");
ABSL_FLAG(int, rounds, 7, "rounds of the in-process loop, the stores taking turns; the median round counts");
ABSL_FLAG(int, days, 365, "days the tickets' creation spreads over");
ABSL_FLAG(std::string, dir, "", "where the stores go (default: the system temp dir)");
ABSL_FLAG(bool, keep, false,
          "keep the stores after the run and reuse one that an earlier run filled with the same tickets, days "
          "and derived-data version (filling a million tickets takes minutes)");

namespace rapport {
namespace {

constexpr int kAgents = 200, kTeams = 20, kDepartments = 30, kServices = 40, kRequesters = 20000;
constexpr int64_t kMinuteUs = 60'000'000;
constexpr int64_t kStartSeconds = 1'735'689'600;  // 2025-01-01T00:00:00Z

// Three events per ticket: created, one public agent reply, resolved; the
// reply time and text vary so scores vary.
void AppendTicket(int64_t n, int64_t total, int64_t start_us, int days, std::mt19937_64& rng,
                  v1::EventBatch* batch) {
  const std::string id = absl::StrFormat("T%08d", n);
  const int agent = static_cast<int>(rng() % kAgents);
  // Creation times rise with n (a live stream arrives roughly in time order),
  // with a jitter of up to an hour.
  const int64_t created = start_us + n * (static_cast<int64_t>(days) * 1440 * kMinuteUs / total) +
                          static_cast<int64_t>(rng() % 60) * kMinuteUs;
  auto base = [&](const char* suffix, int64_t at, v1::EventKind kind) {
    v1::TicketEvent* e = batch->add_events();
    e->set_tenant("bench");
    e->set_ticket_id(id);
    e->set_event_id(id + suffix);
    *e->mutable_occurred_at() = FromMicros(at);
    e->set_kind(kind);
    return e;
  };
  v1::TicketEvent* c = base("c", created, v1::EVENT_KIND_TICKET_CREATED);
  c->set_status(v1::TICKET_STATUS_NEW);
  c->set_priority(static_cast<v1::Priority>(1 + rng() % 4));
  c->mutable_actor()->set_role(v1::ACTOR_ROLE_REQUESTER);
  c->mutable_requester()->set_id(absl::StrFormat("user%05d", rng() % kRequesters));
  c->mutable_requester()->set_department(absl::StrFormat("dept%02d", rng() % kDepartments));
  c->set_service(absl::StrFormat("service%02d", rng() % kServices));
  c->mutable_assignee()->set_agent_id(absl::StrFormat("agent%03d", agent));
  c->mutable_assignee()->set_team(absl::StrFormat("team%02d", agent % kTeams));
  static const char* kReplies[] = {"Thanks for reporting this, I have fixed the mapping. Please try again.",
                                   "Done.", "Restart it.", "Sorry for the wait! The licence is renewed now."};
  const int64_t reply = created + static_cast<int64_t>(5 + rng() % 600) * kMinuteUs;
  v1::TicketEvent* r = base("r", reply, v1::EVENT_KIND_COMMENT_ADDED);
  r->mutable_actor()->set_role(v1::ACTOR_ROLE_AGENT);
  r->mutable_comment()->set_text(kReplies[rng() % 4]);
  r->mutable_comment()->set_public_(true);
  v1::TicketEvent* s = base("s", reply + static_cast<int64_t>(1 + rng() % 4000) * kMinuteUs, v1::EVENT_KIND_STATUS_CHANGED);
  s->mutable_actor()->set_role(v1::ACTOR_ROLE_AGENT);
  s->set_status(v1::TICKET_STATUS_RESOLVED);
}

// What a filled store was filled with, so that --keep reuses only a store
// that this code would fill the same way.
std::string FillStamp(int64_t tickets, int days) {
  return absl::StrFormat("tickets=%d days=%d derived_data_version=%d settings=%s\n", tickets, days,
                         kDerivedDataVersion, RapportConfig().DerivedSettingsDigest());
}

std::string StampPath(const std::string& path) { return path + ".filled"; }

bool FilledBefore(const std::string& path, int64_t tickets, int days) {
  std::ifstream in(StampPath(path));
  std::string stamp((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return !stamp.empty() && stamp == FillStamp(tickets, days) && std::filesystem::exists(path + "/CURRENT");
}

bool Fill(const std::string& path, int64_t tickets, int days) {
  std::filesystem::remove_all(path);
  std::filesystem::remove(StampPath(path));
  Store::Options options;
  options.path = path;
  std::unique_ptr<Store> store;
  if (!Store::Open(options, &store).ok()) return false;
  detect::DetectorStage detectors;
  score::ScoreStage scores(&detectors.thresholds(), score::ScoreOptions());
  Ingestor::Options ingest;
  ingest.stages = {&detectors, &scores};
  auto ingestor = Ingestor::Create(store.get(), ingest);
  if (!ingestor.ok()) return false;
  std::mt19937_64 rng(42);
  const int64_t start = kStartSeconds * 1'000'000;
  auto began = std::chrono::steady_clock::now();
  for (int64_t n = 0; n < tickets;) {
    v1::EventBatch batch;
    for (int i = 0; i < 300 && n < tickets; ++i, ++n) AppendTicket(n, tickets, start, days, rng, &batch);
    if (n % 100000 < 300) std::cerr << "  " << n << " tickets\n";
    auto ack = (*ingestor)->Apply(batch);
    if (!ack.ok() || ack->rejected_size() > 0) {
      std::cerr << "fill failed: " << (ack.ok() ? ack->rejected(0).message() : ack.status().ToString()) << "\n";
      return false;
    }
  }
  // Under the settings the servers below start with (every default), or
  // they would rebuild the store before measuring it, and measure a store
  // fresh from a rebuild instead of one at rest.
  if (!MarkDerivedDataCurrent(store.get(), RapportConfig().DerivedSettingsDigest()).ok()) return false;
  // Measure a store at rest, as a server reaches it between bursts: memtables
  // flushed and the score sums compacted, so no background compaction of
  // the bulk load competes with the queries.
  if (!store->Flush().ok() || !store->Compact(Family::kAggregates).ok()) return false;
  for (bool busy = true; busy;) {  // and the other families' compactions done
    busy = false;
    for (int f = 0; f < kFamilyCount; ++f) {
      busy |= store->Property(static_cast<Family>(f), "rocksdb.compaction-pending") != "0" ||
              store->Property(static_cast<Family>(f), "rocksdb.num-running-compactions") != "0";
    }
    if (busy) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  std::cerr << absl::StrFormat("  filled %d tickets (%d events) in %.0f s\n", tickets, 3 * tickets, seconds);
  std::ofstream(StampPath(path)) << FillStamp(tickets, days);
  return true;
}

struct Percentiles {
  double p50 = 0, p99 = 0;
};

Percentiles Of(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))]; };
  return {at(0.50), at(0.99)};
}

struct Row {
  int64_t tickets;
  Percentiles score, noop, unknown;
  double in_process_us = 0;  // the query alone, without gRPC
  Percentiles in_process;    // µs, over the gRPC loop's mix of requests
  double response_bytes = 0, serialize_us = 0;
};

// The gRPC loop's request `i`: team, agent and tenant scopes in turn; all
// time and the year's last 30 days in turn.
v1::GetScoreRequest MixRequest(int i, std::mt19937& rng) {
  v1::GetScoreRequest request;
  request.set_tenant("bench");
  switch (i % 3) {
    case 0:
      request.mutable_scope()->set_kind(v1::SCOPE_KIND_TEAM);
      request.mutable_scope()->set_id(absl::StrFormat("team%02d", rng() % kTeams));
      break;
    case 1:
      request.mutable_scope()->set_kind(v1::SCOPE_KIND_AGENT);
      request.mutable_scope()->set_id(absl::StrFormat("agent%03d", rng() % kAgents));
      break;
    default:
      request.mutable_scope()->set_kind(v1::SCOPE_KIND_TENANT);
  }
  if (i % 2 == 1) {
    *request.mutable_window()->mutable_start() = FromMicros((kStartSeconds + 335 * 86400) * 1'000'000);
    *request.mutable_window()->mutable_end() = FromMicros((kStartSeconds + 365 * 86400) * 1'000'000);
  }
  return request;
}

// The same queries straight on the stores, for the cost without transport.
// The stores take turns round by round, so that the machine's drift hits
// every size alike; a store's figure is the median of its rounds' means.
bool InProcessMeans(const std::vector<std::string>& paths, int rounds, std::vector<Row>* rows) {
  const int n = 3000;
  score::ScoreOptions scoring;
  std::vector<std::unique_ptr<Store>> stores(paths.size());
  auto query = [&](const Store& store, std::mt19937& rng, int i) {
    v1::GetScoreRequest request;
    request.set_tenant("bench");
    request.mutable_scope()->set_kind(i % 3 == 0 ? v1::SCOPE_KIND_TEAM : i % 3 == 1 ? v1::SCOPE_KIND_AGENT
                                                                                    : v1::SCOPE_KIND_TENANT);
    request.mutable_scope()->set_id(i % 3 == 0 ? absl::StrFormat("team%02d", rng() % kTeams)
                                               : absl::StrFormat("agent%03d", rng() % kAgents));
    return score::GetScore(store, request, scoring).ok();
  };
  for (size_t s = 0; s < paths.size(); ++s) {
    Store::Options options;
    options.path = paths[s];
    if (!Store::Open(options, &stores[s]).ok()) return false;
    // A first pass warms the block cache, as the gRPC loop's warm-up does: a
    // server answers from a warm cache, and the store was just opened cold.
    std::mt19937 warm(3);
    for (int i = 0; i < n; ++i) {
      if (!query(*stores[s], warm, i)) return false;
    }
  }
  std::vector<std::vector<double>> means(paths.size());
  for (int round = 0; round < rounds; ++round) {
    for (size_t s = 0; s < paths.size(); ++s) {
      std::mt19937 rng(3);
      auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < n; ++i) {
        if (!query(*stores[s], rng, i)) return false;
      }
      means[s].push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() /
                         n);
    }
  }
  for (size_t s = 0; s < paths.size(); ++s) (*rows)[s].in_process_us = Of(means[s]).p50;
  return true;
}

// The gRPC loop's requests straight on the store: per-call percentiles, and
// the size and serialization time of the answers.
bool InProcessMix(const std::string& path, Row* row) {
  Store::Options options;
  options.path = path;
  std::unique_ptr<Store> store;
  if (!Store::Open(options, &store).ok()) return false;
  score::ScoreOptions scoring;
  std::mt19937 rng(7);
  const int n = 6000;
  std::vector<double> us;
  double bytes = 0, serialize = 0;
  std::string wire;
  for (int i = 0; i < n; ++i) {  // warm-up, as above
    if (!score::GetScore(*store, MixRequest(i, rng), scoring).ok()) return false;
  }
  for (int i = 0; i < n; ++i) {
    v1::GetScoreRequest request = MixRequest(i, rng);
    auto t0 = std::chrono::steady_clock::now();
    auto report = score::GetScore(*store, request, scoring);
    auto t1 = std::chrono::steady_clock::now();
    if (!report.ok()) return false;
    wire.clear();
    report->SerializeToString(&wire);
    auto t2 = std::chrono::steady_clock::now();
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    serialize += std::chrono::duration<double, std::micro>(t2 - t1).count();
    bytes += static_cast<double>(wire.size());
  }
  std::vector<double> ms(us.begin(), us.end());
  row->in_process = Of(std::move(ms));
  row->response_bytes = bytes / n;
  row->serialize_us = serialize / n;
  return true;
}

// One server per store, all up at once; the client rotates through them
// call by call (GetScore, then the no-op, on each), so machine noise hits
// every store alike.
bool Measure(const std::vector<std::string>& paths, int calls, std::vector<Row>* rows) {
  struct Target {
    std::unique_ptr<server::RapportServer> server;
    std::unique_ptr<v1::ExperienceService::Stub> experience;
    std::unique_ptr<grpc::health::v1::Health::Stub> health;
    std::vector<double> score_ms, noop_ms, unknown_ms;
  };
  std::vector<Target> targets(paths.size());
  for (size_t i = 0; i < paths.size(); ++i) {
    server::ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.data_dir = paths[i];
    if (absl::Status s = server::RapportServer::Start(options, &targets[i].server); !s.ok()) {
      std::cerr << s << "\n";
      return false;
    }
    auto channel = grpc::CreateChannel(absl::StrFormat("127.0.0.1:%d", targets[i].server->port()),
                                       grpc::InsecureChannelCredentials());
    targets[i].experience = v1::ExperienceService::NewStub(channel);
    targets[i].health = grpc::health::v1::Health::NewStub(channel);
  }
  std::mt19937 rng(7);
  auto time_ms = [](auto&& call) {
    auto t0 = std::chrono::steady_clock::now();
    bool ok = call();
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return ok ? ms : -1.0;
  };
  const int warmup = std::min(1000, calls / 10);
  for (int i = 0; i < calls + warmup; ++i) {
    const v1::GetScoreRequest request = MixRequest(i, rng);
    v1::GetScoreRequest unknown = request;
    unknown.set_tenant("no-such-tenant");
    for (Target& t : targets) {
      double s = time_ms([&] {
        grpc::ClientContext context;
        v1::ScoreReport report;
        return t.experience->GetScore(&context, request, &report).ok();
      });
      double n = time_ms([&] {
        grpc::ClientContext context;
        grpc::health::v1::HealthCheckRequest check;
        grpc::health::v1::HealthCheckResponse answer;
        return t.health->Check(&context, check, &answer).ok();
      });
      double u = time_ms([&] {
        grpc::ClientContext context;
        v1::ScoreReport report;
        return t.experience->GetScore(&context, unknown, &report).error_code() == grpc::StatusCode::NOT_FOUND;
      });
      if (s < 0 || n < 0 || u < 0) {
        std::cerr << "a call failed\n";
        return false;
      }
      if (i >= warmup) {
        t.score_ms.push_back(s);
        t.noop_ms.push_back(n);
        t.unknown_ms.push_back(u);
      }
    }
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    targets[i].server->Shutdown();
    (*rows)[i].score = Of(targets[i].score_ms);
    (*rows)[i].noop = Of(targets[i].noop_ms);
    (*rows)[i].unknown = Of(targets[i].unknown_ms);
  }
  return true;
}

int Main() {
  std::vector<int64_t> sizes;
  for (absl::string_view part : absl::StrSplit(absl::GetFlag(FLAGS_tickets), ',')) {
    int64_t n;
    if (!absl::SimpleAtoi(part, &n) || n <= 0) {
      std::cerr << "--tickets takes sizes like 10000,1000000\n";
      return 2;
    }
    sizes.push_back(n);
  }
  std::string root = absl::GetFlag(FLAGS_dir).empty() ? std::filesystem::temp_directory_path().string()
                                                      : absl::GetFlag(FLAGS_dir);
  std::vector<Row> rows;
  std::vector<std::string> paths;
  for (int64_t n : sizes) {
    std::string path = absl::StrFormat("%s/rapport-bench-query-%d", root, n);
    Row row;
    row.tickets = n;
    const int days = absl::GetFlag(FLAGS_days);
    bool ok = true;
    if (absl::GetFlag(FLAGS_keep) && FilledBefore(path, n, days)) {
      std::cerr << "store of " << n << " tickets: reusing " << path << "\n";
    } else {
      std::cerr << "store of " << n << " tickets\n";
      ok = Fill(path, n, days);
    }
    ok = ok && InProcessMix(path, &row);
    paths.push_back(path);
    rows.push_back(row);
    if (!ok) return 1;
  }
  if (!InProcessMeans(paths, absl::GetFlag(FLAGS_rounds), &rows)) return 1;
  bool measured = absl::GetFlag(FLAGS_calls) == 0 || Measure(paths, absl::GetFlag(FLAGS_calls), &rows);
  if (!absl::GetFlag(FLAGS_keep)) {
    for (const std::string& path : paths) {
      std::filesystem::remove_all(path);
      std::filesystem::remove(StampPath(path));
    }
  }
  if (!measured) return 1;
  std::cout << absl::StrFormat("GetScore in process (team, agent, tenant scopes, all time), 3000 calls a round, "
                               "%d rounds, the stores taking turns; the median round's mean\n\n",
                               absl::GetFlag(FLAGS_rounds));
  std::cout << "| tickets | in-process µs | / smallest store's |\n|---:|---:|---:|\n";
  for (const Row& r : rows) {
    std::cout << absl::StrFormat("| %d | %.1f | %.2f |\n", r.tickets, r.in_process_us,
                                 r.in_process_us / rows.front().in_process_us);
  }
  if (absl::GetFlag(FLAGS_calls) == 0) return 0;
  std::cout << absl::StrFormat("\nGetScore over gRPC on 127.0.0.1, %d calls per store (team, agent, tenant scopes; "
                               "all time and 30-day windows), each followed by a no-op unary call on the same "
                               "server; the stores' servers run side by side and take turns call by call\n\n",
                               absl::GetFlag(FLAGS_calls));
  std::cout << "| tickets | GetScore p50 ms | GetScore p99 ms | no-op p50 ms | no-op p99 ms | p99 / no-op p99 | "
               "p99 / smallest store's p99 |\n|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const Row& r : rows) {
    std::cout << absl::StrFormat("| %d | %.3f | %.3f | %.3f | %.3f | %.2f | %.2f |\n", r.tickets, r.score.p50,
                                 r.score.p99, r.noop.p50, r.noop.p99, r.score.p99 / r.noop.p99,
                                 r.score.p99 / rows.front().score.p99);
  }
  std::cout << "\nWhere GetScore's p99 goes: the no-op's p99, then what a GetScore of an unknown tenant adds "
               "(dispatch, request parsing, the tenant read, an error status), then the query itself (in process, "
               "the same mix of requests), and the answer's size and serialization\n\n";
  std::cout << "| tickets | no-op p99 ms | unknown-tenant p99 ms | GetScore p99 ms | in-process p50 µs | "
               "in-process p99 µs | answer bytes | serialize µs |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const Row& r : rows) {
    std::cout << absl::StrFormat("| %d | %.3f | %.3f | %.3f | %.1f | %.1f | %.0f | %.2f |\n", r.tickets, r.noop.p99,
                                 r.unknown.p99, r.score.p99, r.in_process.p50, r.in_process.p99, r.response_bytes,
                                 r.serialize_us);
  }
  return 0;
}

}  // namespace
}  // namespace rapport

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return rapport::Main();
}
