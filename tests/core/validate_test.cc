#include "event/validate.h"

#include <gtest/gtest.h>

#include <limits>

#include "absl/strings/escaping.h"

#include "core/test_util.h"
#include "event/event.h"
#include "event/json.h"

namespace rapport {
namespace {

using testing::At;
using testing::Created;

const int64_t kNow = At(60 * 24 * 60);  // sixty days after the test epoch

std::string CodeOf(const v1::TicketEvent& e, const Limits& limits = Limits()) {
  auto error = ValidateEvent(e, kNow, limits);
  return error ? error->code() : "OK";
}

std::string MessageOf(const v1::TicketEvent& e) {
  auto error = ValidateEvent(e, kNow, Limits());
  return error ? error->message() : "";
}

TEST(Validate, AcceptsACompleteEvent) { EXPECT_EQ(CodeOf(Created("T1", "e1", 0)), "OK"); }

TEST(Validate, RequiresIdentifiers) {
  auto e = Created("T1", "e1", 0);
  e.clear_tenant();
  EXPECT_EQ(CodeOf(e), "MISSING_FIELD");
  EXPECT_NE(MessageOf(e).find("tenant"), std::string::npos);
  e = Created("", "e1", 0);
  EXPECT_EQ(CodeOf(e), "MISSING_FIELD");
  EXPECT_NE(MessageOf(e).find("ticket_id"), std::string::npos);
  e = Created("T1", "", 0);
  EXPECT_EQ(CodeOf(e), "MISSING_FIELD");
  EXPECT_NE(MessageOf(e).find("event_id"), std::string::npos);
}

TEST(Validate, RefusesControlCharactersAndLongIds) {
  auto e = Created(std::string("T\0", 2) + "1", "e1", 0);
  EXPECT_EQ(CodeOf(e), "INVALID_VALUE");
  e = Created("T1", std::string(300, 'x'), 0);
  EXPECT_EQ(CodeOf(e), "TOO_LARGE");
  e = Created("T1", "e1", 0);
  e.mutable_actor()->set_id("bad\nid");
  EXPECT_EQ(CodeOf(e), "INVALID_VALUE");
  EXPECT_NE(MessageOf(e).find("actor.id"), std::string::npos);
}

TEST(Validate, TimeBounds) {
  auto e = Created("T1", "e1", 0);
  e.clear_occurred_at();
  EXPECT_EQ(CodeOf(e), "MISSING_FIELD");
  e.mutable_occurred_at()->set_seconds(600'000'000);  // 1989
  EXPECT_EQ(CodeOf(e), "OUT_OF_RANGE");
  EXPECT_NE(MessageOf(e).find("1990"), std::string::npos);
  *e.mutable_occurred_at() = FromMicros(kNow + 23LL * 3600 * 1'000'000);
  EXPECT_EQ(CodeOf(e), "OK");  // within a day of clock skew
  *e.mutable_occurred_at() = FromMicros(kNow + 25LL * 3600 * 1'000'000);
  EXPECT_EQ(CodeOf(e), "OUT_OF_RANGE");
  EXPECT_NE(MessageOf(e).find("future"), std::string::npos);
}

TEST(Validate, KindAndEnums) {
  auto e = Created("T1", "e1", 0);
  e.set_kind(v1::EVENT_KIND_UNSPECIFIED);
  EXPECT_EQ(CodeOf(e), "MISSING_FIELD");
  e.set_kind(static_cast<v1::EventKind>(99));
  EXPECT_EQ(CodeOf(e), "INVALID_VALUE");
  e = Created("T1", "e1", 0);
  e.set_status(static_cast<v1::TicketStatus>(42));
  EXPECT_EQ(CodeOf(e), "INVALID_VALUE");
  e = Created("T1", "e1", 0);
  e.set_priority(static_cast<v1::Priority>(42));
  EXPECT_EQ(CodeOf(e), "INVALID_VALUE");
  e = Created("T1", "e1", 0);
  e.mutable_actor()->set_role(static_cast<v1::ActorRole>(42));
  EXPECT_EQ(CodeOf(e), "INVALID_VALUE");
}

TEST(Validate, KindSpecificFields) {
  auto e = testing::Status("T1", "e1", 0, v1::TICKET_STATUS_UNSPECIFIED);
  EXPECT_EQ(CodeOf(e), "MISSING_FIELD");
  EXPECT_NE(MessageOf(e).find("status"), std::string::npos);

  e = testing::Assign("T1", "e1", 0, "a", "t");
  e.clear_assignee();
  EXPECT_EQ(CodeOf(e), "MISSING_FIELD");

  e = testing::Status("T1", "e1", 0, v1::TICKET_STATUS_NEW);
  e.set_kind(v1::EVENT_KIND_PRIORITY_CHANGED);
  e.clear_status();
  EXPECT_EQ(CodeOf(e), "MISSING_FIELD");

  e = testing::Comment("T1", "e1", 0, v1::ACTOR_ROLE_AGENT, "");
  EXPECT_EQ(CodeOf(e), "MISSING_FIELD");
  EXPECT_NE(MessageOf(e).find("comment.text"), std::string::npos);

  e = testing::Comment("T1", "e1", 0, v1::ACTOR_ROLE_AGENT, "x");
  e.set_kind(v1::EVENT_KIND_SURVEY_RECEIVED);
  EXPECT_EQ(CodeOf(e), "MISSING_FIELD");
  e.mutable_survey()->set_scale_min(1);
  e.mutable_survey()->set_scale_max(1);
  e.mutable_survey()->set_score(1);
  EXPECT_EQ(CodeOf(e), "INVALID_VALUE");
  e.mutable_survey()->set_scale_max(5);
  e.mutable_survey()->set_score(7);
  EXPECT_EQ(CodeOf(e), "OUT_OF_RANGE");
  e.mutable_survey()->set_score(4);
  EXPECT_EQ(CodeOf(e), "OK");
}

TEST(Validate, TextLimits) {
  Limits limits;
  limits.max_text_bytes = 10;
  auto e = testing::Comment("T1", "e1", 0, v1::ACTOR_ROLE_AGENT, "twelve bytes");
  EXPECT_EQ(CodeOf(e, limits), "TOO_LARGE");
  e = Created("T1", "e1", 0);
  e.mutable_resolution()->set_notes(std::string(11, 'n'));
  EXPECT_EQ(CodeOf(e, limits), "TOO_LARGE");
  EXPECT_EQ(CodeOf(e), "OK");
}

// Every name-like field: bounded, and free of control characters, because
// names become scope ids, key parts and report labels.
TEST(Validate, EveryNameIsBoundedAndPrintable) {
  using Setter = void (*)(v1::TicketEvent*, const std::string&);
  const std::pair<const char*, Setter> fields[] = {
      {"source", [](v1::TicketEvent* e, const std::string& v) { e->set_source(v); }},
      {"service", [](v1::TicketEvent* e, const std::string& v) { e->set_service(v); }},
      {"category", [](v1::TicketEvent* e, const std::string& v) { e->set_category(v); }},
      {"status_reason", [](v1::TicketEvent* e, const std::string& v) { e->set_status_reason(v); }},
      {"actor.team", [](v1::TicketEvent* e, const std::string& v) { e->mutable_actor()->set_team(v); }},
      {"assignee.team", [](v1::TicketEvent* e, const std::string& v) { e->mutable_assignee()->set_team(v); }},
      {"requester.department",
       [](v1::TicketEvent* e, const std::string& v) { e->mutable_requester()->set_department(v); }},
      {"resolution.code", [](v1::TicketEvent* e, const std::string& v) { e->mutable_resolution()->set_code(v); }},
      {"assignee.agent_id", [](v1::TicketEvent* e, const std::string& v) { e->mutable_assignee()->set_agent_id(v); }},
      {"requester.id", [](v1::TicketEvent* e, const std::string& v) { e->mutable_requester()->set_id(v); }},
  };
  for (const auto& [field, set] : fields) {
    SCOPED_TRACE(field);
    auto e = Created("T1", "e1", 0);
    set(&e, std::string(256, 'n'));
    EXPECT_EQ(CodeOf(e), "OK");
    set(&e, std::string(257, 'n'));
    EXPECT_EQ(CodeOf(e), "TOO_LARGE");
    EXPECT_NE(MessageOf(e).find(field), std::string::npos) << MessageOf(e);
    EXPECT_NE(MessageOf(e).find("256"), std::string::npos) << "names the limit: " << MessageOf(e);
    set(&e, std::string(2 << 20, 'n'));
    EXPECT_EQ(CodeOf(e), "TOO_LARGE") << "megabytes";
    for (const std::string& bad : {std::string("Service\0Desk", 12), std::string("Service\x01"), std::string("a\tb"),
                                  std::string("line\nbreak"), std::string("c1 \xc2\x85 control")}) {
      set(&e, bad);
      EXPECT_EQ(CodeOf(e), "INVALID_VALUE") << absl::CHexEscape(bad);
      EXPECT_NE(MessageOf(e).find(field), std::string::npos) << MessageOf(e);
    }
    set(&e, "Équipe réseau – niveau 2 ✓");
    EXPECT_EQ(CodeOf(e), "OK") << "any printable Unicode";
  }
}

TEST(Validate, StringsMustBeValidUtf8) {
  for (const std::string& bad : {std::string("\xff"), std::string("\xc0\xaf"), std::string("\xed\xa0\x80"),
                                std::string("caf\xc3"), std::string("\xe2\x82"), std::string("\xf4\x90\x80\x80")}) {
    SCOPED_TRACE(absl::CHexEscape(bad));
    auto e = testing::Comment("T1", "e1", 0, v1::ACTOR_ROLE_AGENT, "ok " + bad);
    EXPECT_EQ(CodeOf(e), "INVALID_VALUE");
    EXPECT_NE(MessageOf(e).find("comment.text is not valid UTF-8"), std::string::npos) << MessageOf(e);
    e = Created("T1", "e1", 0);
    e.set_service(bad);
    EXPECT_EQ(CodeOf(e), "INVALID_VALUE");
    e = Created("T1", "e1", 0);
    e.set_event_id(bad);
    ASSERT_EQ(CodeOf(e), "INVALID_VALUE");
    // The ack carries the id back; an id that is not UTF-8 would make the
    // whole ack unreadable, so it comes back escaped.
    v1::EventError error = *ValidateEvent(e, kNow, Limits());
    v1::EventError parsed;
    ASSERT_TRUE(parsed.ParseFromString(error.SerializeAsString())) << "the error itself is readable";
    EXPECT_NE(parsed.event_id(), bad);
  }
  EXPECT_EQ(CodeOf(testing::Comment("T1", "e1", 0, v1::ACTOR_ROLE_AGENT, "Grüße 👋 — 你好")), "OK");
}

TEST(Validate, TextKeepsLineBreaksAndTabsButNoOtherControls) {
  auto e = testing::Comment("T1", "e1", 0, v1::ACTOR_ROLE_AGENT, "Hello,\r\n\tthe VPN works again.\n");
  EXPECT_EQ(CodeOf(e), "OK");
  e.mutable_comment()->set_text(std::string("nul\0inside", 10));
  EXPECT_EQ(CodeOf(e), "INVALID_VALUE");
  EXPECT_NE(MessageOf(e).find("U+0000"), std::string::npos) << MessageOf(e);
  e.mutable_comment()->set_text("bell\x07");
  EXPECT_EQ(CodeOf(e), "INVALID_VALUE");
  e = Created("T1", "e1", 0);
  e.mutable_survey()->set_text("escape \x1b[31m");
  EXPECT_EQ(CodeOf(e), "INVALID_VALUE");
  EXPECT_NE(MessageOf(e).find("survey.text"), std::string::npos);
}

TEST(Validate, AttributesAreBoundedInNumberKeyAndValue) {
  auto e = Created("T1", "e1", 0);
  (*e.mutable_attributes())["sys_class_name"] = "incident\nline two\tok";
  EXPECT_EQ(CodeOf(e), "OK");
  e = Created("T1", "e1", 0);
  (*e.mutable_attributes())[std::string(129, 'k')] = "v";
  EXPECT_EQ(CodeOf(e), "TOO_LARGE");
  EXPECT_NE(MessageOf(e).find("attributes key"), std::string::npos) << MessageOf(e);
  EXPECT_NE(MessageOf(e).find("128"), std::string::npos) << MessageOf(e);
  EXPECT_LT(MessageOf(e).size(), 200u) << "the key is cut in the message";
  e = Created("T1", "e1", 0);
  (*e.mutable_attributes())[std::string("k\0ey", 4)] = "v";
  EXPECT_EQ(CodeOf(e), "INVALID_VALUE");
  e = Created("T1", "e1", 0);
  (*e.mutable_attributes())[""] = "v";
  EXPECT_EQ(CodeOf(e), "INVALID_VALUE");
  e = Created("T1", "e1", 0);
  (*e.mutable_attributes())["note"] = std::string(4097, 'v');
  EXPECT_EQ(CodeOf(e), "TOO_LARGE");
  EXPECT_NE(MessageOf(e).find("attributes[\"note\"]"), std::string::npos) << MessageOf(e);
  EXPECT_NE(MessageOf(e).find("4096"), std::string::npos) << MessageOf(e);
  e = Created("T1", "e1", 0);
  (*e.mutable_attributes())["note"] = "\xff";
  EXPECT_EQ(CodeOf(e), "INVALID_VALUE");
  e = Created("T1", "e1", 0);
  for (int i = 0; i < 65; ++i) (*e.mutable_attributes())["k" + std::to_string(i)] = "v";
  EXPECT_EQ(CodeOf(e), "TOO_LARGE");
  EXPECT_NE(MessageOf(e).find("65 entries"), std::string::npos) << MessageOf(e);
}

TEST(Validate, IdentitiesNameOnePersonInTwoWaysOrMore) {
  v1::TicketEvent e = Created("T1", "e1", 0);
  v1::Identity* identity = e.add_identities();
  identity->add_ids("6816f79cc0a8016401c5a33be04be441");
  EXPECT_EQ(CodeOf(e), "INVALID_VALUE") << "one id alone names no alias";
  identity->add_ids("abel.tuter");
  EXPECT_EQ(CodeOf(e), "OK");
  identity->add_ids(std::string("abel\0tuter", 10));
  EXPECT_EQ(CodeOf(e), "INVALID_VALUE") << "an id becomes a key part";
  identity->set_ids(2, std::string(300, 'a'));
  EXPECT_EQ(CodeOf(e), "TOO_LARGE");
  identity->mutable_ids()->RemoveLast();
  for (int i = 0; i < 16; ++i) *e.add_identities() = *identity;
  EXPECT_EQ(CodeOf(e), "TOO_LARGE") << "17 persons in one event";
}

TEST(Validate, AnIdentityEventBelongsToNoTicket) {
  v1::TicketEvent e = Created("", "users-1", 0);
  e.set_kind(v1::EVENT_KIND_IDENTITY);
  EXPECT_EQ(CodeOf(e), "MISSING_FIELD") << "identities are what it carries";
  v1::Identity* identity = e.add_identities();
  identity->add_ids("u1");
  identity->add_ids("ann@acme.example");
  EXPECT_EQ(CodeOf(e), "OK");
  e.set_ticket_id("T1");
  EXPECT_EQ(CodeOf(e), "INVALID_VALUE");
  e.set_kind(v1::EVENT_KIND_FIELDS_UPDATED);
  e.clear_ticket_id();
  EXPECT_EQ(CodeOf(e), "MISSING_FIELD") << "every other kind names its ticket";
}

TEST(Validate, SurveyNumbersAreFiniteAndBounded) {
  auto survey = [](double min, double max, double score) {
    auto e = testing::Comment("T1", "e1", 0, v1::ACTOR_ROLE_REQUESTER, "x");
    e.set_kind(v1::EVENT_KIND_SURVEY_RECEIVED);
    e.mutable_survey()->set_scale_min(min);
    e.mutable_survey()->set_scale_max(max);
    e.mutable_survey()->set_score(score);
    return e;
  };
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(CodeOf(survey(-inf, inf, 4)), "INVALID_VALUE");
  EXPECT_NE(MessageOf(survey(-inf, inf, 4)).find("survey.scale_min is -inf"), std::string::npos)
      << MessageOf(survey(-inf, inf, 4));
  EXPECT_EQ(CodeOf(survey(1, 5, nan)), "INVALID_VALUE");
  EXPECT_EQ(CodeOf(survey(nan, 5, 3)), "INVALID_VALUE");
  EXPECT_EQ(CodeOf(survey(-1e308, 1e308, 4)), "OUT_OF_RANGE");
  EXPECT_NE(MessageOf(survey(-1e308, 1e308, 4)).find("1e+06"), std::string::npos)
      << "names the bound: " << MessageOf(survey(-1e308, 1e308, 4));
  EXPECT_EQ(CodeOf(survey(-1e6, 1e6, 0)), "OK") << "the bound itself";
  EXPECT_EQ(CodeOf(survey(0, 100, 73.5)), "OK");
  EXPECT_EQ(CodeOf(survey(0, 10, 10)), "OK");
  // A survey riding on another kind of event is checked too.
  auto e = Created("T1", "e1", 0);
  e.mutable_survey()->set_score(inf);
  EXPECT_EQ(CodeOf(e), "INVALID_VALUE");
}

TEST(Validate, HugeTimestampsAreRefusedWithoutOverflow) {
  auto e = Created("T1", "e1", 0);
  e.mutable_occurred_at()->set_seconds(int64_t{1} << 62);
  EXPECT_EQ(CodeOf(e), "OUT_OF_RANGE");
  EXPECT_EQ(MessageOf(e).find("1970"), std::string::npos) << MessageOf(e);
  e.mutable_occurred_at()->set_seconds(-(int64_t{1} << 62));
  EXPECT_EQ(CodeOf(e), "OUT_OF_RANGE");
}

TEST(Validate, RefusedIdsComeBackShortInTheError) {
  auto e = Created("T1", std::string(1 << 20, 'x'), 0);
  auto error = ValidateEvent(e, kNow, Limits());
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code(), "TOO_LARGE");
  EXPECT_LE(error->event_id().size(), 100u);
  EXPECT_EQ(EchoableEventId("INC0010042"), "INC0010042");
}

TEST(Json, AcceptsPrefixedAndShortEnumNamesInAnyCase) {
  auto a = ParseEventJson(R"({"tenant":"acme","ticket_id":"T1","event_id":"e1",
      "occurred_at":"2026-09-01T08:00:00Z","kind":"status_changed","status":"Pending_Requester",
      "actor":{"role":"agent"}})");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->kind(), v1::EVENT_KIND_STATUS_CHANGED);
  EXPECT_EQ(a->status(), v1::TICKET_STATUS_PENDING_REQUESTER);
  EXPECT_EQ(a->actor().role(), v1::ACTOR_ROLE_AGENT);
  auto b = ParseEventJson(R"({"tenant":"acme","ticketId":"T1","event_id":"e1",
      "occurred_at":"2026-09-01T08:00:00Z","kind":"EVENT_KIND_COMMENT_ADDED",
      "comment":{"text":"hi","public":true}})");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->ticket_id(), "T1");
  EXPECT_TRUE(b->comment().public_());
}

TEST(Json, RefusesUnknownFieldsAndBadValues) {
  EXPECT_FALSE(ParseEventJson(R"({"tenant":"acme","tiket_id":"T1"})").ok());
  EXPECT_FALSE(ParseEventJson(R"({"tenant":"acme","kind":"EXPLODED"})").ok());
  EXPECT_FALSE(ParseEventJson("not json").ok());
  EXPECT_FALSE(ParseEventJson(R"({"occurred_at":"yesterday"})").ok());
}

}  // namespace
}  // namespace rapport
