#include "event/validate.h"

#include <gtest/gtest.h>

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
