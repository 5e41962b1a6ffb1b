// absl::Status inside, grpc::Status at the edge: the one conversion point.
// Both use the google.rpc.Code numbering, so the code casts directly.
#ifndef RAPPORT_SERVER_STATUS_H_
#define RAPPORT_SERVER_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace rapport::server {

inline grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace rapport::server

#endif  // RAPPORT_SERVER_STATUS_H_
