// IndexTails: the newest entries of recently used cross-ticket index keys
// (lib/detect/cross_ticket.h), held in memory. A live resolution lands at the
// newest end of its keys, so the checks around it are answered here instead
// of by seeks into the store; what a tail cannot answer exactly is read from
// the store as before.
//
// A tail mirrors the store as of the last commit: it holds the newest entries
// of its key in key order (time, then ticket), all of them when `complete`.
// Entries a batch indexes are added only after that batch committed
// (AfterCommit), and everything is dropped when a batch is abandoned.
//
// Bounded: two generations of at most max_entries entries each (the older
// dropped whole when the newer fills up), at most kTailEntries per key.
// Not thread-safe: the ingest writer thread owns it.
#ifndef RAPPORT_DETECT_INDEX_TAILS_H_
#define RAPPORT_DETECT_INDEX_TAILS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace rapport::detect {

struct IndexEntry {
  std::string ticket;
  int64_t at;
};

class IndexTails {
 public:
  static constexpr size_t kTailEntries = 64;

  // About 64 bytes an entry: the default keeps a few MiB.
  explicit IndexTails(size_t max_entries = 32768) : max_entries_(max_entries) {}
  IndexTails(const IndexTails&) = delete;
  IndexTails& operator=(const IndexTails&) = delete;

  // The entries a scan of `prefix` would return, as CrossTicket reads them:
  // from time `from` towards `to` (ascending when from <= to, else
  // descending from the last ticket at `from`), at most `limit`. Empty
  // optional when the key has no tail or its tail does not reach far enough.
  std::optional<std::vector<IndexEntry>> Find(const std::string& prefix, int64_t from, int64_t to, size_t limit);

  bool Has(const std::string& prefix);

  // The newest entries of `prefix` in the store, newest first (at most
  // kTailEntries); `complete` when they are all the key has.
  void Fill(const std::string& prefix, const std::vector<IndexEntry>& newest_first, bool complete);

  // An entry now committed to the store; a key without a tail is left alone.
  void Add(const std::string& prefix, int64_t at, const std::string& ticket);

  void Clear();
  size_t keys() const { return hot_.size() + cold_.size(); }

 private:
  struct Tail {
    std::vector<IndexEntry> entries;  // ascending key order
    bool complete = false;
  };
  // The key's tail, promoted to the newer generation; null if none.
  Tail* Lookup(const std::string& prefix);
  // Makes room in the newer generation for `entries` more.
  void Reserve(size_t entries);

  size_t max_entries_;
  absl::flat_hash_map<std::string, Tail> hot_, cold_;
  size_t hot_entries_ = 0;  // entries held by hot_ (keys count as one at least)
};

}  // namespace rapport::detect

#endif  // RAPPORT_DETECT_INDEX_TAILS_H_
