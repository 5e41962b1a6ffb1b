// IngestService over the callback API: one reactor per StreamEvents call.
#ifndef RAPPORT_SERVER_INGEST_SERVICE_H_
#define RAPPORT_SERVER_INGEST_SERVICE_H_

#include <map>
#include <string>

#include "event/validate.h"
#include "plugin/registry.h"
#include "rapport/v1/ingest.grpc.pb.h"
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

class IngestServiceImpl final : public v1::IngestService::CallbackService {
 public:
  // `queue` and `adapters` (may be null: no IngestRaw) must outlive the service.
  IngestServiceImpl(IngestQueue* queue, const Limits& limits, const AdapterCatalog* adapters = nullptr)
      : queue_(queue), limits_(limits), adapters_(adapters) {}

  grpc::ServerBidiReactor<v1::EventBatch, v1::BatchAck>* StreamEvents(
      grpc::CallbackServerContext* context) override;
  // In raw_ingest.cc.
  grpc::ServerUnaryReactor* IngestRaw(grpc::CallbackServerContext* context, const v1::RawPayload* request,
                                      v1::BatchAck* response) override;

 private:
  IngestQueue* queue_;
  Limits limits_;
  const AdapterCatalog* adapters_;
};

}  // namespace rapport::server

#endif  // RAPPORT_SERVER_INGEST_SERVICE_H_
