// The HTTP port (--http-listen, http.listen): the ITSM tools' webhook target
// and the health probes, beside the gRPC port, on cpp-httplib.
//
//   POST /v1/webhooks/{adapter}/{tenant}  the body through the named adapter,
//        exactly as IngestService.IngestRaw (raw_ingest.h); answered only
//        after the durable commit: 200 with
//        {accepted, duplicates, conflicts, rejected: [{index, event_id, code,
//        message}], rejected_by_code: {CODE: n}, notes: [...]}, 422 with that
//        body when every event was rejected; a JSON {error, code} otherwise:
//        400 a payload the adapter refuses, 401 a missing or wrong signature
//        or token (webhook_auth.h) and no valid API key, 403 a valid key of
//        another tenant or without the ingest role, 404 an unknown adapter or route, 411 a
//        body without Content-Length, 413 over the message size limit, 415 a
//        chunked or Content-Encoding body, 503 (Retry-After) while not ready.
//   GET /healthz  200 while the process serves.
//   GET /readyz   200 when the store is open, recovery and any rebuild are
//        done and RocksDB is not stopping writes; 503 otherwise and from the
//        start of a shutdown.
//   GET /metrics  the server's metrics in the Prometheus text format (with
//        auth on: an operator key, `Authorization: Bearer`, 401/403); every
//        answer of this port is counted in rapport_http_requests_total by
//        route, adapter (webhooks only) and status code.
//
// Limits hold before a body is read (cpp-httplib 0.11 bounds a body only by
// its Content-Length and inflates encoded bodies without a bound): a
// pre-routing check refuses a POST without Content-Length, with
// Transfer-Encoding or Content-Encoding, or longer than the limit. Sockets
// have read and write timeouts; a fixed pool of workers takes connections
// from a bounded queue, and when the queue is full the accepting thread waits,
// leaving further connections in the kernel's backlog.
#ifndef RAPPORT_SERVER_HTTP_FRONT_DOOR_H_
#define RAPPORT_SERVER_HTTP_FRONT_DOOR_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "base/metrics.h"
#include "event/validate.h"
#include "server/authorizer.h"
#include "server/ingest_queue.h"
#include "server/tls.h"
#include "server/ingest_service.h"
#include "server/webhook_auth.h"
#include "store/store.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}

namespace rapport::server {

struct HttpOptions {
  std::string listen;  // host:port; port 0 picks a free port
  int workers = 4;     // requests served at once (each waits for its commit)
  size_t max_queued_connections = 64;  // accepted, waiting for a worker
  absl::Duration read_timeout = absl::Seconds(10);
  absl::Duration write_timeout = absl::Seconds(10);
  // Seconds a 503 asks the sender to wait (Retry-After).
  int retry_after_seconds = 5;
  // Serve HTTPS with this certificate set (tls.h); null: plain HTTP.
  std::shared_ptr<HttpTls> tls;
};

class HttpFrontDoor {
 public:
  // What the front door uses; all must outlive it. `limits.max_message_bytes`
  // bounds a webhook body, as it bounds a gRPC message.
  struct Deps {
    Limits limits;
    const AdapterCatalog* adapters = nullptr;
    IngestQueue* queue = nullptr;
    const Store* store = nullptr;
    const WebhookAuth* auth = nullptr;
    // API keys (authorizer.h); null: every route open, as with auth off.
    const Authorizer* authorizer = nullptr;
    // Where this port counts its answers; RenderMetrics serves /metrics.
    MetricsRegistry* metrics = nullptr;
    std::function<std::string()> render_metrics;
  };

  // Binds and starts serving; not ready (503) until SetReady(true).
  static absl::Status Start(const HttpOptions& options, const Deps& deps, std::unique_ptr<HttpFrontDoor>* out);
  ~HttpFrontDoor();
  HttpFrontDoor(const HttpFrontDoor&) = delete;
  HttpFrontDoor& operator=(const HttpFrontDoor&) = delete;

  int port() const { return port_; }
  // Ready: webhooks are taken and /readyz says 200. A shutdown sets it false
  // first, so senders retry elsewhere or later while the writer drains.
  void SetReady(bool ready) { ready_.store(ready); }
  bool ready() const;
  // Stops accepting, finishes the requests in flight, joins. Idempotent.
  void Stop();

 private:
  HttpFrontDoor() = default;
  void Route();
  void CountAnswers();
  // False after answering 401/403 when the request's key may not do this.
  bool Allowed(const httplib::Request& req, httplib::Response& res, absl::string_view tenant, Role needed) const;
  // OK when a webhook delivery may be taken (see the .cc).
  absl::Status AuthenticWebhook(const httplib::Request& req, const std::string& adapter,
                                const std::string& tenant) const;

  HttpOptions options_;
  Deps deps_;
  std::unique_ptr<httplib::Server> http_;
  std::thread listener_;
  int port_ = 0;
  std::atomic<bool> ready_{false};
};

}  // namespace rapport::server

#endif  // RAPPORT_SERVER_HTTP_FRONT_DOOR_H_
