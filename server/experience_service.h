// ExperienceService: the read API for desk leads.
#ifndef RAPPORT_SERVER_EXPERIENCE_SERVICE_H_
#define RAPPORT_SERVER_EXPERIENCE_SERVICE_H_

#include "rapport/v1/experience.grpc.pb.h"
#include "detect/thresholds.h"
#include "store/store.h"

namespace rapport::server {

class ExperienceServiceImpl final : public v1::ExperienceService::CallbackService {
 public:
  // `store` and `thresholds` must outlive the service.
  ExperienceServiceImpl(const Store* store, const detect::TenantThresholds* thresholds)
      : store_(store), thresholds_(thresholds) {}

  grpc::ServerUnaryReactor* GetTicket(grpc::CallbackServerContext* context,
                                      const v1::GetTicketRequest* request,
                                      v1::GetTicketResponse* response) override;
  grpc::ServerUnaryReactor* ListTickets(grpc::CallbackServerContext* context,
                                        const v1::ListTicketsRequest* request,
                                        v1::ListTicketsResponse* response) override;
  grpc::ServerUnaryReactor* ListFindings(grpc::CallbackServerContext* context,
                                         const v1::ListFindingsRequest* request,
                                         v1::ListFindingsResponse* response) override;

 private:
  const Store* store_;
  const detect::TenantThresholds* thresholds_;
};

}  // namespace rapport::server

#endif  // RAPPORT_SERVER_EXPERIENCE_SERVICE_H_
