// The plugin loader with real modules: the freshservice adapter built as a
// .so, an adapter written in C, and modules broken on purpose.
#include <gtest/gtest.h>

#include "builtin/builtins.h"
#include "plugin/registry.h"

namespace rapport {
namespace {

std::string Module(const std::string& name) { return std::string(MODULE_DIR) + "/" + name + ".so"; }

TEST(PluginLoader, BuiltinsAreRegisteredExplicitly) {
  PluginRegistry registry;
  ASSERT_TRUE(RegisterBuiltinPlugins(&registry).ok());
  std::vector<std::string> names;
  for (const auto& p : registry.List()) {
    names.push_back(p.name);
    EXPECT_EQ(p.origin, "built-in");
    EXPECT_EQ(p.kind, "adapter");
    EXPECT_EQ(p.abi_version, "1.2");
  }
  EXPECT_EQ(names, (std::vector<std::string>{"csv", "freshservice", "jira", "jsonl", "servicenow", "zendesk"}));
  auto missing = registry.CreateAdapter("remedy");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("available: csv, freshservice"), std::string::npos) << missing.status();
}

TEST(PluginLoader, LoadsTheFreshserviceModuleAndKeepsItMapped) {
  std::unique_ptr<AdapterHandle> adapter;
  {
    PluginRegistry registry;
    ASSERT_TRUE(registry.LoadModule(FRESHSERVICE_MODULE).ok()) << registry.refused().front();
    ASSERT_EQ(registry.List().size(), 1u);
    EXPECT_EQ(registry.List()[0].origin, FRESHSERVICE_MODULE);
    auto created = registry.CreateAdapter("freshservice");
    ASSERT_TRUE(created.ok()) << created.status();
    adapter = std::move(*created);
  }  // the registry is gone; the instance keeps the library mapped
  auto out = adapter->Translate("acme", R"({"event": "ticket_created", "ticket": {"id": "7", "status": 2,
      "priority": 3, "requester_id": "u1", "created_at": "2026-09-01T08:00:00Z"}})");
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->events.size(), 1u);
  EXPECT_EQ(out->events[0].ticket_id(), "7");
  EXPECT_EQ(out->events[0].tenant(), "acme");
  EXPECT_EQ(out->events[0].priority(), v1::PRIORITY_HIGH);
}

TEST(PluginLoader, APluginWrittenInC) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.LoadModule(Module("c_echo")).ok());
  auto adapter = registry.CreateAdapter("c-echo");
  ASSERT_TRUE(adapter.ok()) << adapter.status();
  auto out = (*adapter)->Translate("acme", "T1 e1 1788249600\nnot a line\nT2 e2 1788249660\n");
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->events.size(), 2u);
  EXPECT_EQ(out->events[1].event_id(), "e2");
  EXPECT_EQ(out->events[1].occurred_at().seconds(), 1788249660);
  ASSERT_EQ(out->rejected.size(), 1u) << "a bad line never drops its neighbours";
  EXPECT_EQ(out->rejected[0].index(), 1u);
  auto bad = (*adapter)->Translate("acme", "garbage\n");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument) << "permanent: do not retry";
  EXPECT_NE(bad.status().message().find("no line could be read"), std::string::npos);
}

// ABI 1.2 appended identities to the event: a plugin whose event ends
// before them keeps working, and nothing past its struct_size is read.
TEST(PluginLoader, AnEventOfAnOlderMinorIsReadUpToItsSize) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.LoadModule(Module("c_echo_abi_1_1")).ok()) << registry.refused().front();
  auto adapter = registry.CreateAdapter("c-echo-1.1");
  ASSERT_TRUE(adapter.ok()) << adapter.status();
  auto out = (*adapter)->Translate("acme", "T1 e1 1788249600\n");
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->events.size(), 1u);
  EXPECT_EQ(out->events[0].identities_size(), 0);
}

TEST(PluginLoader, BrokenModulesAreRefusedWithTheirReason) {
  PluginRegistry registry;
  ASSERT_TRUE(RegisterBuiltinPlugins(&registry).ok());
  const std::pair<const char*, const char*> cases[] = {
      {"broken_wrong_major", "wrong ABI major 2"},
      {"broken_newer_minor", "is newer than this host's"},
      {"broken_short_table", "short table"},
      {"broken_missing_function", "missing required function translate"},
      {"broken_no_entry", "missing symbol rapport_plugin_entry"},
      {"duplicate_name", "duplicate name 'freshservice'"},
      {"does_not_exist", "dlopen failed"},
  };
  for (const auto& [module, reason] : cases) {
    absl::Status s = registry.LoadModule(Module(module));
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << module;
    EXPECT_NE(s.message().find(reason), std::string::npos) << module << ": " << s;
  }
  EXPECT_EQ(registry.refused().size(), std::size(cases));
  EXPECT_EQ(registry.List().size(), 6u) << "nothing broken was registered";
}

TEST(PluginLoader, LoadDirectoryKeepsTheGoodAndReportsTheRest) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.LoadDirectory(MODULE_DIR).ok());
  ASSERT_EQ(registry.List().size(), 3u);  // c-echo, c-echo-1.1, and the first "freshservice" (duplicate_name.so)
  EXPECT_EQ(registry.refused().size(), 5u);
  EXPECT_EQ(registry.LoadDirectory("/nonexistent/plugins").code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace rapport
