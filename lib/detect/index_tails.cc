#include "detect/index_tails.h"

#include <algorithm>
#include <tuple>
#include <utility>

namespace rapport::detect {
namespace {

// Key order of the index: big-endian time, then ticket id bytes.
bool KeyLess(int64_t a_at, const std::string& a_ticket, int64_t b_at, const std::string& b_ticket) {
  return std::forward_as_tuple(static_cast<uint64_t>(a_at), a_ticket) <
         std::forward_as_tuple(static_cast<uint64_t>(b_at), b_ticket);
}

}  // namespace

IndexTails::Tail* IndexTails::Lookup(const std::string& prefix) {
  if (auto it = hot_.find(prefix); it != hot_.end()) return &it->second;
  auto it = cold_.find(prefix);
  if (it == cold_.end()) return nullptr;
  Tail tail = std::move(it->second);
  cold_.erase(it);
  Reserve(tail.entries.size() + 1);
  hot_entries_ += tail.entries.size() + 1;
  return &hot_.emplace(prefix, std::move(tail)).first->second;
}

void IndexTails::Reserve(size_t entries) {
  if (hot_entries_ + entries <= max_entries_) return;
  cold_ = std::move(hot_);
  hot_.clear();
  hot_entries_ = 0;
}

bool IndexTails::Has(const std::string& prefix) { return Lookup(prefix) != nullptr; }

std::optional<std::vector<IndexEntry>> IndexTails::Find(const std::string& prefix, int64_t from, int64_t to,
                                                        size_t limit) {
  Tail* tail = Lookup(prefix);
  if (tail == nullptr) return std::nullopt;
  const std::vector<IndexEntry>& entries = tail->entries;
  std::vector<IndexEntry> found;
  if (limit == 0) return found;
  if (from <= to) {
    // The store may hold keys before the tail's first one: only a scan that
    // starts after that first time is answered (from the first key >= from).
    const int64_t start = std::max<int64_t>(0, from);
    if (!tail->complete && (entries.empty() || static_cast<uint64_t>(start) <= static_cast<uint64_t>(entries.front().at))) {
      return std::nullopt;
    }
    auto it = std::lower_bound(entries.begin(), entries.end(), start,
                               [](const IndexEntry& e, int64_t t) { return static_cast<uint64_t>(e.at) < static_cast<uint64_t>(t); });
    for (; it != entries.end() && it->at <= to && found.size() < limit; ++it) found.push_back(*it);
    return found;
  }
  if (from < 0) return found;
  // Descending from the last key at `from`: exact until the walk would step
  // past the tail's first entry of an incomplete tail.
  auto it = std::upper_bound(entries.begin(), entries.end(), from,
                             [](int64_t t, const IndexEntry& e) { return static_cast<uint64_t>(t) < static_cast<uint64_t>(e.at); });
  while (it != entries.begin()) {
    --it;
    if (it->at < to) return found;
    found.push_back(*it);
    if (found.size() == limit) return found;
  }
  if (!tail->complete) return std::nullopt;
  return found;
}

void IndexTails::Fill(const std::string& prefix, const std::vector<IndexEntry>& newest_first, bool complete) {
  cold_.erase(prefix);
  if (auto it = hot_.find(prefix); it != hot_.end()) {
    hot_entries_ -= it->second.entries.size() + 1;
    hot_.erase(it);
  }
  const size_t kept = std::min(newest_first.size(), kTailEntries);
  Reserve(kept + 1);
  hot_entries_ += kept + 1;
  Tail& tail = hot_[prefix];
  tail.entries.assign(newest_first.rbegin(), newest_first.rend());
  if (tail.entries.size() > kTailEntries) {
    tail.entries.erase(tail.entries.begin(), tail.entries.end() - kTailEntries);
    complete = false;
  }
  tail.complete = complete;
}

void IndexTails::Add(const std::string& prefix, int64_t at, const std::string& ticket) {
  Tail* tail = nullptr;
  bool hot = false;
  if (auto it = hot_.find(prefix); it != hot_.end()) {
    tail = &it->second;
    hot = true;
  } else if (auto old = cold_.find(prefix); old != cold_.end()) {
    tail = &old->second;
  } else {
    return;
  }
  std::vector<IndexEntry>& entries = tail->entries;
  auto pos = std::lower_bound(entries.begin(), entries.end(), std::pair<int64_t, const std::string&>(at, ticket),
                              [](const IndexEntry& e, const std::pair<int64_t, const std::string&>& k) {
                                return KeyLess(e.at, e.ticket, k.first, k.second);
                              });
  if (pos != entries.end() && pos->at == at && pos->ticket == ticket) return;  // already there
  // Before the first entry of an incomplete tail: the tail still holds the
  // newest entries, and this one is not among them.
  if (pos == entries.begin() && !tail->complete && !entries.empty()) return;
  entries.insert(pos, IndexEntry{ticket, at});
  if (entries.size() > kTailEntries) {
    entries.erase(entries.begin());
    tail->complete = false;
  } else if (hot) {
    ++hot_entries_;  // the older generation is dropped whole, so only the newer one is counted
  }
}

void IndexTails::Clear() {
  hot_.clear();
  cold_.clear();
  hot_entries_ = 0;
}

}  // namespace rapport::detect
