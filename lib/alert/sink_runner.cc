#include "alert/sink_runner.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "httplib.h"
#include "openssl/evp.h"
#include "openssl/hmac.h"
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


std::string ToJson(const v1::Alert& a) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  // An Alert has no Any field and no map: printing it cannot fail.
  (void)google::protobuf::util::MessageToJsonString(a, &json, options);
  return json;
}

// Writes the lines and fsyncs: all of them or an error.
absl::Status AppendLines(const std::string& path, const std::vector<v1::Alert>& entries) {
  std::string text;
  for (const v1::Alert& a : entries) absl::StrAppend(&text, ToJson(a), "\n");
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      return absl::UnavailableError(absl::StrCat("cannot write ", path, ": ", std::strerror(err)));
    }
    written += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!synced) return absl::UnavailableError(absl::StrCat("cannot fsync ", path, ": ", std::strerror(err)));
  return absl::OkStatus();
}

}  // namespace

Delivery JsonlSink::Deliver(const std::vector<v1::Alert>& entries) {
  Delivery d;
  d.retry = AppendLines(path_, entries);
  if (d.retry.ok()) d.handled = entries.size();
  return d;
}

std::string WebhookSignature(const std::string& secret, const std::string& timestamp, const std::string& body) {
  const std::string signed_text = absl::StrCat(timestamp, ".", body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac, &size);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex.push_back(kHex[mac[i] >> 4]);
    hex.push_back(kHex[mac[i] & 0xf]);
  }
  return hex;
}

Delivery WebhookSink::Deliver(const std::vector<v1::Alert>& entries) {
  Delivery d;
  // "scheme://host:port" and the path after it.
  const size_t scheme_end = config_.url.find("://");
  const size_t path_start = config_.url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  const std::string origin = config_.url.substr(0, path_start);
  const std::string path = path_start == std::string::npos ? "/" : config_.url.substr(path_start);
  httplib::Client client(origin);
  const auto timeout = std::chrono::microseconds(config_.timeout_us);
  client.set_connection_timeout(std::chrono::duration_cast<std::chrono::milliseconds>(timeout));
  client.set_read_timeout(std::chrono::duration_cast<std::chrono::milliseconds>(timeout));
  client.set_write_timeout(std::chrono::duration_cast<std::chrono::milliseconds>(timeout));
  if (!config_.ca_file.empty()) client.set_ca_cert_path(config_.ca_file);
  for (const v1::Alert& a : entries) {
    const std::string body = ToJson(a);
    const std::string timestamp = std::to_string(absl::ToUnixSeconds(absl::Now()));
    httplib::Headers headers(config_.headers.begin(), config_.headers.end());
    headers.emplace("X-Rapport-Timestamp", timestamp);
    headers.emplace("X-Rapport-Signature", "sha256=" + WebhookSignature(config_.secret, timestamp, body));
    headers.emplace("X-Rapport-Alert-Id", absl::StrCat(a.tenant(), ":", a.cursor()));
    httplib::Result result = client.Post(path, headers, body, "application/json");
    if (!result) {
      d.retry = absl::UnavailableError(absl::StrCat("POST ", config_.url, ": ", httplib::to_string(result.error())));
      return d;
    }
    const int status = result->status;
    if (status == 429 || status >= 500) {
      d.retry = absl::UnavailableError(absl::StrCat("POST ", config_.url, " answered ", status));
      return d;
    }
    if (status < 200 || status >= 300) {
      Log(LogLevel::kWarning, "webhook sink: the receiver refused an alert for good; not retried",
          {{"url", config_.url}, {"status", std::to_string(status)}, {"alert", absl::StrCat(a.tenant(), ":", a.cursor())}});
      ++d.refused;
    }
    ++d.handled;
  }
  return d;
}

absl::StatusOr<std::unique_ptr<Sink>> MakeSink(const SinkConfig& config) {
  if (config.kind == "jsonl") return std::unique_ptr<Sink>(new JsonlSink(config.path));
  if (config.kind == "webhook") return std::unique_ptr<Sink>(new WebhookSink(config));
  return absl::InvalidArgumentError(absl::StrCat("alert sink '", config.name, "': kind '", config.kind,
                                                 "' is not available in this version (jsonl and webhook are)"));
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
      if (ToMicros(a.cause_at()) >= newest - max_age_us_) {
        send.push_back(std::move(a));
      } else {
        skipped.push_back(a.cursor());
      }
    }
    Delivery d;
    d.handled = send.size();
    if (!send.empty()) d = sink_->Deliver(send);
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
