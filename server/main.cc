// rapportd: the Rapport server; `rapportd keys ...` manages its API keys
// (server/keys_command.h).
#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "base/log.h"
#include "config/config.h"
#include "server/keys_command.h"
#include "server/live_rebuild.h"
#include "server/server.h"

// Every setting below but --config, --check-config and --rebuild has a key in
// the configuration file; a flag given on the command line overrides it.
ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "gRPC listen address, host:port (grpc.listen)");
ABSL_FLAG(std::string, http_listen, "",
          "HTTP listen address, host:port, for webhooks, health probes and /metrics (http.listen); off when "
          "neither is set");
ABSL_FLAG(std::string, data_dir, "./var/rapport", "directory of the RocksDB store");
ABSL_FLAG(std::string, config, "", "YAML configuration file (deploy/rapportd.yaml lists every key)");
ABSL_FLAG(bool, check_config, false, "validate --config and exit: 0 when it is good, 1 with the problem");
ABSL_FLAG(std::string, log_format, "text", "log lines as 'text' (key=value) or 'json' (log.format)");
ABSL_FLAG(std::string, log_level, "info",
          "debug, info, warning or error (log.level); message texts appear only at debug");
ABSL_FLAG(bool, sync, false,
          "fsync the WAL before each ack (survives power loss, not only a killed process)");
ABSL_FLAG(bool, rebuild, false,
          "recompute all derived data (ticket states, findings, scores) from the stored events before serving");
ABSL_FLAG(std::string, plugin_dir, "", "directory of plugin modules (*.so: adapters, alert sinks) to load next to the built-ins");
ABSL_FLAG(int, max_batch_events, 1000, "events taken per batch; the rest are rejected");
ABSL_FLAG(int, max_text_bytes, 64 * 1024, "limit on comment, survey and resolution text");
ABSL_FLAG(std::string, wal_recovery, "serve",
          "when the write-ahead log gave back less than was acknowledged: 'serve' what was recovered (logged as "
          "an error, reported by GetStats and the health service) or 'strict': refuse to start");
ABSL_FLAG(bool, require_auth, false,
          "every call needs an API key, even on loopback before any key exists (auth.required); always so when a "
          "listen address is not loopback (docs/security.md)");
ABSL_FLAG(int, max_unacked_batches, 64, "batches read ahead of their acks, per stream");
ABSL_FLAG(int64_t, max_read_ahead_bytes, 16 << 20,
          "bytes of batches read from all streams ahead of the writer; reads wait beyond it");
ABSL_FLAG(int, max_ack_errors, 100,
          "rejections an ack lists in detail; beyond them it only counts them by code (rejected_by_code)");

namespace {

// The flags given on the command line (names with '_'; --noX counts as X):
// only those override the configuration file.
std::set<std::string> GivenFlags(int argc, char** argv) {
  std::set<std::string> given;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") break;
    if (arg.rfind("--", 0) != 0) continue;
    std::string name = arg.substr(2, arg.find('=') == std::string::npos ? std::string::npos : arg.find('=') - 2);
    given.insert(name);
    if (name.rfind("no", 0) == 0) given.insert(name.substr(2));
  }
  return given;
}

// The file's settings, then the flags given on the command line over them.
// Exit code 2 for a bad flag value (after printing why), else 0.
int ApplyFlags(const std::set<std::string>& given, rapport::RapportConfig* config) {
  auto has = [&](const char* name) { return given.count(name) > 0; };
  if (has("listen")) config->grpc_listen = absl::GetFlag(FLAGS_listen);
  if (has("http_listen")) config->http_listen = absl::GetFlag(FLAGS_http_listen);
  if (has("data_dir")) config->data_dir = absl::GetFlag(FLAGS_data_dir);
  if (has("plugin_dir")) config->plugin_dir = absl::GetFlag(FLAGS_plugin_dir);
  if (has("sync")) config->sync = absl::GetFlag(FLAGS_sync);
  if (has("require_auth")) config->require_auth = absl::GetFlag(FLAGS_require_auth);
  if (has("wal_recovery")) config->wal_recovery = absl::GetFlag(FLAGS_wal_recovery);
  if (config->wal_recovery != "serve" && config->wal_recovery != "strict") {
    std::fprintf(stderr, "rapportd: --wal-recovery takes 'serve' or 'strict', not '%s'\n",
                 config->wal_recovery.c_str());
    return 2;
  }
  if (has("max_batch_events")) {
    config->limits.max_batch_events = static_cast<size_t>(std::max(1, absl::GetFlag(FLAGS_max_batch_events)));
  }
  if (has("max_text_bytes")) {
    config->limits.max_text_bytes = static_cast<size_t>(std::max(1, absl::GetFlag(FLAGS_max_text_bytes)));
  }
  if (has("max_unacked_batches")) config->limits.max_unacked_batches = absl::GetFlag(FLAGS_max_unacked_batches);
  if (has("max_read_ahead_bytes")) {
    config->limits.max_read_ahead_bytes =
        static_cast<size_t>(std::max<int64_t>(1, absl::GetFlag(FLAGS_max_read_ahead_bytes)));
  }
  if (has("max_ack_errors")) {
    config->limits.max_ack_errors = static_cast<size_t>(std::max(0, absl::GetFlag(FLAGS_max_ack_errors)));
  }
  if (has("log_level")) {
    auto level = rapport::ParseLogLevel(absl::GetFlag(FLAGS_log_level));
    if (!level) {
      std::fprintf(stderr, "rapportd: --log-level takes debug, info, warning or error\n");
      return 2;
    }
    config->log_level = *level;
  }
  if (has("log_format")) {
    auto format = rapport::ParseLogFormat(absl::GetFlag(FLAGS_log_format));
    if (!format) {
      std::fprintf(stderr, "rapportd: --log-format takes text or json\n");
      return 2;
    }
    config->log_format = *format;
  }
  return 0;
}

// SIGHUP: reads the file again; a bad file changes nothing. Derived
// settings that differ from those in force start a rebuild beside the
// serving store (replacing one that was building for other settings).
void ReloadConfig(const std::string& path, const std::set<std::string>& given,
                  const rapport::server::ServerOptions& options, rapport::server::RapportServer* server,
                  std::unique_ptr<rapport::server::LiveRebuild>* rebuild) {
  using rapport::Log;
  using rapport::LogLevel;
  if (path.empty()) {
    Log(LogLevel::kWarning, "SIGHUP ignored: rapportd runs without --config");
    return;
  }
  auto loaded = rapport::LoadConfigFile(path);
  if (!loaded.ok()) {
    Log(LogLevel::kError, "reload failed; keeping the settings in force",
        {{"error", std::string(loaded.status().message())}});
    return;
  }
  if (ApplyFlags(given, &*loaded) != 0) return;
  server->Reload(*loaded);
  const std::string digest = loaded->DerivedSettingsDigest();
  if (*rebuild != nullptr && (*rebuild)->digest() == digest) return;  // already on its way
  if (*rebuild != nullptr) {
    Log(LogLevel::kInfo, "reload: the rebuild for the previous derived settings is abandoned");
    rebuild->reset();
  }
  if (digest == server->config().DerivedSettingsDigest()) return;
  Log(LogLevel::kInfo,
      "reload: detector, calendar or scoring settings changed; rebuilding beside the serving store, which serves "
      "the old results until the new ones are swapped in",
      {{"settings_digest", digest}});
  auto started = rapport::server::LiveRebuild::Begin(server, options, std::move(*loaded));
  if (!started.ok()) {
    Log(LogLevel::kError, "reload: the rebuild could not start; the old settings stay in force",
        {{"error", std::string(started.status().message())}});
    return;
  }
  *rebuild = std::move(*started);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "keys") == 0) return rapport::server::RunKeysCommand(argc - 1, argv + 1);
  absl::SetProgramUsageMessage("rapportd --config=rapportd.yaml [--listen=127.0.0.1:50051 --data-dir=./var/rapport]");
  // Accept --data-dir as well as --data_dir (in flag names only: a value
  // given as the next argument, like a path, keeps its dashes).
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0') continue;
    for (char* c = argv[i]; *c != '\0' && *c != '='; ++c) {
      if (c - argv[i] >= 2 && *c == '-') *c = '_';
    }
  }
  const std::set<std::string> given = GivenFlags(argc, argv);
  absl::ParseCommandLine(argc, argv);

  const std::string config_path = absl::GetFlag(FLAGS_config);
  rapport::RapportConfig config;
  if (!config_path.empty()) {
    auto loaded = rapport::LoadConfigFile(config_path);
    if (!loaded.ok()) {
      std::fprintf(stderr, "rapportd: bad configuration: %s\n", std::string(loaded.status().message()).c_str());
      return 1;
    }
    config = std::move(*loaded);
  }
  if (absl::GetFlag(FLAGS_check_config)) {
    if (config_path.empty()) {
      std::fprintf(stderr, "rapportd: --check-config needs --config FILE\n");
      return 2;
    }
    std::printf("%s: the configuration is valid\n", config_path.c_str());
    return 0;
  }
  if (int bad = ApplyFlags(given, &config); bad != 0) return bad;
  rapport::SetMinLogLevel(config.log_level);
  rapport::SetLogFormat(config.log_format);

  // Signals go to sigwait below, not to whichever gRPC thread happens to run.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  rapport::server::ServerOptions options;
  options.listen = config.grpc_listen;
  options.http_listen = config.http_listen;
  options.data_dir = config.data_dir;
  options.sync_writes = config.sync;
  options.config_path = config_path;
  options.rebuild = absl::GetFlag(FLAGS_rebuild);
  options.plugin_dir = config.plugin_dir;
  options.wal_recovery = config.wal_recovery == "strict" ? rapport::WalRecovery::kStrict : rapport::WalRecovery::kServe;
  options.limits = config.limits;
  options.config = config;

  std::unique_ptr<rapport::server::RapportServer> server;
  absl::Status started = rapport::server::RapportServer::Start(options, &server);
  if (!started.ok()) {
    rapport::Log(rapport::LogLevel::kError, "rapportd failed to start",
                 {{"error", std::string(started.message())}});
    return 1;
  }
  int signal_number = 0;
  std::unique_ptr<rapport::server::LiveRebuild> rebuild;
  for (;;) {
    // Wakes each second while a rebuild runs, to swap it in once replayed.
    const timespec tick{1, 0};
    signal_number = sigtimedwait(&signals, nullptr, &tick);
    if (signal_number > 0 && signal_number != SIGHUP) break;  // a stop abandons a rebuild, even a replayed one
    if (rebuild != nullptr && rebuild->Replayed()) {
      absl::Status swapped = rebuild->SwapIn(&server);
      rebuild.reset();
      if (!swapped.ok() && server == nullptr) {
        rapport::Log(rapport::LogLevel::kError, "rebuild failed after the serving store had stopped; rapportd stops",
                     {{"error", std::string(swapped.message())}});
        return 1;
      }
      if (!swapped.ok()) {
        rapport::Log(rapport::LogLevel::kError,
                     "rebuild beside the serving store failed; serving the old results with the old settings",
                     {{"error", std::string(swapped.message())}});
      }
    }
    if (signal_number == SIGHUP) ReloadConfig(config_path, given, options, server.get(), &rebuild);
  }
  rapport::Log(rapport::LogLevel::kInfo, "shutting down", {{"signal", std::to_string(signal_number)}});
  server->Shutdown();
  rebuild.reset();  // after the server: cancels a replay in progress and removes its directories
  return 0;
}
