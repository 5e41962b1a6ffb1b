// Who may post to POST /v1/webhooks/{adapter}/{tenant}: each tenant's signing
// secrets and shared tokens per adapter (tenants.T.webhooks in the config),
// checked in order — the tool's signature when a secret is configured, then
// the token when one is — in constant time. No secret or token ever appears in
// a message or a log line.
//
// Signatures, as the tools make them (docs/integrations.md):
//   zendesk  X-Zendesk-Webhook-Signature: base64(HMAC-SHA256(secret, TIMESTAMP + BODY))
//            with X-Zendesk-Webhook-Signature-Timestamp (ISO 8601); a
//            timestamp more than kMaxSignatureAge away from now is a replay.
//   others   X-Hub-Signature (Jira) or X-Hub-Signature-256 (the GitHub
//            convention): sha256=<hex HMAC-SHA256(secret, BODY)>.
// Tokens: `Authorization: Bearer <token>` or `X-Rapport-Token: <token>`.
#ifndef RAPPORT_SERVER_WEBHOOK_AUTH_H_
#define RAPPORT_SERVER_WEBHOOK_AUTH_H_

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "config/config.h"

namespace rapport::server {

inline constexpr absl::Duration kMaxSignatureAge = absl::Minutes(5);

// One immutable set of credentials: tenant -> adapter -> credentials.
class WebhookSecrets {
 public:
  using ByTenant = std::map<std::string, std::map<std::string, WebhookCredentials>>;
  WebhookSecrets() = default;
  explicit WebhookSecrets(ByTenant by_tenant) : by_tenant_(std::move(by_tenant)) {}

  // The value of a request header by name (case-insensitive), "" when absent.
  using HeaderFn = std::function<std::string(const std::string& name)>;

  // OK when the delivery carries what the tenant's configuration for this
  // adapter asks for (nothing configured: OK — the open, loopback-only mode);
  // UNAUTHENTICATED saying which header is missing, wrong or stale.
  absl::Status Check(const std::string& tenant, const std::string& adapter, absl::string_view body,
                     const HeaderFn& header, absl::Time now) const;

  // Whether anything is configured for this tenant and adapter.
  bool Configured(const std::string& tenant, const std::string& adapter) const;

 private:
  const WebhookCredentials* Find(const std::string& tenant, const std::string& adapter) const;
  ByTenant by_tenant_;
};

// The credentials in force, replaced whole (a configuration reload swaps in a
// new set; a check in flight keeps the set it started with).
class WebhookAuth {
 public:
  explicit WebhookAuth(std::shared_ptr<const WebhookSecrets> secrets) : secrets_(std::move(secrets)) {}
  std::shared_ptr<const WebhookSecrets> Get() const {
    absl::MutexLock lock(&mu_);
    return secrets_;
  }
  void Replace(std::shared_ptr<const WebhookSecrets> secrets) {
    absl::MutexLock lock(&mu_);
    secrets_ = std::move(secrets);
  }

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const WebhookSecrets> secrets_ ABSL_GUARDED_BY(mu_);
};

// Exposed for tests and for the docs' examples: the signatures as the tools
// compute them.
std::string JiraSignature(absl::string_view secret, absl::string_view body);  // "sha256=<hex>"
std::string ZendeskSignature(absl::string_view secret, absl::string_view timestamp, absl::string_view body);

}  // namespace rapport::server

#endif  // RAPPORT_SERVER_WEBHOOK_AUTH_H_
