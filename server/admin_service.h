// AdminService: what operators need to see about a running rapportd.
#ifndef RAPPORT_SERVER_ADMIN_SERVICE_H_
#define RAPPORT_SERVER_ADMIN_SERVICE_H_

#include "absl/time/time.h"
#include "ingest/ingestor.h"
#include "plugin/registry.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "store/store.h"

namespace rapport::server {

class AdminServiceImpl final : public v1::AdminService::CallbackService {
 public:
  // `store`, `ingestor` and `plugins` (may be null) must outlive the service.
  // `recovery` is what opening the store found (the server may have opened
  // it more than once while starting: the first open's report).
  AdminServiceImpl(const Store* store, const Ingestor* ingestor, const PluginRegistry* plugins = nullptr,
                   RecoveryReport recovery = {})
      : store_(store), ingestor_(ingestor), plugins_(plugins), recovery_(std::move(recovery)),
        started_(absl::Now()) {}

  grpc::ServerUnaryReactor* GetStats(grpc::CallbackServerContext* context, const v1::GetStatsRequest* request,
                                     v1::GetStatsResponse* response) override;
  grpc::ServerUnaryReactor* ListPlugins(grpc::CallbackServerContext* context, const v1::ListPluginsRequest* request,
                                        v1::ListPluginsResponse* response) override;

 private:
  const Store* store_;
  const Ingestor* ingestor_;
  const PluginRegistry* plugins_;
  RecoveryReport recovery_;
  absl::Time started_;
};

}  // namespace rapport::server

#endif  // RAPPORT_SERVER_ADMIN_SERVICE_H_
