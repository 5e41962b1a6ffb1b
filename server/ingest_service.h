// IngestService over the callback API: one reactor per StreamEvents call.
// StreamEvents takes raw bytes and parses each EventBatch itself, so a
// message that does not parse ends the stream with INVALID_ARGUMENT naming
// the last good batch (the typed API would report it as the end of the
// stream, and the stream would end OK).
#ifndef RAPPORT_SERVER_INGEST_SERVICE_H_
#define RAPPORT_SERVER_INGEST_SERVICE_H_

#include <map>
#include <set>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "event/validate.h"
#include "grpcpp/support/byte_buffer.h"
#include "plugin/registry.h"
#include "rapport/v1/ingest.grpc.pb.h"
#include "server/authorizer.h"
#include "server/ingest_queue.h"

namespace rapport::server {

// The adapters a server offers, with each tenant's adapter configuration
// (JSON text, e.g. a status mapping; "" = the adapter's defaults).
struct AdapterCatalog {
  PluginRegistry registry;
  // tenant ("" for every tenant) -> adapter -> configuration
  std::map<std::string, std::map<std::string, std::string>> configs;

  std::string ConfigFor(const std::string& tenant, const std::string& adapter) const {
    for (const std::string& key : {tenant, std::string()}) {
      auto t = configs.find(key);
      if (t == configs.end()) continue;
      auto a = t->second.find(adapter);
      if (a != t->second.end()) return a->second;
    }
    return "";
  }
};

class StreamEventsReactor;

class IngestServiceImpl final
    : public v1::IngestService::WithRawCallbackMethod_StreamEvents<
          v1::IngestService::WithCallbackMethod_IngestRaw<v1::IngestService::Service>> {
 public:
  // `queue`, `adapters` (may be null: no IngestRaw) and `auth` (null: every
  // call allowed, for in-process benchmarks) must outlive the service.
  IngestServiceImpl(IngestQueue* queue, const Limits& limits, const AdapterCatalog* adapters = nullptr,
                    const Authorizer* auth = nullptr)
      : queue_(queue), limits_(limits), adapters_(adapters), auth_(auth) {}

  // EventBatch bytes in, BatchAck bytes out. Needs a key with the ingest
  // role; every event of every batch is checked against the key's tenant
  // before the batch is taken (the key is checked again then, so a revoked
  // key stops an open stream): a refused batch ends the stream with
  // UNAUTHENTICATED or PERMISSION_DENIED, the batches before it acked.
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* StreamEvents(
      grpc::CallbackServerContext* context) override;
  // In raw_ingest.cc. Needs a key with the ingest role for the request's tenant.
  grpc::ServerUnaryReactor* IngestRaw(grpc::CallbackServerContext* context, const v1::RawPayload* request,
                                      v1::BatchAck* response) override;

  // The first step of a graceful shutdown: every stream stops reading new
  // batches at once and ends with UNAVAILABLE as soon as the batches it has
  // read are committed and acked; streams opened later end at once. Never
  // blocks; call it before grpc::Server::Shutdown, whose deadline then bounds
  // the rest. Idempotent. Returns how many streams were open.
  size_t Drain();
  // After Drain: waits until every stream has ended (its status is written)
  // or `deadline` passes; true if every stream ended.
  bool WaitUntilDrained(absl::Time deadline);
  // StreamEvents calls open now.
  size_t OpenStreams();

 private:
  friend class StreamEventsReactor;
  void Unregister(StreamEventsReactor* stream);

  IngestQueue* queue_;
  Limits limits_;
  const AdapterCatalog* adapters_;
  const Authorizer* auth_;

  absl::Mutex streams_mu_;
  // Open streams: a reactor leaves in OnDone, before gRPC's hold on it ends.
  std::set<StreamEventsReactor*> streams_ ABSL_GUARDED_BY(streams_mu_);
  bool draining_ ABSL_GUARDED_BY(streams_mu_) = false;
};

}  // namespace rapport::server

#endif  // RAPPORT_SERVER_INGEST_SERVICE_H_
