// Emoji as the reference VADER reads them: each emoji of its emoji lexicon
// (data/tone/emoji_utf8_lexicon.txt, MIT, from vaderSentiment) is replaced by
// its English description before scoring, so "ok 🙂" reads "ok slightly
// smiling face". As in the reference, an entry matches one code point (so
// "👍🏻" reads "thumbs up" followed by the skin tone's own entry), a space
// goes before a description that follows a non-space, and none after it.
//
//   const EmojiDescriptions& emoji = EmojiDescriptions::Default();
//   std::string out;
//   if (emoji.Describe(text, &out, nullptr)) text = out;
#ifndef RAPPORT_TONE_EMOJI_H_
#define RAPPORT_TONE_EMOJI_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rapport::tone {

class EmojiDescriptions {
 public:
  // The lexicon shipped in data/tone/emoji_utf8_lexicon.txt, compiled in.
  static const EmojiDescriptions& Default();
  // Lines "emoji<TAB>description"; entries of more than one code point are
  // kept out, as the reference never matches them.
  static absl::StatusOr<std::unique_ptr<EmojiDescriptions>> FromText(absl::string_view lexicon);

  // When `text` holds an emoji of the lexicon, writes it with every such emoji
  // replaced into `out` and returns true; otherwise returns false and leaves
  // `out` alone (ASCII text is a single pass over its bytes). `origin`, when
  // given, receives for each byte of `out` the [begin, end) of the bytes of
  // `text` it stands for, so spans found in `out` map back to `text`.
  bool Describe(absl::string_view text, std::string* out,
                std::vector<std::pair<uint32_t, uint32_t>>* origin) const;

 private:
  EmojiDescriptions() = default;
  // The description of the code point at text[i], or nullptr; *length is the
  // code point's length in bytes (1 for a byte that starts no UTF-8).
  const std::string* At(absl::string_view text, size_t i, size_t* length) const;
  absl::flat_hash_map<uint32_t, std::string> by_code_point_;
};

}  // namespace rapport::tone

#endif  // RAPPORT_TONE_EMOJI_H_
