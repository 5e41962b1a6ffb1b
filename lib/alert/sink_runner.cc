#include "alert/sink_runner.h"

#include <algorithm>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "alert/alert_log.h"
#include "base/log.h"
#include "event/event.h"
#include "nlohmann/json.hpp"
#include "store/keys.h"
#include "store/records.h"

namespace rapport::alert {
namespace {

constexpr size_t kStep = 100;  // entries per delivery
constexpr std::chrono::seconds kIdleWake{1};
constexpr std::chrono::seconds kMaxBackoff{60};

absl::StatusOr<uint64_t> ReadDelivered(const Store& store, const std::string& tenant, const std::string& name) {
  std::string value;
  absl::Status s = store.Get(Family::kAlerts, keys::SinkDelivered(tenant, name), &value);
  if (absl::IsNotFound(s)) return 0;
  if (!s.ok()) return s;
  if (value.size() != 8) {
    return absl::DataLossError(absl::StrCat("the delivery cursor of sink '", name, "' of tenant '", tenant,
                                            "' is unreadable"));
  }
  return keys::GetBigEndian64(value);
}

}  // namespace

std::string SinkConfigJson(const SinkConfig& c) {
  nlohmann::json j = {{"name", c.name}, {"kind", c.kind}};
  for (const auto& [key, value] : {std::pair{"url", &c.url}, std::pair{"secret", &c.secret},
                                   std::pair{"path", &c.path}, std::pair{"ca_file", &c.ca_file}}) {
    if (!value->empty()) j[key] = *value;
  }
  if (!c.headers.empty()) j["headers"] = c.headers;
  if (c.timeout_us > 0) j["timeout_us"] = c.timeout_us;
  if (c.resend_us > 0) j["resend_us"] = c.resend_us;
  for (const auto& [key, value] : c.extra) j[key] = nlohmann::json::parse(value, nullptr, false);
  return j.dump();
}

absl::StatusOr<std::unique_ptr<SinkHandle>> MakeSink(const PluginRegistry& registry, const SinkConfig& config) {
  auto sink = registry.CreateSink(config.kind, SinkConfigJson(config));
  if (!sink.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("alert sink '", config.name, "': ", sink.status().message()));
  }
  return sink;
}

SinkRunner::SinkRunner(Store* store, AlertHub* hub, std::string tenant, std::string name, int64_t max_age_us,
                       std::unique_ptr<SinkHandle> sink)
    : store_(store), hub_(hub), tenant_(std::move(tenant)), name_(std::move(name)), max_age_us_(max_age_us),
      sink_(std::move(sink)) {}

SinkRunner::~SinkRunner() { Stop(); }

void SinkRunner::Start() {
  hub_->Add(tenant_, this);
  thread_ = std::thread([this] { Run(); });
}

void SinkRunner::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  hub_->Remove(tenant_, this);
}

void SinkRunner::OnCommitted(const std::vector<v1::Alert>& /*entries*/) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_ = true;
  }
  wake_.notify_all();
}

SinkCounters SinkRunner::counters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_;
}

void SinkRunner::Run() {
  Replay();
  std::chrono::seconds backoff{1};
  auto refreshed = std::chrono::steady_clock::now();
  for (;;) {
    bool woken = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      woken = wake_.wait_for(lock, kIdleWake, [this] { return stop_ || pending_; });
      if (stop_) return;
      pending_ = false;
    }
    // The sink's periodic work, about once a second however busy the log is.
    if (std::chrono::steady_clock::now() - refreshed >= kIdleWake) {
      refreshed = std::chrono::steady_clock::now();
      if (absl::Status r = sink_->Refresh(absl::Now()); !r.ok()) {
        Log(LogLevel::kWarning, "alert sink refresh failed; trying again", {{"sink", name_}, {"tenant", tenant_},
                                                                             {"error", r.ToString()}});
      }
    }
    if (!woken) continue;
    if (DeliverPending()) {
      backoff = std::chrono::seconds{1};
      continue;
    }
    std::unique_lock<std::mutex> lock(mu_);
    pending_ = true;  // retry what failed
    const auto jittered = std::chrono::milliseconds(
        static_cast<int64_t>(1000 * backoff.count() * absl::Uniform(jitter_, 1.0, 1.25)));
    if (wake_.wait_for(lock, jittered, [this] { return stop_; })) return;
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

bool SinkRunner::DeliverPending() {
  for (;;) {
    auto delivered = ReadDelivered(*store_, tenant_, name_);
    auto tenant = records::ReadTenantState(*store_, tenant_);
    auto next = NextCursor(*store_, tenant_);
    std::vector<v1::Alert> entries;
    absl::Status s = !delivered.ok() ? delivered.status()
                     : !tenant.ok()  ? tenant.status()
                     : !next.ok()    ? next.status()
                                     : ReadLog(*store_, tenant_, *delivered, kStep, &entries);
    if (!s.ok()) {
      Log(LogLevel::kError, "alert sink cannot read the alert log", {{"sink", name_}, {"tenant", tenant_}, {"error", s.ToString()}});
      return false;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      counters_.lag = *next - 1 - *delivered;
    }
    if (entries.empty()) return true;
    const uint64_t last = entries.back().cursor();  // before the entries are moved
    const int64_t newest = tenant->has_value() ? (*tenant)->watermark_us() : 0;
    std::vector<v1::Alert> send;
    std::vector<uint64_t> skipped;  // backfill: recorded, never sent
    for (v1::Alert& a : entries) {
      if (Sendable(a, newest)) {
        send.push_back(std::move(a));
      } else {
        skipped.push_back(a.cursor());
      }
    }
    SinkDelivery d;
    d.handled = send.size();
    if (!send.empty()) d = sink_->Deliver(send);
    if (d.refused > 0) {
      Log(LogLevel::kWarning, "the receiver refused alert entries for good; not retried",
          {{"sink", name_}, {"tenant", tenant_}, {"refused", std::to_string(d.refused)}, {"reason", d.refused_why}});
    }
    // Up to just before the first entry not handled; past the skipped ones.
    const uint64_t done = d.handled < send.size() ? send[d.handled].cursor() - 1 : last;
    if (!d.retry.ok()) {
      Log(LogLevel::kWarning, "alert sink delivery failed; retrying with backoff",
          {{"sink", name_}, {"tenant", tenant_}, {"error", d.retry.ToString()}});
    }
    if (done > *delivered && !SaveCursor(done)) return false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      counters_.delivered += d.handled - d.refused;
      counters_.refused += d.refused;
      counters_.skipped += std::count_if(skipped.begin(), skipped.end(), [&](uint64_t c) { return c <= done; });
      counters_.lag = *next - 1 - done;
      if (!d.retry.ok()) {
        ++counters_.failures;
        return false;
      }
      if (stop_) return true;
    }
  }
}

bool SinkRunner::Sendable(const v1::Alert& entry, int64_t newest) const {
  return ToMicros(entry.cause_at()) >= newest - max_age_us_;
}

void SinkRunner::Replay() {
  auto delivered = ReadDelivered(*store_, tenant_, name_);
  auto tenant = records::ReadTenantState(*store_, tenant_);
  if (!delivered.ok() || !tenant.ok()) return;  // DeliverPending reports it
  const int64_t newest = tenant->has_value() ? (*tenant)->watermark_us() : 0;
  std::vector<v1::Alert> open;
  absl::Status s = ScanOpenAlerts(*store_, tenant_, [&](v1::Alert& latest) {
    if (latest.cursor() <= *delivered && Sendable(latest, newest)) {
      open.push_back(std::move(latest));
    }
    return true;
  });
  if (!s.ok()) {
    Log(LogLevel::kError, "alert sink cannot read the open alerts", {{"sink", name_}, {"error", s.ToString()}});
    return;
  }
  if (open.empty()) return;
  std::sort(open.begin(), open.end(), [](const v1::Alert& a, const v1::Alert& b) { return a.cursor() < b.cursor(); });
  if (SinkDelivery d = sink_->Deliver(open, /*replayed=*/true); !d.retry.ok()) {
    Log(LogLevel::kWarning, "alert sink refused the open alerts it had", {{"sink", name_}, {"error", d.retry.ToString()}});
  }
}

bool SinkRunner::SaveCursor(uint64_t cursor) {
    Store::Batch batch(*store_);
    std::string value;
    keys::PutBigEndian64(&value, cursor);
    batch.Put(Family::kAlerts, keys::SinkDelivered(tenant_, name_), value);
    if (absl::Status c = store_->Commit(&batch); !c.ok()) {
      Log(LogLevel::kError, "alert sink cannot save its cursor", {{"sink", name_}, {"error", c.ToString()}});
      return false;
    }
    return true;
}

}  // namespace rapport::alert
