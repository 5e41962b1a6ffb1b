// The `alerts:` block of the configuration file: what it sets, how a
// tenant's block adds to the defaults', and the errors a typo gets.

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "alert/sink_runner.h"
#include "config/config.h"

namespace rapport {
namespace {

TEST(AlertsConfig, NothingConfiguredMeansTheShippedRules) {
  auto config = ParseConfig("");
  ASSERT_TRUE(config.ok());
  const auto rules = config->alerts.For("acme").RulesInForce();
  ASSERT_EQ(rules.size(), 5u);
  EXPECT_EQ(rules[0].name, "rude-reply");
  EXPECT_EQ(rules[4].name, "vip-distress");
  ASSERT_TRUE(rules[4].where.requester_vip.has_value());
  EXPECT_TRUE(*rules[4].where.requester_vip);
}

TEST(AlertsConfig, ATenantAddsRulesAndSinksToTheDefaults) {
  auto config = ParseConfig(R"(
defaults:
  alerts:
    max_age: 2d
    sinks:
      - {name: file, kind: jsonl, path: /tmp/alerts.jsonl}
tenants:
  acme:
    alerts:
      rules:
        - name: rude-to-vip
          on: finding
          kinds: [RUDE_REPLY, CURT_TO_UPSET_REQUESTER]
          min_severity: MEDIUM
          where: {requester_vip: true, team: Network}
          subject: ticket
          quiet: 24h
          rate: {max: 20, per: 1h}
        - name: team-score-low
          on: score
          scope: {kind: team, id: Network}
          window: 7d
          below: -20
          hysteresis: 5
      sinks:
        - {name: ops, kind: webhook, url: "http://127.0.0.1:9/hook", secret: s3cret, headers: {X-Team: ops}, timeout: 5s}
  quiet:
    alerts: {defaults: false}
)");
  ASSERT_TRUE(config.ok()) << config.status();
  const alert::TenantAlerts& acme = config->alerts.For("acme");
  EXPECT_EQ(acme.max_age_us, 2 * alert::kDayUs);
  ASSERT_EQ(acme.sinks.size(), 2u);
  EXPECT_EQ(acme.sinks[0].name, "file");
  EXPECT_EQ(acme.sinks[1].headers.at("X-Team"), "ops");
  EXPECT_EQ(acme.sinks[1].timeout_us, 5'000'000);
  const auto rules = acme.RulesInForce();
  ASSERT_EQ(rules.size(), 7u);
  const alert::AlertRule& vip = rules[5];
  EXPECT_EQ(vip.kinds.size(), 2u);
  EXPECT_EQ(vip.min_severity, v1::SEVERITY_MEDIUM);
  EXPECT_EQ(vip.where.team, "Network");
  EXPECT_EQ(vip.rate_max, 20u);
  EXPECT_EQ(vip.rate_per_us, alert::kHourUs);
  const alert::AlertRule& low = rules[6];
  EXPECT_EQ(low.on, alert::AlertRule::On::kScore);
  EXPECT_EQ(low.scope_kind, v1::SCOPE_KIND_TEAM);
  EXPECT_EQ(low.scope_id, "Network");
  EXPECT_EQ(*low.below, -20);
  EXPECT_TRUE(config->alerts.For("quiet").RulesInForce().empty());
  EXPECT_EQ(config->alerts.For("quiet").sinks.size(), 1u) << "defaults: false turns off only the shipped rules";
  EXPECT_EQ(config->alerts.For("other").sinks.size(), 1u);
}

// A loaded sink plugin's own settings reach it as JSON, typed as YAML 1.2's
// core schema reads plain scalars; the built-in sinks' settings are checked here.
TEST(AlertsConfig, APluginSinksOwnSettingsPassThroughAsJson) {
  auto config = ParseConfig(R"(
tenants:
  acme:
    alerts:
      sinks:
        - name: chat
          kind: chat-room
          room: desk-leads
          retries: 3
          quiet: "3"
          mention: true
          labels: {env: prod}
        - {name: am, kind: alertmanager, url: "http://am:9093", resend: 30s}
)");
  ASSERT_TRUE(config.ok()) << config.status();
  const auto& sinks = config->alerts.For("acme").sinks;
  ASSERT_EQ(sinks.size(), 2u);
  EXPECT_EQ(sinks[0].extra, (std::map<std::string, std::string>{{"labels", R"({"env":"prod"})"},
                                                                 {"mention", "true"},
                                                                 {"quiet", R"("3")"},
                                                                 {"retries", "3"},
                                                                 {"room", R"("desk-leads")"}}));
  EXPECT_EQ(alert::SinkConfigJson(sinks[0]),
            R"({"kind":"chat-room","labels":{"env":"prod"},"mention":true,"name":"chat","quiet":"3","retries":3,)"
            R"("room":"desk-leads"})");
  EXPECT_EQ(sinks[1].resend_us, 30'000'000);
  EXPECT_EQ(alert::SinkConfigJson(sinks[1]), R"({"kind":"alertmanager","name":"am","resend_us":30000000,"url":"http://am:9093"})");
}

TEST(AlertsConfig, MistakesGetClearErrors) {
  struct Case {
    const char* yaml;
    const char* message;
  } cases[] = {
      {"defaults: {alerts: {rulez: []}}", "unknown setting 'rulez'"},
      {"defaults: {alerts: {rules: [{name: x, on: finding, kinds: [RUDE]}]}}", "'RUDE' is not a finding kind"},
      {"defaults: {alerts: {rules: [{name: x, on: score, scope: team, window: 7d}]}}", "one of below or drop"},
      {"defaults: {alerts: {rules: [{name: x, on: score, scope: team, window: 36h, below: 1}]}}", "whole days"},
      {"defaults: {alerts: {rules: [{name: x, on: finding, below: 1}]}}", "'below' does not apply"},
      {"defaults: {alerts: {rules: [{name: x, on: finding}, {name: x, on: finding}]}}", "two rules are named 'x'"},
      {"defaults: {alerts: {rules: [{name: x, on: finding, subject: desk}]}}", "must be one of ticket"},
      {"defaults: {alerts: {sinks: [{name: h, kind: webhook, url: 'http://x'}]}}", "needs a secret"},
      {"defaults: {alerts: {max_age: soon}}", "is not a duration"},
      {"defaults: {alerts: {sinks: [{name: f, kind: jsonl, path: x, colour: red}]}}", "unknown setting 'colour'"},
      {"defaults: {alerts: {sinks: [{name: f, kind: webhook, url: 'http://x', secret: s, resend: 1m}]}}",
       "only an alertmanager sink re-sends"},
  };
  for (const Case& c : cases) {
    auto config = ParseConfig(c.yaml);
    ASSERT_FALSE(config.ok()) << c.yaml;
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(config.status().message().find(c.message), std::string::npos) << config.status().message();
  }
}

}  // namespace
}  // namespace rapport
