#include <gtest/gtest.h>

#include <set>
#include <string>

#include "tone/tone.h"

namespace rapport::tone {
namespace {

ToneResult Analyze(const std::string& text) { return ToneAnalyzer::Default().Analyze(text); }

std::set<std::string> CueKinds(const std::string& text) {
  std::set<std::string> kinds;
  for (const Cue& c : Analyze(text).cues) kinds.insert(c.kind);
  return kinds;
}

TEST(Politeness, PoliteStrategiesRaiseTheScore) {
  EXPECT_GT(Analyze("Hi Emma, thanks for the details! Could you please restart and let me know?").politeness, 0.5);
  EXPECT_GT(Analyze("I'm really sorry for the trouble, and thank you for your patience.").politeness, 0.5);
  EXPECT_LT(Analyze("Why didn't you read the page before asking?").politeness, 0);
  auto kinds = CueKinds("Hello Sam, thanks a lot. Sorry for the delay; could you perhaps send the log, please?");
  for (const char* k : {"greeting", "gratitude", "apology", "counterfactual", "hedge", "please"}) {
    EXPECT_TRUE(kinds.count(k)) << k;
  }
}

// The engine scores exactly the features the model was fitted on: these are
// the politeness values scripts/tone/fit_politeness.py computes from the model
// file it writes and the engine's features ("agreement:" lines); refit the
// model and they are to be copied from its output. The last request repeats
// words, which count each time they are said, in the fit as in the engine.
TEST(Politeness, AgreesWithTheFittingScript) {
  struct Case {
    const char* text;
    double politeness;
  } cases[] = {
      {"Hi, could you please have a look at my printer? Thanks a lot!", +0.995511},
      {"Why is this still broken? I told you twice what to do.", -0.855375},
      {"So what do you want me to do now?", -0.359762},
      {"I think the the issue is with the VPN, you you could try again.", +0.688232},
  };
  for (const auto& c : cases) EXPECT_NEAR(Analyze(c.text).politeness, c.politeness, 1e-5) << c.text;
}

TEST(Politeness, CuesCarryTheirSpans) {
  std::string text = "Sorry, this is not our problem.";
  for (const Cue& c : Analyze(text).cues) {
    ASSERT_LE(c.end, text.size());
    if (c.kind == "dismissal") {
      EXPECT_EQ(text.substr(c.begin, c.end - c.begin), "not our problem");
    }
    if (c.kind == "apology") {
      EXPECT_EQ(text.substr(c.begin, c.end - c.begin), "Sorry");
    }
  }
}

TEST(Politeness, ACueInsideALongerOneOfTheSameKindIsShownOnce) {
  std::string text = "As I already told you, read the manual.";
  std::vector<std::string> blame;
  for (const Cue& c : Analyze(text).cues) {
    if (c.kind == "blame") blame.push_back(text.substr(c.begin, c.end - c.begin));
  }
  EXPECT_EQ(blame, (std::vector<std::string>{"I already told you", "read the manual"}));
}

TEST(Rudeness, SupportSpecificCues) {
  struct Case {
    const char* text;
    const char* cue;
  } cases[] = {
      {"You should have read the instructions before opening a ticket.", "blame"},
      {"As I already said, this is user error.", "blame"},
      {"Not our problem. Talk to your manager.", "dismissal"},
      {"Works for me. Obviously you didn't try restarting.", "dismissal"},
      {"Bring it into the office tomorrow. You will be in breach of contract if you don't.", "threat"},
      {"If you don't answer today this ticket will be closed.", "threat"},
      {"Obviously you didn't try restarting.", "sarcasm"},
      {"Obviously you didn't try restarting.", "blame"},
      {"I ALREADY TOLD YOU TWICE. RESTART THE CLIENT.", "shouting"},
      {"This is a stupid question.", "profanity"},
      {"Did you even try restarting it?", "blame"},
      {"Whatever. Reboot and stop wasting our time.", "blame"},
      {"Not my department, you'll have to live with it.", "dismissal"},
  };
  for (const auto& c : cases) {
    ToneResult r = Analyze(c.text);
    EXPECT_TRUE(r.rude) << c.text << " rudeness " << r.rudeness;
    EXPECT_TRUE(CueKinds(c.text).count(c.cue)) << c.text << " should show " << c.cue;
  }
}

TEST(Rudeness, PoliteAndPlainRepliesAreNotRude) {
  for (const char* text : {"Thanks for the details. I have reset your profile; please restart once.",
                           "Could you send me a screenshot of the error message, please?",
                           "The issue is resolved: we replaced the certificate.", "Restart it.", "Done.",
                           "I'm sorry, I can't reproduce it on my side. Could you try once more?"}) {
    EXPECT_FALSE(Analyze(text).rude) << text;
  }
}

TEST(Rudeness, CourtesySoftensACommand) {
  EXPECT_LT(Analyze("Please restart the client.").rudeness, Analyze("Restart the client.").rudeness);
}

TEST(Politeness, NegatedPolitenessIsNotPolite) {
  EXPECT_LT(Analyze("This is not helpful.").valence.compound, 0);
  EXPECT_LT(Analyze("This is not helpful.").politeness, Analyze("This is helpful, thank you.").politeness);
}

TEST(Rudeness, QuotedTextIsNotTheWritersOwn) {
  ToneResult quoting = Analyze("You wrote \"this is fucking useless\" - I'm sorry it feels that way, we'll fix it today.");
  EXPECT_FALSE(quoting.rude);
  EXPECT_FALSE(CueKinds("> not our problem, deal with it\nSorry about that earlier reply, I'm on it now.").count("dismissal"));
  EXPECT_TRUE(Analyze("This is fucking useless.").rude);
}

TEST(Rudeness, DeniedBlameReassures) {
  EXPECT_FALSE(Analyze("Don't worry, it's not your fault.").rude);
  EXPECT_FALSE(Analyze("It was not user error, the update broke it.").rude);
  EXPECT_FALSE(CueKinds("It isn't your own fault, really.").count("blame"));
  EXPECT_TRUE(Analyze("This is your fault, you should have read the manual.").rude);
  EXPECT_TRUE(CueKinds("Not our problem.").count("dismissal")) << "the phrase's own 'not' is no denial";
}

TEST(Rudeness, AnEarlierMailThreadBelowTheReplyIsNotTheReply) {
  const std::string reply = "Hi Bob, I have reset your password, please try again.\n\n";
  const std::string angry = "\nThis is useless, you idiots never fix anything! Damn it.";
  for (const std::string& header : {
           std::string("From: Bob Miller\nSent: Monday, September 1, 2026 10:00\nTo: IT Service Desk\nSubject: RE: x\n"),
           std::string("On Mon, Sep 1, 2026 at 10:00 AM Bob <\nbob@example.com> wrote:"),
           std::string("-----Original Message-----"),
           std::string("Von: Bob Miller\nGesendet: Montag, 1. September 2026 10:00\n"),
           std::string("Am 01.09.2026 um 10:00 schrieb Bob Miller:"),
       }) {
    ToneResult r = Analyze(reply + header + angry);
    EXPECT_FALSE(r.rude) << header;
    EXPECT_GT(r.valence.compound, 0) << header;
  }
  EXPECT_TRUE(Analyze("From: the logs I can see it. Damn idiots broke it.").rude) << "prose starting with From:";
  EXPECT_TRUE(Analyze(reply + angry).rude) << "without a thread header the words are the writer's";
}

TEST(Rudeness, JiraMarkupQuotesAndCodeAreSetAside) {
  EXPECT_FALSE(Analyze("{quote}You are useless, fix my damn email now!{quote}\nSorry, I restored your mailbox.").rude);
  EXPECT_FALSE(Analyze("{quote}\nYou are useless idiots!\n{quote}\nSorry, fixed now.").rude);
  EXPECT_FALSE(Analyze("bq. You are useless idiots!\nSorry, fixed now.").rude);
  EXPECT_FALSE(Analyze("Found it:\n{code:java}\nthrow new Error(\"damn stupid failure\");\n{code}\nFixed, sorry.").rude);
  // Only the quoted span is set aside; the writer's own words around it count.
  EXPECT_TRUE(Analyze("Not our problem. {quote}Thanks for the details{quote}").rude);
  EXPECT_TRUE(Analyze("Use {braces} and {quote it} as you like, idiot.").rude) << "not markers";
  // The Jira adapter's rendering of an ADF blockquote and codeBlock.
  EXPECT_FALSE(Analyze("> This is useless, you idiots never fix anything!\n> Damn it.\n"
                       "I'm sorry about the trouble. The log says:\n```\nFATAL stupid crash 0x80070005\n```\n"
                       "I have fixed the permission, thanks for your patience.")
                   .rude);
}

TEST(Rudeness, PastedCodeAndLogsAreIgnored) {
  std::string reply =
      "Thanks, I found this in the log:\n"
      "2026-09-01 12:00:01 ERROR 0x80070005 ACCESS DENIED FATAL\n"
      "    at com.vendor.Client.connect(Client.java:42)\n"
      "I'll fix the permission now.";
  ToneResult r = Analyze(reply);
  EXPECT_FALSE(r.rude);
  EXPECT_FALSE(CueKinds(reply).count("shouting"));
  EXPECT_TRUE(Analyze("```\nkill -9 $(pidof client) || die\n```").low_confidence) << "only code";
}

TEST(Tone, NonEnglishIsNeutralWithLowConfidence) {
  for (const char* text : {"Der Drucker funktioniert nicht, bitte helfen Sie mir schnell.",
                           "Компьютер не включается после обновления.", "プリンターが動きません。"}) {
    ToneResult r = Analyze(text);
    EXPECT_TRUE(r.low_confidence) << text;
    EXPECT_EQ(r.valence.compound, 0);
    EXPECT_EQ(r.politeness, 0);
    EXPECT_FALSE(r.rude);
  }
  EXPECT_FALSE(Analyze("The printer does not work, please help.").low_confidence);
}

TEST(Tone, SurvivesHostileInput) {
  EXPECT_TRUE(Analyze("").low_confidence);
  EXPECT_NO_FATAL_FAILURE(Analyze(std::string(2 << 20, '!')));
  EXPECT_NO_FATAL_FAILURE(Analyze(std::string("\0\0abc\0", 6)));
  EXPECT_NO_FATAL_FAILURE(Analyze("\xc3\x28 \xa0\xa1 \xf0\x28\x8c\x28 ok"));
  std::string quotes(1000, '"');
  EXPECT_NO_FATAL_FAILURE(Analyze(quotes));
}

TEST(Tone, SentimentIsTheWritersOwn) {
  const std::string reply = "Thanks for waiting, I restored your mailbox.";
  const ToneResult alone = Analyze(reply);
  ToneResult quoting = Analyze("> This is terrible, you are useless and I hate this!\n\n" + reply);
  EXPECT_EQ(quoting.valence.compound, alone.valence.compound) << "an agent quoting an angry message is not angry";
  EXPECT_FALSE(quoting.rude);
  const std::string report = "The export fails. Can you help?";
  ToneResult pasted = Analyze(report + "\n2026-09-01 12:00:01 ERROR 0x80070005 fatal failure, crash, abort\n");
  EXPECT_EQ(pasted.valence.compound, Analyze(report).valence.compound) << "a pasted log line is not the writer's mood";
  EXPECT_LT(Analyze("This is terrible, I hate this!").valence.compound, -0.5) << "unquoted, the same words count";
}

TEST(Tone, EmojiAreReadNotTakenForAnotherLanguage) {
  ToneResult thumbs = Analyze("thanks \xf0\x9f\x91\x8d");  // 👍
  EXPECT_FALSE(thumbs.low_confidence);
  EXPECT_GT(thumbs.valence.compound, 0.3);
  EXPECT_LT(Analyze("still broken \xf0\x9f\x98\xa1").valence.compound, -0.3);  // 😡
  const std::string text = "\xf0\x9f\x99\x84 Not our problem.";                // 🙄
  ToneResult rolled = Analyze(text);
  ASSERT_FALSE(rolled.cues.empty());
  for (const Cue& c : rolled.cues) {
    ASSERT_LE(c.end, text.size());
    if (c.kind == "dismissal") {
      EXPECT_EQ(text.substr(c.begin, c.end - c.begin), "Not our problem");
    }
  }
}

TEST(Tone, AFaultReportIsNotAMood) {
  ToneResult report = Analyze("Hi, the VPN fails with error 809 since this morning.");
  EXPECT_LT(report.valence.compound, -0.5) << "VADER as the reference reads it";
  EXPECT_NEAR(report.sentiment, 0, 1e-9) << "as a help desk reads it";
  EXPECT_NEAR(Analyze("Still failing with the same error.").sentiment, 0, 1e-9);
  EXPECT_GT(Analyze("No problem, happy to help.").sentiment, 0.2) << "a denied fault stays good news";
  EXPECT_GT(Analyze("I have had no problems since the update.").sentiment, 0.2);
  EXPECT_LT(Analyze("The printer is broken again and I can't work, this is a disaster.").sentiment, -0.5)
      << "the mood around the fault still counts";
}

TEST(Tone, ModelFilesAreValidatedOnLoad) {
  EXPECT_FALSE(PolitenessModel::FromText("bias\t-\tnot-a-number\n", "").ok());
  EXPECT_FALSE(PolitenessModel::FromText("strategy\tno_such_strategy\t1.0\n", "").ok());
  EXPECT_FALSE(PolitenessModel::FromText("mystery\tx\t1.0\n", "").ok());
  EXPECT_TRUE(PolitenessModel::FromText("# comment\nbias\t-\t0.5\nword\tplease\t1.0\n", "darn\n").ok());
}

TEST(Tone, ReportNamesTheCues) {
  std::string text = "Not our problem.";
  std::string report = FormatToneReport(text, Analyze(text));
  EXPECT_NE(report.find("dismissal"), std::string::npos);
  EXPECT_NE(report.find("RUDE"), std::string::npos);
}

}  // namespace
}  // namespace rapport::tone
