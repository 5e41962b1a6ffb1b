// The read API's one validation (query/read_request.h, query/page.h), over a
// real gRPC in-process channel: windows, tenants, enums, ids and page tokens
// are refused or clamped the same way by every RPC that takes them.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "core/test_util.h"
#include "event/event.h"
#include "grpcpp/client_context.h"
#include "rapport/v1/experience.grpc.pb.h"
#include "server/client/stream_ingester.h"
#include "server/server.h"

namespace rapport {
namespace {

using testing::Assign;
using testing::At;
using testing::Created;
using testing::Status;

constexpr int64_t kDayMin = 24 * 60;

class ReadApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server::ServerOptions options;
    options.listen = "";
    options.data_dir = dir_.path();
    ASSERT_TRUE(server::RapportServer::Start(options, &server_).ok());
    channel_ = server_->InProcessChannel();
    stub_ = v1::ExperienceService::NewStub(channel_);
    // Six tickets over six days, two per agent, each resolved without a word
    // to the requester (a finding each); a second tenant with one ticket.
    std::vector<v1::TicketEvent> events;
    const char* agents[] = {"kim", "lee", "max"};
    for (int i = 0; i < 6; ++i) {
      const std::string t = "T" + std::to_string(i);
      events.push_back(Created(t, t + "-c", i * kDayMin));
      events.push_back(Assign(t, t + "-a", i * kDayMin + 10, agents[i % 3], "Apps"));
      events.push_back(Status(t, t + "-r", i * kDayMin + 60, v1::TICKET_STATUS_RESOLVED));
    }
    for (v1::TicketEvent e : {Created("G1", "g-c", 0), Status("G1", "g-r", 60, v1::TICKET_STATUS_RESOLVED)}) {
      e.set_tenant("globex");
      events.push_back(e);
    }
    client::StreamIngester::Options ingest;
    ingest.make_channel = [this] { return channel_; };
    auto result = client::StreamIngester(ingest).Run(events);
    ASSERT_TRUE(result.ok()) << result.status();
  }

  grpc::Status GetScore(const v1::GetScoreRequest& request, v1::ScoreReport* out = nullptr) {
    v1::ScoreReport ignored;
    grpc::ClientContext context;
    return stub_->GetScore(&context, request, out != nullptr ? out : &ignored);
  }
  grpc::Status ExplainScore(const v1::GetScoreRequest& request) {
    v1::ScoreExplanation ignored;
    grpc::ClientContext context;
    return stub_->ExplainScore(&context, request, &ignored);
  }
  grpc::Status ListScores(const v1::ListScoresRequest& request, v1::ListScoresResponse* out = nullptr) {
    v1::ListScoresResponse ignored;
    grpc::ClientContext context;
    return stub_->ListScores(&context, request, out != nullptr ? out : &ignored);
  }
  grpc::Status ListFindings(const v1::ListFindingsRequest& request, v1::ListFindingsResponse* out = nullptr) {
    v1::ListFindingsResponse ignored;
    grpc::ClientContext context;
    return stub_->ListFindings(&context, request, out != nullptr ? out : &ignored);
  }
  grpc::Status ListTickets(const v1::ListTicketsRequest& request, v1::ListTicketsResponse* out = nullptr) {
    v1::ListTicketsResponse ignored;
    grpc::ClientContext context;
    return stub_->ListTickets(&context, request, out != nullptr ? out : &ignored);
  }
  grpc::Status GetTicket(const std::string& tenant, const std::string& id) {
    v1::GetTicketRequest request;
    request.set_tenant(tenant);
    request.set_ticket_id(id);
    v1::GetTicketResponse ignored;
    grpc::ClientContext context;
    return stub_->GetTicket(&context, request, &ignored);
  }

  static v1::GetScoreRequest ScoreRequest(v1::ScopeKind kind, const std::string& id, const v1::Window* window = nullptr) {
    v1::GetScoreRequest request;
    request.set_tenant("acme");
    request.mutable_scope()->set_kind(kind);
    request.mutable_scope()->set_id(id);
    if (window != nullptr) *request.mutable_window() = *window;
    return request;
  }
  static v1::ListScoresRequest Ranking(const v1::Window* window = nullptr) {
    v1::ListScoresRequest request;
    request.set_tenant("acme");
    request.set_kind(v1::SCOPE_KIND_AGENT);
    if (window != nullptr) *request.mutable_window() = *window;
    return request;
  }
  static v1::ListFindingsRequest Findings(const v1::Window* window = nullptr) {
    v1::ListFindingsRequest request;
    request.set_tenant("acme");
    if (window != nullptr) *request.mutable_window() = *window;
    return request;
  }

  // What every RPC that takes a window answers to `window`, by RPC.
  std::vector<std::pair<std::string, grpc::Status>> EveryWindowedRpc(const v1::Window& window) {
    return {{"GetScore tenant", GetScore(ScoreRequest(v1::SCOPE_KIND_TENANT, "", &window))},
            {"GetScore agent", GetScore(ScoreRequest(v1::SCOPE_KIND_AGENT, "kim", &window))},
            {"GetScore ticket", GetScore(ScoreRequest(v1::SCOPE_KIND_TICKET, "T1", &window))},
            {"ExplainScore agent", ExplainScore(ScoreRequest(v1::SCOPE_KIND_AGENT, "kim", &window))},
            {"ListScores", ListScores(Ranking(&window))},
            {"ListFindings", ListFindings(Findings(&window))}};
  }

  testing::TempDir dir_;
  std::unique_ptr<server::RapportServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ExperienceService::Stub> stub_;
};

v1::Window WindowOf(int64_t start_seconds, int64_t end_seconds) {
  v1::Window w;
  w.mutable_start()->set_seconds(start_seconds);
  w.mutable_end()->set_seconds(end_seconds);
  return w;
}

constexpr int64_t kYear1900 = -2'208'988'800, kYear2100 = 4'102'444'800;

TEST_F(ReadApiTest, FarFutureAndFarPastEndsClampToTheData) {
  v1::ScoreReport all_time;
  ASSERT_TRUE(GetScore(ScoreRequest(v1::SCOPE_KIND_TENANT, ""), &all_time).ok());
  ASSERT_TRUE(all_time.scored());
  v1::ListScoresResponse all_ranking;
  ASSERT_TRUE(ListScores(Ranking(), &all_ranking).ok());
  ASSERT_EQ(all_ranking.total(), 3u);

  v1::Window until_2100;
  until_2100.mutable_end()->set_seconds(kYear2100);
  for (const v1::Window& window : {until_2100, WindowOf(kYear1900, kYear2100)}) {
    SCOPED_TRACE(window.ShortDebugString());
    v1::ScoreReport report;
    ASSERT_TRUE(GetScore(ScoreRequest(v1::SCOPE_KIND_TENANT, "", &window), &report).ok());
    EXPECT_TRUE(report.scored());
    EXPECT_EQ(report.score(), all_time.score());
    EXPECT_EQ(report.trend(), all_time.trend());
    EXPECT_EQ(report.window().ShortDebugString(), all_time.window().ShortDebugString()) << "the window as resolved";
    v1::ListScoresResponse ranking;
    ASSERT_TRUE(ListScores(Ranking(&window), &ranking).ok());
    EXPECT_EQ(ranking.ShortDebugString(), all_ranking.ShortDebugString());
  }
  // A window after the data is valid and empty.
  v1::ScoreReport after;
  const v1::Window later = WindowOf(kYear2100, kYear2100 + 86'400);
  ASSERT_TRUE(GetScore(ScoreRequest(v1::SCOPE_KIND_TENANT, "", &later), &after).ok());
  EXPECT_FALSE(after.scored());
}

TEST_F(ReadApiTest, TimestampsOutsideTheirRangeAreRefusedWithoutOverflow) {
  const int64_t huge = int64_t{1} << 62;
  v1::Window bad_nanos = WindowOf(0, 1);
  bad_nanos.mutable_end()->set_nanos(-5);
  for (const v1::Window& window : {WindowOf(-huge, huge), WindowOf(0, huge), WindowOf(-huge, 0), bad_nanos}) {
    for (const auto& [rpc, status] : EveryWindowedRpc(window)) {
      SCOPED_TRACE(rpc + " " + window.ShortDebugString());
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
      EXPECT_EQ(status.error_message().find("1970-"), std::string::npos) << status.error_message();
      EXPECT_NE(status.error_message().find("window."), std::string::npos) << status.error_message();
    }
  }
}

TEST_F(ReadApiTest, EndNotAfterStartIsInvalidEverywhere) {
  const int64_t day = ToMicros(FromMicros(At(0))) / 1'000'000;
  for (const v1::Window& window : {WindowOf(day + 86'400, day), WindowOf(day, day)}) {
    for (const auto& [rpc, status] : EveryWindowedRpc(window)) {
      SCOPED_TRACE(rpc + " " + window.ShortDebugString());
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
      EXPECT_NE(status.error_message().find("must be after window.start"), std::string::npos) << status.error_message();
    }
  }
}

TEST_F(ReadApiTest, ATenantWithNoEventIsNotFoundEverywhere) {
  v1::GetScoreRequest score = ScoreRequest(v1::SCOPE_KIND_TENANT, "");
  score.set_tenant("initech");
  v1::GetScoreRequest ticket_score = ScoreRequest(v1::SCOPE_KIND_TICKET, "T1");
  ticket_score.set_tenant("initech");
  v1::ListScoresRequest ranking = Ranking();
  ranking.set_tenant("initech");
  v1::ListFindingsRequest findings = Findings();
  findings.set_tenant("initech");
  v1::ListTicketsRequest tickets;
  tickets.set_tenant("initech");
  for (const auto& [rpc, status] :
       std::vector<std::pair<std::string, grpc::Status>>{{"GetScore", GetScore(score)},
                                                         {"GetScore ticket", GetScore(ticket_score)},
                                                         {"ExplainScore", ExplainScore(score)},
                                                         {"ListScores", ListScores(ranking)},
                                                         {"ListFindings", ListFindings(findings)},
                                                         {"ListTickets", ListTickets(tickets)},
                                                         {"GetTicket", GetTicket("initech", "T1")}}) {
    SCOPED_TRACE(rpc);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(status.error_message(), "tenant 'initech' has no events");
  }
}

TEST_F(ReadApiTest, UnknownEnumValuesAreInvalid) {
  v1::ListFindingsRequest findings = Findings();
  findings.mutable_scope()->set_kind(static_cast<v1::ScopeKind>(42));
  findings.mutable_scope()->set_id("kim");
  v1::ListFindingsRequest kinds = Findings();
  kinds.add_kinds(static_cast<v1::FindingKind>(99));
  v1::ListFindingsRequest severity = Findings();
  severity.set_min_severity(static_cast<v1::Severity>(7));
  v1::ListScoresRequest order = Ranking();
  order.set_order(static_cast<v1::ScoreOrder>(9));
  v1::ListScoresRequest kind = Ranking();
  kind.set_kind(static_cast<v1::ScopeKind>(42));
  v1::ListTicketsRequest ticket_order;
  ticket_order.set_tenant("acme");
  ticket_order.set_order(static_cast<v1::TicketOrder>(9));
  for (const auto& [rpc, status] : std::vector<std::pair<std::string, grpc::Status>>{
           {"ListFindings scope.kind", ListFindings(findings)},
           {"ListFindings kinds", ListFindings(kinds)},
           {"ListFindings min_severity", ListFindings(severity)},
           {"ListScores order", ListScores(order)},
           {"ListScores kind", ListScores(kind)},
           {"ListTickets order", ListTickets(ticket_order)},
           {"GetScore scope.kind", GetScore(ScoreRequest(static_cast<v1::ScopeKind>(42), "kim"))}}) {
    SCOPED_TRACE(rpc);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find(" is not a "), std::string::npos) << status.error_message();
  }
}

TEST_F(ReadApiTest, IdsMatchExactly) {
  ASSERT_TRUE(GetTicket("acme", "T1").ok());
  const std::string with_nul("T1\0", 3);
  v1::ListFindingsRequest findings = Findings();
  findings.mutable_scope()->set_kind(v1::SCOPE_KIND_TICKET);
  findings.mutable_scope()->set_id(with_nul);
  for (const auto& [rpc, status] : std::vector<std::pair<std::string, grpc::Status>>{
           {"GetTicket", GetTicket("acme", with_nul)},
           {"GetTicket tenant", GetTicket(std::string("acme\0", 5), "T1")},
           {"GetScore", GetScore(ScoreRequest(v1::SCOPE_KIND_TICKET, with_nul))},
           {"GetScore agent", GetScore(ScoreRequest(v1::SCOPE_KIND_AGENT, std::string("kim\0", 4)))},
           {"ListFindings", ListFindings(findings)}}) {
    SCOPED_TRACE(rpc);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find("control character"), std::string::npos) << status.error_message();
  }
  // A prefix of an id is another id: not found.
  EXPECT_EQ(GetTicket("acme", "T").error_code(), grpc::StatusCode::NOT_FOUND);
}

// Follows next_page_token from `first` (page size 2) and returns every id
// seen, checking that each page continues the same query.
template <typename Request, typename Response>
std::vector<std::string> AllPages(Request request, const std::function<grpc::Status(const Request&, Response*)>& call,
                                  const std::function<std::vector<std::string>(const Response&)>& ids) {
  std::vector<std::string> seen;
  request.set_page_size(2);
  for (int pages = 0; pages < 20; ++pages) {
    Response page;
    grpc::Status status = call(request, &page);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (!status.ok()) break;
    for (const std::string& id : ids(page)) seen.push_back(id);
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  return seen;
}

TEST_F(ReadApiTest, PageTokensAreOpaqueAndBoundToTheirQuery) {
  // Tickets: every one exactly once; the token is not a bare offset.
  v1::ListTicketsRequest tickets;
  tickets.set_tenant("acme");
  auto ticket_ids = AllPages<v1::ListTicketsRequest, v1::ListTicketsResponse>(
      tickets, [&](const auto& r, auto* out) { return ListTickets(r, out); },
      [](const v1::ListTicketsResponse& p) {
        std::vector<std::string> ids;
        for (const auto& t : p.tickets()) ids.push_back(t.ticket_id());
        return ids;
      });
  EXPECT_EQ(std::set<std::string>(ticket_ids.begin(), ticket_ids.end()).size(), 6u);
  EXPECT_EQ(ticket_ids.size(), 6u);
  tickets.set_page_size(2);
  v1::ListTicketsResponse first;
  ASSERT_TRUE(ListTickets(tickets, &first).ok());
  ASSERT_FALSE(first.next_page_token().empty());
  EXPECT_NE(first.next_page_token(), "2");

  // Findings and scores page the same way.
  auto finding_ids = AllPages<v1::ListFindingsRequest, v1::ListFindingsResponse>(
      Findings(), [&](const auto& r, auto* out) { return ListFindings(r, out); },
      [](const v1::ListFindingsResponse& p) {
        std::vector<std::string> ids;
        for (const auto& f : p.findings()) ids.push_back(f.ticket_id() + "/" + f.id());
        return ids;
      });
  EXPECT_EQ(std::set<std::string>(finding_ids.begin(), finding_ids.end()).size(), finding_ids.size());
  EXPECT_GE(finding_ids.size(), 6u);
  v1::ListScoresRequest ranking = Ranking();
  ranking.set_kind(v1::SCOPE_KIND_TICKET);
  auto scored = AllPages<v1::ListScoresRequest, v1::ListScoresResponse>(
      ranking, [&](const auto& r, auto* out) { return ListScores(r, out); },
      [](const v1::ListScoresResponse& p) {
        std::vector<std::string> ids;
        for (const auto& s : p.scores()) ids.push_back(s.scope().id());
        return ids;
      });
  EXPECT_EQ(scored.size(), 6u);

  // A token presented with another tenant, another filter or another order,
  // or one this server never issued: refused, saying why.
  auto refused = [](const grpc::Status& status, const char* why) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find(why), std::string::npos) << status.error_message();
  };
  v1::ListTicketsRequest other_tenant = tickets;
  other_tenant.set_tenant("globex");
  other_tenant.set_page_token(first.next_page_token());
  refused(ListTickets(other_tenant), "another query");
  v1::ListTicketsRequest other_filter = tickets;
  other_filter.set_open_only(true);
  other_filter.set_page_token(first.next_page_token());
  refused(ListTickets(other_filter), "another query");
  v1::ListTicketsRequest same = tickets;
  same.set_page_size(3);  // a page size may change between pages
  same.set_page_token(first.next_page_token());
  EXPECT_TRUE(ListTickets(same).ok());
  for (const char* forged : {"2", "", "AQ", "not base64!"}) {
    if (*forged == '\0') continue;
    v1::ListTicketsRequest bare = tickets;
    bare.set_page_token(forged);
    refused(ListTickets(bare), "not one this server issued");
  }

  v1::ListFindingsRequest findings = Findings();
  findings.set_page_size(2);
  v1::ListFindingsResponse finding_page;
  ASSERT_TRUE(ListFindings(findings, &finding_page).ok());
  ASSERT_FALSE(finding_page.next_page_token().empty());
  v1::ListFindingsRequest narrower = findings;
  narrower.mutable_scope()->set_kind(v1::SCOPE_KIND_AGENT);
  narrower.mutable_scope()->set_id("kim");
  narrower.set_page_token(finding_page.next_page_token());
  refused(ListFindings(narrower), "another query");
  v1::ListFindingsRequest bare_findings = findings;
  bare_findings.set_page_token("2");
  refused(ListFindings(bare_findings), "not one this server issued");

  ranking.set_page_size(2);
  v1::ListScoresResponse score_page;
  ASSERT_TRUE(ListScores(ranking, &score_page).ok());
  ASSERT_FALSE(score_page.next_page_token().empty());
  v1::ListScoresRequest other_order = ranking;
  other_order.set_order(v1::SCORE_ORDER_BEST_FIRST);
  other_order.set_page_token(score_page.next_page_token());
  refused(ListScores(other_order), "another query");
  v1::ListScoresRequest findings_token = ranking;
  findings_token.set_page_token(finding_page.next_page_token());
  refused(ListScores(findings_token), "another query");
}

}  // namespace
}  // namespace rapport
