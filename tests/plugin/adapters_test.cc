// Each built-in adapter on realistic fixtures (tests/fixtures/<adapter>/):
// the canonical events it gives, and a clear permanent error for a malformed
// payload. Then the two real incident logs of ../shared/eval through the csv
// adapter.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "adapter_fixture.h"
#include "builtin/builtins.h"
#include "common/adapter_util.h"
#include "core/test_util.h"
#include "event/event.h"
#include "plugin/registry.h"

namespace rapport {
namespace {

using AdaptersTest = AdapterFixture;

std::string Iso(const google::protobuf::Timestamp& t) { return FormatMicros(ToMicros(t)); }

TEST_F(AdaptersTest, ServiceNowRecordJournalAndAudit) {
  Translation t = Translate("servicenow", Fixture("servicenow/incident_bundle.json"));
  EXPECT_TRUE(t.rejected.empty());
  std::map<std::string, v1::TicketEvent> by_id;
  for (const auto& e : t.events) {
    EXPECT_EQ(e.tenant(), "acme");
    EXPECT_EQ(e.ticket_id(), "INC0010042");
    by_id[e.event_id()] = e;
  }
  ASSERT_TRUE(by_id.count("INC0010042:created"));
  EXPECT_EQ(by_id["INC0010042:created"].kind(), v1::EVENT_KIND_TICKET_CREATED);
  EXPECT_EQ(by_id["INC0010042:created"].requester().id(), "abel.tuter");
  EXPECT_EQ(Iso(by_id["INC0010042:created"].occurred_at()), "2026-09-01T08:00:00Z");
  const v1::TicketEvent& resolved = by_id["INC0010042:resolved:2026-09-01 11:30:00"];
  EXPECT_EQ(resolved.status(), v1::TICKET_STATUS_RESOLVED);
  EXPECT_EQ(Iso(resolved.occurred_at()), "2026-09-01T11:30:00Z") << "resolved_at";
  EXPECT_EQ(resolved.resolution().notes(), "Re-created the VPN profile.");
  EXPECT_EQ(by_id["INC0010042:5:priority"].priority(), v1::PRIORITY_HIGH);
  EXPECT_EQ(by_id["INC0010042:5:assignment"].assignee().team(), "Network");
  // Journal: the caller's comment, an internal work note, the agent's public reply.
  const v1::TicketEvent& caller = by_id["INC0010042:journal:f92024471b0000506a4a85507e4bcb78"];
  EXPECT_EQ(caller.actor().role(), v1::ACTOR_ROLE_REQUESTER);
  EXPECT_TRUE(caller.comment().public_());
  const v1::TicketEvent& note = by_id["INC0010042:journal:2c6420c31b0000506a4a85507e4bcb82"];
  EXPECT_FALSE(note.comment().public_()) << "work_notes are internal";
  EXPECT_EQ(note.actor().role(), v1::ACTOR_ROLE_AGENT);
  // A rich-text reply ([code]<html>[/code]) becomes the text a person reads.
  EXPECT_EQ(by_id["INC0010042:journal:3d7420c31b0000506a4a85507e4bcb90"].comment().text(),
            "Hi Abel,\n> The VPN drops every hour\ncould you try reconnecting now & tell me what you see?\nThanks!");
  // Audit: hold_reason 1 (awaiting caller) is a pause for the requester.
  EXPECT_EQ(by_id["INC0010042:audit:a1"].status(), v1::TICKET_STATUS_PENDING_REQUESTER);
  EXPECT_EQ(by_id["INC0010042:audit:a2"].status(), v1::TICKET_STATUS_IN_PROGRESS);
  // The same payload again gives the same ids (a re-poll is a duplicate).
  Translation again = Translate("servicenow", Fixture("servicenow/incident_bundle.json"));
  ASSERT_EQ(again.events.size(), t.events.size());
  for (size_t i = 0; i < t.events.size(); ++i) EXPECT_EQ(again.events[i].event_id(), t.events[i].event_id());
}

TEST_F(AdaptersTest, ServiceNowErrorsNameTheField) {
  absl::Status s = Error("servicenow", Fixture("servicenow/missing_number.json"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'number'"), std::string::npos) << s;
  s = Error("servicenow", "{not json");
  EXPECT_NE(s.message().find("not valid JSON"), std::string::npos) << s;
  s = Error("servicenow", "", R"({"status_map": {"9": "sleeping"}})");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("status_map.9"), std::string::npos) << s;
}

TEST_F(AdaptersTest, JiraWebhooks) {
  const std::pair<std::string, std::string> id{"x-atlassian-webhook-identifier", "5f3a-1"};
  Translation created = Translate("jira", Fixture("jira/issue_created.json"), "", {id});
  ASSERT_EQ(created.events.size(), 1u);
  EXPECT_EQ(created.events[0].kind(), v1::EVENT_KIND_TICKET_CREATED);
  EXPECT_EQ(created.events[0].ticket_id(), "ITSD-123");
  EXPECT_EQ(Iso(created.events[0].occurred_at()), "2026-09-01T08:00:00Z") << "+0200 offset to UTC";
  EXPECT_EQ(created.events[0].requester().id(), "712020:chris");
  EXPECT_EQ(created.events[0].status(), v1::TICKET_STATUS_IN_PROGRESS) << "Waiting for support";

  Translation updated =
      Translate("jira", Fixture("jira/issue_updated_status.json"), "", {{"x-atlassian-webhook-identifier", "5f3a-2"}});
  ASSERT_EQ(updated.events.size(), 3u);
  EXPECT_EQ(updated.events[0].status(), v1::TICKET_STATUS_PENDING_REQUESTER);
  EXPECT_EQ(updated.events[0].event_id(), "jira:ITSD-123:changelog:24456:0")
      << "the change's own id, whichever delivery (or REST read of the history) brings it";
  EXPECT_EQ(updated.events[1].assignee().agent_id(), "557058:dana");
  EXPECT_EQ(updated.events[2].priority(), v1::PRIORITY_MEDIUM);
  EXPECT_EQ(updated.events[0].actor().role(), v1::ACTOR_ROLE_AGENT);

  Translation internal = Translate("jira", Fixture("jira/comment_created_internal.json"));
  ASSERT_EQ(internal.events.size(), 1u);
  EXPECT_FALSE(internal.events[0].comment().public_()) << "jsdPublic false";
  Translation adf = Translate("jira", Fixture("jira/comment_created_adf.json"));
  ASSERT_EQ(adf.events.size(), 1u);
  EXPECT_EQ(adf.events[0].comment().text(), "It still drops, every hour.\nPlease help.");
  EXPECT_EQ(adf.events[0].actor().role(), v1::ACTOR_ROLE_REQUESTER);
  EXPECT_TRUE(adf.events[0].comment().public_());
  // Quotations and code blocks keep their shape, so the tone engine sets them aside.
  Translation quoting = Translate("jira", Fixture("jira/comment_created_adf_quote.json"));
  ASSERT_EQ(quoting.events.size(), 1u);
  EXPECT_EQ(quoting.events[0].comment().text(),
            "> This is useless, you idiots never fix anything!\n> Damn it.\n"
            "I'm sorry about the trouble. The log says:\n```\nFATAL stupid crash 0x80070005\n```\n"
            "I have fixed the permission, thanks for your patience.");

  // A custom workflow status, mapped per tenant.
  std::string custom = Fixture("jira/issue_updated_status.json");
  const std::string from = "\"toString\": \"Waiting for customer\"";
  custom.replace(custom.find(from), from.size(), "\"toString\": \"Awaiting parts\"");
  absl::Status unmapped = Error("jira", custom);
  EXPECT_NE(unmapped.message().find("unmapped status 'Awaiting parts'"), std::string::npos) << unmapped;
  Translation mapped = Translate("jira", custom, R"({"status_map": {"Awaiting parts": "pending_third_party"}})");
  ASSERT_FALSE(mapped.events.empty());
  EXPECT_EQ(mapped.events[0].status(), v1::TICKET_STATUS_PENDING_THIRD_PARTY);

  EXPECT_NE(Error("jira", Fixture("jira/missing_issue.json")).message().find("'issue'"), std::string::npos);
}

TEST_F(AdaptersTest, ZendeskWebhooksAndAudits) {
  Translation status = Translate("zendesk", Fixture("zendesk/status_changed.json"));
  ASSERT_EQ(status.events.size(), 1u);
  EXPECT_EQ(status.events[0].status(), v1::TICKET_STATUS_PENDING_REQUESTER);
  EXPECT_EQ(status.events[0].event_id(), "zendesk:c6d7e8f9-0a1b-2c3d-4e5f-6a7b8c9d0e1f");
  EXPECT_EQ(Iso(status.events[0].occurred_at()), "2026-09-01T12:15:45.789012Z") << "nanoseconds truncated to µs";
  Translation comment = Translate("zendesk", Fixture("zendesk/comment_added.json"));
  ASSERT_EQ(comment.events.size(), 1u);
  EXPECT_EQ(comment.events[0].actor().role(), v1::ACTOR_ROLE_REQUESTER);
  Translation audits = Translate("zendesk", Fixture("zendesk/audits.json"));
  ASSERT_EQ(audits.events.size(), 4u);
  EXPECT_EQ(audits.events[0].kind(), v1::EVENT_KIND_TICKET_CREATED);
  EXPECT_EQ(audits.events[1].actor().role(), v1::ACTOR_ROLE_REQUESTER);
  EXPECT_FALSE(audits.events[2].comment().public_());
  EXPECT_EQ(audits.events[3].status(), v1::TICKET_STATUS_PENDING_THIRD_PARTY) << "hold";
  ASSERT_EQ(audits.rejected.size(), 1u) << "the audit without ticket_id";
  EXPECT_NE(audits.rejected[0].message().find("'ticket_id'"), std::string::npos);
  EXPECT_NE(Error("zendesk", R"({"type": "something"})").message().find("'type'"), std::string::npos);
}

TEST_F(AdaptersTest, FreshserviceTemplate) {
  Translation created = Translate("freshservice", Fixture("freshservice/ticket_created.json"));
  ASSERT_EQ(created.events.size(), 1u);
  const auto& c = created.events[0];
  EXPECT_EQ(c.status(), v1::TICKET_STATUS_NEW);
  EXPECT_EQ(c.priority(), v1::PRIORITY_CRITICAL) << "4 = Urgent";
  EXPECT_TRUE(c.requester().vip());
  EXPECT_EQ(c.requester().department(), "Finance");
  EXPECT_EQ(c.event_id(), "freshservice:fs-1001-created");
  Translation updated = Translate("freshservice", Fixture("freshservice/ticket_updated.json"));
  ASSERT_EQ(updated.events.size(), 3u);
  EXPECT_EQ(updated.events[2].status(), v1::TICKET_STATUS_PENDING_REQUESTER) << "3 = Pending";
  Translation reply = Translate("freshservice", Fixture("freshservice/reply_added.json"));
  ASSERT_EQ(reply.events.size(), 1u);
  EXPECT_TRUE(reply.events[0].comment().public_());
  EXPECT_EQ(reply.events[0].actor().role(), v1::ACTOR_ROLE_AGENT);
  // Only the HTML body: the text a person reads.
  std::string html = Fixture("freshservice/reply_added.json");
  const std::string plain = "\"body_text\": \"Could you send a photo of the error on the display?\"";
  html.replace(html.find(plain), plain.size(), "\"body\": \"<div>Could you send a <b>photo</b> of the error?</div>\"");
  Translation from_html = Translate("freshservice", html);
  ASSERT_EQ(from_html.events.size(), 1u);
  EXPECT_EQ(from_html.events[0].comment().text(), "Could you send a photo of the error?");
  absl::Status s = Error("freshservice", Fixture("freshservice/unknown_status.json"));
  EXPECT_NE(s.message().find("'ticket.status'"), std::string::npos) << s;
  Translation custom = Translate("freshservice", Fixture("freshservice/unknown_status.json"),
                                 R"({"status_map": {"9": "pending_third_party"}})");
  ASSERT_FALSE(custom.events.empty());
  EXPECT_EQ(custom.events.back().status(), v1::TICKET_STATUS_PENDING_THIRD_PARTY);
}

TEST_F(AdaptersTest, JsonlKeepsGoodLines) {
  Translation t = Translate("jsonl", Fixture("jsonl/events.jsonl"));
  ASSERT_EQ(t.events.size(), 2u);
  EXPECT_EQ(t.events[1].comment().text(), "On it.");
  ASSERT_EQ(t.rejected.size(), 1u);
  EXPECT_EQ(t.rejected[0].index(), 2u);
  EXPECT_EQ(t.rejected[0].code(), "INVALID_JSON");
}

TEST_F(AdaptersTest, APayloadSpeaksForTheTenantItWasSentFor) {
  std::string body = Fixture("jsonl/events.jsonl");  // its events say tenant "acme"
  auto handle = registry_.CreateAdapter("jsonl", "");
  ASSERT_TRUE(handle.ok());
  auto out = (*handle)->Translate("initech", body);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->events.size(), 2u);
  for (const auto& e : out->events) EXPECT_EQ(e.tenant(), "initech") << "no writing into another tenant";
}

TEST_F(AdaptersTest, CsvSnapshotsBecomeDifferences) {
  Translation t = Translate("csv", Fixture("csv/incident_log.csv"), R"({"mapping": "servicenow-incident-log"})");
  std::vector<std::string> ids;
  for (const auto& e : t.events) {
    ids.push_back(e.event_id());
    EXPECT_EQ(e.attributes().at("rapport.conversation"), "false");
  }
  // Row 0 opens the ticket with its group; row 1 picks an agent and goes
  // active; row 2 moves group and priority; row 3 resolves.
  EXPECT_EQ(ids, (std::vector<std::string>{"INC0000900:created", "INC0000900:0:assignment", "INC0000900:1:assignment",
                                           "INC0000900:1:status", "INC0000900:2:assignment", "INC0000900:2:priority",
                                           "INC0000900:3:status"}));
  EXPECT_EQ(t.events[6].status(), v1::TICKET_STATUS_RESOLVED);
  EXPECT_EQ(t.events[6].resolution().code(), "code 5");
  EXPECT_EQ(t.events[4].assignee().team(), "Group 2");
  EXPECT_EQ(Iso(t.events[0].occurred_at()), "2026-09-01T08:00:00Z");
  ASSERT_EQ(t.rejected.size(), 1u);
  EXPECT_NE(t.rejected[0].message().find("line 6: column 'incident_state': unknown status 'Bogus State'"),
            std::string::npos)
      << t.rejected[0].message();
  EXPECT_NE(Error("csv", "a,b\n1,2\n", R"({"mapping": "bpic2013"})").message().find("column 'case_id'"),
            std::string::npos);
  EXPECT_NE(Error("csv", "").message().find("needs a mapping"), std::string::npos);
}

// The real logs of ../shared/eval, through the csv adapter.
TEST_F(AdaptersTest, TheRealIncidentLogsTranslate) {
  for (auto [file, mapping, min_tickets] :
       {std::tuple{"/incidents/incident_event_log.dev.csv", "servicenow-incident-log", 400},
        std::tuple{"/bpi2013/bpi2013_incidents.dev.csv", "bpic2013", 3000}}) {
    std::ifstream in(std::string(EVAL_DIR) + file);
    if (!in) GTEST_SKIP() << "eval data not present";
    std::stringstream s;
    s << in.rdbuf();
    Translation t = Translate("csv", s.str(), std::string(R"({"mapping": ")") + mapping + "\"}");
    std::set<std::string> tickets, ids;
    int repeated = 0;  // the export has snapshots sharing a sys_mod_count: same id, first write wins
    for (const auto& e : t.events) {
      tickets.insert(e.ticket_id());
      repeated += !ids.insert(e.event_id()).second;
    }
    EXPECT_LE(repeated, 10) << mapping;
    EXPECT_GE(tickets.size(), static_cast<size_t>(min_tickets)) << mapping;
    for (const auto& r : t.rejected) ADD_FAILURE() << mapping << ": " << r.message();
  }
}

}  // namespace
TEST(AdapterUtil, HtmlToTextReadsLikeThePage) {
  using adapters::HtmlToText;
  EXPECT_EQ(HtmlToText("<div>Hello <b>Bob</b>,<br/>it works&nbsp;again &#x1F44D; &#233;t&eacute;</div>"),
            "Hello Bob,\nit works again \xf0\x9f\x91\x8d \xc3\xa9t&eacute;");
  EXPECT_EQ(HtmlToText("<p>Sorry!</p><blockquote><p>You are useless</p><p>Fix it</p></blockquote><p>Done.</p>"),
            "Sorry!\n> You are useless\n> Fix it\nDone.");
  EXPECT_EQ(HtmlToText("<style>p {color: red}</style><script>alert(1)</script>Text"), "Text");
  EXPECT_EQ(HtmlToText("a &lt; b &amp;&amp; c &gt; d &#0; &#99999999; &bogus"), "a < b && c > d \xef\xbf\xbd \xef\xbf\xbd &bogus");
  EXPECT_EQ(HtmlToText("cut off <p"), "cut off");
  EXPECT_EQ(HtmlToText(""), "");
  EXPECT_EQ(HtmlToText("<p></p>\n\n<br><br><br>x"), "x");
}

}  // namespace rapport
