// Whole-call limits per API key and tenant (limits.max_streams_per_key,
// limits.max_streams_per_tenant, limits.requests_per_second_per_key):
// RESOURCE_EXHAUSTED on gRPC, 429 on HTTP, with a message naming the limit
// and its value. The per-event limits (text, ids, batch size) stay
// per-event errors in the ack (event/validate.h); message and webhook body
// sizes are refused by gRPC and the HTTP port themselves.
//
// Only calls made with a key count: with auth off there is no one to count
// them against.
#ifndef RAPPORT_SERVER_CALL_LIMITS_H_
#define RAPPORT_SERVER_CALL_LIMITS_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "config/config.h"

namespace rapport::server {

struct Principal;

class CallLimiter {
 public:
  explicit CallLimiter(RapportConfig::CallLimits limits) : limits_(limits) {}

  // One request of the principal's key: a token bucket per key, refilled at
  // requests_per_second_per_key with a burst of one second's worth.
  absl::Status TakeRequest(const Principal& principal);

  // Held by an open stream; its destruction frees the place.
  class StreamSlot {
   public:
    StreamSlot() = default;
    StreamSlot(StreamSlot&& other) noexcept { Swap(other); }
    StreamSlot& operator=(StreamSlot&& other) noexcept {
      StreamSlot gone(std::move(*this));  // frees what this held
      Swap(other);
      return *this;
    }
    ~StreamSlot();

   private:
    friend class CallLimiter;
    void Swap(StreamSlot& other) noexcept {
      std::swap(limiter_, other.limiter_);
      key_.swap(other.key_);
      tenant_.swap(other.tenant_);
    }
    CallLimiter* limiter_ = nullptr;
    std::string key_, tenant_;
  };
  // A place for a new stream of the principal's key and tenant, or
  // RESOURCE_EXHAUSTED naming the limit that is full.
  absl::StatusOr<StreamSlot> OpenStream(const Principal& principal);

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time refilled = absl::InfinitePast();
  };
  const RapportConfig::CallLimits limits_;
  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;             // guarded by mu_; by key id
  std::map<std::string, int> streams_by_key_;         // guarded by mu_
  std::map<std::string, int> streams_by_tenant_;      // guarded by mu_
};

}  // namespace rapport::server

#endif  // RAPPORT_SERVER_CALL_LIMITS_H_
