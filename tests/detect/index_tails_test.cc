// IndexTails against a model of the store: whatever a tail answers must be
// exactly what a scan of every entry of the key returns.
#include "detect/index_tails.h"

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"

namespace rapport::detect {
namespace {

using Key = std::tuple<int64_t, std::string>;  // index order: time, then ticket

// A scan of the model, as CrossTicket::Stored reads the store.
std::vector<IndexEntry> Scan(const std::set<Key>& all, int64_t from, int64_t to, size_t limit) {
  std::vector<IndexEntry> out;
  if (limit == 0) return out;
  if (from <= to) {
    for (const auto& [at, ticket] : all) {
      if (at < std::max<int64_t>(0, from)) continue;
      if (at > to || out.size() == limit) break;
      out.push_back({ticket, at});
    }
  } else {
    if (from < 0) return out;
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
      const auto& [at, ticket] = *it;
      if (at > from) continue;
      if (at < to || out.size() == limit) break;
      out.push_back({ticket, at});
    }
  }
  return out;
}

void Fill(IndexTails& tails, const std::string& prefix, const std::set<Key>& all) {
  std::vector<IndexEntry> newest;
  for (auto it = all.rbegin(); it != all.rend() && newest.size() < IndexTails::kTailEntries; ++it) {
    newest.push_back({std::get<1>(*it), std::get<0>(*it)});
  }
  tails.Fill(prefix, newest, all.size() <= IndexTails::kTailEntries);
}

void ExpectSame(const std::vector<IndexEntry>& got, const std::vector<IndexEntry>& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].at, want[i].at) << what << " #" << i;
    EXPECT_EQ(got[i].ticket, want[i].ticket) << what << " #" << i;
  }
}

TEST(IndexTails, AnswersExactlyOrNotAtAll) {
  std::mt19937 rng(11);
  int answered = 0, declined = 0;
  for (int round = 0; round < 40; ++round) {
    IndexTails tails;
    std::set<Key> all;
    const int size = round % 4 == 0 ? 10 : 150;  // short keys are whole in the tail
    for (int i = 0; i < size; ++i) all.insert({rng() % 1000, "T" + std::to_string(rng() % 50)});
    Fill(tails, "k", all);
    for (int step = 0; step < 200; ++step) {
      if (step % 10 == 0) {
        // A committed entry, mostly at the newest end as live resolutions are.
        Key k{rng() % 4 ? 900 + rng() % 200 : rng() % 1000, "T" + std::to_string(rng() % 50)};
        all.insert(k);
        tails.Add("k", std::get<0>(k), std::get<1>(k));
      }
      int64_t from = static_cast<int64_t>(rng() % 1300) - 100, to = static_cast<int64_t>(rng() % 1300) - 100;
      size_t limit = rng() % 3 == 0 ? SIZE_MAX : rng() % 90;
      auto got = tails.Find("k", from, to, limit);
      if (!got) {
        ++declined;
        continue;
      }
      ++answered;
      ExpectSame(*got, Scan(all, from, to, limit), "from " + std::to_string(from) + " to " + std::to_string(to));
    }
  }
  // Both paths were exercised.
  EXPECT_GT(answered, 1000);
  EXPECT_GT(declined, 100);
}

TEST(IndexTails, NewestEndOfABusyKeyIsAnswered) {
  IndexTails tails;
  std::set<Key> all;
  for (int i = 0; i < 500; ++i) all.insert({i * 60, "T" + std::to_string(i)});
  // Two tickets at the time of the tail's first entry; one falls outside it.
  const int64_t first = (500 - static_cast<int64_t>(IndexTails::kTailEntries)) * 60;
  all.insert({first, "A"});
  Fill(tails, "k", all);
  auto from_first = tails.Find("k", first, first + 60, 10);
  if (from_first) ExpectSame(*from_first, Scan(all, first, first + 60, 10), "from the first time of the tail");
  // Newest first from the last time: what a check of a live resolution reads.
  auto got = tails.Find("k", 500 * 60, 400 * 60, 42);
  ASSERT_TRUE(got.has_value());
  ExpectSame(*got, Scan(all, 500 * 60, 400 * 60, 42), "newest 42");
  // Reaching past the tail's first entry needs the store.
  EXPECT_FALSE(tails.Find("k", 500 * 60, 0, 100).has_value());
  EXPECT_FALSE(tails.Find("k", 0, 500 * 60, 5).has_value());
  // A key never filled is not answered.
  EXPECT_FALSE(tails.Find("other", 0, 10, 5).has_value());
  EXPECT_FALSE(tails.Has("other"));
}

TEST(IndexTails, AnEmptyKeyIsCompleteAndLearnsItsEntries) {
  IndexTails tails;
  tails.Fill("k", {}, true);
  auto none = tails.Find("k", 0, 1000, 10);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
  tails.Add("k", 5, "A");
  tails.Add("k", 5, "A");  // a refold indexes its entry again
  tails.Add("k", 3, "B");
  auto got = tails.Find("k", 10, 0, 10);
  ASSERT_TRUE(got.has_value());
  ExpectSame(*got, {{"A", 5}, {"B", 3}}, "both, newest first");
}

TEST(IndexTails, StaysWithinItsEntryBudget) {
  IndexTails tails(/*max_entries=*/1000);
  for (int k = 0; k < 5000; ++k) {
    std::vector<IndexEntry> newest;
    for (int i = 0; i < 8; ++i) newest.push_back({"T", 100 - i});
    tails.Fill("key" + std::to_string(k), newest, true);
  }
  // Two generations of at most 1000 entries (a key counts one more).
  EXPECT_LE(tails.keys() * 9, 2000u);
  EXPECT_GT(tails.keys(), 100u);
  EXPECT_TRUE(tails.Has("key4999"));
  EXPECT_FALSE(tails.Has("key0"));
  tails.Clear();
  EXPECT_EQ(tails.keys(), 0u);
}

}  // namespace
}  // namespace rapport::detect
