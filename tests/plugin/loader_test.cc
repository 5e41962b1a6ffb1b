// The plugin loader with real modules: the freshservice adapter and the
// jsonl sink built as .so files, an adapter written in C, and modules broken
// on purpose.
#include <gtest/gtest.h>

#include <cstddef>
#include <fstream>
#include <iterator>

#include "core/test_util.h"
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
    names.push_back(p.kind + ":" + p.name);
    EXPECT_EQ(p.origin, "built-in");
    EXPECT_EQ(p.abi_version, "1.3");
  }
  EXPECT_EQ(names, (std::vector<std::string>{"adapter:csv", "adapter:freshservice", "adapter:jira", "adapter:jsonl",
                                             "adapter:servicenow", "adapter:zendesk", "sink:alertmanager", "sink:jsonl",
                                             "sink:webhook"}))
      << "an adapter and a sink may share a name";
  auto missing = registry.CreateAdapter("remedy");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("available: csv, freshservice, jira, jsonl, servicenow, zendesk)"),
            std::string::npos)
      << missing.status();
  auto no_sink = registry.CreateSink("slack", "{}");
  ASSERT_FALSE(no_sink.ok());
  EXPECT_NE(no_sink.status().message().find("no sink named 'slack' (available: alertmanager, jsonl, webhook)"),
            std::string::npos)
      << no_sink.status();
}

v1::Alert Entry(uint64_t cursor, v1::AlertState state) {
  v1::Alert a;
  a.set_tenant("acme");
  a.set_cursor(cursor);
  a.set_alert_id(1);
  a.set_rule("rude");
  a.set_state(state);
  return a;
}

TEST(PluginLoader, LoadsTheJsonlSinkModuleAndDeliversThroughTheAbi) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/alerts.jsonl";
  std::unique_ptr<SinkHandle> sink;
  {
    PluginRegistry registry;
    ASSERT_TRUE(registry.LoadModule(JSONL_SINK_MODULE).ok()) << registry.refused().front();
    ASSERT_EQ(registry.List().size(), 1u);
    EXPECT_EQ(registry.List()[0].kind, "sink");
    auto refused = registry.CreateSink("jsonl", R"({"name": "f", "kind": "jsonl", "path": "x", "colour": "red"})");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(refused.status().message().find("unknown setting 'colour'"), std::string::npos) << refused.status();
    auto created = registry.CreateSink("jsonl", R"({"name": "f", "kind": "jsonl", "path": ")" + path + R"("})");
    ASSERT_TRUE(created.ok()) << created.status();
    sink = std::move(*created);
  }  // the registry is gone; the instance keeps the library mapped
  SinkDelivery replayed = sink->Deliver({Entry(1, v1::ALERT_STATE_FIRING)}, /*replayed=*/true);
  EXPECT_TRUE(replayed.retry.ok()) << replayed.retry;
  EXPECT_EQ(replayed.handled, 1u);
  SinkDelivery d = sink->Deliver({Entry(2, v1::ALERT_STATE_FIRING), Entry(3, v1::ALERT_STATE_RESOLVED)});
  EXPECT_TRUE(d.retry.ok()) << d.retry;
  EXPECT_EQ(d.handled, 2u);
  EXPECT_EQ(d.refused, 0u);
  EXPECT_TRUE(sink->Refresh(absl::Now()).ok());
  EXPECT_EQ(testing::ReadFile(path), AlertEntryJson(Entry(2, v1::ALERT_STATE_FIRING)) + "\n" +
                                         AlertEntryJson(Entry(3, v1::ALERT_STATE_RESOLVED)) + "\n")
      << "a replayed entry is never written again";

  // A file it cannot write: nothing handled, retried later.
  auto bad = PluginRegistry();
  ASSERT_TRUE(bad.LoadModule(JSONL_SINK_MODULE).ok());
  auto unwritable = bad.CreateSink("jsonl", R"({"path": "/nonexistent/dir/alerts.jsonl"})");
  ASSERT_TRUE(unwritable.ok()) << unwritable.status();
  SinkDelivery failed = (*unwritable)->Deliver({Entry(4, v1::ALERT_STATE_FIRING)});
  EXPECT_EQ(failed.handled, 0u);
  EXPECT_EQ(failed.retry.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(failed.retry.message().find("cannot open /nonexistent/dir/alerts.jsonl"), std::string::npos) << failed.retry;
}

// A sink table must be ABI 1.3 with deliver; an adapter needs no deliver.
TEST(PluginLoader, ASinkTableIsCheckedForItsAbiAndDeliver) {
  rapport_plugin_api table{};
  table.struct_size = sizeof(table);
  table.abi_major = RAPPORT_PLUGIN_ABI_MAJOR;
  table.abi_minor = 2;
  table.name = "old-sink";
  table.kind = RAPPORT_PLUGIN_SINK;
  table.create = [](const char*, size_t, char*, size_t) -> rapport_plugin_instance* { return nullptr; };
  table.destroy = [](rapport_plugin_instance*) {};
  table.last_error = [](const rapport_plugin_instance*) { return ""; };
  absl::Status s = CheckPluginTable(&table);
  EXPECT_NE(s.message().find("a sink needs ABI 1.3"), std::string::npos) << s;
  table.abi_minor = 3;
  s = CheckPluginTable(&table);
  EXPECT_NE(s.message().find("missing required function deliver"), std::string::npos) << s;
  table.deliver = [](rapport_plugin_instance*, const rapport_alert_entry*, size_t, rapport_delivery*) -> int32_t {
    return RAPPORT_OK;
  };
  EXPECT_TRUE(CheckPluginTable(&table).ok());
  table.struct_size = offsetof(rapport_plugin_api, deliver);
  EXPECT_NE(CheckPluginTable(&table).message().find("a sink needs ABI 1.3"), std::string::npos);
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
      {"duplicate_name", "duplicate adapter name 'freshservice'"},
      {"does_not_exist", "dlopen failed"},
  };
  for (const auto& [module, reason] : cases) {
    absl::Status s = registry.LoadModule(Module(module));
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << module;
    EXPECT_NE(s.message().find(reason), std::string::npos) << module << ": " << s;
  }
  EXPECT_EQ(registry.refused().size(), std::size(cases));
  EXPECT_EQ(registry.List().size(), 9u) << "nothing broken was registered";
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
