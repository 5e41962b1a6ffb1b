#include "config/config.h"

#include <gtest/gtest.h>

#include <fstream>

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

TEST(Config, ServerSettings) {
  auto config = ParseConfig(R"(
grpc: {listen: "0.0.0.0:6000"}
data_dir: /var/lib/rapport
plugin_dir: /usr/lib/rapport/plugins
sync: true
wal_recovery: strict
limits:
  max_text_bytes: 1000
  max_id_bytes: 100
  max_name_bytes: 101
  max_attribute_key_bytes: 102
  max_attribute_value_bytes: 103
  max_attributes: 104
  max_batch_events: 105
  max_message_bytes: 106
  max_unacked_batches: 107
  max_read_ahead_bytes: 108
  max_ack_errors: 0
  max_streams_per_key: 3
  max_streams_per_tenant: 4
  requests_per_second_per_key: 5
log: {format: json, level: debug}
tls: {cert: "", key: ""}
)");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->grpc_listen, "0.0.0.0:6000");
  EXPECT_EQ(config->data_dir, "/var/lib/rapport");
  EXPECT_EQ(config->plugin_dir, "/usr/lib/rapport/plugins");
  EXPECT_TRUE(config->sync);
  EXPECT_EQ(config->wal_recovery, "strict");
  EXPECT_EQ(config->limits.max_text_bytes, 1000u);
  EXPECT_EQ(config->limits.max_id_bytes, 100u);
  EXPECT_EQ(config->limits.max_name_bytes, 101u);
  EXPECT_EQ(config->limits.max_attribute_key_bytes, 102u);
  EXPECT_EQ(config->limits.max_attribute_value_bytes, 103u);
  EXPECT_EQ(config->limits.max_attributes, 104u);
  EXPECT_EQ(config->limits.max_batch_events, 105u);
  EXPECT_EQ(config->limits.max_message_bytes, 106u);
  EXPECT_EQ(config->limits.max_unacked_batches, 107);
  EXPECT_EQ(config->limits.max_read_ahead_bytes, 108u);
  EXPECT_EQ(config->limits.max_ack_errors, 0u);
  EXPECT_EQ(config->call_limits.max_streams_per_key, 3);
  EXPECT_EQ(config->call_limits.max_streams_per_tenant, 4);
  EXPECT_EQ(config->call_limits.requests_per_second_per_key, 5);
  EXPECT_EQ(config->log_format, LogFormat::kJson);
  EXPECT_EQ(config->log_level, LogLevel::kDebug);

  auto defaults = ParseConfig("");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->grpc_listen, "127.0.0.1:50051");
  EXPECT_EQ(defaults->data_dir, "./var/rapport");
  EXPECT_FALSE(defaults->sync);
  EXPECT_TRUE(defaults->limits == Limits());
  EXPECT_EQ(defaults->log_level, LogLevel::kInfo);
  EXPECT_EQ(defaults->log_format, LogFormat::kText);
}

// Each message names the line (1-based), the key and what is wrong.
TEST(Config, ErrorsNameTheLineAndKey) {
  struct Case {
    const char* yaml;
    const char* expected;
  } cases[] = {
      {"sync: true\nlimits:\n  max_text_bytes: lots\n", "line 3: limits.max_text_bytes: 'lots' is not a whole number"},
      {"limits:\n  max_batch_events: 0\n", "line 2: limits.max_batch_events"},
      {"limits:\n  max_events: 10\n", "line 2: unknown setting 'max_events' in limits"},
      {"log:\n  format: xml\n", "line 2: log.format: 'xml' is not one of text, json"},
      {"log:\n  level: loud\n", "line 2: log.level: 'loud' is not one of debug, info, warning, error"},
      {"\n\ngrpc:\n  port: 5\n", "line 4: unknown setting 'port' in grpc"},
      {"wal_recovery: maybe\n", "line 1: wal_recovery: 'maybe' is not one of serve, strict"},
      {"sync: perhaps\n", "line 1: sync must be true or false"},
      {"tls:\n  cert: /nonexistent/cert.pem\n", "line 2: tls.cert: cannot read '/nonexistent/cert.pem'"},
      {"tls:\n  pem: x\n", "line 2: unknown setting 'pem' in tls"},
      {"defaults:\n  detectors:\n    reply_gap: 1h\n    stale: soon\n", "line 4: defaults.detectors.stale"},
      {"tenants:\n  acme:\n    detectors:\n      reply_gapp: 1h\n", "line 4: unknown setting 'reply_gapp'"},
      {"data_dir: x\nsurprise: 1\n", "line 2: unknown setting 'surprise' in the configuration"},
  };
  for (const Case& c : cases) {
    auto config = ParseConfig(c.yaml);
    ASSERT_FALSE(config.ok()) << c.yaml;
    EXPECT_NE(config.status().message().find(c.expected), std::string::npos)
        << c.yaml << "\ngot: " << config.status().message();
  }
  const std::string path = ::testing::TempDir() + "/bad-rapportd.yaml";
  std::ofstream(path) << "log:\n  level: loud\n";
  auto loaded = LoadConfigFile(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().message(),
            path + ": line 2: log.level: 'loud' is not one of debug, info, warning, error");
}

TEST(Config, TlsFilesAreCheckedAndGoTogether) {
  const std::string cert = ::testing::TempDir() + "/cert.pem";
  std::ofstream(cert) << "not checked beyond being readable";
  auto both = ParseConfig("tls: {cert: " + cert + ", key: " + cert + "}\n");
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_TRUE(both->tls.enabled());
  EXPECT_FALSE(both->tls.client_auth_grpc || both->tls.client_auth_http);
  auto alone = ParseConfig("tls: {cert: " + cert + "}\n");
  ASSERT_FALSE(alone.ok());
  EXPECT_NE(alone.status().message().find("cert and key go together"), std::string::npos);
  EXPECT_FALSE(ParseConfig("tls: {cert: /nonexistent/cert.pem, key: " + cert + "}\n").ok());
  // client_ca: both ports require client certificates unless client_auth names fewer.
  auto mutual = ParseConfig("tls: {cert: " + cert + ", key: " + cert + ", client_ca: " + cert + "}\n");
  ASSERT_TRUE(mutual.ok()) << mutual.status();
  EXPECT_TRUE(mutual->tls.client_auth_grpc && mutual->tls.client_auth_http);
  auto grpc_only =
      ParseConfig("tls: {cert: " + cert + ", key: " + cert + ", client_ca: " + cert + ", client_auth: [grpc]}\n");
  ASSERT_TRUE(grpc_only.ok()) << grpc_only.status();
  EXPECT_TRUE(grpc_only->tls.client_auth_grpc);
  EXPECT_FALSE(grpc_only->tls.client_auth_http);
  EXPECT_FALSE(ParseConfig("tls: {cert: " + cert + ", key: " + cert + ", client_auth: [grpc]}\n").ok());
  EXPECT_FALSE(ParseConfig("tls: {cert: " + cert + ", key: " + cert + ", client_ca: " + cert + ", client_auth: [smtp]}\n").ok());
  EXPECT_FALSE(ParseConfig("tls: {cert_file: " + cert + "}\n").ok()) << "the old names are gone";
}

// Shapes yaml-cpp refuses by throwing (found by fuzz/config_fuzz.cc): an
// error, never an exception out of ParseConfig.
TEST(Config, UnexpectedShapesAreErrorsNotExceptions) {
  for (const char* yaml : {"tenants:\n  - acme\n", "tenants:\n  acme:\n    - detectors\n", "defaults:\n  - x\n",
                           "? [a, b]\n: 1\n", "tenants:\n  ? {a: 1}\n  : {}\n"}) {
    absl::StatusOr<RapportConfig> config;
    EXPECT_NO_THROW(config = ParseConfig(yaml)) << yaml;
    EXPECT_FALSE(config.ok()) << yaml;
  }
}

TEST(Config, TheDigestFollowsDerivedSettingsOnly) {
  const std::string base = ParseConfig("")->DerivedSettingsDigest();
  EXPECT_EQ(ParseConfig("log: {level: debug}\nsync: true\nlimits: {max_batch_events: 5}\n")->DerivedSettingsDigest(), base)
      << "server settings change no derived data";
  EXPECT_EQ(ParseConfig("defaults:\n  detectors:\n    reply_gap: 24h\n")->DerivedSettingsDigest(), base)
      << "a default spelled out is no change";
  EXPECT_NE(ParseConfig("defaults:\n  detectors:\n    reply_gap: 12h\n")->DerivedSettingsDigest(), base);
  EXPECT_NE(ParseConfig("tenants:\n  acme:\n    detectors:\n      targets:\n        high: {resolution: 2h}\n")
                ->DerivedSettingsDigest(),
            base);
  EXPECT_NE(ParseConfig("scoring:\n  vip_factor: 2\n")->DerivedSettingsDigest(), base);
  EXPECT_EQ(ParseConfig("defaults:\n  adapters:\n    jira: {status_map: {A: open}}\n")->DerivedSettingsDigest(), base)
      << "adapters translate before storage; a rebuild replays stored events";
}

TEST(Config, TheDigestFollowsWhatACalendarCountsNotItsName) {
  auto with = [](const std::string& name, const std::string& hours, const std::string& holidays) {
    return ParseConfig("calendars:\n  " + name + ":\n    time_zone: Europe/Berlin\n    hours: {" + hours +
                       "}\n    holidays: [" + holidays + "]\ndefaults:\n  detectors:\n    calendar: " + name + "\n")
        ->DerivedSettingsDigest();
  };
  const std::string base = with("desk", "mon: [\"09:00-17:00\"]", "2026-12-24");
  EXPECT_NE(base, ParseConfig("")->DerivedSettingsDigest()) << "choosing a calendar changes every clock";
  EXPECT_EQ(ParseConfig("calendars:\n  unused:\n    time_zone: UTC\n    hours: {mon: [\"09:00-17:00\"]}\n")
                ->DerivedSettingsDigest(),
            ParseConfig("")->DerivedSettingsDigest())
      << "a calendar nobody uses counts nothing";
  EXPECT_EQ(with("renamed", "mon: [\"09:00-17:00\"]", "2026-12-24"), base);
  EXPECT_NE(with("desk", "mon: [\"09:00-16:00\"]", "2026-12-24"), base);
  EXPECT_NE(with("desk", "mon: [\"09:00-17:00\"]", "2026-12-25"), base);
  EXPECT_NE(with("desk", "mon: [\"09:00-17:00\"]", "{date: 12-24, annual: true}"), base);
}

TEST(Config, HttpAndWebhookCredentials) {
  testing::TempDir dir;
  const std::string secret_file = dir.path() + "/zendesk";
  {
    std::ofstream(secret_file) << "from-a-file\n";
  }
  auto config = ParseConfig(R"(
http: {listen: "127.0.0.1:8080"}
tenants:
  acme:
    webhooks:
      jira: {secret: [new, old]}
      zendesk: {secret_file: )" + secret_file + R"(}
      servicenow: {token: t1, secret: s1}
)");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->http_listen, "127.0.0.1:8080");
  const auto& acme = config->webhooks.at("acme");
  EXPECT_EQ(acme.at("jira").secrets, (std::vector<std::string>{"new", "old"}));
  EXPECT_EQ(acme.at("zendesk").secrets, (std::vector<std::string>{"from-a-file"}));
  EXPECT_EQ(acme.at("servicenow").tokens, (std::vector<std::string>{"t1"}));
  EXPECT_EQ(acme.at("servicenow").secrets, (std::vector<std::string>{"s1"}));

  auto typo = ParseConfig("tenants: {acme: {webhooks: {jira: {secert: x}}}}");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("'secert' in tenants.acme.webhooks.jira"), std::string::npos) << typo.status();
  auto missing = ParseConfig("tenants: {acme: {webhooks: {jira: {secret_file: " + dir.path() + "/none}}}}");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("tenants.acme.webhooks.jira.secret_file: cannot read"), std::string::npos)
      << missing.status();
  // A bad value is named by its key, never repeated.
  auto empty = ParseConfig("tenants: {acme: {webhooks: {jira: {token: \"\"}}}}");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("tenants.acme.webhooks.jira.token is empty"), std::string::npos);
  EXPECT_FALSE(ParseConfig("http: {port: 8080}").ok());
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
  // deploy/rapportd.yaml lists every key with its default.
  auto defaults = ParseConfig("");
  EXPECT_EQ(config->grpc_listen, defaults->grpc_listen);
  EXPECT_EQ(config->data_dir, defaults->data_dir);
  EXPECT_EQ(config->sync, defaults->sync);
  EXPECT_TRUE(config->limits == defaults->limits);
  EXPECT_TRUE(config->call_limits == defaults->call_limits);
  EXPECT_EQ(config->require_auth, defaults->require_auth);
  EXPECT_TRUE(config->tls == defaults->tls);
  EXPECT_EQ(config->log_level, defaults->log_level);
  EXPECT_EQ(config->log_format, defaults->log_format);
  EXPECT_EQ(config->scoring.vip_factor, defaults->scoring.vip_factor);
  EXPECT_EQ(config->detectors.defaults().first_response[1], defaults->detectors.defaults().first_response[1]);
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
