// The adapters on the tools' own published payloads (tests/fixtures/<tool>/,
// sources in each README) and on the shapes they document: who wrote what
// (roles from the ticket, under every identifier the payload gives), when
// it happened (the field that states it), what it means (statuses,
// priorities, edits, deletions, markup), and ids from the source only.
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "adapter_fixture.h"
#include "builtin/builtins.h"
#include "core/test_util.h"
#include "event/event.h"
#include "nlohmann/json.hpp"
#include "plugin/registry.h"

namespace rapport {
namespace {

std::string Iso(const google::protobuf::Timestamp& t) { return FormatMicros(ToMicros(t)); }
std::string Attribute(const v1::TicketEvent& e, const std::string& key) {
  auto it = e.attributes().find(key);
  return it == e.attributes().end() ? "" : it->second;
}

class RealPayloadsTest : public AdapterFixture {
 protected:
  static std::map<std::string, v1::TicketEvent> ById(const Translation& t) {
    std::map<std::string, v1::TicketEvent> out;
    for (const auto& e : t.events) out[e.event_id()] = e;
    return out;
  }
};

// ServiceNow, sysparm_display_value=all: UTC values (not the display
// times), names kept beside ids, the caller's journal entries by user name
// recognised, resolution then closure each at its own time and by its own
// person, and a stranger's comment OTHER with the reason.
TEST_F(RealPayloadsTest, ServiceNowDisplayAllRecordAndJournal) {
  Translation t = Translate("servicenow", Fixture("servicenow/display_all.json"));
  EXPECT_TRUE(t.rejected.empty());
  auto by_id = ById(t);
  const v1::TicketEvent& created = by_id["INC0000060:created"];
  EXPECT_EQ(Iso(created.occurred_at()), "2016-12-12T15:19:57Z") << "the UTC value, not the display time";
  EXPECT_EQ(created.requester().id(), "681ccaf9c0a8016400b98a06818d57c7");
  EXPECT_EQ(Attribute(created, "rapport.requester_name"), "Joe Employee");
  EXPECT_EQ(created.actor().role(), v1::ACTOR_ROLE_REQUESTER);

  ASSERT_TRUE(by_id.count("INC0000060:resolved:2016-12-13 21:43:14"));
  const v1::TicketEvent& resolved = by_id["INC0000060:resolved:2016-12-13 21:43:14"];
  EXPECT_EQ(resolved.status(), v1::TICKET_STATUS_RESOLVED);
  EXPECT_EQ(Iso(resolved.occurred_at()), "2016-12-13T21:43:14Z") << "resolved_at, not sys_updated_on";
  EXPECT_EQ(resolved.actor().id(), "5137153cc611227c000bbd1bd8cd2007");
  EXPECT_EQ(resolved.actor().role(), v1::ACTOR_ROLE_AGENT);
  EXPECT_EQ(Attribute(resolved, "rapport.actor_name"), "David Loo");
  EXPECT_EQ(resolved.resolution().code(), "Solved (Permanently)");
  const v1::TicketEvent& closed = by_id["INC0000060:closed:2016-12-14 02:46:44"];
  EXPECT_EQ(closed.status(), v1::TICKET_STATUS_CLOSED);
  EXPECT_EQ(Iso(closed.occurred_at()), "2016-12-14T02:46:44Z");
  EXPECT_LT(ToMicros(resolved.occurred_at()), ToMicros(closed.occurred_at()));

  const std::string journal = "INC0000060:journal:";
  EXPECT_EQ(by_id[journal + "a0d3e1f0db1a00104c7a8d1b8a96192e"].actor().role(), v1::ACTOR_ROLE_REQUESTER)
      << "joe.employee is the caller Joe Employee";
  EXPECT_EQ(by_id[journal + "d3d3e1f0db1a00104c7a8d1b8a961951"].actor().role(), v1::ACTOR_ROLE_REQUESTER)
      << "the caller's thanks are the requester's";
  EXPECT_EQ(by_id[journal + "c2d3e1f0db1a00104c7a8d1b8a961940"].actor().role(), v1::ACTOR_ROLE_AGENT)
      << "david.loo is the assignee David Loo";
  const v1::TicketEvent& stranger = by_id[journal + "e4d3e1f0db1a00104c7a8d1b8a961962"];
  EXPECT_EQ(stranger.actor().role(), v1::ACTOR_ROLE_OTHER);
  EXPECT_NE(Attribute(stranger, "rapport.role_reason").find("'fred.luddy' is not the caller"), std::string::npos);
}

TEST_F(RealPayloadsTest, ServiceNowRefusesWhatItCannotReadRight) {
  absl::Status display = Error("servicenow", Fixture("servicenow/display_true.json"));
  EXPECT_EQ(display.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(display.message().find("sysparm_display_value=all"), std::string::npos) << display;
  absl::Status problem = Error("servicenow", Fixture("servicenow/problem_record.json"));
  EXPECT_NE(problem.message().find("table 'problem' has its own state codes"), std::string::npos) << problem;
  Translation mapped = Translate("servicenow", Fixture("servicenow/problem_record.json"),
                                 R"({"tables": {"problem": {"status_map": {"107": "closed"}}}})");
  ASSERT_FALSE(mapped.events.empty());
  EXPECT_EQ(mapped.events.back().status(), v1::TICKET_STATUS_CLOSED);
}

// Jira Server: users by name/key; the assignee's comment is the agent's;
// the priority "Trivial (Sev5)" is LOW; the same comment delivered again by
// a comment webhook without an issue object is the same event.
TEST_F(RealPayloadsTest, JiraServerPayloads) {
  auto jira = Adapter("jira");
  auto updated = jira->Translate("acme", Fixture("jira/public/server_issue_commented.json"));
  ASSERT_TRUE(updated.ok()) << updated.status();
  *updated = SetIdentitiesApart(std::move(*updated));
  ASSERT_EQ(updated->events.size(), 1u);
  const v1::TicketEvent& c = updated->events[0];
  EXPECT_EQ(c.ticket_id(), "ISEC-277");
  EXPECT_EQ(c.event_id(), "jira:ISEC-277:comment:456843");
  EXPECT_EQ(c.actor().id(), "valentijn");
  EXPECT_EQ(c.actor().role(), v1::ACTOR_ROLE_AGENT) << "the assignee";
  EXPECT_EQ(Iso(c.occurred_at()), "2020-11-11T17:55:21.425000Z");
  auto comment = jira->Translate("acme", Fixture("jira/public/server_comment_created.json"));
  ASSERT_TRUE(comment.ok()) << comment.status();
  *comment = SetIdentitiesApart(std::move(*comment));
  ASSERT_EQ(comment->events.size(), 1u);
  EXPECT_EQ(comment->events[0].ticket_id(), "ISEC-277") << "issue 2 is ISEC-277, learnt from the earlier payload";
  EXPECT_EQ(comment->events[0].event_id(), c.event_id()) << "one comment, one id";
  // Alone, the comment names its issue by id and the author's role is unknown.
  Translation alone = Translate("jira", Fixture("jira/public/server_comment_created.json"));
  ASSERT_EQ(alone.events.size(), 1u);
  EXPECT_EQ(alone.events[0].ticket_id(), "2");
  EXPECT_EQ(alone.events[0].actor().role(), v1::ACTOR_ROLE_OTHER);
  EXPECT_FALSE(Attribute(alone.events[0], "rapport.role_reason").empty());
}

TEST_F(RealPayloadsTest, JiraDefaultPrioritySchemesMapWithoutConfiguration) {
  std::string body = Fixture("jira/dc_issue_created.json");
  const std::map<std::string, v1::Priority> expected = {
      {"Blocker", v1::PRIORITY_CRITICAL}, {"Highest", v1::PRIORITY_CRITICAL}, {"Critical", v1::PRIORITY_HIGH},
      {"High", v1::PRIORITY_HIGH},        {"Major", v1::PRIORITY_HIGH},       {"Medium", v1::PRIORITY_MEDIUM},
      {"Minor", v1::PRIORITY_LOW},        {"Low", v1::PRIORITY_LOW},          {"Lowest", v1::PRIORITY_LOW},
      {"Trivial", v1::PRIORITY_LOW}};
  for (const auto& [name, priority] : expected) {
    nlohmann::json j = nlohmann::json::parse(body);
    j["issue"]["fields"]["priority"]["name"] = name;
    Translation t = Translate("jira", j.dump());
    ASSERT_EQ(t.events.size(), 1u) << name;
    EXPECT_EQ(t.events[0].priority(), priority) << name;
  }
}

// JSM Data Center: the reporter is the requester under his key and his
// e-mail address too; the agent's wiki markup reads as a person reads it,
// with the quotation and the log set apart.
TEST_F(RealPayloadsTest, JiraDataCenterRolesAndWikiMarkup) {
  Translation created = Translate("jira", Fixture("jira/dc_issue_created.json"));
  ASSERT_EQ(created.events.size(), 1u);
  EXPECT_EQ(created.events[0].requester().id(), "jsmith");
  EXPECT_EQ(created.events[0].priority(), v1::PRIORITY_HIGH) << "Major";
  Translation requester = Translate("jira", Fixture("jira/dc_comment_requester.json"));
  ASSERT_EQ(requester.events.size(), 1u);
  EXPECT_EQ(requester.events[0].actor().role(), v1::ACTOR_ROLE_REQUESTER) << "the reporter's key";
  Translation thanks = Translate("jira", Fixture("jira/dc_comment_requester_thanks.json"));
  ASSERT_EQ(thanks.events.size(), 1u);
  EXPECT_EQ(thanks.events[0].actor().role(), v1::ACTOR_ROLE_REQUESTER) << "the reporter's e-mail, any case";
  Translation agent = Translate("jira", Fixture("jira/dc_comment_agent_wiki.json"));
  ASSERT_EQ(agent.events.size(), 1u);
  EXPECT_EQ(agent.events[0].actor().role(), v1::ACTOR_ROLE_AGENT);
  EXPECT_EQ(agent.events[0].comment().text(),
            "Hi John,\n> It drops again, I cannot work like this!\nThe client log says:\n```\n"
            "FATAL stupid driver crash 0x80070005\n```\n> Known issue with client 4.2\n"
            "I have updated your profile, could you try again? See the guide.");
}

// comment_updated is an edit naming the comment (latest text, at its update
// time); comment_deleted withdraws it. In a software project the author
// (neither reporter nor assignee) is OTHER with the reason.
TEST_F(RealPayloadsTest, JiraCommentEditedAndDeleted) {
  Translation edit = Translate("jira", Fixture("jira/public/cloud_comment_updated.json"));
  ASSERT_EQ(edit.events.size(), 1u);
  const v1::TicketEvent& e = edit.events[0];
  EXPECT_EQ(e.kind(), v1::EVENT_KIND_FIELDS_UPDATED);
  EXPECT_EQ(Attribute(e, "rapport.edit_of"), "jira:INDEV-28:comment:10757");
  EXPECT_EQ(e.comment().text(), "12345");
  EXPECT_EQ(Iso(e.occurred_at()), "2018-12-20T12:41:13.803000Z") << "comment.updated";
  EXPECT_EQ(e.actor().role(), v1::ACTOR_ROLE_OTHER);
  EXPECT_NE(Attribute(e, "rapport.role_reason").find("software project"), std::string::npos)
      << Attribute(e, "rapport.role_reason");
  Translation deleted = Translate("jira", Fixture("jira/public/cloud_comment_deleted.json"));
  ASSERT_EQ(deleted.events.size(), 1u);
  EXPECT_EQ(deleted.events[0].kind(), v1::EVENT_KIND_FIELDS_UPDATED);
  EXPECT_EQ(Attribute(deleted.events[0], "rapport.withdraws"), "jira:INDEV-28:comment:10757");
  EXPECT_EQ(deleted.events[0].event_id(), "jira:INDEV-28:comment:10757:deleted");
}

// Zendesk's own audit example: without the ticket or users nothing says who
// 35436 is (OTHER, with what to fetch); with them, the requester's thanks
// are the requester's, the agent's reply the agent's, a CC's message OTHER.
TEST_F(RealPayloadsTest, ZendeskAuditsRolesFromTicketAndUsers) {
  Translation bare = Translate("zendesk", Fixture("zendesk/audits_docs_example.json"));
  ASSERT_EQ(bare.events.size(), 2u) << "the comment and the status change; not the notification";
  EXPECT_EQ(bare.events[0].comment().text(), "Thanks for your help!");
  EXPECT_EQ(bare.events[0].actor().role(), v1::ACTOR_ROLE_OTHER);
  EXPECT_NE(Attribute(bare.events[0], "rapport.role_reason").find("include=users"), std::string::npos);

  auto by_id = ById(Translate("zendesk", Fixture("zendesk/audits_with_users.json")));
  EXPECT_EQ(by_id["zendesk:2127301100:1564200"].requester().id(), "35436");
  EXPECT_EQ(by_id["zendesk:2127301100:1564202"].actor().role(), v1::ACTOR_ROLE_REQUESTER);
  EXPECT_EQ(by_id["zendesk:2127301120:1564220"].actor().role(), v1::ACTOR_ROLE_AGENT) << "role agent";
  EXPECT_EQ(by_id["zendesk:2127301143:1564245"].actor().role(), v1::ACTOR_ROLE_REQUESTER) << "thanks";
  const v1::TicketEvent& cc = by_id["zendesk:2127301151:1564251"];
  EXPECT_EQ(cc.actor().role(), v1::ACTOR_ROLE_OTHER);
  EXPECT_NE(Attribute(cc, "rapport.role_reason").find("end-user who is not the ticket's requester"), std::string::npos);
  EXPECT_EQ(by_id["zendesk:2127301150:1564250"].status(), v1::TICKET_STATUS_RESOLVED);
}

TEST_F(RealPayloadsTest, ZendeskCustomStatusAndNothingToRecord) {
  Translation custom = Translate("zendesk", Fixture("zendesk/custom_status_changed.json"));
  ASSERT_EQ(custom.events.size(), 1u);
  EXPECT_EQ(custom.events[0].status(), v1::TICKET_STATUS_PENDING_REQUESTER) << "its category, PENDING";
  EXPECT_EQ(custom.events[0].status_reason(), "8447320465790");
  EXPECT_EQ(custom.events[0].actor().role(), v1::ACTOR_ROLE_AGENT) << "the assignee";
  Translation mapped = Translate("zendesk", Fixture("zendesk/custom_status_changed.json"),
                                 R"({"custom_status_map": {"8447320465790": "pending_third_party"}})");
  ASSERT_EQ(mapped.events.size(), 1u);
  EXPECT_EQ(mapped.events[0].status(), v1::TICKET_STATUS_PENDING_THIRD_PARTY);
  Translation tags = Translate("zendesk", Fixture("zendesk/tags_changed.json"));
  EXPECT_TRUE(tags.events.empty());
  EXPECT_EQ(tags.note, "zendesk: event type tags_changed: nothing to record");
}

// The tools' own counters reach the ticket as source counts: ServiceNow's
// on every version of a record, Zendesk's ticket metrics as an event of
// their own whose id is the metric record's version, so a later version of
// either is a new fact and not a conflicting duplicate.
TEST_F(RealPayloadsTest, SourceCountersFromServiceNowRecordsAndZendeskMetrics) {
  auto by_id = ById(Translate("servicenow", Fixture("servicenow/display_all.json")));
  const v1::TicketEvent& resolved = by_id["INC0000060:resolved:2016-12-13 21:43:14"];
  EXPECT_EQ(Attribute(resolved, kSourceTeamReassignmentCount), "2");
  EXPECT_EQ(Attribute(resolved, kSourceReopenCount), "0");
  EXPECT_EQ(Attribute(by_id["INC0000060:created"], kSourceTeamReassignmentCount), "")
      << "the created event is the same whatever version of the record brings it";

  Translation metric = Translate("zendesk", Fixture("zendesk/ticket_metric.json"));
  ASSERT_EQ(metric.events.size(), 1u);
  const v1::TicketEvent& m = metric.events[0];
  EXPECT_EQ(m.event_id(), "zendesk:metrics:33:2026-03-04T10:38:52Z");
  EXPECT_EQ(m.ticket_id(), "666");
  EXPECT_EQ(m.kind(), v1::EVENT_KIND_FIELDS_UPDATED);
  EXPECT_EQ(Iso(m.occurred_at()), "2026-03-04T10:38:52Z");
  EXPECT_EQ(Attribute(m, kSourceReopenCount), "1");
  EXPECT_EQ(Attribute(m, kSourceReassignmentCount), "2") << "3 assignees: 2 changes";
  EXPECT_EQ(Attribute(m, kSourceTeamReassignmentCount), "1") << "2 groups: 1 change";

  // Sideloaded beside the audits, the metrics ride along; a metric without
  // stations or reopens states nothing.
  nlohmann::json audits = nlohmann::json::parse(Fixture("zendesk/audits_with_users.json"));
  audits["metric_sets"] = nlohmann::json::array({nlohmann::json::parse(Fixture("zendesk/ticket_metric.json"))["ticket_metric"]});
  Translation both = Translate("zendesk", audits.dump());
  EXPECT_EQ(ById(both).count("zendesk:metrics:33:2026-03-04T10:38:52Z"), 1u);
  Translation bare = Translate("zendesk", R"({"ticket_metrics": [{"id": 1, "ticket_id": 7, "updated_at": "2026-03-04T10:38:52Z"}]})");
  EXPECT_TRUE(bare.events.empty());
  EXPECT_NE(bare.note.find("nothing to record"), std::string::npos) << bare.note;
}

// Freshservice's API ticket with its conversations: roles from
// requester_id and the conversation flags, times from the fields that
// state them, group, department and responder read, an edit shown.
TEST_F(RealPayloadsTest, FreshserviceApiTicketWithConversations) {
  Translation t = Translate("freshservice", Fixture("freshservice/api_ticket_with_conversations.json"));
  EXPECT_TRUE(t.rejected.empty());
  auto by_id = ById(t);
  const v1::TicketEvent& created = by_id["freshservice:5:created"];
  EXPECT_EQ(Iso(created.occurred_at()), "2022-11-17T19:40:00Z");
  EXPECT_EQ(created.requester().id(), "21000418010");
  EXPECT_EQ(created.requester().department(), "21000099007");
  EXPECT_EQ(created.assignee().agent_id(), "21000418005");
  EXPECT_EQ(created.assignee().team(), "21000188311");
  EXPECT_EQ(created.priority(), v1::PRIORITY_HIGH);
  const v1::TicketEvent& resolved = by_id["freshservice:5:resolved:2022-11-18T09:10:00Z"];
  EXPECT_EQ(resolved.status(), v1::TICKET_STATUS_RESOLVED);
  EXPECT_EQ(Iso(resolved.occurred_at()), "2022-11-18T09:10:00Z") << "stats.resolved_at, not updated_at";
  const std::string conv = "freshservice:5:conversation:";
  EXPECT_EQ(by_id[conv + "21004158690"].actor().role(), v1::ACTOR_ROLE_REQUESTER);
  EXPECT_EQ(by_id[conv + "21004158695"].actor().role(), v1::ACTOR_ROLE_AGENT);
  EXPECT_TRUE(by_id[conv + "21004158695"].comment().public_());
  EXPECT_EQ(by_id[conv + "21004158707"].actor().role(), v1::ACTOR_ROLE_AGENT);
  EXPECT_FALSE(by_id[conv + "21004158707"].comment().public_()) << "private note";
  EXPECT_EQ(by_id[conv + "21004158720"].actor().role(), v1::ACTOR_ROLE_REQUESTER) << "thanks";
  EXPECT_EQ(Attribute(by_id[conv + "21004158720:edit:2022-11-18T09:07:30Z"], "rapport.edit_of"), conv + "21004158720");
  EXPECT_EQ(by_id[conv + "21004158730"].actor().role(), v1::ACTOR_ROLE_OTHER) << "a CC";
}

TEST_F(RealPayloadsTest, FreshdeskStyleWebhook) {
  absl::Status s = Error("freshservice", Fixture("freshservice/freshdesk_status_changed.json"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("ticket_updated_at"), std::string::npos) << s;
  nlohmann::json j = nlohmann::json::parse(Fixture("freshservice/freshdesk_status_changed.json"));
  j["freshdesk_webhook"]["ticket_updated_at"] = "2026-09-01T10:00:00Z";
  Translation t = Translate("freshservice", j.dump());
  ASSERT_EQ(t.events.size(), 1u);
  EXPECT_EQ(t.events[0].status(), v1::TICKET_STATUS_PENDING_REQUESTER) << "the label Waiting on Customer";
  j["freshdesk_webhook"]["triggered_event"] = "{note_type:private}";
  Translation note = Translate("freshservice", j.dump());
  EXPECT_TRUE(note.events.empty());
  EXPECT_NE(note.note.find("nothing to record"), std::string::npos) << note.note;
}

// ServiceNow's own Table API examples and records published by open-source
// integrations: a record opens at opened_at (even when its demo data says
// it was last updated earlier), the caller who closes is the requester,
// hold reasons read, every role from the record.
TEST_F(RealPayloadsTest, ServiceNowPublishedRecords) {
  auto docs = ById(Translate("servicenow", Fixture("servicenow/docs_get_incident.json")));
  EXPECT_EQ(Iso(docs["INC0000046:created"].occurred_at()), "2015-11-02T22:04:15Z") << "opened_at, not sys_updated_on";
  EXPECT_EQ(docs["INC0000046:created"].requester().id(), "46c6f9efa9fe198101ddf5eed9adf6e7");
  EXPECT_EQ(docs["INC0000046:created"].actor().role(), v1::ACTOR_ROLE_REQUESTER) << "opened by the caller";
  EXPECT_EQ(docs["INC0000046:4:status"].status(), v1::TICKET_STATUS_NEW);

  auto patched = ById(Translate("servicenow", Fixture("servicenow/docs_patch_incident.json")));
  const v1::TicketEvent& status = patched["INC0000050:7:status"];
  EXPECT_EQ(status.status(), v1::TICKET_STATUS_IN_PROGRESS);
  EXPECT_EQ(Iso(status.occurred_at()), "2016-01-22T14:12:37Z");
  EXPECT_EQ(patched["INC0000050:7:priority"].priority(), v1::PRIORITY_CRITICAL) << "1 - Critical";
  EXPECT_EQ(patched["INC0000050:7:assignment"].assignee().agent_id(), "681b365ec0a80164000fb0b05854a0cd");
  const v1::TicketEvent& opened = patched["INC0000050:created"];
  EXPECT_EQ(opened.actor().id(), "glide.maint");
  EXPECT_EQ(opened.actor().role(), v1::ACTOR_ROLE_OTHER) << "neither caller nor staff by what the record says";
  EXPECT_FALSE(Attribute(opened, "rapport.role_reason").empty());

  auto values = ById(Translate("servicenow", Fixture("servicenow/inc0000060_values.json")));
  const v1::TicketEvent& resolved = values["INC0000060:resolved:2016-12-13 21:43:14"];
  EXPECT_EQ(resolved.status(), v1::TICKET_STATUS_RESOLVED);
  EXPECT_EQ(resolved.actor().role(), v1::ACTOR_ROLE_AGENT) << "resolved by the assignee";
  const v1::TicketEvent& closed = values["INC0000060:closed:2016-12-14 02:46:44"];
  EXPECT_EQ(closed.status(), v1::TICKET_STATUS_CLOSED);
  EXPECT_EQ(closed.actor().id(), "681ccaf9c0a8016400b98a06818d57c7");
  EXPECT_EQ(closed.actor().role(), v1::ACTOR_ROLE_REQUESTER) << "closed by the caller";
  EXPECT_EQ(values["INC0000060:15:priority"].priority(), v1::PRIORITY_MEDIUM) << "3 - Moderate";

  auto xsoar = ById(Translate("servicenow", Fixture("servicenow/xsoar_query_tickets.json")));
  EXPECT_EQ(xsoar["INC0000002:17:status"].status(), v1::TICKET_STATUS_PENDING_THIRD_PARTY) << "on hold, awaiting vendor";
  EXPECT_EQ(xsoar["INC0000002:17:status"].status_reason(), "4");
  EXPECT_EQ(xsoar["INC0000003:12:status"].status(), v1::TICKET_STATUS_IN_PROGRESS);
  EXPECT_EQ(xsoar["INC0000001:resolved:2019-12-03 19:56:12"].actor().role(), v1::ACTOR_ROLE_REQUESTER)
      << "admin is the caller: whatever else they are, what they do is the requester's";
  EXPECT_EQ(Iso(xsoar["INC0000001:closed:2019-09-03 23:10:06"].occurred_at()), "2019-09-03T23:10:06Z");
  EXPECT_EQ(xsoar["INC0000001:21:priority"].priority(), v1::PRIORITY_CRITICAL);
}

// sysparm_display_value=all: the journal the record carries as display
// text becomes its comments, each at its UTC time (the display time less
// the offset the record's own fields show: standard time in 2016, daylight
// time in November 2022), by the requester, the assignee or a work-note
// writer; unless the payload has the record's journal rows.
TEST_F(RealPayloadsTest, ServiceNowDisplayedJournal) {
  Translation t = Translate("servicenow", Fixture("servicenow/inc0000060_display_all_journal.json"));
  EXPECT_TRUE(t.rejected.empty());
  std::map<std::string, v1::TicketEvent> comments;  // by display time and kind
  for (const auto& e : t.events) {
    if (e.kind() != v1::EVENT_KIND_COMMENT_ADDED) continue;
    const std::string prefix = "INC0000060:journal:";
    ASSERT_EQ(e.event_id().rfind(prefix, 0), 0u) << e.event_id();
    comments[e.event_id().substr(prefix.size(), e.event_id().rfind(':') - prefix.size())] = e;
  }
  ASSERT_EQ(comments.size(), 13u);
  const v1::TicketEvent& first = comments["comments:2016-12-12 07:19:57"];
  EXPECT_EQ(Iso(first.occurred_at()), "2016-12-12T15:19:57Z") << "the caller's first words, at opened_at";
  EXPECT_EQ(first.actor().role(), v1::ACTOR_ROLE_REQUESTER);
  EXPECT_EQ(first.comment().text(), "I am unable to connect to the email server. It appears to be down.");
  const v1::TicketEvent& thanks = comments["comments:2016-12-13 12:30:14"];
  EXPECT_EQ(Iso(thanks.occurred_at()), "2016-12-13T20:30:14Z");
  EXPECT_EQ(thanks.actor().role(), v1::ACTOR_ROLE_REQUESTER) << "Joe Employee is the caller";
  EXPECT_EQ(comments["comments:2016-12-13 06:43:17"].actor().role(), v1::ACTOR_ROLE_AGENT) << "David Loo, the assignee";
  EXPECT_EQ(comments["comments:2016-12-12 08:30:49"].actor().role(), v1::ACTOR_ROLE_AGENT) << "Beth Anglin writes work notes";
  const v1::TicketEvent& note = comments["work_notes:2016-12-12 09:57:00"];
  EXPECT_FALSE(note.comment().public_());
  EXPECT_EQ(Iso(note.occurred_at()), "2016-12-12T17:57:00Z");
  const v1::TicketEvent& later = comments["comments:2022-11-04 15:29:20"];
  EXPECT_EQ(Iso(later.occurred_at()), "2022-11-04T22:29:20Z") << "daylight time, from sys_updated_on";
  EXPECT_EQ(later.actor().role(), v1::ACTOR_ROLE_OTHER);
  auto by_id = ById(t);
  EXPECT_EQ(Iso(by_id["INC0000060:resolved:2016-12-13 21:43:14"].occurred_at()), "2016-12-13T21:43:14Z");
  EXPECT_EQ(by_id["INC0000060:closed:2016-12-14 02:46:44"].actor().role(), v1::ACTOR_ROLE_REQUESTER);

  // With the record's sys_journal_field rows the same entries come from
  // them (UTC times, their own ids), not a second time from the display.
  nlohmann::json with_rows = nlohmann::json::parse(Fixture("servicenow/inc0000060_display_all_journal.json"));
  with_rows["result"].push_back({{"sys_id", "a0d3e1f0db1a00104c7a8d1b8a96192e"}, {"element", "comments"},
                                 {"element_id", "1c741bd70b2322007518478d83673af3"}, {"name", "incident"},
                                 {"value", "I am unable to connect to the email server. It appears to be down."},
                                 {"sys_created_on", "2016-12-12 15:19:57"}, {"sys_created_by", "employee"}});
  size_t read = 0;
  for (const auto& e : Translate("servicenow", with_rows.dump()).events) read += e.kind() == v1::EVENT_KIND_COMMENT_ADDED;
  EXPECT_EQ(read, 1u);
}

TEST_F(RealPayloadsTest, ServiceNowRefusesOrSaysWhy) {
  absl::Status display = Error("servicenow", Fixture("servicenow/inc0000060_display_true.json"));
  EXPECT_NE(display.message().find("sysparm_display_value=true"), std::string::npos) << display;
  absl::Status task = Error("servicenow", Fixture("servicenow/xsoar_sc_task_display_all.json"));
  EXPECT_NE(task.message().find("table 'sc_task' has its own state codes"), std::string::npos) << task;
  absl::Status failure = Error("servicenow", R"({"error": {"message": "No Record found", "detail": "Record doesn't exist or ACL restricts the record retrieval"}, "status": "failure"})");
  EXPECT_NE(failure.message().find("error response"), std::string::npos) << failure;
  EXPECT_NE(failure.message().find("No Record found"), std::string::npos) << failure;
  EXPECT_EQ(Translate("servicenow", R"({"result": []})").note, "servicenow: an empty result: nothing to record");

  // Journal rows alone name their record by sys_id only: refused, unless
  // the same adapter read the record before.
  absl::Status alone = Error("servicenow", Fixture("servicenow/journal_rows_only.json"));
  EXPECT_NE(alone.message().find("neither in the payload nor in an earlier one"), std::string::npos) << alone;
  auto servicenow = Adapter("servicenow");
  auto record = servicenow->Translate("acme", R"({"result": {"number": "INC0010001", "sys_id": "965f140bdb4c8c105f6f00b5ca961922",
      "state": "2", "opened_at": "2019-09-26 20:58:00", "sys_updated_on": "2019-09-26 21:00:00", "sys_mod_count": "1",
      "caller_id": {"value": "62826bf03710200044e0bfc8bcbe5df1"}, "assigned_to": {"value": "6816f79cc0a8016401c5a33be04be441"}}})");
  ASSERT_TRUE(record.ok()) << record.status();
  auto rows = servicenow->Translate("acme", Fixture("servicenow/journal_rows_only.json"));
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->events.size(), 2u);
  EXPECT_EQ(rows->events[0].ticket_id(), "INC0010001");
  EXPECT_EQ(rows->events[0].actor().role(), v1::ACTOR_ROLE_AGENT) << "admin wrote a work note";
  EXPECT_EQ(rows->events[1].event_id(), "INC0010001:journal:4db0e8cb1bcccc106a4a85507e4bcba2");
}

// Freshservice's and Freshdesk's own API examples: the ticket alone or in
// a list, a ticket with its requester (a ticket, not a user export), a
// ticket's conversations without the ticket, satisfaction ratings.
TEST_F(RealPayloadsTest, FreshworksApiShapes) {
  auto fs = ById(Translate("freshservice", Fixture("freshservice/docs_view_ticket.json")));
  const v1::TicketEvent& created = fs["freshservice:266:created"];
  EXPECT_EQ(Iso(created.occurred_at()), "2017-09-08T11:03:44Z");
  EXPECT_EQ(created.requester().id(), "1000000678");
  EXPECT_EQ(created.priority(), v1::PRIORITY_HIGH) << "3 = High";
  EXPECT_EQ(fs["freshservice:266:2017-09-08T11:37:01Z:status"].status(), v1::TICKET_STATUS_IN_PROGRESS) << "2 = Open";

  Translation list = Translate("freshservice", Fixture("freshservice/docs_list_tickets.json"));
  auto listed = ById(list);
  EXPECT_TRUE(listed.count("freshservice:266:created"));
  EXPECT_EQ(listed["freshservice:265:created"].priority(), v1::PRIORITY_LOW);

  auto fd = ById(Translate("freshservice", Fixture("freshservice/freshdesk_docs_list_tickets.json")));
  EXPECT_EQ(fd["freshservice:18:created"].requester().id(), "5");
  EXPECT_EQ(fd["freshservice:18:2015-08-17T12:02:51Z:assignment"].assignee().agent_id(), "1");
  EXPECT_EQ(fd["freshservice:18:2015-08-17T12:02:51Z:assignment"].assignee().team(), "2");
  EXPECT_TRUE(fd.count("freshservice:17:created"));

  Translation with_requester = Translate("freshservice", Fixture("freshservice/freshdesk_docs_ticket_with_requester.json"));
  EXPECT_TRUE(ById(with_requester).count("freshservice:20:created")) << "a ticket, not a requester export";
  EXPECT_TRUE(SamePerson("1", "rachel@freshdesk.com"));

  Translation conversations = Translate("freshservice", Fixture("freshservice/freshdesk_docs_conversations.json"));
  auto conv = ById(conversations);
  const v1::TicketEvent& note = conv["freshservice:20:conversation:3"];
  EXPECT_EQ(note.actor().role(), v1::ACTOR_ROLE_AGENT) << "a private note";
  EXPECT_FALSE(note.comment().public_());
  EXPECT_EQ(Iso(conv["freshservice:20:conversation:3:edit:2015-08-24T11:59:59Z"].occurred_at()), "2015-08-24T11:59:59Z")
      << "last_edited_at";

  Translation ratings = Translate("freshservice", Fixture("freshservice/freshdesk_docs_satisfaction_ratings.json"));
  auto rated = ById(ratings);
  ASSERT_EQ(rated.size(), 2u);
  const v1::TicketEvent& happy = rated["freshservice:432:rating:102"];
  EXPECT_EQ(happy.kind(), v1::EVENT_KIND_SURVEY_RECEIVED);
  EXPECT_EQ(happy.actor().role(), v1::ACTOR_ROLE_REQUESTER);
  EXPECT_EQ(happy.survey().score(), 7) << "103, extremely happy";
  EXPECT_EQ(rated["freshservice:432:rating:112"].survey().score(), 5) << "101";
}

// Freshdesk automation webhooks as zulip receives them: a note webhook has
// nothing to record (said before asking for a time); a creation keeps the
// status its rule set; a display id names the API's ticket.
TEST_F(RealPayloadsTest, FreshdeskWebhooksAndDisplayIds) {
  Translation note = Translate("freshservice", Fixture("freshservice/freshdesk_private_note.json"));
  EXPECT_TRUE(note.events.empty());
  EXPECT_NE(note.note.find("nothing to record"), std::string::npos) << note.note;
  EXPECT_NE(Error("freshservice", Fixture("freshservice/freshdesk_ticket_created.json")).message().find("ticket_updated_at"),
            std::string::npos);
  nlohmann::json created = nlohmann::json::parse(Fixture("freshservice/freshdesk_ticket_created.json"));
  created["freshdesk_webhook"]["ticket_updated_at"] = "2026-09-01T10:00:00Z";
  Translation c = Translate("freshservice", created.dump());
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].kind(), v1::EVENT_KIND_TICKET_CREATED);
  EXPECT_EQ(c.events[0].status(), v1::TICKET_STATUS_PENDING_REQUESTER) << "created Pending";
  EXPECT_EQ(c.events[0].priority(), v1::PRIORITY_HIGH);
  EXPECT_EQ(c.events[0].actor().role(), v1::ACTOR_ROLE_REQUESTER);
  nlohmann::json priority = nlohmann::json::parse(Fixture("freshservice/freshdesk_priority_changed.json"));
  priority["freshdesk_webhook"]["ticket_updated_at"] = "2026-09-01T11:00:00Z";
  priority["freshdesk_webhook"]["ticket_id"] = "#INC-11";
  Translation p = Translate("freshservice", priority.dump());
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_EQ(p.events[0].priority(), v1::PRIORITY_LOW);
  EXPECT_EQ(p.events[0].ticket_id(), "11") << "#INC-11 is ticket 11";
}

// A reply quoting the requester's mail: the HTML body sets the quotation
// apart; the plain body_text would run it into the agent's words.
TEST_F(RealPayloadsTest, FreshserviceQuotedReplyReadFromHtml) {
  nlohmann::json t = nlohmann::json::parse(Fixture("freshservice/api_ticket_with_conversations.json"));
  for (auto& conv : t["ticket"]["conversations"]) {
    if (conv["id"] != 21004158695) continue;
    conv["body"] = "<div>Hi Alex, please restart the client.</div><div class=\"freshdesk_quote\"><blockquote "
                   "class=\"freshdesk_quote\">We are still down, nobody can work. Please help!</blockquote></div>";
    conv["body_text"] = "Hi Alex, please restart the client. We are still down, nobody can work. Please help!";
  }
  auto by_id = ById(Translate("freshservice", t.dump()));
  EXPECT_EQ(by_id["freshservice:5:conversation:21004158695"].comment().text(),
            "Hi Alex, please restart the client.\n> We are still down, nobody can work. Please help!");
}

// A Freshworks app's product event: the conversation read with its ticket,
// so its author's role is known.
TEST_F(RealPayloadsTest, FreshworksProductEvent) {
  Translation t = Translate("freshservice", R"({"event": "onConversationCreate", "timestamp": 1500351361762,
    "data": {"ticket": {"id": 7, "status": 2, "priority": 2, "requester_id": 301, "responder_id": 401,
                        "created_at": "2026-09-02T08:00:00Z", "updated_at": "2026-09-02T09:00:00Z"},
             "requester": {"id": 301, "email": "kim@example.com"},
             "conversation": {"id": 9001, "ticket_id": 7, "user_id": 301, "incoming": true, "private": false,
                              "body": "<div>Any news?</div>", "created_at": "2026-09-02T09:00:00Z",
                              "updated_at": "2026-09-02T09:00:00Z"}}})");
  auto by_id = ById(t);
  ASSERT_TRUE(by_id.count("freshservice:7:conversation:9001"));
  EXPECT_EQ(by_id["freshservice:7:conversation:9001"].actor().role(), v1::ACTOR_ROLE_REQUESTER);
  EXPECT_EQ(by_id["freshservice:7:conversation:9001"].comment().text(), "Any news?");
  EXPECT_TRUE(SamePerson("301", "kim@example.com"));
}

// The same delivery pretty-printed or with its keys reordered is the same
// events: ids come from the source's ids, never from the payload's bytes.
TEST_F(RealPayloadsTest, IdsComeFromTheSourceNotTheBytes) {
  const std::vector<std::pair<std::string, std::string>> payloads = {
      {"jira", "jira/issue_updated_status.json"},          {"jira", "jira/dc_comment_agent_wiki.json"},
      {"zendesk", "zendesk/audits_with_users.json"},       {"zendesk", "zendesk/status_changed.json"},
      {"servicenow", "servicenow/display_all.json"},       {"freshservice", "freshservice/api_ticket_with_conversations.json"},
      {"freshservice", "freshservice/reply_added.json"},    {"servicenow", "servicenow/inc0000060_display_all_journal.json"},
      {"servicenow", "servicenow/xsoar_query_tickets.json"}, {"freshservice", "freshservice/freshdesk_docs_list_tickets.json"},
      {"freshservice", "freshservice/freshdesk_docs_conversations.json"}};
  for (const auto& [adapter, file] : payloads) {
    const std::string body = Fixture(file);
    nlohmann::ordered_json reordered = nlohmann::ordered_json::parse(body);
    // Reverse the order of every object's keys, recursively.
    std::function<nlohmann::ordered_json(const nlohmann::ordered_json&)> reverse = [&](const nlohmann::ordered_json& v) {
      if (v.is_array()) {
        nlohmann::ordered_json out = nlohmann::ordered_json::array();
        for (const auto& x : v) out.push_back(reverse(x));
        return out;
      }
      if (!v.is_object()) return v;
      std::vector<std::pair<std::string, nlohmann::ordered_json>> items;
      for (auto it = v.begin(); it != v.end(); ++it) items.emplace_back(it.key(), reverse(it.value()));
      nlohmann::ordered_json out = nlohmann::ordered_json::object();
      for (auto it = items.rbegin(); it != items.rend(); ++it) out[it->first] = it->second;
      return out;
    };
    Translation a = Translate(adapter, body);
    Translation b = Translate(adapter, reverse(reordered).dump());
    Translation c = Translate(adapter, nlohmann::json::parse(body).dump(4));
    ASSERT_FALSE(a.events.empty()) << file;
    ASSERT_EQ(a.events.size(), b.events.size()) << file;
    ASSERT_EQ(a.events.size(), c.events.size()) << file;
    for (size_t i = 0; i < a.events.size(); ++i) {
      EXPECT_EQ(a.events[i].event_id(), b.events[i].event_id()) << file;
      EXPECT_EQ(a.events[i].event_id(), c.events[i].event_id()) << file;
    }
  }
}

}  // namespace
}  // namespace rapport
