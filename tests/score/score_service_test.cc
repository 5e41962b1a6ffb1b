// Scores fed back in acks, over real gRPC (in-process channel).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/grpc_ingest.h"
#include "core/test_util.h"
#include "grpcpp/client_context.h"
#include "rapport/v1/experience.grpc.pb.h"
#include "rapport/v1/ingest.grpc.pb.h"
#include "server/server.h"

namespace rapport {
namespace {

using testing::Assign;
using testing::Comment;
using testing::Created;
using testing::Status;

class ScoreServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server::ServerOptions options;
    options.listen = "";
    options.data_dir = dir_.path();
    ASSERT_TRUE(server::RapportServer::Start(options, &server_).ok());
    channel_ = server_->InProcessChannel();
  }

  v1::ScoreReport TicketScore(const std::string& id) {
    auto stub = v1::ExperienceService::NewStub(channel_);
    v1::GetScoreRequest request;
    request.set_tenant("acme");
    request.mutable_scope()->set_kind(v1::SCOPE_KIND_TICKET);
    request.mutable_scope()->set_id(id);
    v1::ScoreReport report;
    grpc::ClientContext context;
    EXPECT_TRUE(stub->GetScore(&context, request, &report).ok());
    return report;
  }

  testing::TempDir dir_;
  std::unique_ptr<server::RapportServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(ScoreServiceTest, AcksCarryTheScoreThatGetScoreReturns) {
  auto stub = v1::IngestService::NewStub(channel_);
  grpc::ClientContext context;
  auto stream = stub->StreamEvents(&context);
  std::vector<std::vector<v1::TicketEvent>> batches = {
      {Created("A", "a1", 0), Comment("A", "a2", 5, v1::ACTOR_ROLE_REQUESTER, "Outlook crashes on start."),
       Created("B", "b1", 1)},
      {Comment("A", "a3", 20, v1::ACTOR_ROLE_AGENT, "Sorry about that, I repaired your Office install, please retry."),
       Status("A", "a4", 30, v1::TICKET_STATUS_RESOLVED), Status("B", "b2", 40, v1::TICKET_STATUS_RESOLVED)},
  };
  uint64_t seq = 0;
  for (const auto& events : batches) {
    v1::EventBatch batch;
    batch.set_sequence(++seq);
    batch.set_want_scores(true);
    for (const auto& e : events) *batch.add_events() = e;
    ASSERT_TRUE(stream->Write(batch));
    v1::BatchAck ack;
    ASSERT_TRUE(stream->Read(&ack));
    EXPECT_EQ(ack.sequence(), seq);
    ASSERT_EQ(ack.ticket_scores_size(), 2) << ack.ShortDebugString();
    for (const v1::TicketScore& ts : ack.ticket_scores()) {
      v1::ScoreReport report = TicketScore(ts.ticket_id());
      EXPECT_EQ(ts.scored(), report.scored());
      EXPECT_EQ(ts.score(), report.score()) << ts.ticket_id();
      EXPECT_EQ(ts.relationship(), report.relationship());
    }
    if (seq == 2) {
      // B was resolved without a word to the requester: the finding comes back with the ack.
      const v1::TicketScore& b = ack.ticket_scores(1);
      ASSERT_EQ(b.ticket_id(), "B");
      bool no_contact = false;
      for (const auto& f : b.new_findings()) no_contact |= f.kind() == v1::FINDING_KIND_RESOLVED_WITHOUT_CONTACT;
      EXPECT_TRUE(no_contact) << b.ShortDebugString();
      EXPECT_LT(b.score(), ack.ticket_scores(0).score());
    }
  }
  // Re-sent (a reconnecting client): duplicates, the same scores, nothing new.
  v1::EventBatch again;
  again.set_sequence(3);
  again.set_want_scores(true);
  for (const auto& e : batches[1]) *again.add_events() = e;
  ASSERT_TRUE(stream->Write(again));
  v1::BatchAck ack;
  ASSERT_TRUE(stream->Read(&ack));
  EXPECT_EQ(ack.duplicates(), 3u);
  ASSERT_EQ(ack.ticket_scores_size(), 2);
  EXPECT_EQ(ack.ticket_scores(0).score(), TicketScore("A").score());
  EXPECT_EQ(ack.ticket_scores(1).new_findings_size(), 0);
  // Without want_scores the ack stays small.
  v1::EventBatch plain;
  plain.set_sequence(4);
  *plain.add_events() = Comment("A", "a5", 50, v1::ACTOR_ROLE_REQUESTER, "Works now, thank you!");
  ASSERT_TRUE(stream->Write(plain));
  ASSERT_TRUE(stream->Read(&ack));
  EXPECT_EQ(ack.ticket_scores_size(), 0);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

// A survey whose scale is infinite, or so wide that its span overflows, used
// to be accepted: the ticket's score became NaN and the tenant's and team's
// -4.6e12. Now it is refused, and no score anywhere stops being a number.
TEST_F(ScoreServiceTest, NoSurveyCanPoisonAScore) {
  const double inf = std::numeric_limits<double>::infinity();
  struct Case {
    double min, max, score;
    const char* code;
  };
  const Case cases[] = {{-inf, inf, 4, "INVALID_VALUE"},
                        {-1e308, 1e308, 4, "OUT_OF_RANGE"},
                        {0, inf, 4, "INVALID_VALUE"},
                        {1, 5, std::numeric_limits<double>::quiet_NaN(), "INVALID_VALUE"},
                        {-1e7, 1e7, 4, "OUT_OF_RANGE"}};
  v1::EventBatch batch;
  batch.set_sequence(1);
  for (const auto& e : {Created("A", "a1", 0), Comment("A", "a2", 5, v1::ACTOR_ROLE_REQUESTER, "Outlook crashes."),
                        Comment("A", "a3", 20, v1::ACTOR_ROLE_AGENT, "I repaired the install, please retry."),
                        Status("A", "a4", 30, v1::TICKET_STATUS_RESOLVED)}) {
    *batch.add_events() = e;
  }
  int n = 0;
  for (const Case& c : cases) {
    ++n;
    v1::TicketEvent survey = Status("A", "s" + std::to_string(n), 40 + n, v1::TICKET_STATUS_RESOLVED);
    survey.set_kind(v1::EVENT_KIND_SURVEY_RECEIVED);
    survey.clear_status();
    survey.mutable_survey()->set_scale_min(c.min);
    survey.mutable_survey()->set_scale_max(c.max);
    survey.mutable_survey()->set_score(c.score);
    *batch.add_events() = survey;
  }
  auto stub = v1::IngestService::NewStub(channel_);
  grpc::ClientContext context;
  auto stream = stub->StreamEvents(&context);
  ASSERT_TRUE(stream->Write(batch));
  v1::BatchAck ack;
  ASSERT_TRUE(stream->Read(&ack));
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(ack.accepted(), 4u);
  ASSERT_EQ(ack.rejected_size(), 5) << ack.ShortDebugString();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(ack.rejected(i).code(), cases[i].code) << ack.rejected(i).message();
    EXPECT_NE(ack.rejected(i).message().find("survey."), std::string::npos) << ack.rejected(i).message();
  }

  auto stub2 = v1::ExperienceService::NewStub(channel_);
  for (auto [kind, id] : {std::pair{v1::SCOPE_KIND_TENANT, ""}, std::pair{v1::SCOPE_KIND_TEAM, "Service Desk"},
                          std::pair{v1::SCOPE_KIND_TICKET, "A"}}) {
    v1::GetScoreRequest request;
    request.set_tenant("acme");
    request.mutable_scope()->set_kind(kind);
    request.mutable_scope()->set_id(id);
    v1::ScoreReport report;
    grpc::ClientContext score_context;
    ASSERT_TRUE(stub2->GetScore(&score_context, request, &report).ok()) << id;
    EXPECT_TRUE(report.scored()) << id;
    EXPECT_TRUE(std::isfinite(report.score())) << id << ": " << report.score();
    EXPECT_GE(report.score(), -100) << id;
    EXPECT_LE(report.score(), 100) << id;
    for (const auto& c : report.components()) EXPECT_TRUE(std::isfinite(c.score())) << id << " " << c.component();
  }
}

// One person under two ids is one agent: before the directory knows it, each
// id is an agent of its own (the near miss); after, any alias answers for
// the person, and GetTicket names the person the ticket was read as.
TEST_F(ScoreServiceTest, AnyAliasOfAnAgentAnswersForThePerson) {
  auto send = [&](const std::vector<v1::TicketEvent>& events) { testing::StreamBatch(channel_, events); };
  auto by_agent = [&](const std::string& id) {
    auto stub = v1::ExperienceService::NewStub(channel_);
    v1::GetScoreRequest request;
    request.set_tenant("acme");
    request.mutable_scope()->set_kind(v1::SCOPE_KIND_AGENT);
    request.mutable_scope()->set_id(id);
    v1::ScoreReport report;
    grpc::ClientContext context;
    grpc::Status status = stub->GetScore(&context, request, &report);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return report;
  };
  auto answered = [](const std::string& t, const std::string& agent) {
    v1::TicketEvent reply = Comment(t, t + "3", 20, v1::ACTOR_ROLE_AGENT, "I repaired your Office install, please retry.");
    reply.mutable_actor()->set_id(agent);
    return std::vector<v1::TicketEvent>{Created(t, t + "1", 0), Assign(t, t + "2", 5, agent, "Service Desk"), reply,
                                        Status(t, t + "4", 30, v1::TICKET_STATUS_RESOLVED)};
  };
  send(answered("A", "kim"));
  send(answered("B", "kim.lee@acme.example"));
  EXPECT_EQ(by_agent("kim").tickets(), 1u) << "near miss: nothing says the two ids are one person";
  EXPECT_EQ(by_agent("kim.lee@acme.example").tickets(), 1u);

  v1::TicketEvent fact = Created("", "users-1", 40);
  fact.clear_ticket_id();
  fact.set_kind(v1::EVENT_KIND_IDENTITY);
  v1::Identity* identity = fact.add_identities();
  identity->add_ids("kim");
  identity->add_ids("kim.lee@acme.example");
  send({fact});
  const v1::ScoreReport by_name = by_agent("kim"), by_email = by_agent("kim.lee@acme.example");
  EXPECT_EQ(by_name.tickets(), 2u);
  EXPECT_EQ(by_email.tickets(), 2u);
  EXPECT_EQ(by_email.score(), by_name.score());

  auto stub = v1::ExperienceService::NewStub(channel_);
  v1::GetTicketRequest request;
  request.set_tenant("acme");
  request.set_ticket_id("B");
  v1::GetTicketResponse ticket;
  grpc::ClientContext context;
  ASSERT_TRUE(stub->GetTicket(&context, request, &ticket).ok());
  EXPECT_EQ(ticket.assignee().agent_id(), "kim") << "the header names the person";
  bool shown = false;
  for (const v1::TimelineEntry& entry : ticket.timeline()) {
    if (entry.event().kind() != v1::EVENT_KIND_COMMENT_ADDED) continue;
    EXPECT_EQ(entry.event().actor().id(), "kim.lee@acme.example") << "the source's id stays";
    auto person = entry.event().attributes().find("rapport.person");
    shown = person != entry.event().attributes().end() && person->second == "kim";
  }
  EXPECT_TRUE(shown);
}

}  // namespace
}  // namespace rapport
