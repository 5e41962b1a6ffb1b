// Sinks: where a tenant's alert entries go besides the log and WatchAlerts,
// each run by a SinkRunner on a thread of its own, off the ingest path.
//
// A runner keeps its own delivery cursor in the alerts family
// (keys::SinkDelivered): it reads the log after that cursor, hands the
// entries to the sink, and moves the cursor past them only once the sink
// said they are delivered, so a restart resumes where it stopped and nothing
// a sink accepted is handed to it again. Entries whose cause is older than
// the tenant's `max_age` before its newest event (a backfill) are skipped:
// recorded in the log, never sent. A failed delivery is retried with
// exponential backoff (1 s doubling to 60 s); the runner never blocks ingest
// (the hub only wakes it).
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
#include "rapport/v1/alerts.pb.h"
#include "store/store.h"

namespace rapport::alert {

// What a sink did with a batch of entries: the first `handled` are done
// with (delivered, or refused for good and counted in `refused`); when
// `retry` is not OK the rest wait and are retried from the first unhandled.
struct Delivery {
  size_t handled = 0;
  size_t refused = 0;
  absl::Status retry;
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Delivers `entries` (in cursor order), in order.
  virtual Delivery Deliver(const std::vector<v1::Alert>& entries) = 0;
};

// `jsonl`: appends each entry as one JSON line to `path` (created if
// missing) and fsyncs once per batch before reporting it delivered.
class JsonlSink final : public Sink {
 public:
  explicit JsonlSink(std::string path) : path_(std::move(path)) {}
  Delivery Deliver(const std::vector<v1::Alert>& entries) override;

 private:
  std::string path_;
};

// `webhook`: one POST of each entry (as a JSON object) to the URL, with
//   X-Rapport-Timestamp: Unix seconds
//   X-Rapport-Signature: sha256=<hex HMAC-SHA256(secret, timestamp "." body)>
//   X-Rapport-Alert-Id:  tenant ":" cursor (the same on every re-delivery)
// and the configured extra headers, CA file and timeout. 2xx delivers; 5xx,
// 429 and network errors are retried (the runner backs off); any other
// answer is permanent: the entry is counted as refused and never retried.
// Uses cpp-httplib's client, the HTTP library the server already runs on.
class WebhookSink final : public Sink {
 public:
  explicit WebhookSink(SinkConfig config) : config_(std::move(config)) {}
  Delivery Deliver(const std::vector<v1::Alert>& entries) override;

 private:
  SinkConfig config_;
};

// hex(HMAC-SHA256(secret, timestamp + "." + body)): what X-Rapport-Signature
// carries after "sha256=", for receivers and tests to check.
std::string WebhookSignature(const std::string& secret, const std::string& timestamp, const std::string& body);

// The sink a configuration names; InvalidArgument for a kind this build
// cannot deliver to (alertmanager is not available yet).
absl::StatusOr<std::unique_ptr<Sink>> MakeSink(const SinkConfig& config);

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
             std::unique_ptr<Sink> sink);
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

  Store* store_;
  AlertHub* hub_;
  const std::string tenant_, name_;
  const int64_t max_age_us_;
  std::unique_ptr<Sink> sink_;
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
