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

std::string OneLine(absl::string_view text, size_t max) {
  std::string line;
  for (char c : text) {
    bool space = c == '\n' || c == '\r' || c == '\t' || c == ' ';
    if (space && (line.empty() || line.back() == ' ')) continue;
    line.push_back(space ? ' ' : c);
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  if (line.size() <= max) return line;
  size_t cut = line.rfind(' ', max);
  if (cut == std::string::npos || cut < max / 2) {
    cut = max;
    while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 letter
  }
  line.resize(cut);
  return line + "…";
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
