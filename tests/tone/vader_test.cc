#include "tone/vader.h"

#include <gtest/gtest.h>

#include "tone/emoji.h"
#include "tone/tone.h"

namespace rapport::tone {
namespace {

const Vader& V() { return ToneAnalyzer::Default().vader(); }
double Compound(const char* text) { return V().Score(text).compound; }

// The examples published with the reference implementation (vaderSentiment
// README), each exercising one rule.
struct Published {
  const char* text;
  double compound;
};

TEST(Vader, AgreesWithTheReferenceOnItsPublishedExamples) {
  const Published examples[] = {
      {"VADER is smart, handsome, and funny.", 0.8316},
      {"VADER is smart, handsome, and funny!", 0.8439},                    // exclamation
      {"VADER is very smart, handsome, and funny.", 0.8545},               // booster
      {"VADER is VERY SMART, handsome, and FUNNY.", 0.9227},               // caps emphasis
      {"VADER is VERY SMART, handsome, and FUNNY!!!", 0.9342},
      {"VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!", 0.9469},
      {"VADER is not smart, handsome, nor funny.", -0.7424},               // negation
      {"The book was good.", 0.4404},
      {"At least it isn't a horrible book.", 0.431},                       // "least", n't
      {"The book was only kind of good.", 0.3832},                         // dampener "kind of"
      {"The plot was good, but the characters are uncompelling and the dialog is not great.", -0.7042},  // but
      {"Today SUX!", -0.5461},
      {"Today only kinda sux! But I'll get by, lol", 0.5249},
      {"Make sure you :) or :D today!", 0.8633},                           // emoticons
      {"Not bad at all", 0.431},
  };
  for (const auto& e : examples) EXPECT_NEAR(Compound(e.text), e.compound, 5e-4) << e.text;
  Valence v = V().Score("VADER is smart, handsome, and funny.");
  EXPECT_NEAR(v.pos, 0.746, 1e-3);
  EXPECT_NEAR(v.neu, 0.254, 1e-3);
  EXPECT_NEAR(v.neg, 0.0, 1e-3);
}

TEST(Vader, Rules) {
  EXPECT_LT(Compound("The fix is not good"), 0) << "negation flips";
  EXPECT_GT(Compound("The fix is extremely good"), Compound("The fix is good")) << "booster";
  EXPECT_LT(Compound("The fix is slightly good"), Compound("The fix is good")) << "dampener";
  EXPECT_GT(Compound("The fix is GOOD, thanks"), Compound("The fix is good, thanks")) << "caps among lowercase";
  EXPECT_GT(Compound("The fix is good!!!"), Compound("The fix is good")) << "exclamations";
  EXPECT_GT(std::abs(Compound("Is the fix good??")), std::abs(Compound("Is the fix good"))) << "questions";
  EXPECT_LT(Compound("The agent was nice, but the fix is terrible"), Compound("The fix is terrible, but the agent was nice"))
      << "what follows 'but' weighs more";
  EXPECT_LT(Compound("I'm feeling under the weather"), 0) << "idiom";
  EXPECT_GT(Compound("thanks :)"), Compound("thanks")) << "emoticon";
}

// The reference's "no" rule (absent from older ports): "no" before a lexicon
// word negates that word instead of counting as negative itself. A help desk
// hears "no problems" and "no worries" all day; the values are the reference
// implementation's (vaderSentiment 3.3.2).
TEST(Vader, NoNegatesTheLexiconWordAfterIt) {
  EXPECT_NEAR(Compound("I have had no problems since the update."), 0.3089, 5e-4);
  EXPECT_NEAR(Compound("No worries, the laptop works again."), 0.3252, 5e-4);
  EXPECT_NEAR(Compound("No problem, happy to help."), 0.2406, 5e-4);
  EXPECT_LT(Compound("no"), 0) << "alone, 'no' keeps its own valence";
  EXPECT_LT(Compound("There is no fix and no answer"), 0) << "'no' before a neutral word is not a negation";
}

// Emoji read as their descriptions, as the reference (vaderSentiment 3.3.2)
// does, including its quirks: one code point per entry, and no space after a
// description ("great👍thanks" reads "great thumbs upthanks").
TEST(Vader, ReadsEmojiAsTheReferenceDoes) {
  const Published examples[] = {
      {"thanks \xf0\x9f\x91\x8d", 0.4404},                                   // 👍
      {"it works again \xf0\x9f\x8e\x89\xf0\x9f\x8e\x89", 0.6597},         // 🎉🎉
      {"still broken \xf0\x9f\x98\xa1", -0.4767},                             // 😡
      {"ok \xf0\x9f\x99\x82", 0.6003},                                        // 🙂 slightly smiling face
      {"\xf0\x9f\x98\x8d\xf0\x9f\x98\x8d\xf0\x9f\x98\x8d love it", 0.9217},  // 😍😍😍
      {"great\xf0\x9f\x91\x8dthanks", 0.6249},
      {"not our problem \xf0\x9f\x99\x84", 0.3089},                           // 🙄
      {"I \xe2\x9d\xa4\xef\xb8\x8f this fix", 0.0},                          // ❤️: two code points, no entry
  };
  for (const auto& e : examples) EXPECT_NEAR(Compound(e.text), e.compound, 5e-4) << e.text;
  EXPECT_GT(Compound("ok \xf0\x9f\x99\x82"), Compound("ok")) << "the smile counts";
}

TEST(Emoji, DescribesAndMapsBack) {
  const EmojiDescriptions& emoji = EmojiDescriptions::Default();
  std::string out;
  std::vector<std::pair<uint32_t, uint32_t>> origin;
  EXPECT_FALSE(emoji.Describe("plain ASCII, caf\xc3\xa9 and \xff bytes", &out, &origin));
  const std::string text = "ok \xf0\x9f\x99\x82 thanks";
  ASSERT_TRUE(emoji.Describe(text, &out, &origin));
  EXPECT_EQ(out, "ok slightly smiling face thanks");
  ASSERT_EQ(origin.size(), out.size());
  EXPECT_EQ(origin[out.find("smiling")], (std::pair<uint32_t, uint32_t>(3, 7))) << "a description stands for the emoji";
  EXPECT_EQ(origin[out.find("thanks")].first, text.find("thanks"));
  EXPECT_FALSE(EmojiDescriptions::FromText("").ok());
  EXPECT_FALSE(EmojiDescriptions::FromText("\xf0\x9f\x99\x82\n").ok()) << "no description";
  EXPECT_TRUE(EmojiDescriptions::FromText("\xf0\x9f\x99\x82\tsmile\n").ok());
}

TEST(Vader, EdgeInputs) {
  EXPECT_EQ(V().Score("").compound, 0);
  EXPECT_EQ(V().Score("   \n\t ").tokens, 0);
  std::string huge(1 << 20, 'a');
  for (size_t i = 0; i < huge.size(); i += 7) huge[i] = ' ';
  EXPECT_EQ(V().Score(huge).compound, 0);
  EXPECT_NO_FATAL_FAILURE(V().Score("\xff\xfe broken \xc3 utf-8 \x80 great"));
  EXPECT_GT(V().Score("\xff\xfe broken \xc3 utf-8 \x80 great").compound, 0);
}

TEST(Vader, LoadsALexiconAndRefusesAMalformedOne) {
  auto vader = Vader::FromText("good\t2.0\t0.5\t[2]\nbad\t-2.0\t0.5\t[-2]\n");
  ASSERT_TRUE(vader.ok());
  EXPECT_GT((*vader)->Score("good").compound, 0);
  EXPECT_FALSE(Vader::FromText("good two\n").ok());
  EXPECT_FALSE(Vader::FromText("").ok());
  EXPECT_FALSE(Vader::FromFile("/nonexistent/lexicon.txt").ok());
}

}  // namespace
}  // namespace rapport::tone
