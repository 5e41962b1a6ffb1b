// Politeness and rudeness of a message.
//
// Features in the tradition of the Stanford politeness work (Danescu-Niculescu-
// Mizil et al., ACL 2013) — gratitude, apology, deference, greetings, please,
// hedges, indirect vs direct requests, counterfactual vs indicative modals,
// first- and second-person starts, factuality — plus words, combined by a
// linear model whose weights are fitted by scripts/tone/fit_politeness.py and
// shipped in data/tone/politeness_model.tsv.
//
// Rudeness adds support-specific cues to the politeness score: blame ("you
// should have"), dismissal ("not our problem", "works for me"), threats
// ("breach of contract", "will be closed"), sarcasm markers, shouting, bare
// commands, and profanity and insults from data/tone/rude_lexicon.txt (tuned
// on the Davidson et al. 2017 offensive-language data).
//
// Quoted text (lines starting with '>', text in double quotes) and pasted code
// or logs are not the writer's own words and are left out of both scores.
#ifndef RAPPORT_TONE_POLITENESS_H_
#define RAPPORT_TONE_POLITENESS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tone/vader.h"

namespace rapport::tone {

// Why a message reads as it does: `kind` names the cue (e.g. "gratitude",
// "blame", "profanity") and [begin, end) is its byte span in the text.
struct Cue {
  std::string kind;
  size_t begin = 0;
  size_t end = 0;
};

// The strategies; their names are the model file's feature names.
enum Strategy : int {
  kGratitude, kApology, kDeference, kGreeting, kPlease, kPleaseStart, kHedge, kIndirectBtw, kDirectQuestion,
  kDirectStart, kCounterfactual, kIndicative, kFirstPersonStart, kFirstPersonPlural, kFirstPerson, kSecondPerson,
  kSecondPersonStart, kFactuality, kPositiveWords, kNegativeWords, kQuestion, kImperative, kExclamation,
  kBlame, kDismissal, kThreat, kSarcasm, kShouting, kProfanity, kFrustration,
  kStrategyCount
};
const char* StrategyName(Strategy s);

struct PolitenessAnalysis {
  double politeness = 0;  // -1 .. 1
  double rudeness = 0;    // 0 .. 1
  int frustration_cues = 0;  // "can't work", "unacceptable", "third time", ...
  bool low_confidence = false;
  std::vector<Cue> cues;
};

// Copies `text` into `masked` with the lines the writer did not write blanked
// by spaces (offsets kept): quoted lines ('>'), fenced code, pasted code and
// log lines, and an earlier mail thread below the reply (from its "On … wrote:"
// or "From:/Sent:" header down). Returns whether anything was blanked.
bool MaskQuotedLines(absl::string_view text, std::string* masked);

class PolitenessModel {
 public:
  // `model`: lines "bias<TAB>-<TAB>w", "strategy<TAB>name<TAB>w", "word<TAB>token<TAB>w".
  // `rude_lexicon`: one lowercase word or phrase per line ('#' comments).
  static absl::StatusOr<std::unique_ptr<PolitenessModel>> FromText(absl::string_view model,
                                                                  absl::string_view rude_lexicon);

  // `lines_masked`: the caller has already passed `text` through
  // MaskQuotedLines, so only quotations within lines remain to be left out.
  PolitenessAnalysis Analyze(absl::string_view text, const Vader& vader, bool lines_masked = false) const;

  // The feature values the model sees, as "name=value" pairs separated by
  // spaces (strategies as s:name, words as w:token).
  std::string FeatureLine(absl::string_view text, const Vader& vader) const;

 private:
  struct Features;
  void Extract(absl::string_view text, const Vader& vader, bool lines_masked, Features* f) const;

  // What every per-word table says of one word, so a token costs one lookup.
  struct WordInfo {
    uint32_t classes = 0;  // strategy bits of the word classes
    bool function_word = false;
    bool rude = false;
    bool starts_phrase = false;  // some multi-word cue begins with it
    double weight = 0;           // the model's weight of the word
  };

  double bias_ = 0;
  double strategy_weights_[kStrategyCount] = {};
  absl::flat_hash_map<std::string, WordInfo> words_;
  std::vector<std::string> rude_phrases_;  // multi-word entries
};

}  // namespace rapport::tone

#endif  // RAPPORT_TONE_POLITENESS_H_
