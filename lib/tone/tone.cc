#include "tone/tone.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tone/emoji.h"

extern const unsigned char kPolitenessModel[];
extern const size_t kPolitenessModel_size;
extern const unsigned char kRudeLexicon[];
extern const size_t kRudeLexicon_size;

namespace rapport::tone {
namespace {

absl::string_view Embedded(const unsigned char* data, size_t size) {
  return absl::string_view(reinterpret_cast<const char*>(data), size);
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace

const ToneAnalyzer& ToneAnalyzer::Default() {
  static const ToneAnalyzer* analyzer = [] {
    auto made = FromFiles("", "", "");
    if (!made.ok()) std::abort();  // the compiled-in data is checked by the tests
    return made->release();
  }();
  return *analyzer;
}

absl::StatusOr<std::unique_ptr<ToneAnalyzer>> ToneAnalyzer::FromFiles(const std::string& lexicon,
                                                                      const std::string& politeness_model,
                                                                      const std::string& rude_lexicon) {
  std::unique_ptr<ToneAnalyzer> analyzer(new ToneAnalyzer());
  if (lexicon.empty()) {
    analyzer->vader_ = Vader::FromEmbedded();
    if (!analyzer->vader_) return absl::InternalError("the compiled-in lexicon is unreadable");
  } else {
    auto vader = Vader::FromFile(lexicon);
    if (!vader.ok()) return vader.status();
    analyzer->vader_ = std::move(*vader);
  }
  std::string model_text(Embedded(kPolitenessModel, kPolitenessModel_size));
  std::string rude_text(Embedded(kRudeLexicon, kRudeLexicon_size));
  if (!politeness_model.empty()) {
    auto text = ReadFile(politeness_model);
    if (!text.ok()) return text.status();
    model_text = std::move(*text);
  }
  if (!rude_lexicon.empty()) {
    auto text = ReadFile(rude_lexicon);
    if (!text.ok()) return text.status();
    rude_text = std::move(*text);
  }
  auto model = PolitenessModel::FromText(model_text, rude_text);
  if (!model.ok()) return model.status();
  analyzer->politeness_ = std::move(*model);
  return analyzer;
}

ToneResult ToneAnalyzer::Analyze(absl::string_view text) const {
  ToneResult result;
  // Both scores are of the writer's own lines: an agent quoting an angry
  // message, or a requester pasting an error log, is not upset by it.
  thread_local std::string own_lines, described;
  thread_local std::vector<std::pair<uint32_t, uint32_t>> origin;
  absl::string_view own = MaskQuotedLines(text, &own_lines) ? absl::string_view(own_lines) : text;
  // Emoji are read as words ("ok 🙂" as "ok slightly smiling face"), for
  // politeness as for valence; cue spans are mapped back to `text`.
  const bool has_emoji = EmojiDescriptions::Default().Describe(own, &described, &origin);
  if (has_emoji) own = described;
  PolitenessAnalysis p = politeness_->Analyze(own, *vader_, /*lines_masked=*/true);
  result.low_confidence = p.low_confidence;
  if (p.low_confidence) return result;  // neutral: nothing here to judge
  result.valence = vader_->ScoreDescribed(own);
  if (has_emoji) {
    for (Cue& cue : p.cues) {
      cue.end = origin[cue.end - 1].second;
      cue.begin = origin[cue.begin].first;
    }
  }
  // A help desk's reading: the fault vocabulary says what broke, not how the
  // writer feels; frustration cues say how they feel.
  result.sentiment = std::max(-1.0, result.valence.support_compound - 0.3 * std::min(3, p.frustration_cues));
  result.politeness = p.politeness;
  result.rudeness = p.rudeness;
  result.rude = p.rudeness >= kRudeThreshold;
  result.cues = std::move(p.cues);
  return result;
}

std::string ToneAnalyzer::FeatureLine(absl::string_view text) const {
  return politeness_->FeatureLine(text, *vader_);
}

std::string FormatToneReport(absl::string_view text, const ToneResult& r) {
  std::string out = absl::StrFormat(
      "sentiment   compound %+.3f  (pos %.2f, neu %.2f, neg %.2f), support sentiment %+.3f\n"
      "politeness  %+.2f\n"
      "rudeness    %.2f  %s\n",
      r.valence.compound, r.valence.pos, r.valence.neu, r.valence.neg, r.sentiment, r.politeness, r.rudeness,
      r.low_confidence ? "(low confidence: not English prose, or only quoted text, code or logs)"
                       : (r.rude ? "RUDE" : "not rude"));
  if (!r.cues.empty()) absl::StrAppend(&out, "cues\n");
  for (const Cue& cue : r.cues) {
    absl::StrAppend(&out, absl::StrFormat("  %-16s \"%s\"  [%d, %d)\n", cue.kind,
                                          text.substr(cue.begin, std::min<size_t>(cue.end - cue.begin, 60)),
                                          cue.begin, cue.end));
  }
  return out;
}

}  // namespace rapport::tone
