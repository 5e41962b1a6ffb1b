// RapportServer: wires the store, the ingest pipeline and the gRPC services
// (plus health and reflection) into one object that rapportd and the tests
// start and stop the same way.
#ifndef RAPPORT_SERVER_SERVER_H_
#define RAPPORT_SERVER_SERVER_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "alert/alert_hub.h"
#include "alert/alert_stage.h"
#include "alert/sink_runner.h"
#include "base/metrics.h"
#include "config/config.h"
#include "event/validate.h"
#include "grpcpp/channel.h"
#include "grpcpp/server.h"
#include "detect/detectors.h"
#include "ingest/ingestor.h"
#include "score/score_stage.h"
#include "server/authorizer.h"
#include "server/http_front_door.h"
#include "server/ingest_service.h"
#include "server/webhook_auth.h"
#include "store/store.h"

namespace rapport::server {

class IngestQueue;
class IngestServiceImpl;
class ExperienceServiceImpl;
class AdminServiceImpl;
class AlertServiceImpl;

struct ServerOptions {
  // host:port; port 0 picks a free port (see RapportServer::port()). Empty:
  // no listening socket, in-process channel only.
  std::string listen = "127.0.0.1:50051";
  // The HTTP port (webhooks, health; http_front_door.h), host:port, port 0
  // picks one (see http_port()). Empty: http.listen from the configuration,
  // and no HTTP port when that is empty too.
  std::string http_listen;
  std::string data_dir = "./var/rapport";
  bool sync_writes = false;
  Limits limits;
  // YAML configuration (lib/config/config.h); empty: every default. When
  // `config` is set (rapportd loads the file itself, to apply its server
  // settings under the flags) it is used instead of reading the file again.
  std::string config_path;
  std::optional<RapportConfig> config;
  // Recompute every derived record from the stored events before serving
  // (after a change of scoring or detector settings, or to verify a store).
  bool rebuild = false;
  // Directory of adapter modules (*.so) to load next to the built-ins; empty: none.
  std::string plugin_dir;
  // What to do when the WAL gave back less than was acknowledged (store.h).
  WalRecovery wal_recovery = WalRecovery::kServe;
};

// The gRPC health service name that reports whether opening the store
// recovered every acknowledged write (NOT_SERVING: some were lost; the
// server still serves what it has, and GetStats says what is missing).
inline constexpr char kRecoveryHealthService[] = "rapport.store.recovery";

// The gRPC health service's overall status ("", what a Kubernetes gRPC probe
// asks) is readiness, as GET /readyz: SERVING once the store is open,
// recovered and any rebuild is done; NOT_SERVING while RocksDB stops writes
// and from the start of a shutdown. Polled this often, so a stall shows
// within it. Liveness is GET /healthz (a stalled writer is not a dead one).
inline constexpr absl::Duration kReadinessPollInterval = absl::Seconds(1);

class RapportServer {
 public:
  // Opens the store and starts serving. On failure *server is unchanged.
  static absl::Status Start(const ServerOptions& options, std::unique_ptr<RapportServer>* server);

  // Shuts down if still running.
  ~RapportServer();
  RapportServer(const RapportServer&) = delete;
  RapportServer& operator=(const RapportServer&) = delete;

  // Stops every ingest stream from reading new batches; the batches already
  // read are committed and acked, then each stream ends with UNAVAILABLE
  // (the client re-sends the rest elsewhere or later), and the sockets stay
  // open a second more so that those last acks reach the clients. Then stops
  // accepting calls; calls still running `grace_seconds` after the start are
  // cancelled. Then drains the writer and closes the store. Idempotent.
  void Shutdown(double grace_seconds = 10);

  // The bound port (useful with port 0); 0 without a listening socket.
  int port() const { return port_; }
  // The bound HTTP port; 0 without one.
  int http_port() const { return http_ ? http_->port() : 0; }
  // Null without an HTTP port.
  HttpFrontDoor* http_front_door() { return http_.get(); }
  // The webhook credentials in force; a reload replaces them here.
  WebhookAuth& webhook_auth() { return *webhook_auth_; }
  std::shared_ptr<grpc::Channel> InProcessChannel();
  const Store& store() const { return *store_; }
  // The settings in force (as started, plus what reloads applied).
  const RapportConfig& config() const { return config_; }
  const Ingestor& ingestor() const { return *ingestor_; }
  const Authorizer& authorizer() const { return *authorizer_; }
  // The alert entries of every committed batch (WatchAlerts and sinks listen).
  alert::AlertHub& alert_hub() { return alert_hub_; }
  const alert::AlertStage& alert_stage() const { return *alerts_; }
  // What the first open of the store found at startup.
  const RecoveryReport& recovery() const { return recovery_; }

  // Applies what of `config` can change while serving (SIGHUP): the log
  // level and format, the webhook credentials and the API keys the
  // configuration names (tenants.T.keys); sinks hook in here as they come. Logs each change. A change of settings read at
  // startup (listen address, data dir, limits, adapters, ...) is logged as
  // needing a restart and not applied. Settings that alter derived data
  // (thresholds, targets, calendars, scoring) are not its business: rapportd
  // applies them with a LiveRebuild (live_rebuild.h), so replay and live
  // ingest never disagree. Returns the names of the settings applied.
  std::vector<std::string> Reload(const RapportConfig& config);

  // Every metric in the Prometheus text exposition format (version 0.0.4),
  // for GET /metrics.
  std::string RenderMetrics();
  MetricsRegistry& metrics() { return metrics_; }

 private:
  RapportServer() = default;

  // Reads the keys (file and configuration) and decides whether auth is
  // required; refuses a non-loopback listen without any key.
  absl::Status StartAuth(const ServerOptions& options);
  void RegisterMetrics();
  // Runs on readiness_watch_ until StopWatchingReadiness: mirrors Ready()
  // into the gRPC health service's overall status when it changes.
  void WatchReadiness();
  void StopWatchingReadiness();
  bool Ready() const;

  ServerOptions options_;
  RapportConfig config_;  // as loaded at startup or last reload
  MetricsRegistry metrics_;
  RecoveryReport recovery_;
  // Before the services, which hold the authorizer.
  std::unique_ptr<KeyRing> key_ring_;
  std::unique_ptr<CallLimiter> call_limiter_;
  std::unique_ptr<Authorizer> authorizer_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<detect::DetectorStage> detectors_;
  std::unique_ptr<score::ScoreStage> scores_;
  alert::AlertHub alert_hub_;
  std::unique_ptr<alert::AlertStage> alerts_;
  std::vector<std::unique_ptr<alert::SinkRunner>> sinks_;  // stopped before the store closes
  std::unique_ptr<Ingestor> ingestor_;
  std::unique_ptr<IngestQueue> queue_;
  std::unique_ptr<AdapterCatalog> adapters_;
  std::unique_ptr<IngestServiceImpl> ingest_service_;
  std::unique_ptr<ExperienceServiceImpl> experience_service_;
  std::unique_ptr<AdminServiceImpl> admin_service_;
  std::unique_ptr<AlertServiceImpl> alert_service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::unique_ptr<WebhookAuth> webhook_auth_;
  std::shared_ptr<HttpTls> http_tls_;  // null without TLS
  std::unique_ptr<HttpFrontDoor> http_;
  int port_ = 0;
  bool shut_down_ = false;

  std::thread readiness_watch_;
  std::mutex readiness_mutex_;
  std::condition_variable readiness_wake_;
  bool stop_watching_readiness_ = false;  // guarded by readiness_mutex_
};

}  // namespace rapport::server

#endif  // RAPPORT_SERVER_SERVER_H_
