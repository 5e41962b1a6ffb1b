#include "server/experience_service.h"

#include "query/findings_query.h"
#include "query/ticket_query.h"
#include "score/score_query.h"
#include "server/status.h"

namespace rapport::server {

// Every request is first authorized (authorizer.h), then validated where it
// is answered (query/read_request.h), so the handlers only convert the status.

// Point reads of a few keys answer in microseconds from the block cache, so
// they run inline rather than on another thread. A long ticket's page folds
// its whole timeline (about a millisecond per thousand events) but tones only
// the page's comments.
grpc::ServerUnaryReactor* ExperienceServiceImpl::GetTicket(grpc::CallbackServerContext* context,
                                                           const v1::GetTicketRequest* request,
                                                           v1::GetTicketResponse* response) {
  if (auto* refused = auth_->RefuseUnary(context, request->tenant(), Role::kRead)) return refused;
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto ticket = ReadTicket(*store_, *request, thresholds_);
  if (ticket.ok()) *response = std::move(*ticket);
  if (ticket.ok() && request->page_token().empty()) {  // the score: the first page only
    v1::GetScoreRequest score_request;
    score_request.set_tenant(request->tenant());
    score_request.mutable_scope()->set_kind(v1::SCOPE_KIND_TICKET);
    score_request.mutable_scope()->set_id(request->ticket_id());
    auto score = score::GetScore(*store_, score_request, *scoring_);
    if (score.ok()) *response->mutable_score() = std::move(*score);
  }
  reactor->Finish(ToGrpc(ticket.status()));
  return reactor;
}

grpc::ServerUnaryReactor* ExperienceServiceImpl::ListTickets(grpc::CallbackServerContext* context,
                                                             const v1::ListTicketsRequest* request,
                                                             v1::ListTicketsResponse* response) {
  if (auto* refused = auth_->RefuseUnary(context, request->tenant(), Role::kRead)) return refused;
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto list = rapport::ListTickets(*store_, *request);
  if (list.ok()) *response = std::move(*list);
  reactor->Finish(ToGrpc(list.status()));
  return reactor;
}

grpc::ServerUnaryReactor* ExperienceServiceImpl::ListFindings(grpc::CallbackServerContext* context,
                                                              const v1::ListFindingsRequest* request,
                                                              v1::ListFindingsResponse* response) {
  if (auto* refused = auth_->RefuseUnary(context, request->tenant(), Role::kRead)) return refused;
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto list = rapport::ListFindings(*store_, *request);
  if (list.ok()) *response = std::move(*list);
  reactor->Finish(ToGrpc(list.status()));
  return reactor;
}

// Score queries read one scope's per-day sums (a few hundred keys at most),
// so they also run inline; ListScores and ExplainScore walk more and are
// bounded by the tenant's scopes and by a ticket cap.
grpc::ServerUnaryReactor* ExperienceServiceImpl::GetScore(grpc::CallbackServerContext* context,
                                                          const v1::GetScoreRequest* request,
                                                          v1::ScoreReport* response) {
  if (auto* refused = auth_->RefuseUnary(context, request->tenant(), Role::kRead)) return refused;
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto report = score::GetScore(*store_, *request, *scoring_);
  if (report.ok()) *response = std::move(*report);
  reactor->Finish(ToGrpc(report.status()));
  return reactor;
}

grpc::ServerUnaryReactor* ExperienceServiceImpl::ListScores(grpc::CallbackServerContext* context,
                                                            const v1::ListScoresRequest* request,
                                                            v1::ListScoresResponse* response) {
  if (auto* refused = auth_->RefuseUnary(context, request->tenant(), Role::kRead)) return refused;
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto list = score::ListScores(*store_, *request, *scoring_);
  if (list.ok()) *response = std::move(*list);
  reactor->Finish(ToGrpc(list.status()));
  return reactor;
}

grpc::ServerUnaryReactor* ExperienceServiceImpl::ExplainScore(grpc::CallbackServerContext* context,
                                                              const v1::GetScoreRequest* request,
                                                              v1::ScoreExplanation* response) {
  if (auto* refused = auth_->RefuseUnary(context, request->tenant(), Role::kRead)) return refused;
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto explanation = score::ExplainScore(*store_, *request, *scoring_);
  if (explanation.ok()) *response = std::move(*explanation);
  reactor->Finish(ToGrpc(explanation.status()));
  return reactor;
}

}  // namespace rapport::server
