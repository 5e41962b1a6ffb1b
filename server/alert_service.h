// AlertService: ListAlerts and WatchAlerts (alerts.proto) over the alert log
// the AlertStage writes (alert/alert_log.h).
//
// WatchAlerts is a callback write reactor per stream that never blocks a
// thread: it listens to the AlertHub before it reads the log, so it replays
// the log after the client's cursor, then sends what each commit hands it,
// skipping what it already sent by cursor. What the writer hands a stream
// goes into a bounded buffer (kWatchBuffer entries): a stream whose client
// does not read (slow or stalled) fills it, is then told `fell_behind` and
// reads the log from its last cursor again — the writer never waits for a
// subscriber, and no entry is lost or sent twice.
#ifndef RAPPORT_SERVER_ALERT_SERVICE_H_
#define RAPPORT_SERVER_ALERT_SERVICE_H_

#include <cstddef>
#include <set>

#include "absl/synchronization/mutex.h"
#include "alert/alert_hub.h"
#include "rapport/v1/alerts.grpc.pb.h"
#include "server/authorizer.h"
#include "store/store.h"

namespace rapport::server {

inline constexpr size_t kWatchBuffer = 1024;

class WatchReactor;

class AlertServiceImpl final : public v1::AlertService::CallbackService {
 public:
  // `store`, `hub` and `auth` must outlive the service. Both calls need the
  // `read` role on their tenant (docs/security.md); a watch also takes a
  // stream place of its key and tenant (limits.streams_per_*).
  AlertServiceImpl(const Store* store, alert::AlertHub* hub, const Authorizer* auth)
      : store_(store), hub_(hub), auth_(auth) {}

  grpc::ServerUnaryReactor* ListAlerts(grpc::CallbackServerContext* context, const v1::ListAlertsRequest* request,
                                       v1::ListAlertsResponse* response) override;
  grpc::ServerWriteReactor<v1::WatchAlertsResponse>* WatchAlerts(grpc::CallbackServerContext* context,
                                                                 const v1::WatchAlertsRequest* request) override;

  // Ends every open WatchAlerts stream with UNAVAILABLE (after the entry
  // being written, if any): called at the start of a shutdown, so the
  // clients reconnect elsewhere with their cursor instead of the server
  // waiting for them.
  void Drain();
  size_t OpenStreams() const;

 private:
  friend class WatchReactor;
  void Forget(WatchReactor* reactor);
  absl::Status CheckWatcher(const grpc::CallbackServerContext& context, const std::string& tenant,
                            CallLimiter::StreamSlot* slot) const;

  const Store* store_;
  alert::AlertHub* hub_;
  const Authorizer* auth_;
  mutable absl::Mutex mu_;
  std::set<WatchReactor*> streams_ ABSL_GUARDED_BY(mu_);
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace rapport::server

#endif  // RAPPORT_SERVER_ALERT_SERVICE_H_
