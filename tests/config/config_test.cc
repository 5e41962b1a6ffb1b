#include "config/config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/test_util.h"
#include "detect/detectors.h"
#include "ingest/ingestor.h"
#include "query/findings_query.h"

namespace rapport {
namespace {

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
