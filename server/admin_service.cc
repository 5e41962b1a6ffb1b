#include "server/admin_service.h"

#include "absl/strings/numbers.h"
#include "base/log.h"
#include "event/event.h"
#include "rapport/internal/state.pb.h"
#include "server/status.h"
#include "store/keys.h"
#include "store/records.h"

namespace rapport::server {

// The figures of `tenant`, or of every tenant when it is empty.
absl::Status AdminServiceImpl::TenantStats(const std::string& tenant, v1::GetStatsResponse* response) const {
  std::string prefix(keys::kTenantMetaPrefix);
  if (!tenant.empty()) prefix = keys::TenantMeta(tenant);
  absl::Status unreadable;
  absl::Status scan = store_->Scan(Family::kMeta, prefix, [&](absl::string_view key, absl::string_view value) {
    internal::TenantState state;
    unreadable = records::ParseTenantState(value, keys::TenantOfMeta(key), &state);
    if (!unreadable.ok()) return false;
    if (!tenant.empty() && state.tenant() != tenant) return true;
    v1::TenantStats* out = response->add_tenants();
    out->set_tenant(state.tenant());
    out->set_events(state.events());
    out->set_tickets(state.tickets());
    *out->mutable_watermark() = FromMicros(state.watermark_us());
    return true;
  });
  return scan.ok() ? unreadable : scan;
}

grpc::ServerUnaryReactor* AdminServiceImpl::GetStats(grpc::CallbackServerContext* context,
                                                     const v1::GetStatsRequest* request,
                                                     v1::GetStatsResponse* response) {
  Principal principal;
  if (auto* refused = auth_->RefuseUnary(context, request->tenant(), Role::kAdmin, &principal)) return refused;
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // Nothing crosses tenants but for the operator.
  const std::string tenant = principal.is_operator() ? request->tenant() : principal.tenant;
  if (!principal.is_operator()) {
    if (absl::Status s = TenantStats(tenant, response); !s.ok()) {
      reactor->Finish(ToGrpc(s));
      return reactor;
    }
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  IngestCounters counters = ingestor_->counters();
  absl::Duration uptime = absl::Now() - started_;
  *response->mutable_uptime() = DurationFromMicros(absl::ToInt64Microseconds(uptime));
  response->set_batches(counters.batches);
  response->set_events_accepted(counters.accepted);
  response->set_events_duplicate(counters.duplicates);
  response->set_events_conflicting_duplicate(counters.conflicting_duplicates);
  uint64_t rejected = 0;
  for (const auto& [code, count] : counters.rejected_by_code) {
    (*response->mutable_rejected_by_code())[code] = count;
    rejected += count;
  }
  response->set_events_rejected(rejected);
  response->set_ticket_rebuilds(counters.rebuilds);
  double seconds = absl::ToDoubleSeconds(uptime);
  response->set_accepted_per_second(seconds > 0 ? counters.accepted / seconds : 0);
  v1::StoreRecovery* recovery = response->mutable_recovery();
  recovery->set_complete(recovery_.complete());
  recovery->set_marked(recovery_.marked);
  recovery->set_missing_writes(recovery_.missing_writes());
  recovery->set_expected_sequence(recovery_.expected_sequence);
  recovery->set_recovered_sequence(recovery_.recovered_sequence);
  if (recovery_.lost_after > 0) *recovery->mutable_lost_after() = FromMicros(recovery_.lost_after * 1000000);
  if (recovery_.lost_before > 0) *recovery->mutable_lost_before() = FromMicros(recovery_.lost_before * 1000000);
  recovery->set_detail(recovery_.Describe());

  if (absl::Status s = TenantStats(tenant, response); !s.ok()) {
    reactor->Finish(ToGrpc(s));
    return reactor;
  }
  for (int i = 0; i < kFamilyCount; ++i) {
    Family family = static_cast<Family>(i);
    v1::FamilyStats* f = response->add_store();
    f->set_name(FamilyName(family));
    uint64_t value = 0;
    if (absl::SimpleAtoi(store_->Property(family, "rocksdb.estimate-num-keys"), &value)) f->set_estimated_keys(value);
    if (absl::SimpleAtoi(store_->Property(family, "rocksdb.estimate-live-data-size"), &value)) f->set_live_bytes(value);
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* AdminServiceImpl::ListPlugins(grpc::CallbackServerContext* context,
                                                        const v1::ListPluginsRequest* /*request*/,
                                                        v1::ListPluginsResponse* response) {
  if (auto* refused = auth_->RefuseUnary(context, "", Role::kAdmin)) return refused;
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (plugins_ != nullptr) {
    for (const PluginDescription& p : plugins_->List()) {
      v1::PluginInfo* info = response->add_plugins();
      info->set_name(p.name);
      info->set_kind(p.kind);
      info->set_version(p.version);
      info->set_abi_version(p.abi_version);
      info->set_origin(p.origin);
      info->set_description(p.description);
    }
    for (const std::string& r : plugins_->refused()) response->add_refused(r);
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* AdminServiceImpl::CreateBackup(grpc::CallbackServerContext* context,
                                                         const v1::CreateBackupRequest* request,
                                                         v1::CreateBackupResponse* response) {
  if (auto* refused = auth_->RefuseUnary(context, auth::kOperatorTenant, Role::kAdmin)) return refused;
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (backing_up_.exchange(true)) {
    reactor->Finish(grpc::Status(grpc::StatusCode::ABORTED, "a backup is already running; try again when it ends"));
    return reactor;
  }
  std::lock_guard<std::mutex> lock(backup_mutex_);
  if (backup_.joinable()) backup_.join();  // the last one has ended: backing_up_ was false
  backup_ = std::thread([this, reactor, dir = request->dir(), response] {
    const absl::Time start = absl::Now();
    auto info = store_->Checkpoint(dir);
    if (info.ok()) {
      // The keys go with the data: a server started on the copy knows them.
      absl::Status keys = auth::CopyKeyFiles(store_->options().path, dir);
      if (!keys.ok()) info = keys;
    }
    if (info.ok()) {
      response->set_dir(dir);
      response->set_sequence(info->sequence);
      response->set_files(info->files);
      response->set_bytes(info->bytes);
      *response->mutable_took() = DurationFromMicros(absl::ToInt64Microseconds(absl::Now() - start));
      Log(LogLevel::kInfo, "backup written",
          {{"dir", dir}, {"sequence", std::to_string(info->sequence)}, {"files", std::to_string(info->files)}});
    } else {
      Log(LogLevel::kWarning, "backup failed", {{"dir", dir}, {"error", std::string(info.status().message())}});
    }
    backing_up_.store(false);
    reactor->Finish(info.ok() ? grpc::Status::OK : ToGrpc(info.status()));
  });
  return reactor;
}

void AdminServiceImpl::WaitForBackup() {
  std::lock_guard<std::mutex> lock(backup_mutex_);
  if (backup_.joinable()) backup_.join();
}

}  // namespace rapport::server
