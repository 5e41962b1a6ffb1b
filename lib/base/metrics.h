// Metrics: counters, gauges and histograms with labels, rendered in the
// Prometheus text exposition format (version 0.0.4), the one home of every
// number rapportd exports. A family has one name, one HELP text and fixed
// label names; its series are created on first use and live as long as the
// registry. Updates are lock-free after a series exists; Render takes the
// registry's lock.
//
//   MetricsRegistry metrics;
//   Counter& acks = metrics.AddCounter("rapport_batches_total", "Event batches committed.", {})->With({});
//   acks.Add(1);
//   std::string body = metrics.Render();   // served as text/plain; version=0.0.4
//
// Names follow Prometheus practice: counters end in `_total`, durations are
// in seconds (`_seconds`), sizes in bytes (`_bytes`).
#ifndef RAPPORT_BASE_METRICS_H_
#define RAPPORT_BASE_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace rapport {

using MetricLabels = std::vector<std::string>;  // values, in the family's label order

class Counter {
 public:
  void Add(double delta = 1);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double delta);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(const std::vector<double>* bounds);
  void Observe(double value);
  // Cumulative counts per bound (the last is +Inf), sum and count.
  std::vector<uint64_t> Buckets() const;
  double sum() const;
  uint64_t count() const;

 private:
  const std::vector<double>* bounds_;
  mutable absl::Mutex mu_;
  std::vector<uint64_t> counts_ ABSL_GUARDED_BY(mu_);  // per bound, not cumulative; last: above all
  double sum_ ABSL_GUARDED_BY(mu_) = 0;
};

// One family: a name, HELP, TYPE and label names; series by label values.
template <typename M>
class MetricFamily {
 public:
  // The series with these label values (as many as the family has names).
  M& With(const MetricLabels& values);

 private:
  friend class MetricsRegistry;
  MetricFamily(std::string name, std::string help, std::vector<std::string> label_names,
               std::function<std::unique_ptr<M>()> make)
      : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)), make_(std::move(make)) {}

  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  std::function<std::unique_ptr<M>()> make_;
  absl::Mutex mu_;
  std::map<MetricLabels, std::unique_ptr<M>> series_ ABSL_GUARDED_BY(mu_);
};

// Values read when the metrics are rendered rather than kept up to date:
// a counter or gauge family whose series a callback lists.
struct CollectedSeries {
  MetricLabels labels;
  double value = 0;
};

class MetricsRegistry {
 public:
  // Durations of a commit or a request: 0.5 ms to 10 s.
  static const std::vector<double>& LatencyBuckets();

  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Each name once per registry (the second Add of a name returns the first
  // family when the kind matches). The pointers live as long as the registry.
  MetricFamily<Counter>* AddCounter(const std::string& name, const std::string& help,
                                    std::vector<std::string> label_names);
  MetricFamily<Gauge>* AddGauge(const std::string& name, const std::string& help,
                                std::vector<std::string> label_names);
  MetricFamily<Histogram>* AddHistogram(const std::string& name, const std::string& help,
                                        std::vector<std::string> label_names, std::vector<double> bounds);
  // A family read at render time; `collect` must stay callable as long as
  // the registry renders (it runs under the registry's lock: keep it short).
  void AddCollected(const std::string& name, const std::string& help, bool counter,
                    std::vector<std::string> label_names, std::function<std::vector<CollectedSeries>()> collect);

  // The standard process_* families (resident memory, CPU seconds, open file
  // descriptors, start time), read from /proc at render time.
  void AddProcessMetrics();

  // The text exposition format: HELP and TYPE for every family, series in
  // label order, ending with a newline.
  std::string Render();

 private:
  struct Entry;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<std::vector<double>>> bounds_ ABSL_GUARDED_BY(mu_);
};

template <typename M>
M& MetricFamily<M>::With(const MetricLabels& values) {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<M>& series = series_[values];
  if (series == nullptr) series = make_();
  return *series;
}

}  // namespace rapport

#endif  // RAPPORT_BASE_METRICS_H_
