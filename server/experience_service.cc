#include "server/experience_service.h"

#include "detect/findings.h"
#include "query/ticket_query.h"
#include "server/status.h"

namespace rapport::server {

// Point reads of a few keys answer in microseconds from the block cache, so
// they run inline rather than on another thread.
grpc::ServerUnaryReactor* ExperienceServiceImpl::GetTicket(grpc::CallbackServerContext* context,
                                                           const v1::GetTicketRequest* request,
                                                           v1::GetTicketResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (request->tenant().empty()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "tenant is required"));
    return reactor;
  }
  if (request->ticket_id().empty()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "ticket_id is required"));
    return reactor;
  }
  auto ticket = ReadTicket(*store_, request->tenant(), request->ticket_id(), thresholds_);
  if (ticket.ok()) *response = std::move(*ticket);
  reactor->Finish(ToGrpc(ticket.status()));
  return reactor;
}

grpc::ServerUnaryReactor* ExperienceServiceImpl::ListTickets(grpc::CallbackServerContext* context,
                                                             const v1::ListTicketsRequest* request,
                                                             v1::ListTicketsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (request->tenant().empty()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "tenant is required"));
    return reactor;
  }
  auto list = rapport::ListTickets(*store_, *request);
  if (list.ok()) *response = std::move(*list);
  reactor->Finish(ToGrpc(list.status()));
  return reactor;
}

grpc::ServerUnaryReactor* ExperienceServiceImpl::ListFindings(grpc::CallbackServerContext* context,
                                                              const v1::ListFindingsRequest* request,
                                                              v1::ListFindingsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (request->tenant().empty()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "tenant is required"));
    return reactor;
  }
  if (request->scope().kind() != v1::SCOPE_KIND_UNSPECIFIED && request->scope().kind() != v1::SCOPE_KIND_TENANT &&
      request->scope().id().empty()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "scope.id is required for that scope kind"));
    return reactor;
  }
  auto list = detect::ListFindings(*store_, *request);
  if (list.ok()) *response = std::move(*list);
  reactor->Finish(ToGrpc(list.status()));
  return reactor;
}

}  // namespace rapport::server
