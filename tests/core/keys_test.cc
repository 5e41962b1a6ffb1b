// The key grammar (store/keys.h): its table has no colliding prefixes, the
// builders write what the table says, and the parsers read what they write.
#include "store/keys.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "store/store.h"

namespace rapport {
namespace {

using keys::kSep;

TEST(KeysTest, NoPrefixOfAFamilyStartsAnotherOfTheSameFamily) {
  for (size_t i = 0; i < keys::kLayoutCount; ++i) {
    for (size_t j = 0; j < keys::kLayoutCount; ++j) {
      const keys::Layout& a = keys::kLayouts[i];
      const keys::Layout& b = keys::kLayouts[j];
      if (i == j || a.family != b.family) continue;
      // Two layouts of one family must be told apart by fixed bytes: neither
      // may be empty (a key that starts with the tenant could take any form),
      // and neither may be the start of the other.
      ASSERT_FALSE(a.prefix.empty()) << a.family << ": " << a.layout << " shares its family with " << b.layout;
      EXPECT_NE(b.prefix.substr(0, a.prefix.size()), a.prefix)
          << a.family << ": keys of " << b.layout << " are a prefix scan of " << a.layout;
    }
  }
}

TEST(KeysTest, EveryLayoutNamesAFamilyAndNoLayoutIsListedTwice) {
  std::set<std::string> families;
  for (int f = 0; f < kFamilyCount; ++f) families.insert(FamilyName(static_cast<Family>(f)));
  std::set<std::string> layouts;
  for (size_t i = 0; i < keys::kLayoutCount; ++i) {
    EXPECT_TRUE(families.count(std::string(keys::kLayouts[i].family))) << keys::kLayouts[i].family;
    EXPECT_TRUE(layouts.insert(std::string(keys::kLayouts[i].layout)).second) << keys::kLayouts[i].layout;
  }
}

// The fixed prefix the table gives for `layout`.
std::string TablePrefix(absl::string_view layout) {
  for (size_t i = 0; i < keys::kLayoutCount; ++i) {
    if (keys::kLayouts[i].layout == layout) return std::string(keys::kLayouts[i].prefix);
  }
  ADD_FAILURE() << "no layout " << layout;
  return "?";
}

bool StartsWith(absl::string_view key, absl::string_view prefix) { return key.substr(0, prefix.size()) == prefix; }

TEST(KeysTest, IndexBuildersWriteTheTablesPrefixes) {
  EXPECT_TRUE(StartsWith(keys::Deadline("t", 5, "T-1"), TablePrefix("\"dl\" ∅ tenant ∅ be64(deadline) ticket")));
  EXPECT_TRUE(StartsWith(keys::ScopeIndex("t", "\x02" "ann", 3, "T-1"),
                         TablePrefix("\"sc\" ∅ tenant ∅ kind scope_id ∅ be64(day) ticket")));
  EXPECT_TRUE(StartsWith(keys::CrossTicketPrefix(keys::kMassClosureIndex, "t", "ann"),
                         TablePrefix("\"mc\" ∅ tenant ∅ agent ∅ be64(resolved) ticket")));
  EXPECT_TRUE(StartsWith(keys::CrossTicketPrefix(keys::kBoilerplateIndex, "t", "0123"),
                         TablePrefix("\"bp\" ∅ tenant ∅ notes_hash ∅ be64(resolved) ticket")));
  EXPECT_TRUE(StartsWith(keys::CrossTicketPrefix(keys::kResolvedIndex, "t", keys::RequesterService("r", "s")),
                         TablePrefix("\"rr\" ∅ tenant ∅ requester ∅ service ∅ be64(resolved) ticket")));
  EXPECT_TRUE(StartsWith(keys::CrossTicketPrefix(keys::kCreatedIndex, "t", keys::RequesterService("r", "s")),
                         TablePrefix("\"rc\" ∅ tenant ∅ requester ∅ service ∅ be64(created) ticket")));
  EXPECT_TRUE(StartsWith(keys::EdgeResolutionsPrefix("t"), TablePrefix("\"er\" ∅ tenant ∅ be64(resolved) ticket")));
  EXPECT_TRUE(StartsWith(keys::TenantMeta("t"), TablePrefix("\"tenant\" ∅ tenant")));
  EXPECT_TRUE(StartsWith(keys::AlertLog("t", 1), TablePrefix("\"lg\" ∅ tenant ∅ be64(cursor)")));
  EXPECT_TRUE(StartsWith(keys::AlertNextCursor("t"), TablePrefix("\"nc\" ∅ tenant")));
  EXPECT_TRUE(StartsWith(keys::OpenAlert("t", "r", "a:ann"), TablePrefix("\"op\" ∅ tenant ∅ rule ∅ subject")));
  EXPECT_TRUE(StartsWith(keys::AlertQuiet("t", 5, "r", "a:ann"),
                         TablePrefix("\"qd\" ∅ tenant ∅ be64(quiet deadline) rule ∅ subject")));
  EXPECT_TRUE(StartsWith(keys::AlertRateWindow("t", "r"), TablePrefix("\"rw\" ∅ tenant ∅ rule")));
  EXPECT_TRUE(StartsWith(keys::SinkDelivered("t", "hook"), TablePrefix("\"sd\" ∅ tenant ∅ sink")));
}

TEST(KeysTest, AlertKeysHaveTheDocumentedBytesAndParse) {
  const std::string be_one("\0\0\0\0\0\0\0\x01", 8);
  EXPECT_EQ(keys::AlertLog("t", 1), absl::StrCat("lg", kSep, "t", kSep, be_one));
  EXPECT_EQ(keys::AlertLogCursor(keys::AlertLog("t", 77)), 77u);
  EXPECT_EQ(keys::OpenAlert("t", "r", "a:ann"), absl::StrCat("op", kSep, "t", kSep, "r", kSep, "a:ann"));
  const std::string quiet = keys::AlertQuiet("t", 1, "r", "a:ann");
  EXPECT_EQ(quiet, absl::StrCat("qd", kSep, "t", kSep, be_one, "r", kSep, "a:ann"));
  keys::QuietEntry entry;
  ASSERT_TRUE(keys::ParseAlertQuiet(quiet, keys::AlertQuietPrefix("t"), &entry));
  EXPECT_EQ(entry.deadline_us, 1);
  EXPECT_EQ(entry.rule, "r");
  EXPECT_EQ(entry.subject, "a:ann");
  EXPECT_FALSE(keys::ParseAlertQuiet(keys::AlertQuietPrefix("t"), keys::AlertQuietPrefix("t"), &entry));
}

// The bytes of a few keys, spelled out: the layout on disk must not change
// without a bump of kDerivedDataVersion (or of kSchemaVersion for events).
TEST(KeysTest, KeysHaveTheDocumentedBytes) {
  const std::string be_one("\0\0\0\0\0\0\0\x01", 8);
  const std::string day_zero("\0\0\x01\0\0\0\0\0", 8);  // 2^40: day 0
  EXPECT_EQ(keys::Ticket("t", "T-1"), absl::StrCat("t", kSep, "T-1"));
  EXPECT_EQ(keys::Event("t", "T-1", 1, 1), absl::StrCat("t", kSep, "T-1", kSep, be_one, be_one));
  EXPECT_EQ(keys::Finding("t", "T-1", "stale"), absl::StrCat("t", kSep, "T-1", kSep, "stale"));
  EXPECT_EQ(keys::Dedupe("t", "e1"), absl::StrCat("t", kSep, "e1"));
  EXPECT_EQ(keys::Aggregate("t", "\x02" "ann", 0), absl::StrCat("t", kSep, "\x02" "ann", kSep, day_zero));
  EXPECT_EQ(keys::ScopeIndex("t", "\x02" "ann", 0, "T-1"),
            absl::StrCat("sc", kSep, "t", kSep, "\x02" "ann", kSep, day_zero, "T-1"));
  EXPECT_EQ(keys::Deadline("t", 1, "T-1"), absl::StrCat("dl", kSep, "t", kSep, be_one, "T-1"));
  EXPECT_EQ(keys::TimedEntry(keys::CrossTicketPrefix(keys::kResolvedIndex, "t", keys::RequesterService("r", "s")), 1,
                             "T-1"),
            absl::StrCat("rr", kSep, "t", kSep, "r", kSep, "s", kSep, be_one, "T-1"));
  EXPECT_EQ(keys::TimedEntry(keys::EdgeResolutionsPrefix("t"), 1, "T-1"), absl::StrCat("er", kSep, "t", kSep, be_one, "T-1"));
  EXPECT_EQ(keys::EdgeResolutionValue("ann", "apps", true), absl::StrCat("ann", kSep, "apps", kSep, "1"));
  EXPECT_EQ(keys::TenantMeta("t"), absl::StrCat("tenant", kSep, "t"));
}

TEST(KeysTest, ParsersReadWhatTheBuildersWrite) {
  const std::string prefix = keys::CrossTicketPrefix(keys::kMassClosureIndex, "t", "ann");
  // Timed views the key: keep it alive.
  const std::string entry = keys::TimedEntry(prefix, 1'790'000'000'000'000, "T-9");
  keys::Timed timed = keys::ParseTimedEntry(entry, prefix);
  EXPECT_EQ(timed.at_us, 1'790'000'000'000'000);
  EXPECT_EQ(timed.ticket, "T-9");
  EXPECT_LT(keys::TimedStart(prefix, 7), keys::TimedEntry(prefix, 7, "A"));
  EXPECT_GT(keys::TimedEnd(prefix, 7), keys::TimedEntry(prefix, 7, "zzzz"));
  EXPECT_LT(keys::TimedEnd(prefix, 7), keys::TimedStart(prefix, 8));

  keys::EdgeResolution edge;  // views the value: keep it alive
  const std::string edge_value = keys::EdgeResolutionValue("ann", "apps", true);
  ASSERT_TRUE(keys::ParseEdgeResolutionValue(edge_value, &edge));
  EXPECT_EQ(edge.agent, "ann");
  EXPECT_EQ(edge.team, "apps");
  EXPECT_TRUE(edge.at_edge);
  EXPECT_FALSE(keys::ParseEdgeResolutionValue("ann", &edge));

  for (int64_t day : {int64_t{-400}, int64_t{0}, int64_t{20'600}}) {
    const std::string key = keys::Aggregate("tenant", "\x03" "apps", day);
    std::string tag;
    int64_t parsed = 0;
    ASSERT_TRUE(keys::ParseAggregate(key, 6, &tag, &parsed));
    EXPECT_EQ(tag, "\x03" "apps");
    EXPECT_EQ(parsed, day);
    EXPECT_EQ(keys::AggregateDay(key), day);
    EXPECT_TRUE(keys::IsAggregateDayOf(key, keys::AggregateScopePrefix("tenant", "\x03" "apps")));
  }
  EXPECT_LT(keys::Aggregate("t", "\x03" "a", -1), keys::Aggregate("t", "\x03" "a", 0)) << "days before 1970 sort first";
  // A scope's roll-ups sort after all its days (months, then weeks), inside
  // its prefix, and none reads as a day.
  const std::string apps = keys::AggregateScopePrefix("t", "\x03" "apps");
  const std::string month = keys::AggregateRollup("t", "\x03" "apps", 'm', -3);
  const std::string week = keys::AggregateRollup("t", "\x03" "apps", 'w', -3);
  for (const std::string& rollup : {month, week}) {
    EXPECT_TRUE(StartsWith(rollup, apps));
    EXPECT_GT(rollup, keys::Aggregate("t", "\x03" "apps", int64_t{1} << 38));
    EXPECT_FALSE(keys::IsAggregateDayOf(rollup, apps));
    std::string tag;
    int64_t day = 0;
    EXPECT_FALSE(keys::ParseAggregate(rollup, 1, &tag, &day));
    EXPECT_EQ(keys::AggregateRollupOfKey(rollup), -3);
  }
  EXPECT_LT(month, week);
  EXPECT_TRUE(StartsWith(week, keys::AggregateRollupsPrefix("t", "\x03" "apps", 'w')));
  EXPECT_FALSE(StartsWith(keys::AggregateRollup("t", "\x03" "apps2", 'w', 1), apps)) << "a longer id is another scope";
  const std::string scope = keys::ScopeIndexPrefix("t", "\x03" "a");
  EXPECT_EQ(keys::ScopeIndexTicket(keys::ScopeIndex("t", "\x03" "a", 4, "T-2"), scope), "T-2");

  const std::string events = keys::TicketEventsPrefix("t", "T-1");
  const std::string event = keys::Event("t", "T-1", 1'790'000'000'000'000, 42);
  EXPECT_TRUE(StartsWith(event, events));
  EXPECT_TRUE(keys::IsEventOf(event, events));
  EXPECT_EQ(keys::EventArrival(event), 42u);
}

}  // namespace
}  // namespace rapport
