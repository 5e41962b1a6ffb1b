// libFuzzer target: the tone engine on arbitrary bytes, as message text
// arrives from every adapter. Beyond "no crash, no sanitizer report", the
// results must stay in range and every cue span inside the text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "tone/tone.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  const rapport::tone::ToneResult r = rapport::tone::ToneAnalyzer::Default().Analyze(text);
  const bool in_range = r.valence.compound >= -1 && r.valence.compound <= 1 && r.sentiment >= -1 &&
                        r.sentiment <= 1 && r.politeness >= -1 && r.politeness <= 1 && r.rudeness >= 0 &&
                        r.rudeness <= 1;
  if (!in_range) std::abort();
  for (const rapport::tone::Cue& cue : r.cues) {
    if (cue.begin >= cue.end || cue.end > size) std::abort();
  }
  return 0;
}
