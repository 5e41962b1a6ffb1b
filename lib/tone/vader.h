// A VADER-compatible valence analyser (Hutto & Gilbert, ICWSM 2014): a
// lexicon of word valences plus the rules of the reference implementation —
// negation, boosters and dampeners, ALL-CAPS emphasis among mixed case,
// exclamation and question emphasis, the contrastive "but", "least",
// idioms and special multi-word cases; emoticons are lexicon entries, and
// emoji read as their descriptions (tone/emoji.h), as the reference does.
//
//   auto vader = Vader::FromEmbedded();
//   Valence v = vader->Score("The VPN works now, thanks a lot!");   // v.compound > 0
//
// Score() is const and thread-safe and allocates nothing per word once the
// calling thread's scratch buffers have grown to the longest text seen.
#ifndef RAPPORT_TONE_VADER_H_
#define RAPPORT_TONE_VADER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rapport::tone {

struct Valence {
  double compound = 0;  // -1 (most negative) .. +1 (most positive)
  double pos = 0, neu = 0, neg = 0;  // proportions, summing to 1 (0 for empty text)
  // The compound as a help desk reads the text: the vocabulary of IT faults
  // ("error", "failed", "broken") names the problem, not the writer's mood,
  // so such a word counts only when denied ("no problems", "isn't broken"
  // stay good news) and is 0 otherwise. Equals `compound` without faults.
  double support_compound = 0;
  int lexicon_hits = 0;  // tokens found in the lexicon
  int tokens = 0;
};

class Vader {
 public:
  // The lexicon shipped in data/tone/vader_lexicon.txt, compiled in.
  static std::unique_ptr<Vader> FromEmbedded();
  // A lexicon in the same format: token TAB mean valence TAB ... per line.
  static absl::StatusOr<std::unique_ptr<Vader>> FromFile(const std::string& path);
  static absl::StatusOr<std::unique_ptr<Vader>> FromText(absl::string_view lexicon);

  Valence Score(absl::string_view text) const;
  // Score() of a text whose emoji have already been described
  // (EmojiDescriptions::Describe), without looking for them again.
  Valence ScoreDescribed(absl::string_view text) const;

  // The valence of one lowercase token, or nullptr.
  const double* Lookup(absl::string_view lowercase_token) const;

 private:
  Vader() = default;
  absl::flat_hash_map<std::string, double> lexicon_;
};

// The fields (split on tabs) of each non-empty line of a data file (LF or
// CR LF), with its 1-based line number; stops at the first error `fn` returns.
absl::Status ForEachTabLine(absl::string_view text,
                            absl::FunctionRef<absl::Status(int number, const std::vector<absl::string_view>& fields)> fn);

// ASCII lowercase copy into `out` (reused; no allocation once large enough).
void LowerInto(absl::string_view in, std::string* out);

}  // namespace rapport::tone

#endif  // RAPPORT_TONE_VADER_H_
