// rapport tone: the tone engine's reading of a sentence, for people tuning
// thresholds. Runs locally; needs no server.
#include <iostream>

#include "absl/strings/str_join.h"
#include "server/cli/args.h"
#include "server/cli/commands.h"
#include "tone/tone.h"

namespace rapport::cli {

int RunTone(const std::vector<std::string>& argv) {
  Args args;
  if (absl::Status s = args.Parse(argv, {}, {}); !s.ok() || args.positionals().empty()) {
    std::cerr << "usage: rapport tone \"text to analyse\" [--json]\n";
    return 2;
  }
  std::string text = absl::StrJoin(args.positionals(), " ");
  tone::ToneResult r = tone::ToneAnalyzer::Default().Analyze(text);
  if (!args.json()) {
    std::cout << tone::FormatToneReport(text, r);
    return 0;
  }
  std::cout << "{\"compound\": " << r.valence.compound << ", \"pos\": " << r.valence.pos << ", \"neu\": "
            << r.valence.neu << ", \"neg\": " << r.valence.neg << ", \"politeness\": " << r.politeness
            << ", \"rudeness\": " << r.rudeness << ", \"rude\": " << (r.rude ? "true" : "false")
            << ", \"low_confidence\": " << (r.low_confidence ? "true" : "false") << ", \"cues\": [";
  for (size_t i = 0; i < r.cues.size(); ++i) {
    std::cout << (i ? ", " : "") << "{\"kind\": \"" << r.cues[i].kind << "\", \"begin\": " << r.cues[i].begin
              << ", \"end\": " << r.cues[i].end << "}";
  }
  std::cout << "]}\n";
  return 0;
}

}  // namespace rapport::cli
