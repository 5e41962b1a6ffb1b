// A registry of the built-in plugins, and the calls the adapter tests make
// through it: the fixture shared by the adapter test files.
#ifndef RAPPORT_TESTS_PLUGIN_ADAPTER_FIXTURE_H_
#define RAPPORT_TESTS_PLUGIN_ADAPTER_FIXTURE_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "builtin/builtins.h"
#include "core/test_util.h"
#include "plugin/registry.h"

namespace rapport {

// A file under tests/fixtures/.
inline std::string Fixture(const std::string& path) {
  return testing::ReadFile(std::string(FIXTURES) + "/" + path);
}

class AdapterFixture : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(RegisterBuiltinPlugins(&registry_).ok()); }

  // The adapter, or null (and a test failure) when it cannot be created.
  std::unique_ptr<AdapterHandle> Adapter(const std::string& name, const std::string& config = "") {
    auto handle = registry_.CreateAdapter(name, config);
    EXPECT_TRUE(handle.ok()) << handle.status();
    return handle.ok() ? std::move(*handle) : nullptr;
  }

  // What `adapter` makes of `body` for tenant "acme": its ticket events,
  // with the identity facts it revealed set apart in identities_. A failed
  // translation fails the test and gives an empty result.
  Translation Translate(const std::string& adapter, const std::string& body, const std::string& config = "",
                        std::vector<std::pair<std::string, std::string>> headers = {}) {
    identities_.clear();
    auto handle = Adapter(adapter, config);
    if (!handle) return {};
    auto out = handle->Translate("acme", body, "", headers);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? SetIdentitiesApart(std::move(*out)) : Translation();
  }

  // `t` without its IDENTITY events, which go to identities_ (each one
  // person's ids).
  Translation SetIdentitiesApart(Translation t) {
    std::vector<v1::TicketEvent> kept;
    for (v1::TicketEvent& e : t.events) {
      if (e.kind() != v1::EVENT_KIND_IDENTITY) {
        kept.push_back(std::move(e));
        continue;
      }
      for (const v1::Identity& identity : e.identities()) {
        identities_.emplace_back(identity.ids().begin(), identity.ids().end());
      }
    }
    t.events = std::move(kept);
    return t;
  }

  // Whether the last translation said that `a` and `b` name one person.
  bool SamePerson(const std::string& a, const std::string& b) const {
    for (const auto& ids : identities_) {
      if (std::find(ids.begin(), ids.end(), a) != ids.end() && std::find(ids.begin(), ids.end(), b) != ids.end()) {
        return true;
      }
    }
    return false;
  }

  // Why `adapter` (or its creation with `config`) refuses `body`.
  absl::Status Error(const std::string& adapter, const std::string& body, const std::string& config = "") {
    auto handle = registry_.CreateAdapter(adapter, config);
    if (!handle.ok()) return handle.status();
    return (*handle)->Translate("acme", body).status();
  }

  PluginRegistry registry_;
  std::vector<std::vector<std::string>> identities_;
};

}  // namespace rapport

#endif  // RAPPORT_TESTS_PLUGIN_ADAPTER_FIXTURE_H_
