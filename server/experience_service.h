// ExperienceService: the read API for desk leads.
#ifndef RAPPORT_SERVER_EXPERIENCE_SERVICE_H_
#define RAPPORT_SERVER_EXPERIENCE_SERVICE_H_

#include "rapport/v1/experience.grpc.pb.h"
#include "detect/thresholds.h"
#include "score/ticket_score.h"
#include "store/store.h"

namespace rapport::server {

class ExperienceServiceImpl final : public v1::ExperienceService::CallbackService {
 public:
  // `store`, `thresholds` and `scoring` must outlive the service.
  ExperienceServiceImpl(const Store* store, const detect::TenantThresholds* thresholds,
                        const score::ScoreOptions* scoring)
      : store_(store), thresholds_(thresholds), scoring_(scoring) {}

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
};

}  // namespace rapport::server

#endif  // RAPPORT_SERVER_EXPERIENCE_SERVICE_H_
