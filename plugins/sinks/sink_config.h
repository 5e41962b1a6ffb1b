// Reading a sink's configuration (plugin.h: one JSON object with the
// sink's entry of alerts.sinks): what every built-in sink does first.
// nlohmann-json only, so the jsonl sink's loadable module can use it too.
#ifndef RAPPORT_SINKS_SINK_CONFIG_H_
#define RAPPORT_SINKS_SINK_CONFIG_H_

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "nlohmann/json.hpp"

namespace rapport::sinks {

// Parses the configuration text, refusing a key outside `allowed` (named in
// the message, with the list) and anything but a JSON object. Null with
// *error set when refused.
std::unique_ptr<nlohmann::json> ParseSinkConfig(std::string_view text, const char* kind,
                                                std::initializer_list<const char*> allowed, std::string* error);

}  // namespace rapport::sinks

#endif  // RAPPORT_SINKS_SINK_CONFIG_H_
