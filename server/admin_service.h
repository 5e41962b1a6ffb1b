// AdminService: what operators need to see about a running rapportd.
#ifndef RAPPORT_SERVER_ADMIN_SERVICE_H_
#define RAPPORT_SERVER_ADMIN_SERVICE_H_

#include <atomic>
#include <mutex>
#include <thread>

#include "absl/time/time.h"
#include "ingest/ingestor.h"
#include "plugin/registry.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "server/authorizer.h"
#include "store/store.h"

namespace rapport::server {

class AdminServiceImpl final : public v1::AdminService::CallbackService {
 public:
  // `store`, `ingestor`, `auth` and `plugins` (may be null) must outlive the
  // service, or at least WaitForBackup() must have returned before `store`
  // goes. `recovery` is what opening the store found (the server may have
  // opened it more than once while starting: the first open's report).
  // Every method needs an admin key; the store's keys file goes into each
  // backup beside the checkpoint.
  AdminServiceImpl(const Store* store, const Ingestor* ingestor, const Authorizer* auth,
                   const PluginRegistry* plugins = nullptr, RecoveryReport recovery = {})
      : store_(store), ingestor_(ingestor), auth_(auth), plugins_(plugins), recovery_(std::move(recovery)),
        started_(absl::Now()) {}

  // A tenant's admin key sees its own tenant's figures only; the process-wide
  // figures (ingest counters, store families) and other tenants are for an
  // operator key.
  grpc::ServerUnaryReactor* GetStats(grpc::CallbackServerContext* context, const v1::GetStatsRequest* request,
                                     v1::GetStatsResponse* response) override;
  grpc::ServerUnaryReactor* ListPlugins(grpc::CallbackServerContext* context, const v1::ListPluginsRequest* request,
                                        v1::ListPluginsResponse* response) override;
  // Needs an operator admin key: a backup holds every tenant.
  // The checkpoint blocks on a flush and on file system work, so it runs on
  // a thread of its own and finishes the reactor from there; the callback
  // thread returns at once.
  grpc::ServerUnaryReactor* CreateBackup(grpc::CallbackServerContext* context, const v1::CreateBackupRequest* request,
                                         v1::CreateBackupResponse* response) override;

  // Returns once no backup is running (joins its thread). The server calls
  // it after gRPC has shut down and before it closes the store.
  void WaitForBackup();
  ~AdminServiceImpl() override { WaitForBackup(); }

 private:
  absl::Status TenantStats(const std::string& tenant, v1::GetStatsResponse* response) const;

  const Store* store_;
  const Ingestor* ingestor_;
  const Authorizer* auth_;
  const PluginRegistry* plugins_;
  RecoveryReport recovery_;
  absl::Time started_;

  std::mutex backup_mutex_;
  std::thread backup_;              // guarded by backup_mutex_; the running or last backup
  std::atomic<bool> backing_up_{false};
};

}  // namespace rapport::server

#endif  // RAPPORT_SERVER_ADMIN_SERVICE_H_
