// libFuzzer target: the keys file reader (auth/api_keys.h) on arbitrary bytes,
// as a damaged or hostile RAPPORT-KEYS would present them, and the key and
// hash parsers on the same bytes. Beyond "no crash, no sanitizer report":
// whatever the reader accepts renders and reads back to the same records.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "auth/api_keys.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  (void)rapport::auth::KeyIdOf(text);
  (void)rapport::auth::ParseKeyHash(text);
  auto records = rapport::auth::ParseKeyFile(text);
  if (!records.ok()) return 0;
  auto again = rapport::auth::ParseKeyFile(rapport::auth::RenderKeyFile(*records));
  if (!again.ok() || again->size() != records->size()) std::abort();
  for (size_t i = 0; i < records->size(); ++i) {
    const auto& a = (*records)[i];
    const auto& b = (*again)[i];
    if (a.hash.text != b.hash.text || a.tenant != b.tenant || a.role != b.role || a.label != b.label ||
        a.created != b.created) {
      std::abort();
    }
  }
  return 0;
}
