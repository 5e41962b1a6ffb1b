// AlertHub: hands the alert entries of each committed batch to whoever
// follows a tenant's log live (WatchAlerts streams, sinks). The log in the
// store is the truth; the hub only saves a follower the read of what it
// would find there, so a listener that cannot keep up drops what it was
// handed and goes back to the log.
//
// Publish runs on the writer thread after the commit: it takes the hub's
// lock and calls each listener of the tenant, so OnCommitted must return at
// once (copy into a bounded buffer, wake a thread, start a write), never
// wait. Thread-safe.
#ifndef RAPPORT_ALERT_ALERT_HUB_H_
#define RAPPORT_ALERT_ALERT_HUB_H_

#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "rapport/v1/alerts.pb.h"

namespace rapport::alert {

class AlertListener {
 public:
  virtual ~AlertListener() = default;
  // The entries of one commit for the listener's tenant, in cursor order.
  // Called with the hub's lock held: must not block, nor call the hub.
  virtual void OnCommitted(const std::vector<v1::Alert>& entries) = 0;
};

class AlertHub {
 public:
  // `listener` (not owned) hears every later commit of `tenant` until it is
  // removed; Remove returns only when no call to it is running, so the
  // listener may be destroyed right after.
  void Add(const std::string& tenant, AlertListener* listener);
  void Remove(const std::string& tenant, AlertListener* listener);

  // `entries` may mix tenants; each listener gets its tenant's, in order.
  void Publish(const std::vector<v1::Alert>& entries);

  size_t listeners() const;

 private:
  mutable absl::Mutex mu_;
  std::multimap<std::string, AlertListener*> listeners_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rapport::alert

#endif  // RAPPORT_ALERT_ALERT_HUB_H_
