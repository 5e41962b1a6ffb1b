// The tone engine: valence (VADER-compatible), politeness and rudeness of a
// message, with the cue spans that explain them.
//
//   const ToneAnalyzer& tone = ToneAnalyzer::Default();
//   ToneResult r = tone.Analyze("Not our problem. Talk to your manager.");
//   // r.rude == true; r.cues lists {kind "dismissal", span of "Not our problem"} ...
//
// Deterministic, no network, no model download: the lexicons and the fitted
// politeness weights are compiled in from data/tone/. Analyze() is const and
// thread-safe.
#ifndef RAPPORT_TONE_TONE_H_
#define RAPPORT_TONE_TONE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tone/politeness.h"
#include "tone/vader.h"

namespace rapport::tone {

struct ToneResult {
  Valence valence;
  // Support sentiment, -1..1: the valence compound as a help desk reads it —
  // IT fault words ("error", "failed", "broken") count 0, since they name the
  // problem rather than the writer's mood — lowered by 0.3 for each
  // frustration cue ("can't work", "unacceptable", "third time", ... at most
  // three), because upset requesters write in ways general lexicons miss.
  double sentiment = 0;
  double politeness = 0;  // -1 (impolite) .. +1 (polite)
  double rudeness = 0;    // 0 .. 1; `rude` when >= kRudeThreshold
  bool rude = false;
  // Set for text the engine cannot judge (not English, code or logs only);
  // the scores are then neutral.
  bool low_confidence = false;
  std::vector<Cue> cues;  // byte spans into the analysed text
};

inline constexpr double kRudeThreshold = 0.5;

class ToneAnalyzer {
 public:
  // The engine built from the compiled-in data; created once, never freed.
  static const ToneAnalyzer& Default();
  // From explicit files (for tuning); any empty path uses the compiled-in file.
  static absl::StatusOr<std::unique_ptr<ToneAnalyzer>> FromFiles(const std::string& lexicon,
                                                                 const std::string& politeness_model,
                                                                 const std::string& rude_lexicon);

  ToneResult Analyze(absl::string_view text) const;

  // The politeness model's features of `text` ("name=value" pairs), as the
  // fitting script sees them.
  std::string FeatureLine(absl::string_view text) const;

  const Vader& vader() const { return *vader_; }

 private:
  ToneAnalyzer() = default;
  std::unique_ptr<Vader> vader_;
  std::unique_ptr<PolitenessModel> politeness_;
};

// A readable report of one analysis (for `rapport tone` and people tuning).
std::string FormatToneReport(absl::string_view text, const ToneResult& result);

}  // namespace rapport::tone

#endif  // RAPPORT_TONE_TONE_H_
