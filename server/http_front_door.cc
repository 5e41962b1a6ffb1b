#include "server/http_front_door.h"

#include <httplib.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "base/log.h"
#include "nlohmann/json.hpp"
#include "server/raw_ingest.h"

namespace rapport::server {
namespace {

using Json = nlohmann::json;

// cpp-httplib's own pool queues without a bound. This one holds at most
// `max_queued` accepted connections; beyond that the accepting thread waits
// here, and the kernel's backlog holds the rest.
class BoundedPool : public httplib::TaskQueue {
 public:
  BoundedPool(int workers, size_t max_queued) : max_queued_(std::max<size_t>(1, max_queued)) {
    for (int i = 0; i < std::max(1, workers); ++i) threads_.emplace_back([this] { Work(); });
  }
  ~BoundedPool() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    std::unique_lock<std::mutex> lock(mu_);
    room_.wait(lock, [&] { return jobs_.size() < max_queued_ || stopping_; });
    jobs_.push_back(std::move(fn));  // after a shutdown: run by the last workers, never dropped
    work_.notify_one();
  }

  // Runs every queued connection (each is bounded by the socket timeouts), then joins.
  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_ && threads_.empty()) return;
      stopping_ = true;
    }
    work_.notify_all();
    room_.notify_all();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }

 private:
  void Work() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        work_.wait(lock, [&] { return !jobs_.empty() || stopping_; });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
        room_.notify_one();
      }
      job();
    }
  }

  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable work_, room_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

void Reply(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n", "application/json");
}

void ReplyError(httplib::Response& res, int status, const absl::Status& error) {
  Reply(res, status, Json{{"error", std::string(error.message())}, {"code", absl::StatusCodeToString(error.code())}});
}

// A refusal before the body is read: the connection is closed after the
// answer, so the unread body is never taken for a next request.
httplib::Server::HandlerResponse Refuse(httplib::Response& res, int status, const std::string& message) {
  ReplyError(res, status, absl::InvalidArgumentError(message));
  res.set_header("Connection", "close");
  return httplib::Server::HandlerResponse::Handled;
}

int HttpStatusFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kResourceExhausted: return 413;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kAborted:
      return 503;
    default: return 500;
  }
}

Json AckJson(const v1::BatchAck& ack) {
  Json rejected = Json::array();
  for (const v1::EventError& e : ack.rejected()) {
    rejected.push_back({{"index", e.index()}, {"event_id", e.event_id()}, {"code", e.code()}, {"message", e.message()}});
  }
  Json by_code = Json::object();
  for (const auto& [code, count] : ack.rejected_by_code()) by_code[code] = count;
  Json notes = Json::array();
  for (const std::string& n : ack.notes()) notes.push_back(n);
  return Json{{"accepted", ack.accepted()}, {"duplicates", ack.duplicates()}, {"conflicts", ack.conflicts()},
              {"rejected", std::move(rejected)}, {"rejected_by_code", std::move(by_code)}, {"notes", std::move(notes)}};
}

// Credentials stay out of what the adapter sees.
bool IsCredentialHeader(const std::string& name) {
  const std::string lower = absl::AsciiStrToLower(name);
  return lower == "authorization" || lower == "x-rapport-token" || lower == "cookie";
}

bool SplitHostPort(const std::string& listen, std::string* host, int* port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), port) || *port < 0 || *port > 65535) {
    return false;
  }
  *host = listen.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
  return !host->empty();
}

}  // namespace

absl::Status HttpFrontDoor::Start(const HttpOptions& options, const Deps& deps, std::unique_ptr<HttpFrontDoor>* out) {
  std::unique_ptr<HttpFrontDoor> door(new HttpFrontDoor());
  door->options_ = options;
  door->deps_ = deps;
  std::string host;
  int port = 0;
  if (!SplitHostPort(options.listen, &host, &port)) {
    return absl::InvalidArgumentError(absl::StrCat("the HTTP listen address '", options.listen, "' is not host:port"));
  }
  if (options.tls != nullptr) {
    std::shared_ptr<HttpTls> tls = options.tls;
    auto secure = std::make_unique<httplib::SSLServer>([tls](SSL_CTX& ctx) { return tls->Setup(ctx); });
    if (!secure->is_valid()) return absl::InternalError("cannot set up TLS for the HTTP port");
    door->http_ = std::move(secure);
  } else {
    door->http_ = std::make_unique<httplib::Server>();
  }
  httplib::Server& http = *door->http_;
  const int workers = options.workers;
  const size_t max_queued = options.max_queued_connections;
  http.new_task_queue = [workers, max_queued] { return new BoundedPool(workers, max_queued); };
  http.set_read_timeout(absl::ToChronoSeconds(options.read_timeout));
  http.set_write_timeout(absl::ToChronoSeconds(options.write_timeout));
  http.set_keep_alive_timeout(2);
  http.set_payload_max_length(deps.limits.max_message_bytes);
  door->Route();
  door->CountAnswers();
  if (port == 0) {
    door->port_ = http.bind_to_any_port(host);
  } else if (http.bind_to_port(host, port)) {
    door->port_ = port;
  }
  if (door->port_ <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen, " for HTTP (address in use or not local?)"));
  }
  door->listener_ = std::thread([d = door.get()] { d->http_->listen_after_bind(); });
  // stop() does nothing until the listening loop runs: wait for it, so that
  // a Stop right after Start cannot leave the loop running.
  for (int i = 0; i < 5000 && !http.is_running(); ++i) absl::SleepFor(absl::Milliseconds(1));
  Log(LogLevel::kInfo, "HTTP port serving",
      {{"listen", options.listen}, {"port", std::to_string(door->port_)}, {"tls", options.tls ? "on" : "off"}});
  if (options.tls == nullptr && !IsLoopbackListen(options.listen)) {
    Log(LogLevel::kWarning,
        "the HTTP port is reachable from other hosts without TLS: keys and payloads travel in plain text "
        "(set tls.cert and tls.key, docs/security.md)",
        {{"listen", options.listen}});
  }
  *out = std::move(door);
  return absl::OkStatus();
}

HttpFrontDoor::~HttpFrontDoor() { Stop(); }

void HttpFrontDoor::Stop() {
  ready_.store(false);
  if (!listener_.joinable()) return;
  http_->stop();
  listener_.join();  // listen_after_bind returns after its pool has run every accepted connection
}

bool HttpFrontDoor::ready() const {
  if (!ready_.load()) return false;
  // A webhook would wait for its commit longer than its sender does.
  return !deps_.store->WritesStopped();
}

// Runs once each answer is written. The labels are bounded whatever a caller
// sends: a path is one of the routes or "other", an adapter is one the server
// has or "unknown".
void HttpFrontDoor::CountAnswers() {
  MetricFamily<Counter>* answers = deps_.metrics->AddCounter(
      "rapport_http_requests_total", "Answers of the HTTP port, by route, adapter (webhooks) and status code.",
      {"route", "adapter", "code"});
  std::set<std::string> adapters;
  for (const PluginDescription& plugin : deps_.adapters->registry.List()) adapters.insert(plugin.name);
  http_->set_logger([answers, adapters = std::move(adapters)](const httplib::Request& req, const httplib::Response& res) {
    std::string route = "other";
    std::string adapter;
    constexpr absl::string_view kWebhooks = "/v1/webhooks/";
    if (req.path == "/healthz" || req.path == "/readyz" || req.path == "/metrics") {
      route = req.path;
    } else if (absl::StartsWith(req.path, kWebhooks)) {
      route = "/v1/webhooks";
      const std::string name = req.path.substr(kWebhooks.size(), req.path.find('/', kWebhooks.size()) - kWebhooks.size());
      adapter = adapters.count(name) > 0 ? name : "unknown";
    }
    answers->With({route, adapter, std::to_string(res.status)}).Add();
  });
}

namespace {

// 401 asks for a key (WWW-Authenticate), 403 refuses the one given, 429 a
// key over its rate.
void ReplyAuthError(httplib::Response& res, const absl::Status& refused) {
  const int status = refused.code() == absl::StatusCode::kPermissionDenied    ? 403
                     : refused.code() == absl::StatusCode::kResourceExhausted ? 429
                                                                              : 401;
  if (status == 401) res.set_header("WWW-Authenticate", "Bearer realm=\"rapport\"");
  if (status == 429) res.set_header("Retry-After", "1");
  ReplyError(res, status, refused);
}

}  // namespace

bool HttpFrontDoor::Allowed(const httplib::Request& req, httplib::Response& res, absl::string_view tenant,
                            Role needed) const {
  if (deps_.authorizer == nullptr) return true;
  auto allowed = deps_.authorizer->CheckRequest(req.get_header_value("Authorization"), tenant, needed);
  if (!allowed.ok()) ReplyAuthError(res, allowed.status());
  return allowed.ok();
}

// The tool's own signature or token first (webhook_auth.h), then an API key
// with the ingest role. With auth off, a tenant without webhook credentials
// takes unsigned deliveries (the loopback mode); with auth on, "nothing
// configured" proves nothing, so a key is needed.
absl::Status HttpFrontDoor::AuthenticWebhook(const httplib::Request& req, const std::string& adapter,
                                             const std::string& tenant) const {
  std::shared_ptr<const WebhookSecrets> secrets = deps_.auth->Get();
  const bool configured = secrets->Configured(tenant, adapter);
  const absl::Status signed_ok = secrets->Check(
      tenant, adapter, req.body, [&](const std::string& name) { return req.get_header_value(name); }, absl::Now());
  const bool auth_on = deps_.authorizer != nullptr && deps_.authorizer->Enabled();
  if (!auth_on) return signed_ok;
  if (configured && signed_ok.ok()) return absl::OkStatus();
  const std::string authorization = req.get_header_value("Authorization");
  // A webhook token sent as `Authorization: Bearer` is not an API key:
  // without a key, the tool's refusal says what was expected.
  if (configured && !auth::KeyIdOf(absl::StripPrefix(authorization, "Bearer ")).has_value()) return signed_ok;
  return deps_.authorizer->CheckRequest(authorization, tenant, Role::kIngest).status();
}

void HttpFrontDoor::Route() {
  httplib::Server& http = *http_;
  const size_t max_body = deps_.limits.max_message_bytes;
  // Runs after the headers, before any byte of the body is read.
  http.set_pre_routing_handler([max_body](const httplib::Request& req, httplib::Response& res) {
    const std::string encoding = absl::AsciiStrToLower(req.get_header_value("Content-Encoding"));
    if (!encoding.empty() && encoding != "identity") {
      return Refuse(res, 415, "Content-Encoding '" + encoding + "' is not accepted: send the body uncompressed");
    }
    if (req.has_header("Transfer-Encoding")) {
      return Refuse(res, 411, "chunked bodies are not accepted: send the body with a Content-Length");
    }
    const bool has_length = req.has_header("Content-Length");
    if (req.method == "POST" && !has_length) {
      return Refuse(res, 411, "a POST needs a Content-Length");
    }
    uint64_t length = 0;
    if (has_length && (!absl::SimpleAtoi(req.get_header_value("Content-Length"), &length) || length > max_body)) {
      return Refuse(res, 413, absl::StrCat("the body is over ", max_body, " bytes, this server's message limit"));
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) {
      ReplyError(res, res.status, res.status == 404 ? absl::NotFoundError("no such route: see docs/integrations.md")
                                                    : absl::UnknownError(absl::StrCat("HTTP ", res.status)));
    }
  });
  http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    Reply(res, 200, Json{{"status", "serving"}});
  });
  http.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    if (ready()) return Reply(res, 200, Json{{"status", "ready"}});
    res.set_header("Retry-After", std::to_string(options_.retry_after_seconds));
    Reply(res, 503, Json{{"status", "not ready"}});
  });
  http.Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
    // Every tenant's figures: the operator's.
    if (!Allowed(req, res, auth::kOperatorTenant, Role::kRead)) return;
    res.set_content(deps_.render_metrics(), "text/plain; version=0.0.4; charset=utf-8");
  });
  http.Post(R"(/v1/webhooks/([^/]+)/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string adapter = req.matches[1];
    const std::string tenant = req.matches[2];
    if (!ready()) {
      res.set_header("Retry-After", std::to_string(options_.retry_after_seconds));
      return ReplyError(res, 503, absl::UnavailableError("not ready (starting, shutting down or writes stalled): retry later"));
    }
    if (absl::Status authentic = AuthenticWebhook(req, adapter, tenant); !authentic.ok()) {
      Log(LogLevel::kWarning, "webhook refused",
          {{"adapter", adapter}, {"tenant", tenant}, {"reason", std::string(authentic.message())}});
      return ReplyAuthError(res, authentic);
    }
    v1::RawPayload payload;
    payload.set_adapter(adapter);
    payload.set_tenant(tenant);
    payload.set_body(req.body);
    payload.set_content_type(req.get_header_value("Content-Type"));
    for (const auto& [name, value] : req.headers) {
      if (!IsCredentialHeader(name)) (*payload.mutable_headers())[absl::AsciiStrToLower(name)] = value;
    }
    // This worker waits for the commit: the sender gets 2xx only for what is
    // durable. The promise lives as long as the callback that sets it.
    auto answered = std::make_shared<std::promise<absl::StatusOr<v1::BatchAck>>>();
    std::future<absl::StatusOr<v1::BatchAck>> answer = answered->get_future();
    IngestRawPayload(payload, deps_.limits, *deps_.adapters, deps_.queue,
                     [answered](absl::StatusOr<v1::BatchAck> ack) { answered->set_value(std::move(ack)); });
    absl::StatusOr<v1::BatchAck> ack = answer.get();
    if (!ack.ok()) {
      const int status = HttpStatusFor(ack.status().code());
      if (status == 503) res.set_header("Retry-After", std::to_string(options_.retry_after_seconds));
      return ReplyError(res, status, ack.status());
    }
    uint64_t rejected = 0;
    for (const auto& [code, count] : ack->rejected_by_code()) rejected += count;
    const bool all_rejected = rejected > 0 && ack->accepted() == 0 && ack->duplicates() == 0;
    Reply(res, all_rejected ? 422 : 200, AckJson(*ack));
  });
}

}  // namespace rapport::server
