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

// The same delivery pretty-printed or with its keys reordered is the same
// events: ids come from the source's ids, never from the payload's bytes.
TEST_F(RealPayloadsTest, IdsComeFromTheSourceNotTheBytes) {
  const std::vector<std::pair<std::string, std::string>> payloads = {
      {"jira", "jira/issue_updated_status.json"},          {"jira", "jira/dc_comment_agent_wiki.json"},
      {"zendesk", "zendesk/audits_with_users.json"},       {"zendesk", "zendesk/status_changed.json"},
      {"servicenow", "servicenow/display_all.json"},       {"freshservice", "freshservice/api_ticket_with_conversations.json"},
      {"freshservice", "freshservice/reply_added.json"}};
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
