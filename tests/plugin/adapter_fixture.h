// A registry of the built-in plugins, and the calls the adapter tests make
// through it: the fixture shared by the adapter test files.
#ifndef RAPPORT_TESTS_PLUGIN_ADAPTER_FIXTURE_H_
#define RAPPORT_TESTS_PLUGIN_ADAPTER_FIXTURE_H_

#include <gtest/gtest.h>

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

  // What `adapter` makes of `body` for tenant "acme"; a failed translation
  // fails the test and gives an empty result.
  Translation Translate(const std::string& adapter, const std::string& body, const std::string& config = "",
                        std::vector<std::pair<std::string, std::string>> headers = {}) {
    auto handle = Adapter(adapter, config);
    if (!handle) return {};
    auto out = handle->Translate("acme", body, "", headers);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? *out : Translation();
  }

  // Why `adapter` (or its creation with `config`) refuses `body`.
  absl::Status Error(const std::string& adapter, const std::string& body, const std::string& config = "") {
    auto handle = registry_.CreateAdapter(adapter, config);
    if (!handle.ok()) return handle.status();
    return (*handle)->Translate("acme", body).status();
  }

  PluginRegistry registry_;
};

}  // namespace rapport

#endif  // RAPPORT_TESTS_PLUGIN_ADAPTER_FIXTURE_H_
