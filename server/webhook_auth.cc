#include "server/webhook_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace rapport::server {
namespace {

std::string HmacSha256(absl::string_view key, absl::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &size);
  return std::string(reinterpret_cast<const char*>(mac), size);
}

std::string Hex(absl::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string Base64(absl::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// Constant time in the content; a length difference returns early, which
// tells an attacker only the (public) length of a MAC.
bool SameBytes(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Tokens are compared through their digests, so not even their length leaks.
bool SameToken(absl::string_view a, absl::string_view b) {
  unsigned char da[SHA256_DIGEST_LENGTH], db[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(a.data()), a.size(), da);
  SHA256(reinterpret_cast<const unsigned char*>(b.data()), b.size(), db);
  return CRYPTO_memcmp(da, db, sizeof(da)) == 0;
}

absl::Status CheckZendesk(const WebhookCredentials& creds, absl::string_view body, const WebhookSecrets::HeaderFn& header,
                          absl::Time now) {
  const std::string signature = header("X-Zendesk-Webhook-Signature");
  const std::string timestamp = header("X-Zendesk-Webhook-Signature-Timestamp");
  if (signature.empty() || timestamp.empty()) {
    return absl::UnauthenticatedError(
        "X-Zendesk-Webhook-Signature and X-Zendesk-Webhook-Signature-Timestamp are required (this tenant has a "
        "Zendesk signing secret)");
  }
  absl::Time signed_at;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, timestamp, &signed_at, &error)) {
    return absl::UnauthenticatedError("X-Zendesk-Webhook-Signature-Timestamp is not an ISO 8601 time");
  }
  if (absl::AbsDuration(now - signed_at) > kMaxSignatureAge) {
    return absl::UnauthenticatedError(absl::StrCat(
        "X-Zendesk-Webhook-Signature-Timestamp is more than ", absl::FormatDuration(kMaxSignatureAge),
        " from now: refused as a replay (or check this server's clock)"));
  }
  for (const std::string& secret : creds.secrets) {
    if (SameBytes(ZendeskSignature(secret, timestamp, body), signature)) return absl::OkStatus();
  }
  return absl::UnauthenticatedError("X-Zendesk-Webhook-Signature does not match this tenant's signing secret");
}

absl::Status CheckHubSignature(const WebhookCredentials& creds, absl::string_view body,
                               const WebhookSecrets::HeaderFn& header) {
  std::string signature = header("X-Hub-Signature");
  if (signature.empty()) signature = header("X-Hub-Signature-256");
  if (signature.empty()) {
    return absl::UnauthenticatedError(
        "X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body> is required (this tenant has a signing secret)");
  }
  absl::AsciiStrToLower(&signature);
  for (const std::string& secret : creds.secrets) {
    if (SameBytes(JiraSignature(secret, body), signature)) return absl::OkStatus();
  }
  return absl::UnauthenticatedError("X-Hub-Signature does not match this tenant's signing secret");
}

absl::Status CheckToken(const WebhookCredentials& creds, const WebhookSecrets::HeaderFn& header) {
  std::string given = header("X-Rapport-Token");
  if (given.empty()) {
    const std::string authorization = header("Authorization");
    if (authorization.size() > 7 && absl::StartsWithIgnoreCase(authorization, "Bearer ")) {
      given = std::string(absl::StripAsciiWhitespace(absl::string_view(authorization).substr(7)));
    }
  }
  if (given.empty()) {
    return absl::UnauthenticatedError(
        "a token is required: Authorization: Bearer <token> or X-Rapport-Token: <token>");
  }
  // Every configured token is compared, so timing does not tell which matched.
  bool match = false;
  for (const std::string& token : creds.tokens) match |= SameToken(token, given);
  if (!match) return absl::UnauthenticatedError("the token does not match this tenant's webhook token");
  return absl::OkStatus();
}

}  // namespace

std::string JiraSignature(absl::string_view secret, absl::string_view body) {
  return absl::StrCat("sha256=", Hex(HmacSha256(secret, body)));
}

std::string ZendeskSignature(absl::string_view secret, absl::string_view timestamp, absl::string_view body) {
  // The order is TIMESTAMP + BODY (Zendesk's "Verifying webhook authenticity").
  return Base64(HmacSha256(secret, absl::StrCat(timestamp, body)));
}

const WebhookCredentials* WebhookSecrets::Find(const std::string& tenant, const std::string& adapter) const {
  auto t = by_tenant_.find(tenant);
  if (t == by_tenant_.end()) return nullptr;
  auto a = t->second.find(adapter);
  return a == t->second.end() ? nullptr : &a->second;
}

bool WebhookSecrets::Configured(const std::string& tenant, const std::string& adapter) const {
  const WebhookCredentials* creds = Find(tenant, adapter);
  return creds != nullptr && (!creds->secrets.empty() || !creds->tokens.empty());
}

absl::Status WebhookSecrets::Check(const std::string& tenant, const std::string& adapter, absl::string_view body,
                                   const HeaderFn& header, absl::Time now) const {
  const WebhookCredentials* creds = Find(tenant, adapter);
  if (creds == nullptr) return absl::OkStatus();
  if (!creds->secrets.empty()) {
    absl::Status s = adapter == "zendesk" ? CheckZendesk(*creds, body, header, now)
                                          : CheckHubSignature(*creds, body, header);
    if (!s.ok()) return s;
  }
  if (!creds->tokens.empty()) return CheckToken(*creds, header);
  return absl::OkStatus();
}

}  // namespace rapport::server
