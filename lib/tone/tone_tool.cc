// rapport-tone: the tone engine on the command line, for people tuning
// thresholds and for the evaluation scripts.
//
//   rapport-tone "Not our problem. Talk to your manager."
//   rapport-tone --batch < lines.txt      # compound pos neu neg politeness rudeness rude low_confidence sentiment (tab-separated)
//   rapport-tone --features < lines.txt   # the politeness model's features, one line per input line
// --lexicon, --model and --rude-lexicon load data files instead of the compiled-in ones.
#include <iostream>
#include <string>

#include "absl/strings/str_format.h"
#include "tone/tone.h"

int main(int argc, char** argv) {
  std::string mode, lexicon, model, rude, text;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* name) -> bool {
      std::string prefix = std::string(name) + "=";
      if (arg.rfind(prefix, 0) != 0) return false;
      return true;
    };
    if (arg == "--batch" || arg == "--features") {
      mode = arg;
    } else if (value("--lexicon")) {
      lexicon = arg.substr(10);
    } else if (value("--model")) {
      model = arg.substr(8);
    } else if (value("--rude-lexicon")) {
      rude = arg.substr(15);
    } else if (arg.rfind("--", 0) == 0) {
      std::cerr << "usage: rapport-tone [--batch|--features] [--lexicon=F] [--model=F] [--rude-lexicon=F] [TEXT]\n";
      return 2;
    } else {
      text += (text.empty() ? "" : " ") + arg;
    }
  }
  auto analyzer = rapport::tone::ToneAnalyzer::FromFiles(lexicon, model, rude);
  if (!analyzer.ok()) {
    std::cerr << "rapport-tone: " << analyzer.status().message() << "\n";
    return 1;
  }
  if (mode.empty()) {
    if (text.empty()) {
      std::cerr << "usage: rapport-tone \"text to analyse\"\n";
      return 2;
    }
    std::cout << rapport::tone::FormatToneReport(text, (*analyzer)->Analyze(text));
    return 0;
  }
  std::string line;
  while (std::getline(std::cin, line)) {
    if (mode == "--features") {
      std::cout << (*analyzer)->FeatureLine(line) << "\n";
      continue;
    }
    auto r = (*analyzer)->Analyze(line);
    std::cout << absl::StrFormat("%.4f\t%.3f\t%.3f\t%.3f\t%.4f\t%.4f\t%d\t%d\t%.4f\n", r.valence.compound,
                                 r.valence.pos, r.valence.neu, r.valence.neg, r.politeness, r.rudeness, r.rude,
                                 r.low_confidence, r.sentiment);
  }
  return 0;
}
