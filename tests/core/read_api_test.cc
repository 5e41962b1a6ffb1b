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
    return GetTicket(request);
  }
  grpc::Status GetTicket(const v1::GetTicketRequest& request, v1::GetTicketResponse* out = nullptr) {
    v1::GetTicketResponse ignored;
    grpc::ClientContext context;
    return stub_->GetTicket(&context, request, out != nullptr ? out : &ignored);
  }
  void Ingest(const std::vector<v1::TicketEvent>& events) {
    client::StreamIngester::Options ingest;
    ingest.make_channel = [this] { return channel_; };
    auto result = client::StreamIngester(ingest).Run(events);
    ASSERT_TRUE(result.ok()) << result.status();
  }
  // Every page of `request`'s timeline, following next_page_token (at most
  // `max_pages`).
  std::vector<v1::GetTicketResponse> TimelinePages(v1::GetTicketRequest request, int max_pages = 50) {
    std::vector<v1::GetTicketResponse> pages;
    while (static_cast<int>(pages.size()) < max_pages) {
      v1::GetTicketResponse page;
      grpc::Status status = GetTicket(request, &page);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      pages.push_back(page);
      if (page.next_page_token().empty()) break;
      request.set_page_token(page.next_page_token());
    }
    return pages;
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

v1::GetTicketRequest TicketRequest(const std::string& tenant, const std::string& id, uint32_t page_size = 0) {
  v1::GetTicketRequest request;
  request.set_tenant(tenant);
  request.set_ticket_id(id);
  request.set_page_size(page_size);
  return request;
}

// A ticket of one creation and `comments` comments of `bytes` bytes each,
// one a minute; returns the event ids in timeline order.
std::vector<std::string> LongTicket(const std::string& id, int comments, size_t bytes,
                                    std::vector<v1::TicketEvent>* events) {
  std::vector<std::string> ids = {id + "-c"};
  events->push_back(Created(id, ids[0], 0));
  for (int i = 0; i < comments; ++i) {
    std::string text = "Comment " + std::to_string(i) + ": ";
    while (text.size() < bytes) text += "the printer on floor two still jams. ";
    text.resize(bytes);
    ids.push_back(id + "-" + std::to_string(i));
    events->push_back(testing::Comment(id, ids.back(), 1 + i, i % 2 ? v1::ACTOR_ROLE_AGENT : v1::ACTOR_ROLE_REQUESTER,
                                       text));
  }
  return ids;
}

std::vector<std::string> EventIds(const std::vector<v1::GetTicketResponse>& pages) {
  std::vector<std::string> ids;
  for (const v1::GetTicketResponse& page : pages) {
    for (const v1::TimelineEntry& entry : page.timeline()) ids.push_back(entry.event().event_id());
  }
  return ids;
}

TEST_F(ReadApiTest, ATicketsTimelineIsPagedEveryEntryOnceInOrder) {
  std::vector<v1::TicketEvent> events;
  const std::vector<std::string> expected = LongTicket("LONG", 449, 100, &events);
  Ingest(events);

  // The default page: 200 entries, each page with the header and the total.
  std::vector<v1::GetTicketResponse> pages = TimelinePages(TicketRequest("acme", "LONG"));
  ASSERT_EQ(pages.size(), 3u);
  EXPECT_EQ(pages[0].timeline_size(), 200);
  EXPECT_EQ(pages[2].timeline_size(), 50);
  for (const v1::GetTicketResponse& page : pages) {
    EXPECT_EQ(page.ticket_id(), "LONG");
    EXPECT_EQ(page.timeline_total(), 450u);
    EXPECT_TRUE(page.has_created_at());
  }
  EXPECT_EQ(EventIds(pages), expected);

  // Another page size gives the same timeline; so does one above the maximum.
  EXPECT_EQ(EventIds(TimelinePages(TicketRequest("acme", "LONG", 7), 100)), expected);
  std::vector<v1::GetTicketResponse> one = TimelinePages(TicketRequest("acme", "LONG", 100000));
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(EventIds(one), expected);

  // Findings and the score are on the first page only; the header on every one.
  std::vector<v1::GetTicketResponse> short_pages = TimelinePages(TicketRequest("acme", "T0", 1));
  ASSERT_EQ(short_pages.size(), 3u);
  EXPECT_GT(short_pages[0].findings_size(), 0);
  EXPECT_TRUE(short_pages[0].has_score());
  for (size_t i = 1; i < short_pages.size(); ++i) {
    EXPECT_EQ(short_pages[i].findings_size(), 0);
    EXPECT_FALSE(short_pages[i].has_score());
    EXPECT_EQ(short_pages[i].status(), short_pages[0].status());
    EXPECT_TRUE(short_pages[i].has_sla());
  }
}

TEST_F(ReadApiTest, ATimelinePageTokenIsBoundToItsTenantAndTicket) {
  v1::GetTicketRequest request = TicketRequest("acme", "T0", 1);
  v1::GetTicketResponse first;
  ASSERT_TRUE(GetTicket(request, &first).ok());
  ASSERT_FALSE(first.next_page_token().empty());
  auto refused = [](const grpc::Status& status, const char* why) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find(why), std::string::npos) << status.error_message();
  };
  v1::GetTicketRequest other_ticket = TicketRequest("acme", "T1", 1);
  other_ticket.set_page_token(first.next_page_token());
  refused(GetTicket(other_ticket), "another query");
  v1::GetTicketRequest other_tenant = TicketRequest("globex", "G1", 1);
  other_tenant.set_page_token(first.next_page_token());
  refused(GetTicket(other_tenant), "another query");
  v1::GetTicketRequest forged = request;
  forged.set_page_token("1");
  refused(GetTicket(forged), "not one this server issued");
  v1::ListTicketsRequest tickets;
  tickets.set_tenant("acme");
  tickets.set_page_size(1);
  v1::ListTicketsResponse list;
  ASSERT_TRUE(ListTickets(tickets, &list).ok());
  v1::GetTicketRequest list_token = request;
  list_token.set_page_token(list.next_page_token());
  refused(GetTicket(list_token), "another query");
  // The page size may change between pages.
  v1::GetTicketRequest same = request;
  same.set_page_size(5);
  same.set_page_token(first.next_page_token());
  v1::GetTicketResponse rest;
  ASSERT_TRUE(GetTicket(same, &rest).ok());
  EXPECT_EQ(rest.timeline_size(), 2);
  EXPECT_TRUE(rest.next_page_token().empty());
}

TEST_F(ReadApiTest, ATimelinePageIsCappedByBytes) {
  // 24 comments of 60 KB: 1.4 MB, asked for in one page of 1000.
  std::vector<v1::TicketEvent> events;
  const std::vector<std::string> expected = LongTicket("BIG", 24, 60'000, &events);
  Ingest(events);
  std::vector<v1::GetTicketResponse> pages = TimelinePages(TicketRequest("acme", "BIG", 1000));
  EXPECT_GE(pages.size(), 3u);
  for (const v1::GetTicketResponse& page : pages) {
    EXPECT_GT(page.timeline_size(), 0);
    EXPECT_LT(page.ByteSizeLong(), 600'000u) << page.timeline_size() << " entries";
  }
  EXPECT_EQ(EventIds(pages), expected);
}

}  // namespace
}  // namespace rapport
