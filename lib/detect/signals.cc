#include "detect/signals.h"

#include <cctype>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace rapport::detect {
namespace {

bool ContainsAny(absl::string_view lower, std::initializer_list<absl::string_view> needles) {
  for (absl::string_view n : needles) {
    if (absl::StrContains(lower, n)) return true;
  }
  return false;
}

}  // namespace

int CountWords(absl::string_view text) {
  int words = 0;
  bool in_word = false;
  for (char c : text) {
    bool word_char = std::isalnum(static_cast<unsigned char>(c)) || (c & 0x80);
    if (word_char && !in_word) ++words;
    in_word = word_char;
  }
  return words;
}

bool AsksSomething(absl::string_view text) {
  std::string lower = absl::AsciiStrToLower(text);
  return absl::StrContains(lower, "?") ||
         ContainsAny(lower, {"could you", "can you", "would you", "please send", "please confirm", "please let me know",
                             "please try", "let me know", "please check", "please provide"});
}

bool ReportsStillBroken(absl::string_view text) {
  std::string lower = absl::AsciiStrToLower(text);
  return ContainsAny(lower, {"still", "not working", "doesn't work", "does not work", "didn't work", "did not work",
                             "isn't working", "is not working", "same error", "same problem", "is back", "came back",
                             "started again", "not fixed", "nothing changed", "failing", "fails", "broken"});
}

bool ConfirmsOrThanks(absl::string_view text) {
  std::string lower = absl::AsciiStrToLower(text);
  if (ReportsStillBroken(lower)) return false;
  return ContainsAny(lower, {"fixed", "works now", "working now", "works again", "all good", "thank", "thx",
                             "solved", "resolved", "perfect", "great", "confirmed", "appreciate"});
}

bool NeedsAnswer(absl::string_view text) {
  if (ReportsStillBroken(text)) return true;
  // Anything else the requester writes (an answer, new details, a question)
  // hands the turn back to the agent.
  return !ConfirmsOrThanks(text);
}

bool Acknowledges(absl::string_view text) {
  std::string lower = absl::AsciiStrToLower(text);
  return ContainsAny(lower, {"hi ", "hello", "dear", "sorry", "apolog", "thank", "understand", "frustrat",
                             "i see", "good morning", "good afternoon"});
}

}  // namespace rapport::detect
