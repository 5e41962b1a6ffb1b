#include "server/server.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

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
#include "builtin/builtins.h"
#include "ingest/rebuild.h"
#include "server/admin_service.h"
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

  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create the data directory ", options.data_dir, ": ", ec.message()));
  }
  RapportConfig config;
  if (!options.config_path.empty()) {
    auto loaded = LoadConfigFile(options.config_path);
    if (!loaded.ok()) return loaded.status();
    config = std::move(*loaded);
  }
  server->detectors_ = std::make_unique<detect::DetectorStage>(config.detectors);
  server->scores_ = std::make_unique<score::ScoreStage>(&server->detectors_->thresholds(), config.scoring);
  Ingestor::Options ingest_options;
  ingest_options.limits = options.limits;
  ingest_options.stages = {server->detectors_.get(), server->scores_.get()};

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
    auto current = DerivedDataIsCurrent(*existing);
    if (!current.ok()) return current.status();
    if (!*current && !rebuild) {
      Log(LogLevel::kWarning, "derived data is from another version of rapportd; rebuilding it from the events");
      rebuild = true;
    }
  }
  if (rebuild && existed) {
    RebuildStats stats;
    if (absl::Status s = RebuildDerivedData(store_options, ingest_options, &stats); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("rebuild failed: ", s.message()));
    }
    Log(LogLevel::kInfo, "rebuilt derived data from the events",
        {{"events", std::to_string(stats.events)}, {"tickets", std::to_string(stats.tickets)},
         {"seconds", absl::StrFormat("%.1f", stats.seconds)}});
  }
  if (absl::Status s = Store::Open(store_options, &server->store_); !s.ok()) return s;
  if (!existed) server->recovery_ = server->store_->recovery();
  if (absl::Status s = MarkDerivedDataCurrent(server->store_.get()); !s.ok()) return s;
  auto ingestor = Ingestor::Create(server->store_.get(), ingest_options);
  if (!ingestor.ok()) return ingestor.status();
  server->ingestor_ = std::move(*ingestor);
  server->queue_ = std::make_unique<IngestQueue>(server->ingestor_.get());
  server->adapters_ = std::make_unique<AdapterCatalog>();
  if (absl::Status s = RegisterBuiltinPlugins(&server->adapters_->registry); !s.ok()) return s;
  if (!options.plugin_dir.empty()) {
    if (absl::Status s = server->adapters_->registry.LoadDirectory(options.plugin_dir); !s.ok()) return s;
  }
  server->adapters_->configs = config.adapters;
  server->ingest_service_ =
      std::make_unique<IngestServiceImpl>(server->queue_.get(), options.limits, server->adapters_.get());
  server->experience_service_ =
      std::make_unique<ExperienceServiceImpl>(server->store_.get(), &server->detectors_->thresholds(),
                                              &server->scores_->options());
  server->admin_service_ = std::make_unique<AdminServiceImpl>(
      server->store_.get(), server->ingestor_.get(), &server->adapters_->registry, server->recovery_);

  // Both must be set before the builder starts the server.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  if (!options.listen.empty()) {
    builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(), &server->port_);
  }
  builder.SetMaxReceiveMessageSize(static_cast<int>(options.limits.max_message_bytes));
  // Queries and stream reads share gRPC's callback threads. With its
  // bandwidth probe on, the transport widens every stream's window and keeps
  // reading megabytes of batches nobody has asked for yet, ahead of queries
  // (docs/performance.md, Queries under ingest). A pending read still opens
  // the window to the size of the message it reads.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 64 << 10);
  builder.RegisterService(server->ingest_service_.get());
  builder.RegisterService(server->experience_service_.get());
  builder.RegisterService(server->admin_service_.get());
  server->grpc_server_ = builder.BuildAndStart();
  if (server->grpc_server_ == nullptr || (!options.listen.empty() && server->port_ == 0)) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen, " (address in use or not local?)"));
  }
  server->grpc_server_->GetHealthCheckService()->SetServingStatus(kRecoveryHealthService,
                                                                  server->recovery_.complete());
  server->webhook_auth_ = std::make_unique<WebhookAuth>(std::make_shared<const WebhookSecrets>(config.webhooks));
  const std::string http_listen = options.http_listen.empty() ? config.http_listen : options.http_listen;
  if (!http_listen.empty()) {
    HttpOptions http_options;
    http_options.listen = http_listen;
    HttpFrontDoor::Deps deps;
    deps.limits = options.limits;
    deps.adapters = server->adapters_.get();
    deps.queue = server->queue_.get();
    deps.store = server->store_.get();
    deps.auth = server->webhook_auth_.get();
    if (absl::Status s = HttpFrontDoor::Start(http_options, deps, &server->http_); !s.ok()) return s;
    // The store is open and recovered, any rebuild is done: ready.
    server->http_->SetReady(true);
  }
  Log(LogLevel::kInfo, "rapportd serving",
      {{"listen", options.listen}, {"port", std::to_string(server->port_)}, {"data_dir", options.data_dir}});
  *out = std::move(server);
  return absl::OkStatus();
}

RapportServer::~RapportServer() { Shutdown(); }

void RapportServer::Shutdown(double grace_seconds) {
  if (shut_down_) return;
  shut_down_ = true;
  const absl::Time deadline = absl::Now() + absl::Seconds(grace_seconds);
  // Webhook senders get 503 from now on (and retry later), probes see not ready.
  if (http_) http_->SetReady(false);
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
  if (grpc_server_) grpc_server_->Shutdown(absl::ToChronoTime(deadline));
  // Every stream is done; the writer finishes what it was given.
  if (queue_) queue_->Stop();
  if (grpc_server_) grpc_server_->Wait();
  // Webhooks in flight got their answer when the writer drained.
  if (http_) http_->Stop();
  http_.reset();
  grpc_server_.reset();
  queue_.reset();
  ingestor_.reset();
  store_.reset();
  Log(LogLevel::kInfo, "rapportd stopped", {{"data_dir", options_.data_dir}});
}

std::shared_ptr<grpc::Channel> RapportServer::InProcessChannel() {
  return grpc_server_->InProcessChannel(grpc::ChannelArguments());
}

}  // namespace rapport::server
