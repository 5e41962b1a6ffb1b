// Every identifier a payload reveals for a person reaches the host as an
// identity fact (ABI 1.2), and a user export gives facts only: per tool, a
// person under two ids beside the near miss that reveals one id.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "adapter_fixture.h"

namespace rapport {
namespace {

class IdentityPayloadsTest : public AdapterFixture {
 protected:
  // A user export: facts only, and the number of events it gave.
  size_t ExportFacts(const std::string& adapter, const std::string& fixture, size_t rejected) {
    auto handle = Adapter(adapter);
    auto out = handle->Translate("acme", Fixture(fixture));
    EXPECT_TRUE(out.ok()) << out.status();
    if (!out.ok()) return 0;
    EXPECT_EQ(out->rejected.size(), rejected) << fixture;
    for (const v1::TicketEvent& e : out->events) {
      EXPECT_EQ(e.kind(), v1::EVENT_KIND_IDENTITY) << e.ShortDebugString();
      EXPECT_TRUE(e.ticket_id().empty());
    }
    identities_.clear();
    const size_t n = out->events.size();
    SetIdentitiesApart(std::move(*out));
    return n;
  }
};

TEST_F(IdentityPayloadsTest, ServiceNowDisplayValuesAndUserRows) {
  Translate("servicenow", Fixture("servicenow/display_all.json"));
  EXPECT_TRUE(SamePerson("681ccaf9c0a8016400b98a06818d57c7", "Joe Employee")) << "caller_id value and display value";
  EXPECT_TRUE(SamePerson("5137153cc611227c000bbd1bd8cd2007", "David Loo")) << "assigned_to";
  // Near miss: display_value=false gives the sys_id alone.
  nlohmann::json plain = nlohmann::json::parse(Fixture("servicenow/display_all.json"));
  for (auto& row : plain["result"]) {
    for (auto& [field, value] : row.items()) {
      if (value.is_object() && value.contains("value")) value = value["value"];
    }
  }
  Translate("servicenow", plain.dump());
  EXPECT_FALSE(SamePerson("681ccaf9c0a8016400b98a06818d57c7", "Joe Employee"));

  EXPECT_EQ(ExportFacts("servicenow", "servicenow/sys_user_export.json", 0), 2u) << "the third row names one id";
  EXPECT_TRUE(SamePerson("681ccaf9c0a8016400b98a06818d57c7", "joe.employee")) << "the journal's sys_created_by";
  EXPECT_TRUE(SamePerson("joe.employee", "joe.employee@example.com"));
  EXPECT_FALSE(SamePerson("joe.employee", "david.loo"));
}

TEST_F(IdentityPayloadsTest, JiraAccountIdNameKeyAndEmail) {
  Translate("jira", Fixture("jira/dc_issue_created.json"));
  EXPECT_TRUE(SamePerson("jsmith", "JIRAUSER10100")) << "the reporter by name and key";
  EXPECT_TRUE(SamePerson("JIRAUSER10100", "john.smith@example.com"));
  EXPECT_FALSE(SamePerson("jsmith", "akumar"));

  EXPECT_EQ(ExportFacts("jira", "jira/users_search.json", 1), 2u);
  EXPECT_TRUE(SamePerson("5b10a2844c20165700ede21g", "mia@example.com")) << "Cloud: accountId and email";
  EXPECT_TRUE(SamePerson("jsmith", "john.smith@example.com")) << "Data Center: name, key, email";
}

TEST_F(IdentityPayloadsTest, ZendeskUserIdAndEmail) {
  Translate("zendesk", Fixture("zendesk/audits_with_users.json"));
  EXPECT_TRUE(SamePerson("35436", "ana@example.com")) << "sideloaded users";
  Translate("zendesk", Fixture("zendesk/audits_docs_example.json"));
  EXPECT_FALSE(SamePerson("35436", "ana@example.com")) << "near miss: no users sideloaded";

  EXPECT_EQ(ExportFacts("zendesk", "zendesk/users.json", 0), 2u);
  EXPECT_TRUE(SamePerson("5246746", "sam@example.com"));
}

TEST_F(IdentityPayloadsTest, FreshserviceRequesterIdAndEmail) {
  nlohmann::json created = nlohmann::json::parse(Fixture("freshservice/ticket_created.json"));
  Translate("freshservice", created.dump());
  EXPECT_TRUE(identities_.empty()) << "near miss: the requester by id only";
  created["ticket"]["requester_email"] = "rachel@example.com";
  Translate("freshservice", created.dump());
  EXPECT_TRUE(SamePerson("43028420064", "rachel@example.com"));

  EXPECT_EQ(ExportFacts("freshservice", "freshservice/requesters.json", 1), 1u);
  EXPECT_TRUE(SamePerson("43028420064", "rachel@example.com"));
}

}  // namespace
}  // namespace rapport
