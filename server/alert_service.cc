#include "server/alert_service.h"

#include <algorithm>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "alert/alert_log.h"
#include "query/read_request.h"
#include "server/status.h"

namespace rapport::server {

// Entries read from the log per step of a replay.
constexpr size_t kReplayStep = 64;

class WatchReactor final : public grpc::ServerWriteReactor<v1::WatchAlertsResponse>, public alert::AlertListener {
 public:
  WatchReactor(AlertServiceImpl* service, const v1::WatchAlertsRequest& request)
      : service_(service), request_(request), last_queued_(request.after_cursor()) {}

  // Listens, then replays; or finishes at once for a bad request.
  void Begin(absl::Status valid) {
    if (!valid.ok()) {
      absl::MutexLock lock(&mu_);
      FinishOnce(ToGrpc(valid));
      return;
    }
    service_->hub_->Add(request_.tenant(), this);
    listening_ = true;
    absl::MutexLock lock(&mu_);
    Pump(/*may_read=*/true);
  }

  // The watch's place among its key's and tenant's streams, freed with the
  // reactor.
  CallLimiter::StreamSlot slot;

  void OnCommitted(const std::vector<v1::Alert>& entries) override {
    absl::MutexLock lock(&mu_);
    if (done_) return;
    if (live_.size() + entries.size() > kWatchBuffer) {
      overflowed_ = true;  // Pump turns it into fell_behind and a replay
      live_.clear();
    } else {
      live_.insert(live_.end(), entries.begin(), entries.end());
    }
    if (!writing_ && !reading_) Pump(/*may_read=*/false);  // the writer's thread: no store reads
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    out_.pop_front();
    if (!ok) cancelled_ = true;  // the client went away
    Pump(/*may_read=*/true);
  }

  // A write or a log read in flight finishes the stream when it returns.
  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    if (!writing_ && !reading_) Pump(/*may_read=*/false);
  }

  void OnDone() override {
    if (listening_) service_->hub_->Remove(request_.tenant(), this);
    service_->Forget(this);
    delete this;
  }

  // Ends the stream with UNAVAILABLE once the write in progress is done.
  void Drain() {
    absl::MutexLock lock(&mu_);
    draining_ = true;
    if (!writing_ && !reading_) Pump(/*may_read=*/false);
  }

 private:
  bool Wanted(const v1::Alert& a) const {
    if (!request_.kinds().empty() &&
        std::find(request_.kinds().begin(), request_.kinds().end(), a.kind()) == request_.kinds().end()) {
      return false;
    }
    return a.state() == v1::ALERT_STATE_RESOLVED || a.severity() >= request_.min_severity();
  }

  void Queue(const v1::Alert& a) {
    if (a.cursor() <= last_queued_) return;  // in the log read and handed live: once
    last_queued_ = a.cursor();
    if (Wanted(a)) *out_.emplace_back().mutable_alert() = a;
  }

  // Starts the next write, reading the log first when replaying. Called
  // with mu_ held and no write in flight; `may_read`: off the writer thread.
  void Pump(bool may_read) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (!done_) {
      if (cancelled_) {
        FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
        return;
      }
      if (!out_.empty()) {
        writing_ = true;
        StartWrite(&out_.front());
        return;
      }
      if (draining_) {
        FinishOnce(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                absl::StrCat("server shutting down; reconnect with after_cursor ", last_queued_)));
        return;
      }
      if (overflowed_) {
        overflowed_ = false;
        live_.clear();
        replaying_ = true;
        out_.emplace_back().set_fell_behind(true);
        continue;
      }
      if (replaying_) {
        if (!may_read) return;  // OnWriteDone comes back with may_read
        if (!ReadLogStep()) return;
        continue;
      }
      if (live_.empty()) return;  // OnCommitted pumps again
      std::deque<v1::Alert> live;
      live.swap(live_);
      for (const v1::Alert& a : live) Queue(a);
    }
  }

  // One step of the replay, read without mu_ (the writer may hand entries
  // meanwhile). False when the stream ended.
  bool ReadLogStep() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::vector<v1::Alert> read;
    const uint64_t from = last_queued_;
    reading_ = true;
    mu_.Unlock();
    absl::Status s = alert::ReadLog(*service_->store_, request_.tenant(), from, kReplayStep, &read);
    mu_.Lock();
    reading_ = false;
    if (!s.ok()) {
      FinishOnce(ToGrpc(s));
      return false;
    }
    for (const v1::Alert& a : read) Queue(a);
    if (read.size() < kReplayStep) {  // the end of the log: live from here
      replaying_ = false;
      if (!told_caught_up_) {
        told_caught_up_ = true;
        out_.emplace_back().set_caught_up(true);
      }
    }
    return true;
  }

  void FinishOnce(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    done_ = true;
    Finish(status);
  }

  AlertServiceImpl* service_;
  const v1::WatchAlertsRequest request_;
  bool listening_ = false;  // set before any callback can read it
  absl::Mutex mu_;
  std::deque<v1::WatchAlertsResponse> out_ ABSL_GUARDED_BY(mu_);  // front: being written
  std::deque<v1::Alert> live_ ABSL_GUARDED_BY(mu_);               // handed by the writer
  uint64_t last_queued_ ABSL_GUARDED_BY(mu_);
  bool replaying_ ABSL_GUARDED_BY(mu_) = true;
  bool told_caught_up_ ABSL_GUARDED_BY(mu_) = false;
  bool overflowed_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

// The key's `read` role on `tenant`, then a stream place for the watch.
absl::Status AlertServiceImpl::CheckWatcher(const grpc::CallbackServerContext& context, const std::string& tenant,
                                            CallLimiter::StreamSlot* slot) const {
  auto allowed = auth_->CheckRequest(Authorizer::AuthorizationOf(context), tenant, Role::kRead);
  if (!allowed.ok()) return allowed.status();
  if (auth_->limiter() == nullptr) return absl::OkStatus();
  auto place = auth_->limiter()->OpenStream(*allowed);
  if (!place.ok()) return place.status();
  *slot = std::move(*place);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* AlertServiceImpl::ListAlerts(grpc::CallbackServerContext* context,
                                                       const v1::ListAlertsRequest* request,
                                                       v1::ListAlertsResponse* response) {
  if (auto* refused = auth_->RefuseUnary(context, request->tenant(), Role::kRead)) return refused;
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto list = alert::ListAlerts(*store_, *request);
  if (list.ok()) *response = std::move(*list);
  reactor->Finish(ToGrpc(list.status()));
  return reactor;
}

grpc::ServerWriteReactor<v1::WatchAlertsResponse>* AlertServiceImpl::WatchAlerts(
    grpc::CallbackServerContext* context, const v1::WatchAlertsRequest* request) {
  auto* reactor = new WatchReactor(this, *request);
  absl::Status valid = CheckWatcher(*context, request->tenant(), &reactor->slot);
  if (valid.ok()) valid = CheckId("tenant", request->tenant());
  if (valid.ok()) valid = CheckEnum<v1::Severity>("min_severity", request->min_severity());
  bool draining;
  {
    absl::MutexLock lock(&mu_);
    streams_.insert(reactor);
    draining = draining_;
  }
  if (valid.ok() && draining) valid = absl::UnavailableError("server shutting down; reconnect elsewhere or later");
  reactor->Begin(valid);
  return reactor;
}

void AlertServiceImpl::Drain() {
  absl::MutexLock lock(&mu_);
  draining_ = true;
  for (WatchReactor* r : streams_) r->Drain();
}

size_t AlertServiceImpl::OpenStreams() const {
  absl::MutexLock lock(&mu_);
  return streams_.size();
}

void AlertServiceImpl::Forget(WatchReactor* reactor) {
  absl::MutexLock lock(&mu_);
  streams_.erase(reactor);
}

}  // namespace rapport::server
