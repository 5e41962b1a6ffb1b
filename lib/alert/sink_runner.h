// Sinks: where a tenant's alert entries go besides the log and WatchAlerts,
// each a sink plugin (plugin.h, ABI 1.3) run by a SinkRunner on a thread of
// its own, off the ingest path.
//
// A runner keeps its own delivery cursor in the alerts family
// (keys::SinkDelivered): it reads the log after that cursor, hands the
// entries to the sink, and moves the cursor past them only once the sink
// said they are delivered, so a restart resumes where it stopped and nothing
// a sink accepted is handed to it again. Entries whose cause is older than
// the tenant's `max_age` before its newest event (a backfill) are skipped:
// recorded in the log, never sent. A failed delivery is retried with
// exponential backoff (1 s doubling to 60 s, with jitter); between
// deliveries the sink's refresh runs about once a second. The runner never
// blocks ingest (the hub only wakes it).
#ifndef RAPPORT_ALERT_SINK_RUNNER_H_
#define RAPPORT_ALERT_SINK_RUNNER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "alert/alert_hub.h"
#include "alert/rules.h"
#include "plugin/registry.h"
#include "rapport/v1/alerts.pb.h"
#include "store/store.h"

namespace rapport::alert {

// The sink a configuration names, from the registry's sink plugins (the
// built-in jsonl, webhook and alertmanager, or a loaded module), created
// with the configuration as the JSON object plugin.h describes.
// InvalidArgument naming the sink for an unknown kind or a configuration the
// sink refuses.
absl::StatusOr<std::unique_ptr<SinkHandle>> MakeSink(const PluginRegistry& registry, const SinkConfig& config);

// That JSON object: name, kind and the settings that are set, durations in
// microseconds (timeout_us, resend_us), a plugin's own settings as given.
std::string SinkConfigJson(const SinkConfig& config);

struct SinkCounters {
  uint64_t delivered = 0;  // entries the sink accepted
  uint64_t skipped = 0;    // entries older than max_age (backfills)
  uint64_t refused = 0;    // entries the receiver refused for good (not retried)
  uint64_t failures = 0;   // failed delivery attempts (retried)
  uint64_t lag = 0;        // entries in the log not yet handled
};

class SinkRunner final : public AlertListener {
 public:
  // `store` and `hub` must outlive the runner.
  SinkRunner(Store* store, AlertHub* hub, std::string tenant, std::string name, int64_t max_age_us,
             std::unique_ptr<SinkHandle> sink);
  ~SinkRunner() override;  // Stop()

  void Start();
  // Finishes the delivery in progress (no retry waits) and joins the thread.
  void Stop();

  void OnCommitted(const std::vector<v1::Alert>& entries) override;

  const std::string& tenant() const { return tenant_; }
  const std::string& name() const { return name_; }
  SinkCounters counters() const;

 private:
  void Run();
  // One pass: delivers what the log holds after the cursor (in steps).
  // Returns false after a failed delivery.
  bool DeliverPending();
  // Commits the delivery cursor; false (logged) when the store refuses.
  bool SaveCursor(uint64_t cursor);
  // Hands the sink, once at start, the latest entry of each alert still open
  // that it handled before (replayed), so it can rebuild what it re-sends.
  void Replay();
  // Whether an entry is recent enough to send: its cause within max_age of
  // `newest`, the tenant's newest event (older ones are a backfill).
  bool Sendable(const v1::Alert& entry, int64_t newest) const;

  Store* store_;
  AlertHub* hub_;
  const std::string tenant_, name_;
  const int64_t max_age_us_;
  std::unique_ptr<SinkHandle> sink_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;     // guarded by mu_
  bool pending_ = true;   // guarded by mu_: something may wait in the log
  SinkCounters counters_;  // guarded by mu_
  absl::BitGen jitter_;    // the runner's thread only
};

}  // namespace rapport::alert

#endif  // RAPPORT_ALERT_SINK_RUNNER_H_
