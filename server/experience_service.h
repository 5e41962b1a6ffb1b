// ExperienceService: the read API for desk leads.
#ifndef RAPPORT_SERVER_EXPERIENCE_SERVICE_H_
#define RAPPORT_SERVER_EXPERIENCE_SERVICE_H_

#include "rapport/v1/experience.grpc.pb.h"
#include "detect/thresholds.h"
#include "score/ticket_score.h"
#include "server/authorizer.h"
#include "store/store.h"

namespace rapport::server {

class ExperienceServiceImpl final : public v1::ExperienceService::CallbackService {
 public:
  // `store`, `thresholds`, `scoring` and `auth` must outlive the service.
  // Every method needs a key with the read role for its request's tenant.
  ExperienceServiceImpl(const Store* store, const detect::TenantThresholds* thresholds,
                        const score::ScoreOptions* scoring, const Authorizer* auth)
      : store_(store), thresholds_(thresholds), scoring_(scoring), auth_(auth) {}

  grpc::ServerUnaryReactor* GetTicket(grpc::CallbackServerContext* context,
                                      const v1::GetTicketRequest* request,
                                      v1::GetTicketResponse* response) override;
  grpc::ServerUnaryReactor* ListTickets(grpc::CallbackServerContext* context,
                                        const v1::ListTicketsRequest* request,
                                        v1::ListTicketsResponse* response) override;
  grpc::ServerUnaryReactor* ListFindings(grpc::CallbackServerContext* context,
                                         const v1::ListFindingsRequest* request,
                                         v1::ListFindingsResponse* response) override;
  grpc::ServerUnaryReactor* GetScore(grpc::CallbackServerContext* context, const v1::GetScoreRequest* request,
                                     v1::ScoreReport* response) override;
  grpc::ServerUnaryReactor* ListScores(grpc::CallbackServerContext* context, const v1::ListScoresRequest* request,
                                       v1::ListScoresResponse* response) override;
  grpc::ServerUnaryReactor* ExplainScore(grpc::CallbackServerContext* context, const v1::GetScoreRequest* request,
                                         v1::ScoreExplanation* response) override;

 private:
  const Store* store_;
  const detect::TenantThresholds* thresholds_;
  const score::ScoreOptions* scoring_;
  const Authorizer* auth_;
};

}  // namespace rapport::server

#endif  // RAPPORT_SERVER_EXPERIENCE_SERVICE_H_
