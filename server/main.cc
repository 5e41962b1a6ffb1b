// rapportd: the Rapport server.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "base/log.h"
#include "server/server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "gRPC listen address, host:port");
ABSL_FLAG(std::string, http_listen, "",
          "HTTP listen address, host:port, for webhooks and health probes (overrides http.listen in the "
          "configuration; off when neither is set)");
ABSL_FLAG(std::string, data_dir, "./var/rapport", "directory of the RocksDB store");
ABSL_FLAG(std::string, config, "", "YAML configuration file (per-tenant detector thresholds, ...)");
ABSL_FLAG(bool, sync, false,
          "fsync the WAL before each ack (survives power loss, not only a killed process)");
ABSL_FLAG(bool, rebuild, false,
          "recompute all derived data (ticket states, findings, scores) from the stored events before serving");
ABSL_FLAG(std::string, plugin_dir, "", "directory of adapter modules (*.so) to load next to the built-ins");
ABSL_FLAG(int, max_batch_events, 1000, "events taken per batch; the rest are rejected");
ABSL_FLAG(int, max_text_bytes, 64 * 1024, "limit on comment, survey and resolution text");
ABSL_FLAG(std::string, wal_recovery, "serve",
          "when the write-ahead log gave back less than was acknowledged: 'serve' what was recovered (logged as "
          "an error, reported by GetStats and the health service) or 'strict': refuse to start");
ABSL_FLAG(int, max_unacked_batches, 64, "batches read ahead of their acks, per stream");
ABSL_FLAG(int, max_ack_errors, 100,
          "rejections an ack lists in detail; beyond them it only counts them by code (rejected_by_code)");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("rapportd --listen=127.0.0.1:50051 --data-dir=./var/rapport");
  // Accept --data-dir as well as --data_dir.
  for (int i = 1; i < argc; ++i) {
    for (char* c = argv[i]; *c != '\0' && *c != '='; ++c) {
      if (c - argv[i] >= 2 && *c == '-') *c = '_';
    }
  }
  absl::ParseCommandLine(argc, argv);

  // Signals go to sigwait below, not to whichever gRPC thread happens to run.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  rapport::server::ServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.http_listen = absl::GetFlag(FLAGS_http_listen);
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.sync_writes = absl::GetFlag(FLAGS_sync);
  options.config_path = absl::GetFlag(FLAGS_config);
  options.rebuild = absl::GetFlag(FLAGS_rebuild);
  options.plugin_dir = absl::GetFlag(FLAGS_plugin_dir);
  const std::string wal_recovery = absl::GetFlag(FLAGS_wal_recovery);
  if (wal_recovery == "strict") {
    options.wal_recovery = rapport::WalRecovery::kStrict;
  } else if (wal_recovery != "serve") {
    std::fprintf(stderr, "rapportd: --wal-recovery takes 'serve' or 'strict', not '%s'\n", wal_recovery.c_str());
    return 2;
  }
  options.limits.max_batch_events = static_cast<size_t>(absl::GetFlag(FLAGS_max_batch_events));
  options.limits.max_text_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_text_bytes));
  options.limits.max_unacked_batches = absl::GetFlag(FLAGS_max_unacked_batches);
  options.limits.max_ack_errors = static_cast<size_t>(std::max(0, absl::GetFlag(FLAGS_max_ack_errors)));

  std::unique_ptr<rapport::server::RapportServer> server;
  absl::Status started = rapport::server::RapportServer::Start(options, &server);
  if (!started.ok()) {
    rapport::Log(rapport::LogLevel::kError, "rapportd failed to start",
                 {{"error", std::string(started.message())}});
    return 1;
  }
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  rapport::Log(rapport::LogLevel::kInfo, "shutting down", {{"signal", std::to_string(signal_number)}});
  server->Shutdown();
  return 0;
}
