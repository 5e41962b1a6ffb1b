// What a message says, in the few ways the detectors care about. Simple,
// documented text heuristics (English), combined with the tone engine.
#ifndef RAPPORT_DETECT_SIGNALS_H_
#define RAPPORT_DETECT_SIGNALS_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace rapport::detect {

// The message asks something: a question mark, or a request to the reader
// ("could you", "please send", "can you").
bool AsksSomething(absl::string_view text);

// The requester reports the problem persists ("still", "not working",
// "doesn't work", "same error", "is back").
bool ReportsStillBroken(absl::string_view text);

// The requester confirms the fix or only thanks ("that fixed it", "works
// now", "thanks", "all good") and reports nothing still broken.
bool ConfirmsOrThanks(absl::string_view text);

// A requester message that still needs an answer from the agent.
bool NeedsAnswer(absl::string_view text);

// The reply acknowledges the person: greeting, thanks, apology, name-like
// address ("Hi", "sorry", "thanks", "understand").
bool Acknowledges(absl::string_view text);

int CountWords(absl::string_view text);

// `text` on one line (runs of white space as one space), cut at a word to
// about `max` bytes with an ellipsis, never inside a UTF-8 character.
std::string OneLine(absl::string_view text, size_t max);

}  // namespace rapport::detect

#endif  // RAPPORT_DETECT_SIGNALS_H_
