// The csv adapter on exports as users have them: the ServiceNow incident log
// as the UCI archive publishes it (d/m/YYYY H:MM without zero padding,
// lower-case booleans) and as a spreadsheet re-saves it (DD-MM-YYYY HH:MM,
// upper-case), rows that cannot be read among good ones, and the source's own
// counters carried as event attributes.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "adapter_fixture.h"
#include "builtin/builtins.h"
#include "core/test_util.h"
#include "event/event.h"
#include "plugin/registry.h"

namespace rapport {
namespace {

constexpr char kShipped[] = R"({"mapping": "servicenow-incident-log"})";


// The log as published: "29-02-2016 01:16" -> "29/2/2016 1:16", TRUE -> true.
std::string AsPublished(const std::string& resaved) {
  static const std::regex time(R"((\d\d)-(\d\d)-(\d{4}) (\d\d):(\d\d))");
  std::string out;
  auto unpad = [](const std::string& two) { return two[0] == '0' ? two.substr(1) : two; };
  std::sregex_iterator it(resaved.begin(), resaved.end(), time), end;
  size_t at = 0;
  for (; it != end; ++it) {
    const std::smatch& m = *it;
    out.append(resaved, at, m.position() - at);
    out += unpad(m[1]) + "/" + unpad(m[2]) + "/" + m[3].str() + " " + unpad(m[4]) + ":" + m[5].str();
    at = m.position() + m.length();
  }
  out.append(resaved, at, std::string::npos);
  for (auto [from, to] : {std::pair<std::string, std::string>{",TRUE,", ",true,"}, {",FALSE,", ",false,"}}) {
    // The closing comma may open the next match: ",TRUE,FALSE,".
    for (size_t p = out.find(from); p != std::string::npos; p = out.find(from, p + to.size() - 1)) {
      out.replace(p, from.size(), to);
    }
  }
  return out;
}

class CsvTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(RegisterBuiltinPlugins(&registry_).ok()); }

  absl::StatusOr<Translation> Translate(const std::string& body, const std::string& config = kShipped) {
    auto handle = registry_.CreateAdapter("csv", config);
    if (!handle.ok()) return handle.status();
    return (*handle)->Translate("acme", body, "text/csv");
  }

  PluginRegistry registry_;
};

// event id -> (time, status, team): what a reading of the log amounts to.
std::map<std::string, std::string> Digest(const Translation& t) {
  std::map<std::string, std::string> out;
  for (const auto& e : t.events) {
    auto sla = e.attributes().find("servicenow.made_sla");
    out[e.event_id()] = FormatMicros(ToMicros(e.occurred_at())) + " " + ShortName(e.status()) + " " +
                        e.assignee().team() + " " + (sla == e.attributes().end() ? "" : sla->second);
  }
  return out;
}

TEST_F(CsvTest, ThePublishedFormReadsAsTheResavedOne) {
  const std::string resaved = Fixture("csv/incident_log.csv");
  const std::string published = AsPublished(resaved);
  ASSERT_NE(published.find(",1/9/2026 8:00,"), std::string::npos) << "the rewrite unpads days, months and hours";
  ASSERT_NE(published.find(",true,"), std::string::npos);
  auto a = Translate(resaved), b = Translate(published);
  ASSERT_TRUE(a.ok() && b.ok()) << a.status() << b.status();
  EXPECT_EQ(Digest(*a), Digest(*b));
  ASSERT_EQ(b->events.size(), 7u);
  EXPECT_EQ(FormatMicros(ToMicros(b->events[0].occurred_at())), "2026-09-01T08:00:00Z");
  EXPECT_EQ(b->events[0].attributes().at("servicenow.made_sla"), "true");
  EXPECT_EQ(b->rejected.size(), 1u) << "the fixture's one bogus status";
}

TEST_F(CsvTest, TimeFormatsAreTriedInOrder) {
  const std::string mapping = R"({"mapping": {"ticket": "id", "time": {"column": "at", "format": ["%d/%m/%Y %H:%M",
      "iso8601"]}, "status": {"columns": ["state"], "map": {"open": "in_progress"}}}})";
  auto t = Translate("id,at,state\nT1,1/3/2016 9:05,open\nT2,2016-03-01T09:05:00Z,open\nT3,1-3-2016 9:05,open\n",
                     mapping);
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->events.size(), 4u);  // T1 and T2: created, status
  EXPECT_EQ(FormatMicros(ToMicros(t->events[0].occurred_at())), "2016-03-01T09:05:00Z");
  EXPECT_EQ(FormatMicros(ToMicros(t->events[2].occurred_at())), "2016-03-01T09:05:00Z");
  ASSERT_EQ(t->rejected.size(), 1u);
  EXPECT_EQ(t->rejected[0].message(),
            "line 4: column 'at': '1-3-2016 9:05' is not a time (%d/%m/%Y %H:%M or iso8601)");
  auto bad = Translate("id,at,state\n", R"({"mapping": {"ticket": "id", "time": {"column": "at", "format": [1]},
      "status": {"columns": ["state"], "map": {}}}})");
  EXPECT_FALSE(bad.ok());
}

TEST_F(CsvTest, BadRowsFirstGoodRowsStillLoad) {
  const std::string fixture = Fixture("csv/incident_log.csv");
  const std::string header = fixture.substr(0, fixture.find('\n') + 1);
  std::string rows = fixture.substr(header.size());
  // Two unreadable rows of another ticket first, then the fixture's rows.
  std::string bad = rows.substr(0, rows.find('\n') + 1);
  bad.replace(bad.find("INC0000900"), 10, "INC0000777");
  std::string bad_time = bad, bad_count = bad;
  bad_time.replace(bad_time.find("01-09-2026 08:01"), 16, "yesterday");
  bad_count.replace(bad_count.find(",TRUE,0,0,0,"), 12, ",TRUE,many,0,0,");
  auto t = Translate(header + bad_time + bad_count + rows);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->events.size(), 7u) << "the good rows load";
  ASSERT_EQ(t->rejected.size(), 3u);
  EXPECT_EQ(t->rejected[0].message().substr(0, 37), "line 2: column 'sys_updated_at': 'yes");
  EXPECT_EQ(t->rejected[1].message(), "line 3: column 'reassignment_count': 'many' is not a count");
  EXPECT_EQ(t->rejected[2].index(), 6u);

  // Every row bad: each still gets its own error (the payload is not
  // refused as a whole).
  auto none = Translate(header + bad_time + bad_count);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->events.empty());
  EXPECT_EQ(none->rejected.size(), 2u);
}

TEST_F(CsvTest, TheSourceCountersTravelAsAttributes) {
  auto t = Translate(Fixture("csv/incident_log.csv"));
  ASSERT_TRUE(t.ok()) << t.status();
  std::map<std::string, std::string> team_count;
  for (const auto& e : t->events) team_count[e.event_id()] = e.attributes().at(kSourceTeamReassignmentCount);
  EXPECT_EQ(team_count["INC0000900:created"], "0");
  EXPECT_EQ(team_count["INC0000900:2:assignment"], "1");
  EXPECT_EQ(t->events.back().attributes().at(kSourceReopenCount), "0");
}

// The dev copy of the UCI log, rewritten to the published form, reads as
// the dev copy does: every row, the same events.
TEST_F(CsvTest, TheUciLogAsPublishedLoads) {
  std::ifstream in(std::string(EVAL_DIR) + "/incidents/incident_event_log.dev.csv");
  if (!in) GTEST_SKIP() << "eval data not present";
  std::stringstream s;
  s << in.rdbuf();
  const std::string published = AsPublished(s.str());
  ASSERT_EQ(published.find("-2016 "), std::string::npos);
  auto resaved = Translate(s.str()), as_published = Translate(published);
  ASSERT_TRUE(resaved.ok() && as_published.ok());
  EXPECT_TRUE(as_published->rejected.empty()) << as_published->rejected[0].message();
  EXPECT_GT(as_published->events.size(), 2800u);
  EXPECT_EQ(Digest(*resaved), Digest(*as_published));
}

}  // namespace
}  // namespace rapport
