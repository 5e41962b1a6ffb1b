// IngestRaw and ListPlugins over real gRPC (in-process channel), with a real
// store: a native payload in, canonical events stored, errors that say why.
#include <gtest/gtest.h>

#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "core/test_util.h"
#include "event/event.h"
#include "grpcpp/client_context.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "rapport/v1/experience.grpc.pb.h"
#include "rapport/v1/ingest.grpc.pb.h"
#include "server/server.h"

namespace rapport {
namespace {

std::string Fixture(const std::string& path) { return testing::ReadFile(std::string(FIXTURES) + "/" + path); }

class RawIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server::ServerOptions options;
    options.listen = "";
    options.data_dir = dir_.path();
    options.plugin_dir = MODULE_DIR;
    ASSERT_TRUE(server::RapportServer::Start(options, &server_).ok());
    ingest_ = v1::IngestService::NewStub(server_->InProcessChannel());
  }

  grpc::Status Send(const std::string& adapter, const std::string& body, v1::BatchAck* ack, bool want_scores = false) {
    v1::RawPayload payload;
    payload.set_adapter(adapter);
    payload.set_tenant("acme");
    payload.set_body(body);
    payload.set_sequence(9);
    payload.set_want_scores(want_scores);
    grpc::ClientContext context;
    return ingest_->IngestRaw(&context, payload, ack);
  }

  v1::GetTicketResponse Ticket(const std::string& id) {
    auto experience = v1::ExperienceService::NewStub(server_->InProcessChannel());
    v1::GetTicketRequest request;
    request.set_tenant("acme");
    request.set_ticket_id(id);
    v1::GetTicketResponse ticket;
    grpc::ClientContext context;
    grpc::Status s = experience->GetTicket(&context, request, &ticket);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return ticket;
  }

  static int Count(const v1::GetTicketResponse& t, v1::FindingKind kind) {
    int n = 0;
    for (const v1::Finding& f : t.findings()) n += f.kind() == kind;
    return n;
  }

  static const v1::TimelineEntry* Entry(const v1::GetTicketResponse& t, const std::string& event_id) {
    for (const v1::TimelineEntry& e : t.timeline()) {
      if (e.event().event_id() == event_id) return &e;
    }
    return nullptr;
  }

  testing::TempDir dir_;
  std::unique_ptr<server::RapportServer> server_;
  std::unique_ptr<v1::IngestService::Stub> ingest_;
};

TEST_F(RawIngestTest, ANativePayloadIsStoredAndScored) {
  v1::BatchAck ack;
  ASSERT_TRUE(Send("servicenow", Fixture("servicenow/incident_bundle.json"), &ack, true).ok());
  EXPECT_EQ(ack.sequence(), 9u);
  EXPECT_EQ(ack.accepted(), 10u);
  EXPECT_EQ(ack.rejected_size(), 0);
  ASSERT_EQ(ack.ticket_scores_size(), 1);
  EXPECT_EQ(ack.ticket_scores(0).ticket_id(), "INC0010042");
  EXPECT_TRUE(ack.ticket_scores(0).scored());
  auto experience = v1::ExperienceService::NewStub(server_->InProcessChannel());
  v1::GetTicketRequest request;
  request.set_tenant("acme");
  request.set_ticket_id("INC0010042");
  v1::GetTicketResponse ticket;
  grpc::ClientContext context;
  ASSERT_TRUE(experience->GetTicket(&context, request, &ticket).ok());
  EXPECT_EQ(ticket.status(), v1::TICKET_STATUS_RESOLVED);
  EXPECT_EQ(ticket.requester().id(), "abel.tuter");
  // Polled again: every event is a duplicate.
  v1::BatchAck again;
  ASSERT_TRUE(Send("servicenow", Fixture("servicenow/incident_bundle.json"), &again).ok());
  EXPECT_EQ(again.accepted(), 0u);
  EXPECT_EQ(again.duplicates(), 10u);

  // A later version of the record (a business rule sends every update):
  // its snapshot is new, what it repeats is a duplicate, nothing conflicts.
  nlohmann::json later = nlohmann::json::parse(Fixture("servicenow/incident_bundle.json"));
  later["result"][0]["sys_mod_count"] = "6";
  later["result"][0]["priority"] = "1";
  later["result"][0]["category"] = "network";
  v1::BatchAck update;
  ASSERT_TRUE(Send("servicenow", later.dump(), &update).ok());
  EXPECT_EQ(update.conflicts(), 0u);
  EXPECT_GT(update.accepted(), 0u);
  grpc::ClientContext again_context;
  ASSERT_TRUE(experience->GetTicket(&again_context, request, &ticket).ok());
  EXPECT_EQ(ticket.priority(), v1::PRIORITY_CRITICAL);
}

TEST_F(RawIngestTest, BadRowsAreRejectedAndTheirNeighboursKept) {
  v1::BatchAck ack;
  ASSERT_TRUE(Send("jsonl", Fixture("jsonl/events.jsonl"), &ack).ok());
  EXPECT_EQ(ack.accepted(), 2u);
  ASSERT_EQ(ack.rejected_size(), 1);
  EXPECT_EQ(ack.rejected(0).code(), "INVALID_JSON");
  EXPECT_NE(ack.rejected(0).message().find("record 2"), std::string::npos) << ack.rejected(0).message();
}

// A body of "{}" lines is one empty event per 3 bytes. The ack used to list
// every refusal (3.9 MB of them: 1.3 million refusals, a 57 MB ack no default
// client reads, built in 1.5 GB of server memory); 1.2 MB is enough to show it.
TEST_F(RawIngestTest, APayloadOfEmptyRecordsGetsASmallAck) {
  std::string body;
  while (body.size() < 1'200'000) body += "{}\n";
  const uint64_t records = body.size() / 3;
  v1::BatchAck ack;
  grpc::Status status = Send("jsonl", body, &ack);
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  EXPECT_EQ(ack.accepted(), 0u);
  EXPECT_EQ(ack.rejected_size(), 100);
  uint64_t counted = 0;
  for (const auto& [code, n] : ack.rejected_by_code()) counted += n;
  EXPECT_EQ(counted, records);
  EXPECT_EQ(ack.rejected_by_code().at("MISSING_FIELD"), records);
  EXPECT_LT(ack.ByteSizeLong(), 64u << 10);
}

// More events than a batch takes: committed as several batches, every event
// stored, the ack's detail bounded and its counts complete.
TEST_F(RawIngestTest, APayloadLargerThanABatchIsStoredWholeWithABoundedAck) {
  std::string body;
  for (int i = 0; i < 2500; ++i) {
    body += absl::StrFormat(R"({"tenant":"acme","ticket_id":"R%d","event_id":"r%d",)"
                            R"("occurred_at":"2026-09-01T08:%02d:00Z","kind":"ticket_created"})" "\n",
                            i % 50, i, i % 60);
    if (i % 5 == 0) {  // 500 events without the status a status change needs
      body += absl::StrFormat(R"({"tenant":"acme","ticket_id":"R%d","event_id":"s%d",)"
                              R"("occurred_at":"2026-09-01T09:00:00Z","kind":"status_changed"})" "\n",
                              i % 50, i);
    }
    if (i % 10 == 0) body += "not json\n";  // 250 records the adapter refuses
  }
  v1::BatchAck ack;
  grpc::Status status = Send("jsonl", body, &ack);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(ack.accepted(), 2500u);
  EXPECT_EQ(ack.rejected_size(), 100);
  EXPECT_EQ(ack.rejected_by_code().at("MISSING_FIELD"), 500u);
  EXPECT_EQ(ack.rejected_by_code().at("INVALID_JSON"), 250u);
  EXPECT_LT(ack.ByteSizeLong(), 32u << 10);
  v1::GetStatsResponse stats;
  grpc::ClientContext context;
  ASSERT_TRUE(v1::AdminService::NewStub(server_->InProcessChannel())
                  ->GetStats(&context, v1::GetStatsRequest(), &stats)
                  .ok());
  EXPECT_EQ(stats.events_accepted(), 2500u);
}

TEST_F(RawIngestTest, ErrorsSayWhatToFix) {
  v1::BatchAck ack;
  grpc::Status s = Send("servicenow", Fixture("servicenow/missing_number.json"), &ack);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("'number'"), std::string::npos) << s.error_message();
  s = Send("remedy", "{}", &ack);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(s.error_message().find("available:"), std::string::npos);
  s = Send("", "{}", &ack);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  s = Send("c-echo", "T9 e9 1788249600\n", &ack);  // the C module from --plugin-dir
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(ack.accepted(), 1u);
}

TEST_F(RawIngestTest, ListPluginsShowsOriginsAndRefusals) {
  auto admin = v1::AdminService::NewStub(server_->InProcessChannel());
  v1::ListPluginsResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(admin->ListPlugins(&context, v1::ListPluginsRequest(), &response).ok());
  bool builtin_csv = false, module_c = false;
  for (const auto& p : response.plugins()) {
    builtin_csv |= p.name() == "csv" && p.origin() == "built-in";
    module_c |= p.name() == "c-echo" && p.origin().find("c_echo.so") != std::string::npos;
  }
  EXPECT_TRUE(builtin_csv);
  EXPECT_TRUE(module_c);
  EXPECT_EQ(response.refused_size(), 6);
}

// The findings that follow from who wrote what (fixtures: tests/fixtures/*/README.md).
// ServiceNow: the caller's own journal entry ("joe.employee" for the caller
// "Joe Employee") is not the first response; the assignee's reply is.
TEST_F(RawIngestTest, ServiceNowFirstResponseIsTheAgentsNotTheCallers) {
  v1::BatchAck ack;
  ASSERT_TRUE(Send("servicenow", Fixture("servicenow/display_all.json"), &ack).ok());
  EXPECT_EQ(ack.rejected_size(), 0);
  v1::GetTicketResponse t = Ticket("INC0000060");
  EXPECT_EQ(t.sla().first_response().seconds(), 45 * 60 + 3) << "16:05:00, the assignee's reply; not 15:21:10";
  EXPECT_EQ(Count(t, v1::FINDING_KIND_FIRST_RESPONSE_BREACH), 0);
  EXPECT_EQ(Count(t, v1::FINDING_KIND_RESOLVED_WITHOUT_CONTACT), 0);
  EXPECT_EQ(FormatMicros(ToMicros(t.resolved_at())), "2016-12-13T21:43:14Z");
  EXPECT_EQ(FormatMicros(ToMicros(t.closed_at())), "2016-12-14T02:46:44Z");
  EXPECT_EQ(t.status(), v1::TICKET_STATUS_CLOSED);
  const v1::TimelineEntry* stranger = Entry(t, "INC0000060:journal:e4d3e1f0db1a00104c7a8d1b8a961962");
  ASSERT_NE(stranger, nullptr);
  EXPECT_EQ(stranger->event().actor().role(), v1::ACTOR_ROLE_OTHER);
  EXPECT_TRUE(stranger->event().attributes().contains("rapport.role_reason")) << "the reason shows in the timeline";
}

// Zendesk: with the users sideloaded, the requester's own comments are not
// the agent's first response, and the agent's reply counts as contact.
TEST_F(RawIngestTest, ZendeskRequesterAndAgentFromTheSideloadedUsers) {
  v1::BatchAck ack;
  ASSERT_TRUE(Send("zendesk", Fixture("zendesk/audits_with_users.json"), &ack).ok());
  v1::GetTicketResponse t = Ticket("666");
  EXPECT_EQ(t.sla().first_response().seconds(), 40 * 60) << "the agent's reply at 20:40, not the requester's at 20:00";
  EXPECT_EQ(Count(t, v1::FINDING_KIND_RESOLVED_WITHOUT_CONTACT), 0);
  const v1::TimelineEntry* thanks = Entry(t, "zendesk:2127301143:1564245");
  ASSERT_NE(thanks, nullptr);
  EXPECT_EQ(thanks->event().actor().role(), v1::ACTOR_ROLE_REQUESTER) << "never scored as the agent's tone";
}

// Jira: a deleted comment leaves tone and findings; an edited one counts
// with its latest text; both revisions show in the timeline.
TEST_F(RawIngestTest, JiraDeletedAndEditedCommentsLeaveTheFindings) {
  v1::BatchAck ack;
  for (const char* f : {"jira/dc_issue_created.json", "jira/dc_comment_requester.json", "jira/dc_comment_agent_wiki.json"}) {
    ASSERT_TRUE(Send("jira", Fixture(f), &ack).ok()) << f;
  }
  auto comment = [&](const std::string& type, const std::string& id, const std::string& body, const std::string& updated) {
    nlohmann::json j = nlohmann::json::parse(Fixture("jira/dc_comment_agent_wiki.json"));
    j["webhookEvent"] = type;
    j["comment"]["id"] = id;
    j["comment"]["self"] = "https://jira.example.com/rest/api/2/issue/30001/comment/" + id;
    j["comment"]["body"] = body;
    j["comment"]["created"] = "2026-09-01T10:10:00.000+0200";
    j["comment"]["updated"] = updated;
    j["timestamp"] = 1788250800000;  // 08:20Z, after the comments
    return j.dump();
  };
  const std::string rude = "Not our problem. Stop wasting my time, idiot, and talk to your manager.";
  ASSERT_TRUE(Send("jira", comment("comment_created", "40004", rude, "2026-09-01T10:10:00.000+0200"), &ack).ok());
  ASSERT_TRUE(Send("jira", comment("comment_created", "40005", rude, "2026-09-01T10:10:00.000+0200"), &ack).ok());
  EXPECT_EQ(Count(Ticket("HD-42"), v1::FINDING_KIND_RUDE_REPLY), 2);

  ASSERT_TRUE(Send("jira", comment("comment_deleted", "40004", rude, "2026-09-01T10:10:00.000+0200"), &ack).ok());
  EXPECT_EQ(ack.accepted(), 1u);
  ASSERT_TRUE(Send("jira", comment("comment_updated", "40005", "Sorry for the trouble, the fix is on its way.",
                                   "2026-09-01T10:20:00.000+0200"),
                   &ack)
                  .ok());
  v1::GetTicketResponse t = Ticket("HD-42");
  EXPECT_EQ(Count(t, v1::FINDING_KIND_RUDE_REPLY), 0);
  const v1::TimelineEntry* deleted = Entry(t, "jira:HD-42:comment:40004");
  ASSERT_NE(deleted, nullptr);
  EXPECT_TRUE(deleted->withdrawn());
  EXPECT_FALSE(deleted->has_tone()) << "a deleted comment has no tone";
  EXPECT_NE(Entry(t, "jira:HD-42:comment:40004:deleted"), nullptr) << "the deletion shows";
  const v1::TimelineEntry* edited = Entry(t, "jira:HD-42:comment:40005");
  ASSERT_NE(edited, nullptr);
  EXPECT_TRUE(edited->edited());
  EXPECT_FALSE(edited->tone().rude()) << "the latest text counts";
  EXPECT_NE(Entry(t, "jira:HD-42:comment:40005:edit:2026-09-01T10:20:00.000+0200"), nullptr) << "the edit shows";
  // The requester's comment is not the first response; the agent's wiki reply is.
  EXPECT_EQ(t.sla().first_response().seconds(), 30 * 60);
}

// A payload whose event type carries nothing Rapport uses says so.
TEST_F(RawIngestTest, NothingToRecordIsReported) {
  v1::BatchAck ack;
  ASSERT_TRUE(Send("zendesk", Fixture("zendesk/tags_changed.json"), &ack).ok());
  EXPECT_EQ(ack.accepted(), 0u);
  ASSERT_EQ(ack.notes_size(), 1);
  EXPECT_EQ(ack.notes(0), "zendesk: event type tags_changed: nothing to record");
}

}  // namespace
}  // namespace rapport
