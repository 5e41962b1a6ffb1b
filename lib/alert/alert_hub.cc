#include "alert/alert_hub.h"

#include <utility>

namespace rapport::alert {

void AlertHub::Add(const std::string& tenant, AlertListener* listener) {
  absl::MutexLock lock(&mu_);
  listeners_.emplace(tenant, listener);
}

void AlertHub::Remove(const std::string& tenant, AlertListener* listener) {
  absl::MutexLock lock(&mu_);
  auto [begin, end] = listeners_.equal_range(tenant);
  for (auto it = begin; it != end; ++it) {
    if (it->second == listener) {
      listeners_.erase(it);
      return;
    }
  }
}

void AlertHub::Publish(const std::vector<v1::Alert>& entries) {
  if (entries.empty()) return;
  absl::MutexLock lock(&mu_);
  if (listeners_.empty()) return;
  std::map<std::string, std::vector<v1::Alert>> by_tenant;
  for (const v1::Alert& a : entries) {
    if (listeners_.count(a.tenant()) > 0) by_tenant[a.tenant()].push_back(a);
  }
  for (const auto& [tenant, mine] : by_tenant) {
    auto [begin, end] = listeners_.equal_range(tenant);
    for (auto it = begin; it != end; ++it) it->second->OnCommitted(mine);
  }
}

size_t AlertHub::listeners() const {
  absl::MutexLock lock(&mu_);
  return listeners_.size();
}

}  // namespace rapport::alert
