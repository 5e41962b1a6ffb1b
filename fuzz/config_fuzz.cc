// libFuzzer target: the configuration loader (config/config.h) on arbitrary
// YAML text, as an operator's typo or a hostile file would present it: no
// crash, no exception escaping, no sanitizer report; a configuration it
// accepts digests its derived settings.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto config = rapport::ParseConfig(std::string(reinterpret_cast<const char*>(data), size));
  if (config.ok()) (void)config->DerivedSettingsDigest();
  return 0;
}
