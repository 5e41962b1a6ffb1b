#include "alert/sink_runner.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "alert/alert_log.h"
#include "base/log.h"
#include "event/event.h"
#include "google/protobuf/util/json_util.h"
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

absl::Status JsonlSink::Deliver(const std::vector<v1::Alert>& entries) {
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  for (const v1::Alert& a : entries) {
    std::string line;
    if (auto s = google::protobuf::util::MessageToJsonString(a, &line, options); !s.ok()) {
      return absl::InternalError(absl::StrCat("cannot print alert ", a.cursor(), " as JSON"));
    }
    absl::StrAppend(&text, line, "\n");
  }
  const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot open ", path_, ": ", std::strerror(errno)));
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      return absl::UnavailableError(absl::StrCat("cannot write ", path_, ": ", std::strerror(err)));
    }
    written += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!synced) return absl::UnavailableError(absl::StrCat("cannot fsync ", path_, ": ", std::strerror(err)));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Sink>> MakeSink(const SinkConfig& config) {
  if (config.kind == "jsonl") return std::unique_ptr<Sink>(new JsonlSink(config.path));
  return absl::InvalidArgumentError(absl::StrCat("alert sink '", config.name, "': kind '", config.kind,
                                                 "' is not available in this version (jsonl is)"));
}

SinkRunner::SinkRunner(Store* store, AlertHub* hub, std::string tenant, std::string name, int64_t max_age_us,
                       std::unique_ptr<Sink> sink)
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
  std::chrono::seconds backoff{1};
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait_for(lock, kIdleWake, [this] { return stop_ || pending_; });
      if (stop_) return;
      pending_ = false;
    }
    if (DeliverPending()) {
      backoff = std::chrono::seconds{1};
      continue;
    }
    std::unique_lock<std::mutex> lock(mu_);
    pending_ = true;  // retry what failed
    if (wake_.wait_for(lock, backoff, [this] { return stop_; })) return;
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
    for (v1::Alert& a : entries) {
      if (ToMicros(a.cause_at()) >= newest - max_age_us_) send.push_back(std::move(a));
    }
    if (!send.empty()) {
      if (absl::Status d = sink_->Deliver(send); !d.ok()) {
        Log(LogLevel::kWarning, "alert sink delivery failed; retrying with backoff",
            {{"sink", name_}, {"tenant", tenant_}, {"error", d.ToString()}});
        std::lock_guard<std::mutex> lock(mu_);
        ++counters_.failures;
        return false;
      }
    }
    Store::Batch batch(*store_);
    std::string value;
    keys::PutBigEndian64(&value, last);
    batch.Put(Family::kAlerts, keys::SinkDelivered(tenant_, name_), value);
    if (absl::Status c = store_->Commit(&batch); !c.ok()) {
      Log(LogLevel::kError, "alert sink cannot save its cursor", {{"sink", name_}, {"error", c.ToString()}});
      return false;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      counters_.delivered += send.size();
      counters_.skipped += entries.size() - send.size();
      counters_.lag = *next - 1 - last;
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return true;
  }
}

}  // namespace rapport::alert
