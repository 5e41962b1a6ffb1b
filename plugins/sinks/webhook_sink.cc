// `webhook`: one POST of each alert stream entry (its JSON object) to the
// URL, with
//   X-Rapport-Timestamp: Unix seconds
//   X-Rapport-Signature: sha256=<hex HMAC-SHA256(secret, timestamp "." body)>
//   X-Rapport-Alert-Id:  tenant ":" cursor (the same on every re-delivery)
// and the configured extra headers, CA file and timeout. 2xx delivers; 5xx,
// 429 and network errors are retried (the host backs off); any other answer
// is permanent: the entry is counted as refused and never retried.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "openssl/evp.h"
#include "openssl/hmac.h"
#include "rapport/sink_sdk.h"
#include "sinks/http_target.h"

namespace rapport::sinks {
namespace {

// hex(HMAC-SHA256(secret, timestamp "." body)): X-Rapport-Signature after "sha256=".
std::string WebhookSignature(const std::string& secret, const std::string& timestamp, const std::string& body) {
  const std::string signed_text = timestamp + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac, &size);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex.push_back(kHex[mac[i] >> 4]);
    hex.push_back(kHex[mac[i] & 0xf]);
  }
  return hex;
}

class WebhookSink final : public sdk::Sink {
 public:
  static std::unique_ptr<WebhookSink> Create(std::string_view text, std::string* error) {
    auto config = ParseSinkConfig(text, "webhook", {"name", "kind", "url", "secret", "headers", "ca_file", "timeout_us"},
                                  error);
    if (!config) return nullptr;
    auto sink = std::unique_ptr<WebhookSink>(new WebhookSink);
    if (!ReadHttpTarget(*config, "webhook", &sink->target_, error)) return nullptr;
    if (!config->contains("secret") || !(*config)["secret"].is_string() || (*config)["secret"].get<std::string>().empty()) {
      *error = "a webhook sink needs a secret (or secret_file) to sign with";
      return nullptr;
    }
    sink->secret_ = (*config)["secret"].get<std::string>();
    sink->client_ = sink->target_.Client();
    return sink;
  }

  rapport_status Deliver(const std::vector<sdk::AlertEntry>& entries, sdk::DeliveryResult* result,
                         std::string* error) override {
    for (const sdk::AlertEntry& e : entries) {
      if (!e.replayed) {
        const std::string body(e.json);
        const std::string timestamp = std::to_string(
            std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
        httplib::Result answer =
            target_.Post(*client_, target_.path, body,
                         {{"X-Rapport-Timestamp", timestamp},
                          {"X-Rapport-Signature", "sha256=" + WebhookSignature(secret_, timestamp, body)},
                          {"X-Rapport-Alert-Id", std::string(e.tenant) + ":" + std::to_string(e.cursor)}});
        if (!answer) {
          *error = "POST " + target_.url + ": " + httplib::to_string(answer.error());
          return RAPPORT_ERR_RETRYABLE;
        }
        if (Retryable(answer->status)) {
          *error = "POST " + target_.url + " answered " + std::to_string(answer->status);
          return RAPPORT_ERR_RETRYABLE;
        }
        if (!Accepted(answer->status)) {  // permanent: the host logs it with this reason
          ++result->refused;
          *error = "POST " + target_.url + " answered " + std::to_string(answer->status) + " for entry " +
                   std::string(e.tenant) + ":" + std::to_string(e.cursor) + "; not retried";
        }
      }
      ++result->handled;
    }
    return RAPPORT_OK;
  }

 private:
  WebhookSink() = default;
  HttpTarget target_;
  std::string secret_;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace
}  // namespace rapport::sinks

RAPPORT_SINK(rapport_builtin_webhook_sink, rapport::sinks::WebhookSink, "webhook", "1.0.0",
             "POSTs each alert entry as JSON, signed with HMAC-SHA256")
