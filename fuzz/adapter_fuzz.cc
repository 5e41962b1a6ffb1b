// libFuzzer target for one adapter's translate function, through the real C
// ABI and host (the registry), as rapportd calls it. Built per adapter with
// FUZZ_ADAPTER (and, for csv, FUZZ_MAPPING) defined; see scripts/fuzz.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "builtin/builtins.h"
#include "plugin/registry.h"

namespace {

rapport::AdapterHandle* Adapter() {
  static rapport::PluginRegistry* registry = [] {
    auto* r = new rapport::PluginRegistry();
    if (!rapport::RegisterBuiltinPlugins(r).ok()) abort();
    return r;
  }();
  static std::unique_ptr<rapport::AdapterHandle> adapter = [] {
    const std::string mapping = FUZZ_MAPPING;
    auto created = registry->CreateAdapter(FUZZ_ADAPTER,
                                           mapping.empty() ? "" : "{\"mapping\": \"" + mapping + "\"}");
    if (!created.ok()) abort();
    return std::move(*created);
  }();
  return adapter.get();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  // Any outcome but a crash, a leak or a sanitizer report is fine: a bad
  // payload must come back as an error.
  auto out = Adapter()->Translate("fuzz", body, "", {{"x-atlassian-webhook-identifier", "fuzz"}});
  if (out.ok()) {
    for (const auto& e : out->events) {
      if (e.tenant() != "fuzz") abort();
    }
  }
  return 0;
}
