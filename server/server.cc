#include "server/server.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/log.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "config/config.h"
#include "detect/findings.h"
#include "builtin/builtins.h"
#include "ingest/rebuild.h"
#include "server/admin_service.h"
#include "server/alert_service.h"
#include "server/experience_service.h"
#include "server/ingest_queue.h"
#include "server/ingest_service.h"

namespace rapport::server {
namespace {

// How long the sockets stay open after every ingest stream has ended.
constexpr absl::Duration kLingerAfterDrain = absl::Seconds(1);

}  // namespace

absl::Status RapportServer::Start(const ServerOptions& options, std::unique_ptr<RapportServer>* out) {
  std::unique_ptr<RapportServer> server(new RapportServer());
  server->options_ = options;

  auto recovered = RecoverInterruptedSwap(options.data_dir);
  if (!recovered.ok()) return recovered.status();
  if (!recovered->empty()) Log(LogLevel::kWarning, *recovered, {{"data_dir", options.data_dir}});
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create the data directory ", options.data_dir, ": ", ec.message()));
  }
  RapportConfig config;
  if (options.config.has_value()) {
    config = *options.config;
  } else if (!options.config_path.empty()) {
    auto loaded = LoadConfigFile(options.config_path);
    if (!loaded.ok()) return loaded.status();
    config = std::move(*loaded);
  }
  server->config_ = config;
  if (absl::Status s = server->StartAuth(options); !s.ok()) return s;
  if (absl::Status s = CheckTlsFiles(config.tls); !s.ok()) return s;
  // The plugins (adapters and alert sinks): built-ins, then the modules.
  server->adapters_ = std::make_unique<AdapterCatalog>();
  if (absl::Status s = RegisterBuiltinPlugins(&server->adapters_->registry); !s.ok()) return s;
  if (!options.plugin_dir.empty()) {
    if (absl::Status s = server->adapters_->registry.LoadDirectory(options.plugin_dir); !s.ok()) return s;
  }
  // Sinks run per tenant, each created now so a sink that refuses its
  // configuration stops the start instead of sending nothing.
  if (!config.alerts.defaults.sinks.empty()) {
    return absl::FailedPreconditionError(
        "defaults.alerts.sinks: declare alert sinks under each tenant (tenants.T.alerts.sinks)");
  }
  std::vector<std::tuple<std::string, std::string, int64_t, std::unique_ptr<SinkHandle>>> sinks;
  for (const auto& [tenant, alerts] : config.alerts.tenants) {
    for (const alert::SinkConfig& sink : alerts.sinks) {
      auto made = alert::MakeSink(server->adapters_->registry, sink);
      if (!made.ok()) {
        return absl::FailedPreconditionError(absl::StrCat("tenants.", tenant, ".alerts.sinks: ", made.status().message()));
      }
      sinks.emplace_back(tenant, sink.name, alerts.max_age_us, *std::move(made));
    }
  }
  const std::string settings_digest = config.DerivedSettingsDigest();
  server->detectors_ = std::make_unique<detect::DetectorStage>(config.detectors);
  server->scores_ = std::make_unique<score::ScoreStage>(&server->detectors_->thresholds(), config.scoring);
  // The alert stage comes last (alert/alert_stage.h). A rebuild runs one of
  // its own and carries the log over (ingest/rebuild.h).
  server->alerts_ = std::make_unique<alert::AlertStage>(config.alerts, &server->scores_->options(), &server->alert_hub_);
  Ingestor::Options ingest_options;
  ingest_options.limits = options.limits;
  ingest_options.stages = {server->detectors_.get(), server->scores_.get()};
  Ingestor::Options serving_options = ingest_options;
  serving_options.stages.push_back(server->alerts_.get());

  Store::Options store_options;
  store_options.path = options.data_dir;
  store_options.sync = options.sync_writes;
  store_options.wal_recovery = options.wal_recovery;
  bool rebuild = options.rebuild;
  const bool existed = std::filesystem::exists(std::filesystem::path(options.data_dir) / "CURRENT");
  if (existed) {
    // The first open recovers the WAL and compares it with the commit marks;
    // its report is the one that counts (later opens find the marks renewed).
    std::unique_ptr<Store> existing;
    if (absl::Status s = Store::Open(store_options, &existing); !s.ok()) return s;
    server->recovery_ = existing->recovery();
    auto stale = WhyDerivedDataIsStale(*existing, settings_digest);
    if (!stale.ok()) return stale.status();
    if (!stale->empty() && !rebuild) {
      Log(LogLevel::kWarning, "rebuilding derived data from the events", {{"reason", *stale}});
      rebuild = true;
    }
  }
  if (rebuild && existed) {
    RebuildStats stats;
    // The replay derives the alerts too, only to compare them with the log
    // it carries over (no hub: nothing is published).
    alert::AlertStage rebuild_alerts(config.alerts, &server->scores_->options(), nullptr);
    Ingestor::Options rebuild_options = ingest_options;
    rebuild_options.stages.push_back(&rebuild_alerts);
    if (absl::Status s = RebuildDerivedData(store_options, rebuild_options, &stats); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("rebuild failed: ", s.message()));
    }
    Log(LogLevel::kInfo, "rebuilt derived data from the events",
        {{"events", std::to_string(stats.events)}, {"tickets", std::to_string(stats.tickets)},
         {"seconds", absl::StrFormat("%.1f", stats.seconds)}});
  }
  if (absl::Status s = Store::Open(store_options, &server->store_); !s.ok()) return s;
  // A rebuild's work directories left by a process that died during it. Only
  // now, with the store's lock held: no other rapportd is rebuilding it.
  for (const char* suffix : {".snapshot", ".rebuild"}) {
    const std::string leftover = SiblingPath(options.data_dir, suffix);
    std::error_code gone;
    if (std::filesystem::exists(leftover, gone) && std::filesystem::remove_all(leftover, gone) > 0) {
      Log(LogLevel::kInfo, "removed the work directory of an interrupted rebuild", {{"dir", leftover}});
    }
  }
  if (!existed) server->recovery_ = server->store_->recovery();
  if (absl::Status s = MarkDerivedDataCurrent(server->store_.get(), settings_digest); !s.ok()) return s;
  auto ingestor = Ingestor::Create(server->store_.get(), serving_options);
  if (!ingestor.ok()) return ingestor.status();
  server->ingestor_ = std::move(*ingestor);
  server->queue_ = std::make_unique<IngestQueue>(server->ingestor_.get(), /*preparers=*/0,
                                                 options.limits.max_read_ahead_bytes);
  server->adapters_->configs = config.adapters;
  const Authorizer* auth = server->authorizer_.get();
  server->ingest_service_ =
      std::make_unique<IngestServiceImpl>(server->queue_.get(), options.limits, server->adapters_.get(), auth);
  server->experience_service_ =
      std::make_unique<ExperienceServiceImpl>(server->store_.get(), &server->detectors_->thresholds(),
                                              &server->scores_->options(), auth);
  server->alert_service_ = std::make_unique<AlertServiceImpl>(server->store_.get(), &server->alert_hub_, auth);
  server->admin_service_ = std::make_unique<AdminServiceImpl>(
      server->store_.get(), server->ingestor_.get(), auth, &server->adapters_->registry, server->recovery_);

  // Both must be set before the builder starts the server.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  if (!options.listen.empty()) {
    builder.AddListeningPort(options.listen, GrpcServerCredentials(config.tls), &server->port_);
  }
  builder.SetMaxReceiveMessageSize(static_cast<int>(options.limits.max_message_bytes));
  // Queries and stream reads share gRPC's callback threads. With its
  // bandwidth probe on, the transport widens every stream's window and keeps
  // reading megabytes of batches nobody has asked for yet, ahead of queries
  // (docs/performance.md, Queries under ingest). A pending read still opens
  // the window to the size of the message it reads.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 64 << 10);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(auth->ReflectionGuard());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  builder.RegisterService(server->ingest_service_.get());
  builder.RegisterService(server->experience_service_.get());
  builder.RegisterService(server->admin_service_.get());
  builder.RegisterService(server->alert_service_.get());
  server->grpc_server_ = builder.BuildAndStart();
  if (server->grpc_server_ == nullptr || (!options.listen.empty() && server->port_ == 0)) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen, " (address in use or not local?)"));
  }
  for (auto& [tenant, name, max_age, sink] : sinks) {
    server->sinks_.push_back(std::make_unique<alert::SinkRunner>(server->store_.get(), &server->alert_hub_, tenant, name,
                                                                 max_age, std::move(sink)));
    server->sinks_.back()->Start();
  }
  server->RegisterMetrics();
  server->grpc_server_->GetHealthCheckService()->SetServingStatus(kRecoveryHealthService,
                                                                  server->recovery_.complete());
  server->webhook_auth_ = std::make_unique<WebhookAuth>(std::make_shared<const WebhookSecrets>(config.webhooks));
  const std::string http_listen = options.http_listen.empty() ? config.http_listen : options.http_listen;
  if (!http_listen.empty()) {
    HttpOptions http_options;
    http_options.listen = http_listen;
    if (config.tls.enabled()) {
      auto tls = HttpTls::Load(config.tls);
      if (!tls.ok()) return tls.status();
      server->http_tls_ = *tls;
      http_options.tls = *tls;
    }
    HttpFrontDoor::Deps deps;
    deps.limits = options.limits;
    deps.adapters = server->adapters_.get();
    deps.queue = server->queue_.get();
    deps.store = server->store_.get();
    deps.auth = server->webhook_auth_.get();
    deps.authorizer = auth;
    deps.metrics = &server->metrics_;
    deps.render_metrics = [self = server.get()] { return self->RenderMetrics(); };
    if (absl::Status s = HttpFrontDoor::Start(http_options, deps, &server->http_); !s.ok()) return s;
    // The store is open and recovered, any rebuild is done: ready.
    server->http_->SetReady(true);
  }
  RapportServer* self = server.get();
  server->readiness_watch_ = std::thread([self] { self->WatchReadiness(); });
  Log(LogLevel::kInfo, "rapportd serving",
      {{"listen", options.listen}, {"port", std::to_string(server->port_)}, {"data_dir", options.data_dir},
       {"tls", config.tls.enabled() ? "on" : "off"}});
  *out = std::move(server);
  return absl::OkStatus();
}

// Auth is required when asked for or when a port is reachable from other
// hosts; then a server without any key would refuse everything, so it does
// not start (authorizer.h says when auth is on otherwise).
absl::Status RapportServer::StartAuth(const ServerOptions& options) {
  const std::string http_listen = options.http_listen.empty() ? config_.http_listen : options.http_listen;
  std::string exposed;
  for (const std::string& listen : {options.listen, http_listen}) {
    if (!IsLoopbackListen(listen)) exposed = listen;
  }
  auto ring = KeyRing::Open(options.data_dir, config_.api_keys);
  if (!ring.ok()) return ring.status();
  key_ring_ = std::move(*ring);
  call_limiter_ = std::make_unique<CallLimiter>(config_.call_limits);
  authorizer_ =
      std::make_unique<Authorizer>(key_ring_.get(), config_.require_auth || !exposed.empty(), call_limiter_.get());
  if (!exposed.empty() && key_ring_->Get()->by_id.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "rapportd listens on ", exposed, ", which other hosts can reach, and no API key exists, so every call would "
        "be refused: create one with `rapportd keys create --data-dir ", options.data_dir,
        " --tenant '*' --role admin` (or name one by its hash under tenants.T.keys), or listen on 127.0.0.1"));
  }
  Log(LogLevel::kInfo, authorizer_->Enabled() ? "API keys required" : "API keys not required (loopback, no key made)",
      {{"keys", std::to_string(key_ring_->Get()->by_id.size())}});
  return absl::OkStatus();
}

RapportServer::~RapportServer() { Shutdown(); }

void RapportServer::Shutdown(double grace_seconds) {
  if (shut_down_) return;
  shut_down_ = true;
  const absl::Time deadline = absl::Now() + absl::Seconds(grace_seconds);
  // Webhook senders get 503 from now on (and retry later), probes see not ready.
  if (http_) http_->SetReady(false);
  StopWatchingReadiness();
  if (grpc_server_) grpc_server_->GetHealthCheckService()->SetServingStatus("", false);
  // Streams stop reading at once and end UNAVAILABLE as soon as what they
  // read is acked; the grace period bounds that, then gRPC cancels the rest.
  if (ingest_service_ && ingest_service_->Drain() > 0) {
    // The last acks and statuses may still be on their way. Clients write
    // until they see the status, and closing a socket with unread bytes
    // resets the connection, which discards what the client has not read
    // yet: so the sockets stay open a moment after the streams have ended.
    if (ingest_service_->WaitUntilDrained(deadline)) {
      absl::SleepFor(std::min(kLingerAfterDrain, deadline - absl::Now()));
    }
  }
  // Alert streams end now (UNAVAILABLE, with the cursor to resume from).
  if (alert_service_) alert_service_->Drain();
  if (grpc_server_) grpc_server_->Shutdown(absl::ToChronoTime(deadline));
  // Every stream is done; the writer finishes what it was given.
  if (queue_) queue_->Stop();
  if (grpc_server_) grpc_server_->Wait();
  // A backup's reactor has finished (Wait returned); its thread may not have.
  if (admin_service_) admin_service_->WaitForBackup();
  // The sinks deliver what was committed up to here next time.
  sinks_.clear();
  // Webhooks in flight got their answer when the writer drained.
  if (http_) http_->Stop();
  http_.reset();
  grpc_server_.reset();
  queue_.reset();
  ingestor_.reset();
  store_.reset();
  Log(LogLevel::kInfo, "rapportd stopped", {{"data_dir", options_.data_dir}});
}

// Only the watcher calls it, and Shutdown stops the watcher before anything else.
bool RapportServer::Ready() const { return !store_->WritesStopped(); }

void RapportServer::WatchReadiness() {
  std::unique_lock<std::mutex> lock(readiness_mutex_);
  std::optional<bool> shown;
  while (!stop_watching_readiness_) {
    const bool ready = Ready();
    if (shown != ready) {
      grpc_server_->GetHealthCheckService()->SetServingStatus("", ready);
      if (shown.has_value()) Log(ready ? LogLevel::kInfo : LogLevel::kWarning, ready ? "ready" : "not ready: writes stopped");
      shown = ready;
    }
    readiness_wake_.wait_for(lock, absl::ToChronoSeconds(kReadinessPollInterval));
  }
}

void RapportServer::StopWatchingReadiness() {
  {
    std::lock_guard<std::mutex> lock(readiness_mutex_);
    stop_watching_readiness_ = true;
  }
  readiness_wake_.notify_all();
  if (readiness_watch_.joinable()) readiness_watch_.join();
}

std::vector<std::string> RapportServer::Reload(const RapportConfig& config) {
  std::vector<std::string> applied;
  if (config.log_level != MinLogLevel()) {
    Log(LogLevel::kInfo, "reload: log level changed",
        {{"from", LogLevelName(MinLogLevel())}, {"to", LogLevelName(config.log_level)}});
    SetMinLogLevel(config.log_level);
    applied.push_back("log.level");
  }
  if (config.webhooks != config_.webhooks) {
    // Checks in flight keep the set they began with (webhook_auth.h).
    webhook_auth_->Replace(std::make_shared<const WebhookSecrets>(config.webhooks));
    config_.webhooks = config.webhooks;
    Log(LogLevel::kInfo, "reload: webhook credentials replaced");
    applied.push_back("tenants.*.webhooks");
  }
  if (http_tls_ != nullptr) {
    // gRPC's watcher re-reads the same files by itself (tls.h).
    if (absl::Status s = http_tls_->Reload(); !s.ok()) {
      Log(LogLevel::kError, "reload: the TLS files do not load; the previous ones stay in force",
          {{"error", std::string(s.message())}});
    } else {
      applied.push_back("tls files");
    }
  }
  if (config.api_keys != config_.api_keys) {
    key_ring_->SetConfigKeys(config.api_keys);
    config_.api_keys = config.api_keys;
    Log(LogLevel::kInfo, "reload: API keys named by the configuration replaced");
    applied.push_back("tenants.*.keys");
  }
  if (config.log_format != CurrentLogFormat()) {
    const LogFormat from = CurrentLogFormat();
    SetLogFormat(config.log_format);
    Log(LogLevel::kInfo, "reload: log format changed",
        {{"from", LogFormatName(from)}, {"to", LogFormatName(config.log_format)}});
    applied.push_back("log.format");
  }
  std::vector<std::string> need_restart;
  if (config.adapters != config_.adapters) need_restart.push_back("adapters");
  if (config.grpc_listen != config_.grpc_listen) need_restart.push_back("grpc.listen");
  if (config.http_listen != config_.http_listen) need_restart.push_back("http.listen");
  if (config.data_dir != config_.data_dir) need_restart.push_back("data_dir");
  if (config.plugin_dir != config_.plugin_dir) need_restart.push_back("plugin_dir");
  if (config.sync != config_.sync) need_restart.push_back("sync");
  if (config.wal_recovery != config_.wal_recovery) need_restart.push_back("wal_recovery");
  if (!(config.limits == config_.limits) || !(config.call_limits == config_.call_limits)) {
    need_restart.push_back("limits");
  }
  if (config.require_auth != config_.require_auth) need_restart.push_back("auth.required");
  // The files' contents are re-read as they change (tls.h); which files, and
  // whether TLS is on, is fixed at the start.
  if (!(config.tls == config_.tls)) need_restart.push_back("tls");
  for (const std::string& what : need_restart) {
    Log(LogLevel::kWarning, "reload: this change needs a restart; the running server keeps the old value",
        {{"setting", what}});
  }
  // What was not applied stays as it was, so that the next reload compares
  // against what is really in force.
  config_.log_level = config.log_level;
  config_.log_format = config.log_format;
  Log(LogLevel::kInfo, "configuration reloaded",
      {{"applied", std::to_string(applied.size())}, {"needs_restart", std::to_string(need_restart.size())}});
  return applied;
}

void RapportServer::RegisterMetrics() {
  metrics_.AddProcessMetrics();
  Ingestor* ingestor = ingestor_.get();
  auto counters = [ingestor] { return ingestor->counters(); };
  metrics_.AddCollected("rapport_events_ingested_total", "Events stored (accepted) by the write path.", true, {},
                        [counters] { return std::vector<CollectedSeries>{{{}, double(counters().accepted)}}; });
  metrics_.AddCollected("rapport_events_duplicate_total", "Events already stored, not stored again.", true, {},
                        [counters] { return std::vector<CollectedSeries>{{{}, double(counters().duplicates)}}; });
  metrics_.AddCollected(
      "rapport_events_rejected_total", "Events refused, by EventError code.", true, {"code"}, [counters] {
        std::vector<CollectedSeries> out;
        for (const auto& [code, n] : counters().rejected_by_code) out.push_back({{code}, double(n)});
        return out;
      });
  metrics_.AddCollected("rapport_batches_total", "Event batches committed.", true, {},
                        [counters] { return std::vector<CollectedSeries>{{{}, double(counters().batches)}}; });
  metrics_.AddCollected(
      "rapport_findings_raised_total", "Findings raised (new on their ticket), by kind.", true, {"kind"},
      [counters] {
        std::vector<CollectedSeries> out;
        for (const auto& [kind, n] : counters().findings_raised_by_kind) {
          out.push_back({{absl::AsciiStrToLower(detect::KindName(static_cast<v1::FindingKind>(kind)))}, double(n)});
        }
        return out;
      });
  alert::AlertStage* alerts = alerts_.get();
  metrics_.AddCollected("rapport_alerts_raised_total", "Alerts raised (opened), by rule.", true, {"rule"}, [alerts] {
    std::vector<CollectedSeries> out;
    for (const auto& [rule, n] : alerts->counters().raised_by_rule) out.push_back({{rule}, double(n)});
    return out;
  });
  metrics_.AddCollected("rapport_alerts_cleared_total", "Alerts resolved, by rule.", true, {"rule"}, [alerts] {
    std::vector<CollectedSeries> out;
    for (const auto& [rule, n] : alerts->counters().cleared_by_rule) out.push_back({{rule}, double(n)});
    return out;
  });
  std::vector<const alert::SinkRunner*> sinks;
  for (const auto& runner : sinks_) sinks.push_back(runner.get());
  metrics_.AddCollected("rapport_alert_deliveries_total",
                        "Alert entries handled by each sink, by outcome (delivered, refused for good by the "
                        "receiver, skipped as older than max_age, failed attempt).",
                        true, {"tenant", "sink", "outcome"}, [sinks] {
                          std::vector<CollectedSeries> out;
                          for (const auto* r : sinks) {
                            const alert::SinkCounters c = r->counters();
                            out.push_back({{r->tenant(), r->name(), "delivered"}, double(c.delivered)});
                            out.push_back({{r->tenant(), r->name(), "refused"}, double(c.refused)});
                            out.push_back({{r->tenant(), r->name(), "skipped"}, double(c.skipped)});
                            out.push_back({{r->tenant(), r->name(), "failed"}, double(c.failures)});
                          }
                          return out;
                        });
  metrics_.AddCollected("rapport_alert_sink_lag", "Alert entries in the log a sink has not handled yet.", false,
                        {"tenant", "sink"}, [sinks] {
                          std::vector<CollectedSeries> out;
                          for (const auto* r : sinks) out.push_back({{r->tenant(), r->name()}, double(r->counters().lag)});
                          return out;
                        });
  AlertServiceImpl* watch = alert_service_.get();
  metrics_.AddCollected("rapport_alert_subscribers", "WatchAlerts streams open.", false, {},
                        [watch] { return std::vector<CollectedSeries>{{{}, double(watch->OpenStreams())}}; });
  queue_->ObserveLatency(&metrics_
                             .AddHistogram("rapport_batch_commit_seconds",
                                           "Seconds from a batch's arrival at the writer's queue to its durable "
                                           "commit (or failure).",
                                           {}, MetricsRegistry::LatencyBuckets())
                             ->With({}));
  IngestQueue* queue = queue_.get();
  metrics_.AddCollected("rapport_ingest_queue_depth", "Event batches waiting for the writer.", false, {},
                        [queue] { return std::vector<CollectedSeries>{{{}, double(queue->Depth())}}; });
  IngestServiceImpl* ingest = ingest_service_.get();
  metrics_.AddCollected("rapport_ingest_streams", "StreamEvents calls open.", false, {},
                        [ingest] { return std::vector<CollectedSeries>{{{}, double(ingest->OpenStreams())}}; });
  const Store* store = store_.get();
  auto sum_property = [store](const char* name) {
    double total = 0;
    for (int f = 0; f < kFamilyCount; ++f) {
      double v = 0;
      if (absl::SimpleAtod(store->Property(static_cast<Family>(f), name), &v)) total += v;
    }
    return total;
  };
  metrics_.AddCollected("rapport_store_live_data_bytes", "RocksDB estimate of live data, all column families.", false,
                        {}, [sum_property] {
                          return std::vector<CollectedSeries>{{{}, sum_property("rocksdb.estimate-live-data-size")}};
                        });
  metrics_.AddCollected("rapport_store_sst_files_bytes", "RocksDB table files on disk, all column families.", false,
                        {}, [sum_property] {
                          return std::vector<CollectedSeries>{{{}, sum_property("rocksdb.total-sst-files-size")}};
                        });
  metrics_.AddCollected(
      "rapport_store_pending_compaction_bytes", "RocksDB estimate of bytes compaction has yet to rewrite.", false, {},
      [sum_property] {
        return std::vector<CollectedSeries>{{{}, sum_property("rocksdb.estimate-pending-compaction-bytes")}};
      });
  metrics_.AddCollected("rapport_store_write_stalled", "1 while RocksDB stops or delays writes, else 0.", false, {},
                        [sum_property] {
                          return std::vector<CollectedSeries>{
                              {{}, sum_property("rocksdb.actual-delayed-write-rate") > 0 ||
                                           sum_property("rocksdb.is-write-stopped") > 0
                                       ? 1.0
                                       : 0.0}};
                        });
  // Served by the HTTP side; declared here so that every family has one home.
  metrics_.AddCounter("rapport_webhook_requests_total", "Webhook deliveries answered, by adapter and HTTP status.",
                      {"adapter", "status"});
}

std::string RapportServer::RenderMetrics() { return metrics_.Render(); }

std::shared_ptr<grpc::Channel> RapportServer::InProcessChannel() {
  return grpc_server_->InProcessChannel(grpc::ChannelArguments());
}

}  // namespace rapport::server
