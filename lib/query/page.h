// Paging of a read's sorted result: the one home of page sizes and page
// tokens for every paged RPC (ListTickets, ListFindings, ListScores, and
// GetTicket's timeline).
//
// A token is opaque (web-safe base64 of a version, a fingerprint and an
// offset) and bound to the request it continues: the fingerprint covers the
// whole request but its page_size and page_token (so the tenant, scope,
// filters, window and order), and a token presented with any other request
// is InvalidArgument, as is one this server did not issue. The page size may
// change between pages. The fingerprint is a fixed hash, so tokens outlive a
// server restart.
#ifndef RAPPORT_QUERY_PAGE_H_
#define RAPPORT_QUERY_PAGE_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace rapport {

class Page {
 public:
  static constexpr uint32_t kMaxSize = 1000;

  // The page `request` asks for; `default_size` when it sets no page_size.
  template <typename Request>
  static absl::StatusOr<Page> Of(const Request& request, uint32_t default_size) {
    Request query = request;
    query.clear_page_size();
    query.clear_page_token();
    return Open(query.SerializeAsString(), request.page_size(), request.page_token(), default_size);
  }

  // Positions [begin(total), end(total)) of a result of `total` items.
  size_t begin(size_t total) const { return std::min(offset_, total); }
  size_t end(size_t total) const { return begin(total) + std::min(size_, total - begin(total)); }
  // The token of the page after this one; empty on the last page.
  std::string NextToken(size_t total) const;
  // Cuts the page to its first `size` items, for a read that also bounds a
  // page by bytes: end() and NextToken() then continue after the cut.
  void Shorten(size_t size) { size_ = std::min(size_, size); }

 private:
  Page(uint64_t fingerprint, size_t offset, size_t size) : fingerprint_(fingerprint), offset_(offset), size_(size) {}
  static absl::StatusOr<Page> Open(const std::string& query, uint32_t page_size, const std::string& token,
                                   uint32_t default_size);

  uint64_t fingerprint_;
  size_t offset_;
  size_t size_;
};

}  // namespace rapport

#endif  // RAPPORT_QUERY_PAGE_H_
