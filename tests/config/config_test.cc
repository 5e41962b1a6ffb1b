#include "config/config.h"

#include <gtest/gtest.h>

#include "core/test_util.h"
#include "detect/detectors.h"
#include "ingest/ingestor.h"
#include "query/findings_query.h"

namespace rapport {
namespace {

int64_t FromRfc3339(const std::string& text) {
  absl::Time t;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, text, &t, nullptr)) << text;
  return absl::ToUnixMicros(t);
}

TEST(Config, DefaultsTenantOverridesAndTargets) {
  auto config = ParseConfig(R"(
defaults:
  detectors:
    reply_gap: 12h
    mass_closure: {count: 15, window: 5m}
    targets:
      high: {first_response: 30m, resolution: 6h}
tenants:
  strict:
    detectors:
      ping_pong_reassignments: 2
      stale: 3d
)");
  ASSERT_TRUE(config.ok()) << config.status();
  const detect::Thresholds& d = config->detectors.For("anyone");
  EXPECT_EQ(d.reply_gap, 12 * detect::kHour);
  EXPECT_EQ(d.mass_closure_count, 15u);
  EXPECT_EQ(d.mass_closure_window, 5 * detect::kMinute);
  EXPECT_EQ(d.FirstResponseTarget(v1::PRIORITY_HIGH), 30 * detect::kMinute);
  EXPECT_EQ(d.ResolutionTarget(v1::PRIORITY_LOW), 5 * detect::kDay) << "untouched targets keep their defaults";
  const detect::Thresholds& s = config->detectors.For("strict");
  EXPECT_EQ(s.ping_pong_reassignments, 2u);
  EXPECT_EQ(s.stale, 3 * detect::kDay);
  EXPECT_EQ(s.reply_gap, 12 * detect::kHour) << "a tenant starts from the defaults";
}

TEST(Config, ErrorsNameTheSetting) {
  auto typo = ParseConfig("defaults:\n  detectors:\n    reply_gapp: 1h\n");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("reply_gapp"), std::string::npos);
  auto duration = ParseConfig("tenants:\n  acme:\n    detectors:\n      stale: seven days\n");
  ASSERT_FALSE(duration.ok());
  EXPECT_NE(duration.status().message().find("tenants.acme.detectors.stale"), std::string::npos);
  EXPECT_FALSE(ParseConfig("defaults: [1, 2").ok()) << "not YAML";
  EXPECT_FALSE(ParseConfig("surprise: {}\n").ok());
  EXPECT_FALSE(ParseConfig("defaults:\n  detectors:\n    targets:\n      urgent: {resolution: 1h}\n").ok());
  EXPECT_TRUE(ParseConfig("").ok()) << "an empty file keeps every default";
  EXPECT_TRUE(absl::IsNotFound(LoadConfigFile("/nonexistent/rapportd.yaml").status()));
}

TEST(Config, CalendarsAndWhichTicketsUseThem) {
  auto config = ParseConfig(R"(
calendars:
  emea-desk:
    time_zone: Europe/Berlin
    hours:
      mon: ["08:00-12:00", "13:00-17:00"]
      tue: ["08:00-17:00"]
      sat: ["20:00-24:00"]
    holidays:
      - 2026-12-24
      - {from: 2026-12-28, to: 2026-12-31}
      - {date: 12-25, annual: true}
  us-desk:
    time_zone: America/New_York
    hours: {mon: ["09:00-17:00"]}
defaults:
  detectors:
    calendar: emea-desk
    targets:
      high: {first_response: 1h, resolution: 8h, calendar: us-desk}
tenants:
  acme:
    detectors:
      calendar_by: {team: {Payroll: us-desk}, service: {VPN: us-desk}}
)");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->calendars.size(), 2u);
  const detect::Thresholds& d = config->detectors.defaults();
  EXPECT_EQ(d.ClockCalendar(v1::PRIORITY_HIGH, "", "").name(), "us-desk") << "the target's calendar first";
  EXPECT_EQ(d.ClockCalendar(v1::PRIORITY_LOW, "", "").name(), "emea-desk") << "then the tenant's";
  const detect::Thresholds& acme = config->detectors.For("acme");
  EXPECT_EQ(acme.ClockCalendar(v1::PRIORITY_LOW, "Payroll", "").name(), "us-desk");
  EXPECT_EQ(acme.ClockCalendar(v1::PRIORITY_LOW, "Network", "VPN").name(), "us-desk");
  EXPECT_EQ(acme.ClockCalendar(v1::PRIORITY_LOW, "Network", "Mail").name(), "emea-desk");
  EXPECT_TRUE(detect::Thresholds().ClockCalendar(v1::PRIORITY_LOW, "", "").always_open()) << "else 24/7";
  // Thu 2026-12-24 09:00 CET is a holiday; Mon 2026-12-21 08:30 CET works.
  const calendar::Calendar& emea = *config->calendars.at("emea-desk");
  EXPECT_FALSE(emea.IsWorking(FromRfc3339("2026-12-24T09:00:00+01:00")));
  EXPECT_TRUE(emea.IsWorking(FromRfc3339("2026-12-21T08:30:00+01:00")));
  EXPECT_FALSE(emea.IsWorking(FromRfc3339("2026-12-21T12:30:00+01:00")));
}

TEST(Config, CalendarErrorsNameTheKeyAndLine) {
  auto expect_error = [](const std::string& yaml, const std::string& words) {
    auto config = ParseConfig(yaml);
    ASSERT_FALSE(config.ok()) << yaml;
    EXPECT_NE(config.status().message().find(words), std::string::npos) << config.status().message();
  };
  expect_error("calendars:\n  x:\n    time_zone: Europe/Berlinn\n    hours: {mon: [\"09:00-17:00\"]}\n",
               "calendars.x (line 3): unknown time zone 'Europe/Berlinn'");
  expect_error("calendars:\n  x:\n    time_zone: UTC\n    hours: {mon: [\"09:00-13:00\", \"12:00-17:00\"]}\n",
               "mon: the ranges 09:00-13:00 and 12:00-17:00 overlap");
  expect_error("calendars:\n  x:\n    time_zone: UTC\n    hours:\n      fri: [\"22:00-02:00\"]\n",
               "calendars.x.hours.fri (line 5): '22:00-02:00' ends at or before it starts");
  expect_error("calendars:\n  x:\n    time_zone: UTC\n    hours: {}\n", "no working time in the week");
  expect_error("calendars:\n  x:\n    time_zone: UTC\n    hours: {funday: [\"09:00-17:00\"]}\n", "funday");
  expect_error("calendars:\n  x:\n    time_zone: UTC\n    hours: {mon: [\"09:00-17:00\"]}\n    holidays: [2026-13-01]\n",
               "is not a date");
  expect_error("defaults:\n  detectors:\n    calendar: nowhere\n",
               "defaults.detectors.calendar (line 3): no calendar named 'nowhere'");
  expect_error("defaults:\n  detectors:\n    targets:\n      high: {calendar: nowhere}\n",
               "defaults.detectors.targets.high.calendar (line 4): no calendar named 'nowhere'");
  expect_error("tenants:\n  acme:\n    detectors:\n      calendar_by: {team: {L1: nowhere}}\n",
               "tenants.acme.detectors.calendar_by.team.L1 (line 4): no calendar named 'nowhere'");
}

TEST(Config, TheShippedExampleLoads) {
  auto config = LoadConfigFile(EXAMPLE_CONFIG);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->detectors.defaults().reply_gap, 24 * detect::kHour);
}

TEST(Config, ThresholdsApplyPerTenant) {
  auto config = ParseConfig("tenants:\n  strict:\n    detectors:\n      ping_pong_reassignments: 2\n");
  ASSERT_TRUE(config.ok());
  detect::DetectorStage stage(config->detectors);
  testing::TempDir dir;
  std::unique_ptr<Store> store = testing::OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  Ingestor::Options ingest;
  ingest.now_micros = [] { return testing::At(100 * 24 * 60); };
  ingest.stages = {&stage};
  auto ingestor = std::move(*Ingestor::Create(store.get(), ingest));
  v1::EventBatch batch;
  for (const char* tenant : {"acme", "strict"}) {
    std::string t(tenant);
    for (auto e : {testing::Created("T", t + "1", 0, "Desk"), testing::Assign("T", t + "2", 10, "", "Network"),
                   testing::Assign("T", t + "3", 20, "", "Apps")}) {
      e.set_tenant(t);
      *batch.add_events() = e;
    }
  }
  ASSERT_TRUE(ingestor->Apply(batch).ok());
  auto count = [&](const std::string& tenant) {
    v1::ListFindingsRequest request;
    request.set_tenant(tenant);
    request.add_kinds(v1::FINDING_KIND_PING_PONG);
    return ListFindings(*store, request)->total();
  };
  EXPECT_EQ(count("acme"), 0u) << "two reassignments are under the default of three";
  EXPECT_EQ(count("strict"), 1u);
}

}  // namespace
}  // namespace rapport
