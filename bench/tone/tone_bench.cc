// bench/tone: messages per second per core through the tone engine, on
// 20-word help-desk messages. One thread: the figure is per core.
//   scripts/bench-tone [messages]
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "tone/tone.h"

int main(int argc, char** argv) {
  const long count = argc > 1 ? std::atol(argv[1]) : 1'000'000;
  // Twenty words each; a mix of polite, neutral, upset and rude replies.
  const std::vector<std::string> messages = {
      "Hi Emma, thanks for the details. Could you please restart the client once and tell me what you see?",
      "Since this morning Outlook asks for my password every few minutes and I really cannot work like this.",
      "Not our problem. Talk to your manager and stop opening tickets for things you should have read yourself.",
      "I have reset your mail profile and pushed the corrected settings to your laptop, please sign in again.",
      "This is the third time I am asking and nobody answers. I am very disappointed with this service desk.",
      "Works for me. Obviously you didn't try restarting the laptop before you opened this ticket again today.",
      "Thank you so much, that fixed it and everything works again. Have a great day and a nice weekend!",
      "The printer on the third floor jams every morning with the first print job since the service visit.",
  };
  const auto& tone = rapport::tone::ToneAnalyzer::Default();
  double sink = 0;
  for (const auto& m : messages) sink += tone.Analyze(m).politeness;  // warm up

  absl::Time start = absl::Now();
  for (long i = 0; i < count; ++i) {
    auto r = tone.Analyze(messages[i % messages.size()]);
    sink += r.valence.compound + r.rudeness;
  }
  double full = count / absl::ToDoubleSeconds(absl::Now() - start);

  start = absl::Now();
  for (long i = 0; i < count; ++i) sink += tone.vader().Score(messages[i % messages.size()]).compound;
  double valence_only = count / absl::ToDoubleSeconds(absl::Now() - start);

  std::cout << absl::StrFormat("%d messages of 20 words, one thread\n", count);
  std::cout << absl::StrFormat("  full analysis (valence, politeness, rudeness, cues): %10.0f messages/s\n", full);
  std::cout << absl::StrFormat("  valence only (VADER):                               %10.0f messages/s\n", valence_only);
  std::cout << absl::StrFormat("  target: >= 200000 messages/s per core (checksum %.1f)\n", sink);
  return 0;
}
