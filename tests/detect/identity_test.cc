// One person, one id: identity facts on events make a person's aliases
// resolve to one person, so findings follow who really wrote. Each
// behaviour beside its near miss (the same timeline without the fact).
// Real RocksDB in a temp dir, the real Ingestor.
#include <gtest/gtest.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "core/test_util.h"
#include "detect/detectors.h"
#include "detect/findings.h"
#include "ingest/aliases.h"
#include "ingest/ingestor.h"
#include "ingest/rebuild.h"
#include "query/findings_query.h"
#include "store/records.h"

namespace rapport {
namespace {

using testing::Assign;
using testing::Comment;
using testing::Created;
using testing::Status;

constexpr int64_t kHourMin = 60;
constexpr int64_t kDayMin = 24 * 60;

// A comment written under `actor`, with the role the payload guessed.
v1::TicketEvent CommentBy(const std::string& ticket, const std::string& id, int64_t minute, const std::string& actor,
                          v1::ActorRole role, const std::string& text) {
  v1::TicketEvent e = Comment(ticket, id, minute, role, text);
  e.mutable_actor()->set_id(actor);
  return e;
}

// An event that teaches only that `ids` name one person (a user export).
v1::TicketEvent Fact(const std::string& id, int64_t minute, const std::vector<std::string>& ids) {
  v1::TicketEvent e = Created("", id, minute);
  e.clear_ticket_id();
  e.clear_actor();
  e.clear_requester();
  e.clear_assignee();
  e.clear_status();
  e.clear_priority();
  e.clear_service();
  e.set_kind(v1::EVENT_KIND_IDENTITY);
  v1::Identity* identity = e.add_identities();
  for (const std::string& i : ids) identity->add_ids(i);
  return e;
}

v1::TicketEvent High(v1::TicketEvent e) {
  e.set_priority(v1::PRIORITY_HIGH);
  return e;
}

class IdentityTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    ingestor_.reset();
    store_.reset();
    Store::Options options;
    options.path = dir_.path();
    ASSERT_TRUE(Store::Open(options, &store_).ok());
    Ingestor::Options ingest;
    ingest.now_micros = [] { return testing::At(365 * kDayMin); };
    ingest.stages = {&stage_};
    ingestor_ = std::move(*Ingestor::Create(store_.get(), ingest));
  }

  void Send(const std::vector<v1::TicketEvent>& events) {
    v1::EventBatch batch;
    for (const auto& e : events) *batch.add_events() = e;
    auto ack = ingestor_->Apply(batch);
    ASSERT_TRUE(ack.ok()) << ack.status();
    ASSERT_EQ(ack->rejected_size(), 0) << ack->rejected(0).message();
  }

  std::multiset<std::string> Kinds(const std::string& ticket) {
    v1::ListFindingsRequest request;
    request.set_tenant("acme");
    request.mutable_scope()->set_kind(v1::SCOPE_KIND_TICKET);
    request.mutable_scope()->set_id(ticket);
    request.set_page_size(1000);
    auto list = ListFindings(*store_, request);
    EXPECT_TRUE(list.ok()) << list.status();
    std::multiset<std::string> kinds;
    if (list.ok()) {
      for (const auto& f : list->findings()) kinds.insert(detect::KindName(f.kind()));
    }
    return kinds;
  }

  bool Has(const std::string& ticket, const std::string& kind) { return Kinds(ticket).count(kind) > 0; }

  std::string PersonOf(const std::string& id) {
    AliasDirectory directory(*store_);
    auto person = directory.Resolve("acme", id);
    EXPECT_TRUE(person.ok()) << person.status();
    return person.ok() ? *person : "";
  }

  // The requester writes first under a second id, which the payload took
  // for staff; the real agent answers after the HIGH target of one hour.
  std::vector<v1::TicketEvent> RequesterUnderAlias(const std::string& t) {
    return {High(Created(t, t + "1", 0)),
            CommentBy(t, t + "2", 20, "jane@acme.example", v1::ACTOR_ROLE_AGENT, "Any news? It still fails."),
            CommentBy(t, t + "3", 3 * kHourMin, "agent-1", v1::ACTOR_ROLE_AGENT, "Hi, looking at it now.")};
  }

  testing::TempDir dir_;
  detect::DetectorStage stage_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Ingestor> ingestor_;
};

TEST_F(IdentityTest, NoFirstResponseTimedFromTheRequestersOwnCommentUnderAnAlias) {
  Send({Fact("f1", 0, {"req-1", "jane@acme.example"})});
  Send(RequesterUnderAlias("A"));
  EXPECT_TRUE(Has("A", "FIRST_RESPONSE_BREACH")) << "the first answer is the agent's, after three hours";
}

TEST_F(IdentityTest, NearMissWithoutTheFactTheAliasCountsAsStaff) {
  Send(RequesterUnderAlias("A"));
  EXPECT_FALSE(Has("A", "FIRST_RESPONSE_BREACH")) << "nothing says jane@ is the requester";
}

TEST_F(IdentityTest, NoResolvedWithoutContactWhenTheAgentRepliedUnderAnotherAlias) {
  auto ticket = [](const std::string& t) {
    return std::vector<v1::TicketEvent>{
        Created(t, t + "1", 0), Assign(t, t + "2", 5, "kim", "Service Desk"),
        CommentBy(t, t + "3", 10, "kim.lee@acme.example", v1::ACTOR_ROLE_OTHER, "I reset your password, try again."),
        Status(t, t + "4", 20, v1::TICKET_STATUS_RESOLVED)};
  };
  Send(ticket("B"));
  EXPECT_TRUE(Has("B", "RESOLVED_WITHOUT_CONTACT")) << "near miss: the reply's author is unknown";
  Send({Fact("f1", 30, {"kim", "kim.lee@acme.example"})});
  EXPECT_FALSE(Has("B", "RESOLVED_WITHOUT_CONTACT")) << "learning the alias refolds the ticket";
  Send(ticket("A"));
  EXPECT_FALSE(Has("A", "RESOLVED_WITHOUT_CONTACT"));
}

TEST_F(IdentityTest, ARequestersThanksUnderAnAliasIsNeverAgentTone) {
  auto thanks = [](const std::string& t) {
    return std::vector<v1::TicketEvent>{
        Created(t, t + "1", 0),
        CommentBy(t, t + "2", 10, "jane@acme.example", v1::ACTOR_ROLE_AGENT, "Thanks for your help! It works now.")};
  };
  auto agent_toned = [&](const std::string& t) {
    auto state = records::ReadTicketState(*store_, "acme", t);
    EXPECT_TRUE(state.ok() && state->has_value());
    return state.ok() && state->has_value() ? (*state)->detect().agent_toned_messages() : 99u;
  };
  Send(thanks("B"));
  EXPECT_EQ(agent_toned("B"), 1u) << "near miss: nothing says jane@ is the requester";
  Send({Fact("f1", 20, {"req-1", "jane@acme.example"})});
  EXPECT_EQ(agent_toned("B"), 0u) << "refolded: the requester's own words";
  Send(thanks("A"));
  EXPECT_EQ(agent_toned("A"), 0u);
}

TEST_F(IdentityTest, AliasLearnedAfterTheTicketsGivesWhatItGivesBefore) {
  Send(RequesterUnderAlias("A"));
  ASSERT_FALSE(Has("A", "FIRST_RESPONSE_BREACH"));
  // The fact rides on an event of another ticket, as a payload brings it.
  v1::TicketEvent other = Created("Z", "z1", 4 * kHourMin);
  v1::Identity* identity = other.add_identities();
  identity->add_ids("req-1");
  identity->add_ids("jane@acme.example");
  Send({other});
  const std::multiset<std::string> live = Kinds("A");
  EXPECT_TRUE(live.count("FIRST_RESPONSE_BREACH")) << "refolded when the alias was learned";

  // A rebuild replays the fact where it arrived (after the ticket); a store
  // that learned it first must agree.
  ingestor_.reset();
  store_.reset();
  Store::Options options;
  options.path = dir_.path();
  Ingestor::Options ingest;
  ingest.now_micros = [] { return testing::At(365 * kDayMin); };
  detect::DetectorStage fresh_stage;
  ingest.stages = {&fresh_stage};
  RebuildStats stats;
  ASSERT_TRUE(RebuildDerivedData(options, ingest, &stats).ok());
  Open();
  EXPECT_EQ(Kinds("A"), live);

  testing::TempDir before_dir;
  std::unique_ptr<Store> before;
  options.path = before_dir.path();
  ASSERT_TRUE(Store::Open(options, &before).ok());
  detect::DetectorStage before_stage;
  ingest.stages = {&before_stage};
  auto ingestor = std::move(*Ingestor::Create(before.get(), ingest));
  v1::EventBatch first, second;
  *first.add_events() = other;
  for (const auto& e : RequesterUnderAlias("A")) *second.add_events() = e;
  ASSERT_TRUE(ingestor->Apply(first).ok());
  ASSERT_TRUE(ingestor->Apply(second).ok());
  v1::ListFindingsRequest request;
  request.set_tenant("acme");
  request.mutable_scope()->set_kind(v1::SCOPE_KIND_TICKET);
  request.mutable_scope()->set_id("A");
  auto list = ListFindings(*before, request);
  ASSERT_TRUE(list.ok());
  std::multiset<std::string> learned_first;
  for (const auto& f : list->findings()) learned_first.insert(detect::KindName(f.kind()));
  EXPECT_EQ(learned_first, live);
}

// MASS_CLOSURE counts one person's resolutions across tickets (the
// cross-ticket index): 12 under each of two ids are 24, over the threshold
// of 20 in ten minutes only once they are known to be one agent. Learned
// after the tickets or before them, the findings are the same.
TEST_F(IdentityTest, ResolutionsUnderTwoAliasesCountAsOneAgentsMassClosure) {
  std::vector<v1::TicketEvent> tickets;
  for (int i = 0; i < 24; ++i) {
    const std::string t = absl::StrCat("M", i);
    tickets.push_back(Created(t, t + "c", i));
    v1::TicketEvent resolved = Status(t, t + "r", 100 + i / 4, v1::TICKET_STATUS_RESOLVED);
    resolved.mutable_actor()->set_id(i % 2 == 0 ? "bob" : "bob@acme.example");
    resolved.mutable_actor()->set_role(v1::ACTOR_ROLE_AGENT);
    tickets.push_back(resolved);
  }
  auto mass_closures = [&] {
    std::multiset<std::string> found;
    for (int i = 0; i < 24; ++i) {
      if (Has(absl::StrCat("M", i), "MASS_CLOSURE")) found.insert(absl::StrCat("M", i));
    }
    return found;
  };
  Send(tickets);
  EXPECT_TRUE(mass_closures().empty()) << "near miss: two agents of 12 each";
  Send({Fact("f1", 200, {"bob", "bob@acme.example"})});
  const std::multiset<std::string> live = mass_closures();
  EXPECT_FALSE(live.empty()) << "one agent of 24 once the alias is known";

  testing::TempDir first_dir;
  std::unique_ptr<Store> first;
  Store::Options options;
  options.path = first_dir.path();
  ASSERT_TRUE(Store::Open(options, &first).ok());
  detect::DetectorStage first_stage;
  Ingestor::Options ingest;
  ingest.now_micros = [] { return testing::At(365 * kDayMin); };
  ingest.stages = {&first_stage};
  auto ingestor = std::move(*Ingestor::Create(first.get(), ingest));
  v1::EventBatch fact, rest;
  *fact.add_events() = Fact("f1", 200, {"bob", "bob@acme.example"});
  for (const auto& e : tickets) *rest.add_events() = e;
  ASSERT_TRUE(ingestor->Apply(fact).ok());
  ASSERT_TRUE(ingestor->Apply(rest).ok());
  std::swap(store_, first);
  const std::multiset<std::string> learned_first = mass_closures();
  std::swap(store_, first);
  EXPECT_EQ(learned_first, live);
}

TEST_F(IdentityTest, ListFindingsByAnyAliasOfTheAgent) {
  auto by_agent = [&](const std::string& id) {
    v1::ListFindingsRequest request;
    request.set_tenant("acme");
    request.mutable_scope()->set_kind(v1::SCOPE_KIND_AGENT);
    request.mutable_scope()->set_id(id);
    auto list = ListFindings(*store_, request);
    EXPECT_TRUE(list.ok()) << list.status();
    std::multiset<std::string> tickets;
    if (list.ok()) {
      for (const auto& f : list->findings()) tickets.insert(f.ticket_id());
    }
    return tickets;
  };
  v1::TicketEvent resolved = Status("A", "a3", 20, v1::TICKET_STATUS_RESOLVED);
  resolved.mutable_actor()->set_id("kim.lee@acme.example");  // the finding names who resolved
  Send({Created("A", "a1", 0), Assign("A", "a2", 5, "kim.lee@acme.example", "Service Desk"), resolved});
  ASSERT_TRUE(Has("A", "RESOLVED_WITHOUT_CONTACT"));
  EXPECT_TRUE(by_agent("kim").empty()) << "near miss: nothing says kim.lee@ is kim";
  EXPECT_FALSE(by_agent("kim.lee@acme.example").empty());
  Send({Fact("f1", 30, {"kim", "kim.lee@acme.example"})});
  EXPECT_EQ(by_agent("kim"), by_agent("kim.lee@acme.example"));
  EXPECT_TRUE(by_agent("kim").count("A"));
}

TEST_F(IdentityTest, TwoPersonsMergeIntoTheEarlier) {
  Send({Fact("f1", 0, {"u100", "ann"}), Fact("f2", 1, {"u200", "ann.b@acme.example"})});
  EXPECT_EQ(PersonOf("ann"), "u100");
  EXPECT_EQ(PersonOf("ann.b@acme.example"), "u200");
  EXPECT_EQ(PersonOf("unknown"), "unknown") << "an id no fact named is its own person";
  Send({Fact("f3", 2, {"ann.b@acme.example", "ann"})});
  EXPECT_EQ(PersonOf("u200"), "u100") << "the later person merges into the earlier";
  EXPECT_EQ(PersonOf("ann.b@acme.example"), "u100");
  EXPECT_EQ(PersonOf("ann"), "u100");

  // The facts are stored events (of no ticket): a rebuild learns them again.
  ingestor_.reset();
  store_.reset();
  Store::Options options;
  options.path = dir_.path();
  Ingestor::Options ingest;
  ingest.now_micros = [] { return testing::At(365 * kDayMin); };
  detect::DetectorStage fresh_stage;
  ingest.stages = {&fresh_stage};
  RebuildStats stats;
  ASSERT_TRUE(RebuildDerivedData(options, ingest, &stats).ok());
  EXPECT_EQ(stats.events, 3u);
  Open();
  EXPECT_EQ(PersonOf("u200"), "u100");
  EXPECT_EQ(PersonOf("ann.b@acme.example"), "u100");
}

TEST_F(IdentityTest, TheFirstIdOfTheFirstFactNamesThePerson) {
  Send({Fact("f1", 0, {"sys-9f2", "beth"})});
  EXPECT_EQ(PersonOf("beth"), "sys-9f2");
  Send({Fact("f2", 1, {"beth", "beth@acme.example"})});
  EXPECT_EQ(PersonOf("beth@acme.example"), "sys-9f2") << "a new alias joins the known person";
}

}  // namespace
}  // namespace rapport
