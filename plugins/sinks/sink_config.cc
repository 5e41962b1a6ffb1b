#include "sinks/sink_config.h"

namespace rapport::sinks {

std::unique_ptr<nlohmann::json> ParseSinkConfig(std::string_view text, const char* kind,
                                                std::initializer_list<const char*> allowed, std::string* error) {
  auto config = std::make_unique<nlohmann::json>(nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false));
  if (!config->is_object()) {
    *error = std::string("a ") + kind + " sink's configuration must be a JSON object";
    return nullptr;
  }
  for (const auto& [key, value] : config->items()) {
    bool known = false;
    std::string names;
    for (const char* name : allowed) {
      known = known || key == name;
      names += names.empty() ? name : std::string(", ") + name;
    }
    if (!known) {
      *error = "unknown setting '" + key + "' (a " + kind + " sink takes " + names + ")";
      return nullptr;
    }
  }
  return config;
}

}  // namespace rapport::sinks
