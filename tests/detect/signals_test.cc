#include "detect/signals.h"

#include <gtest/gtest.h>

namespace rapport::detect {
namespace {

TEST(Signals, WhatAMessageSays) {
  EXPECT_TRUE(AsksSomething("Could you send me the log file"));
  EXPECT_TRUE(AsksSomething("Which version do you run?"));
  EXPECT_FALSE(AsksSomething("I restarted the service."));
  EXPECT_TRUE(ReportsStillBroken("It is still not working after the restart."));
  EXPECT_TRUE(ConfirmsOrThanks("Thanks, that fixed it!"));
  EXPECT_FALSE(ConfirmsOrThanks("Thanks, but it still fails."));
  EXPECT_TRUE(NeedsAnswer("Any update? It still fails."));
  EXPECT_FALSE(NeedsAnswer("Great, works now, thank you."));
  EXPECT_TRUE(Acknowledges("Sorry for the trouble, please restart."));
  EXPECT_FALSE(Acknowledges("Restart it."));
  EXPECT_EQ(CountWords("Restart it."), 2);
  EXPECT_EQ(CountWords("  "), 0);
}

TEST(Signals, OneLineKeepsAQuoteShortAndValid) {
  EXPECT_EQ(OneLine("  Restart\n\tthe   client. ", 60), "Restart the client.");
  EXPECT_EQ(OneLine("Please restart the client and tell me what happens", 20), "Please restart the…");
  // Cut inside a run of two-byte letters: the cut backs off to a whole letter.
  std::string cyrillic;
  for (int i = 0; i < 30; ++i) cyrillic += "\xd0\x96";  // Ж
  std::string cut = OneLine(cyrillic, 21);
  EXPECT_EQ(cut, cyrillic.substr(0, 20) + "…");
  EXPECT_EQ(OneLine("", 10), "");
}

}  // namespace
}  // namespace rapport::detect
