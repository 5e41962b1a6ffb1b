#include "server/call_limits.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/authorizer.h"

namespace rapport::server {

absl::Status CallLimiter::TakeRequest(const Principal& principal) {
  if (principal.key_id.empty()) return absl::OkStatus();
  const double rate = std::max(1, limits_.requests_per_second_per_key);
  const absl::Time now = absl::Now();
  std::lock_guard<std::mutex> lock(mu_);
  Bucket& b = buckets_[principal.key_id];
  if (b.refilled == absl::InfinitePast()) b.tokens = rate;
  b.tokens = std::min(rate, b.tokens + rate * absl::ToDoubleSeconds(now - std::max(b.refilled, now - absl::Seconds(1))));
  b.refilled = now;
  if (b.tokens < 1) {
    return absl::ResourceExhaustedError(absl::StrCat("API key ", principal.key_id, " is over ",
                                                     limits_.requests_per_second_per_key,
                                                     " requests per second (limits.requests_per_second_per_key): "
                                                     "retry in a moment"));
  }
  b.tokens -= 1;
  return absl::OkStatus();
}

absl::StatusOr<CallLimiter::StreamSlot> CallLimiter::OpenStream(const Principal& principal) {
  StreamSlot slot;
  if (principal.key_id.empty()) return slot;
  std::lock_guard<std::mutex> lock(mu_);
  int& by_key = streams_by_key_[principal.key_id];
  int& by_tenant = streams_by_tenant_[principal.tenant];
  if (by_key >= limits_.max_streams_per_key) {
    return absl::ResourceExhaustedError(absl::StrCat("API key ", principal.key_id, " has ", by_key,
                                                     " streams open, the most limits.max_streams_per_key (",
                                                     limits_.max_streams_per_key, ") allows: end one first"));
  }
  if (by_tenant >= limits_.max_streams_per_tenant) {
    return absl::ResourceExhaustedError(absl::StrCat("tenant '", principal.tenant, "' has ", by_tenant,
                                                     " streams open, the most limits.max_streams_per_tenant (",
                                                     limits_.max_streams_per_tenant, ") allows: end one first"));
  }
  ++by_key;
  ++by_tenant;
  slot.limiter_ = this;
  slot.key_ = principal.key_id;
  slot.tenant_ = principal.tenant;
  return slot;
}

CallLimiter::StreamSlot::~StreamSlot() {
  if (limiter_ == nullptr) return;
  std::lock_guard<std::mutex> lock(limiter_->mu_);
  if (--limiter_->streams_by_key_[key_] == 0) limiter_->streams_by_key_.erase(key_);
  if (--limiter_->streams_by_tenant_[tenant_] == 0) limiter_->streams_by_tenant_.erase(tenant_);
}

}  // namespace rapport::server
