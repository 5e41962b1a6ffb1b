#include "query/page.h"

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "store/keys.h"

namespace rapport {
namespace {

constexpr char kTokenVersion = 1;
constexpr size_t kTokenBytes = 1 + 8 + 8;  // version, fingerprint, offset

// FNV-1a, 64 bits: fixed across builds and restarts, unlike absl::Hash.
uint64_t Fingerprint(const std::string& bytes) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

absl::StatusOr<Page> Page::Open(const std::string& query, uint32_t page_size, const std::string& token,
                                uint32_t default_size) {
  const uint64_t fingerprint = Fingerprint(query);
  const size_t size = page_size == 0 ? default_size : std::min(page_size, kMaxSize);
  if (token.empty()) return Page(fingerprint, 0, size);
  std::string bytes;
  if (!absl::WebSafeBase64Unescape(token, &bytes) || bytes.size() != kTokenBytes || bytes[0] != kTokenVersion) {
    return absl::InvalidArgumentError("page_token is not one this server issued; start again without it");
  }
  if (keys::GetBigEndian64(absl::string_view(bytes).substr(1, 8)) != fingerprint) {
    return absl::InvalidArgumentError(
        "page_token continues another query (tenant, ticket, scope, filters, window or order differ); "
        "send the same request with it, or start again without it");
  }
  return Page(fingerprint, keys::GetBigEndian64(absl::string_view(bytes).substr(9, 8)), size);
}

std::string Page::NextToken(size_t total) const {
  if (end(total) >= total) return "";
  std::string bytes(1, kTokenVersion);
  keys::PutBigEndian64(&bytes, fingerprint_);
  keys::PutBigEndian64(&bytes, end(total));
  return absl::WebSafeBase64Escape(bytes);
}

}  // namespace rapport
