// IngestService over the callback API: one reactor per StreamEvents call.
#ifndef RAPPORT_SERVER_INGEST_SERVICE_H_
#define RAPPORT_SERVER_INGEST_SERVICE_H_

#include "event/validate.h"
#include "rapport/v1/ingest.grpc.pb.h"
#include "server/ingest_queue.h"

namespace rapport::server {

class IngestServiceImpl final : public v1::IngestService::CallbackService {
 public:
  // `queue` must outlive the service.
  IngestServiceImpl(IngestQueue* queue, const Limits& limits) : queue_(queue), limits_(limits) {}

  grpc::ServerBidiReactor<v1::EventBatch, v1::BatchAck>* StreamEvents(
      grpc::CallbackServerContext* context) override;

 private:
  IngestQueue* queue_;
  Limits limits_;
};

}  // namespace rapport::server

#endif  // RAPPORT_SERVER_INGEST_SERVICE_H_
