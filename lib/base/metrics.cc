#include "base/metrics.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace rapport {
namespace {

template <typename A>
void AtomicAdd(A* target, double delta) {
  double old = target->load(std::memory_order_relaxed);
  while (!target->compare_exchange_weak(old, old + delta, std::memory_order_relaxed)) {
  }
}

std::string FormatValue(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return absl::StrFormat("%.0f", v);
  return absl::StrCat(v);
}

// HELP text escapes backslash and newline; label values also the quote.
std::string Escape(const std::string& text, bool quote) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// {a="x",b="y"} plus an optional extra pair (le for a bucket); "" when empty.
std::string LabelText(const std::vector<std::string>& names, const MetricLabels& values,
                      const std::string& extra_name = "", const std::string& extra_value = "") {
  std::vector<std::string> parts;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    parts.push_back(absl::StrCat(names[i], "=\"", Escape(values[i], true), "\""));
  }
  if (!extra_name.empty()) parts.push_back(absl::StrCat(extra_name, "=\"", extra_value, "\""));
  if (parts.empty()) return "";
  return absl::StrCat("{", absl::StrJoin(parts, ","), "}");
}

// Fields of /proc/self/stat after the command name (which may hold spaces).
std::vector<std::string> ProcStat() {
  std::ifstream file("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  size_t close = text.rfind(')');
  if (close == std::string::npos) return {};
  return absl::StrSplit(text.substr(close + 2), ' ', absl::SkipEmpty());
}

double OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  double n = 0;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n - 1;  // the directory stream's own descriptor
}

double BootTimeSeconds() {
  std::ifstream file("/proc/stat");
  std::string line;
  while (std::getline(file, line)) {
    if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
  }
  return 0;
}

}  // namespace

void Counter::Add(double delta) {
  if (delta > 0) AtomicAdd(&value_, delta);  // a counter never goes down
}

void Gauge::Add(double delta) { AtomicAdd(&value_, delta); }

Histogram::Histogram(const std::vector<double>* bounds) : bounds_(bounds), counts_(bounds->size() + 1, 0) {}

void Histogram::Observe(double value) {
  size_t slot = std::lower_bound(bounds_->begin(), bounds_->end(), value) - bounds_->begin();
  absl::MutexLock lock(&mu_);
  ++counts_[slot];
  sum_ += value;
}

std::vector<uint64_t> Histogram::Buckets() const {
  absl::MutexLock lock(&mu_);
  std::vector<uint64_t> cumulative(counts_.size());
  uint64_t total = 0;
  for (size_t i = 0; i < counts_.size(); ++i) cumulative[i] = total += counts_[i];
  return cumulative;
}

double Histogram::sum() const {
  absl::MutexLock lock(&mu_);
  return sum_;
}

uint64_t Histogram::count() const { return Buckets().back(); }

struct MetricsRegistry::Entry {
  std::string name;
  std::string help;
  std::string type;  // counter, gauge, histogram
  std::vector<std::string> label_names;
  std::unique_ptr<MetricFamily<Counter>> counters;
  std::unique_ptr<MetricFamily<Gauge>> gauges;
  std::unique_ptr<MetricFamily<Histogram>> histograms;
  const std::vector<double>* bounds = nullptr;
  std::function<std::vector<CollectedSeries>()> collect;
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

const std::vector<double>& MetricsRegistry::LatencyBuckets() {
  static const std::vector<double> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                               0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return kBuckets;
}

MetricFamily<Counter>* MetricsRegistry::AddCounter(const std::string& name, const std::string& help,
                                                   std::vector<std::string> label_names) {
  absl::MutexLock lock(&mu_);
  for (auto& e : entries_) {
    if (e->name == name && e->counters) return e->counters.get();
  }
  auto entry = std::make_unique<Entry>();
  entry->name = name;
  entry->help = help;
  entry->type = "counter";
  entry->label_names = label_names;
  entry->counters.reset(new MetricFamily<Counter>(name, help, std::move(label_names),
                                                  [] { return std::make_unique<Counter>(); }));
  entries_.push_back(std::move(entry));
  return entries_.back()->counters.get();
}

MetricFamily<Gauge>* MetricsRegistry::AddGauge(const std::string& name, const std::string& help,
                                               std::vector<std::string> label_names) {
  absl::MutexLock lock(&mu_);
  for (auto& e : entries_) {
    if (e->name == name && e->gauges) return e->gauges.get();
  }
  auto entry = std::make_unique<Entry>();
  entry->name = name;
  entry->help = help;
  entry->type = "gauge";
  entry->label_names = label_names;
  entry->gauges.reset(
      new MetricFamily<Gauge>(name, help, std::move(label_names), [] { return std::make_unique<Gauge>(); }));
  entries_.push_back(std::move(entry));
  return entries_.back()->gauges.get();
}

MetricFamily<Histogram>* MetricsRegistry::AddHistogram(const std::string& name, const std::string& help,
                                                       std::vector<std::string> label_names,
                                                       std::vector<double> bounds) {
  absl::MutexLock lock(&mu_);
  for (auto& e : entries_) {
    if (e->name == name && e->histograms) return e->histograms.get();
  }
  std::sort(bounds.begin(), bounds.end());
  bounds_.push_back(std::make_unique<std::vector<double>>(std::move(bounds)));
  const std::vector<double>* b = bounds_.back().get();
  auto entry = std::make_unique<Entry>();
  entry->name = name;
  entry->help = help;
  entry->type = "histogram";
  entry->label_names = label_names;
  entry->bounds = b;
  entry->histograms.reset(new MetricFamily<Histogram>(name, help, std::move(label_names),
                                                      [b] { return std::make_unique<Histogram>(b); }));
  entries_.push_back(std::move(entry));
  return entries_.back()->histograms.get();
}

void MetricsRegistry::AddCollected(const std::string& name, const std::string& help, bool counter,
                                   std::vector<std::string> label_names,
                                   std::function<std::vector<CollectedSeries>()> collect) {
  auto entry = std::make_unique<Entry>();
  entry->name = name;
  entry->help = help;
  entry->type = counter ? "counter" : "gauge";
  entry->label_names = std::move(label_names);
  entry->collect = std::move(collect);
  absl::MutexLock lock(&mu_);
  entries_.push_back(std::move(entry));
}

void MetricsRegistry::AddProcessMetrics() {
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  // Fields after the command: state is [0], utime [11], stime [12],
  // starttime [19], rss (pages) [21].
  AddCollected("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", true, {},
               [ticks] {
                 auto f = ProcStat();
                 if (f.size() < 13) return std::vector<CollectedSeries>{};
                 return std::vector<CollectedSeries>{{{}, (std::stod(f[11]) + std::stod(f[12])) / ticks}};
               });
  AddCollected("process_resident_memory_bytes", "Resident memory size in bytes.", false, {}, [page] {
    auto f = ProcStat();
    if (f.size() < 22) return std::vector<CollectedSeries>{};
    return std::vector<CollectedSeries>{{{}, std::stod(f[21]) * page}};
  });
  AddCollected("process_open_fds", "Number of open file descriptors.", false, {},
               [] { return std::vector<CollectedSeries>{{{}, OpenFds()}}; });
  const double boot = BootTimeSeconds();
  AddCollected("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", false, {},
               [ticks, boot] {
                 auto f = ProcStat();
                 if (f.size() < 20 || boot == 0) return std::vector<CollectedSeries>{};
                 return std::vector<CollectedSeries>{{{}, boot + std::stod(f[19]) / ticks}};
               });
}

std::string MetricsRegistry::Render() {
  std::string out;
  absl::MutexLock lock(&mu_);
  for (const auto& e : entries_) {
    absl::StrAppend(&out, "# HELP ", e->name, " ", Escape(e->help, false), "\n# TYPE ", e->name, " ", e->type, "\n");
    if (e->collect) {
      for (const CollectedSeries& s : e->collect()) {
        absl::StrAppend(&out, e->name, LabelText(e->label_names, s.labels), " ", FormatValue(s.value), "\n");
      }
    } else if (e->counters) {
      absl::MutexLock family(&e->counters->mu_);
      for (const auto& [labels, c] : e->counters->series_) {
        absl::StrAppend(&out, e->name, LabelText(e->label_names, labels), " ", FormatValue(c->value()), "\n");
      }
    } else if (e->gauges) {
      absl::MutexLock family(&e->gauges->mu_);
      for (const auto& [labels, g] : e->gauges->series_) {
        absl::StrAppend(&out, e->name, LabelText(e->label_names, labels), " ", FormatValue(g->value()), "\n");
      }
    } else if (e->histograms) {
      absl::MutexLock family(&e->histograms->mu_);
      for (const auto& [labels, h] : e->histograms->series_) {
        std::vector<uint64_t> buckets = h->Buckets();
        for (size_t i = 0; i < buckets.size(); ++i) {
          std::string le = i < e->bounds->size() ? absl::StrCat((*e->bounds)[i]) : "+Inf";
          absl::StrAppend(&out, e->name, "_bucket", LabelText(e->label_names, labels, "le", le), " ", buckets[i],
                          "\n");
        }
        absl::StrAppend(&out, e->name, "_sum", LabelText(e->label_names, labels), " ", FormatValue(h->sum()), "\n",
                        e->name, "_count", LabelText(e->label_names, labels), " ", buckets.back(), "\n");
      }
    }
  }
  return out;
}

}  // namespace rapport
