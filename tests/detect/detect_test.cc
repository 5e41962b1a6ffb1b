// One test per finding kind on hand-built timelines: the behaviour is found,
// the near miss is not. Real RocksDB in a temp dir, the real Ingestor.
#include "detect/detectors.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/test_util.h"
#include "detect/findings.h"
#include "event/event.h"
#include "google/protobuf/util/message_differencer.h"
#include "ingest/ingestor.h"
#include "query/findings_query.h"
#include "query/ticket_query.h"

namespace rapport {
namespace {

using testing::Assign;
using testing::At;
using testing::Comment;
using testing::Created;
using testing::Status;
using v1::ACTOR_ROLE_AGENT;
using v1::ACTOR_ROLE_REQUESTER;

constexpr int64_t kHourMin = 60;
constexpr int64_t kDayMin = 24 * 60;

v1::TicketEvent CreatedWith(const std::string& ticket, const std::string& id, int64_t minute, v1::Priority p) {
  v1::TicketEvent e = Created(ticket, id, minute);
  e.set_priority(p);
  return e;
}

class DetectTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    ingestor_.reset();
    store_.reset();
    Store::Options options;
    options.path = dir_.path();
    ASSERT_TRUE(Store::Open(options, &store_).ok());
    Ingestor::Options ingest;
    ingest.now_micros = [] { return At(365 * kDayMin); };
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

  // The kinds found on `ticket`, from the findings family (what ListFindings reads).
  std::multiset<std::string> Kinds(const std::string& ticket) {
    v1::ListFindingsRequest request;
    request.set_tenant("acme");
    request.mutable_scope()->set_kind(v1::SCOPE_KIND_TICKET);
    request.mutable_scope()->set_id(ticket);
    request.set_page_size(1000);
    auto list = ListFindings(*store_, request);
    EXPECT_TRUE(list.ok());
    std::multiset<std::string> kinds;
    for (const auto& f : list->findings()) kinds.insert(detect::KindName(f.kind()));
    return kinds;
  }

  bool Has(const std::string& ticket, const std::string& kind) { return Kinds(ticket).count(kind) > 0; }

  v1::TicketEvent Priority(const std::string& ticket, const std::string& id, int64_t minute, v1::Priority p) {
    v1::TicketEvent e = Status(ticket, id, minute, v1::TICKET_STATUS_IN_PROGRESS);
    e.set_kind(v1::EVENT_KIND_PRIORITY_CHANGED);
    e.clear_status();
    e.set_priority(p);
    return e;
  }

  // Moves the tenant's watermark with an unrelated ticket.
  void AdvanceTo(int64_t minute) { Send({Created("CLOCK-" + std::to_string(minute), "clock-" + std::to_string(minute), minute)}); }

  testing::TempDir dir_;
  detect::DetectorStage stage_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Ingestor> ingestor_;
};

TEST_F(DetectTest, ResolvedWithoutContact) {
  Send({Created("A", "a1", 0), Assign("A", "a2", 5, "kim", "Service Desk"),
        Comment("A", "a3", 10, ACTOR_ROLE_AGENT, "Closing, user error.", /*is_public=*/false),
        Status("A", "a4", 20, v1::TICKET_STATUS_RESOLVED)});
  EXPECT_TRUE(Has("A", "RESOLVED_WITHOUT_CONTACT")) << "an internal note is not contact";
  Send({Created("B", "b1", 0), Comment("B", "b2", 10, ACTOR_ROLE_AGENT, "I reset your password, please try again."),
        Status("B", "b3", 20, v1::TICKET_STATUS_RESOLVED)});
  EXPECT_FALSE(Has("B", "RESOLVED_WITHOUT_CONTACT"));
}

TEST_F(DetectTest, ResolvedWhileRequesterWaiting) {
  Send({Created("A", "a1", 0), Comment("A", "a2", 10, ACTOR_ROLE_AGENT, "Please restart the VPN client."),
        Comment("A", "a3", 60, ACTOR_ROLE_REQUESTER, "It still fails with the same error."),
        Status("A", "a4", 70, v1::TICKET_STATUS_RESOLVED)});
  EXPECT_TRUE(Has("A", "RESOLVED_WHILE_REQUESTER_WAITING"));
  Send({Created("B", "b1", 0), Comment("B", "b2", 10, ACTOR_ROLE_AGENT, "Please restart the VPN client."),
        Comment("B", "b3", 60, ACTOR_ROLE_REQUESTER, "Thanks, that fixed it!"),
        Status("B", "b4", 70, v1::TICKET_STATUS_RESOLVED)});
  EXPECT_FALSE(Has("B", "RESOLVED_WHILE_REQUESTER_WAITING")) << "a requester who confirms is not waiting";
}

TEST_F(DetectTest, ReopenedAfterResolve) {
  Send({Created("A", "a1", 0), Comment("A", "a2", 5, ACTOR_ROLE_AGENT, "Fixed the mailbox."),
        Status("A", "a3", 10, v1::TICKET_STATUS_RESOLVED), Status("A", "a4", 2 * kDayMin, v1::TICKET_STATUS_IN_PROGRESS)});
  EXPECT_TRUE(Has("A", "REOPENED_AFTER_RESOLVE"));
  Send({Created("B", "b1", 0), Comment("B", "b2", 5, ACTOR_ROLE_AGENT, "Fixed the mailbox."),
        Status("B", "b3", 10, v1::TICKET_STATUS_RESOLVED),
        Comment("B", "b4", kDayMin, ACTOR_ROLE_REQUESTER, "Sorry, it is still not working.")});
  EXPECT_TRUE(Has("B", "REOPENED_AFTER_RESOLVE")) << "writing back that it is not fixed";
  Send({Created("C", "c1", 0), Comment("C", "c2", 5, ACTOR_ROLE_AGENT, "Fixed the mailbox."),
        Status("C", "c3", 10, v1::TICKET_STATUS_RESOLVED), Status("C", "c4", 10 * kDayMin, v1::TICKET_STATUS_IN_PROGRESS)});
  EXPECT_FALSE(Has("C", "REOPENED_AFTER_RESOLVE")) << "outside the 7-day window";
}

TEST_F(DetectTest, PauseAbuse) {
  Send({Created("A", "a1", 0), Comment("A", "a2", 30, ACTOR_ROLE_REQUESTER, "When will someone look at this?"),
        Status("A", "a3", 33, v1::TICKET_STATUS_PENDING_REQUESTER)});
  EXPECT_TRUE(Has("A", "PAUSE_ABUSE"));
  Send({Created("B", "b1", 0), Comment("B", "b2", 30, ACTOR_ROLE_REQUESTER, "It crashes on start."),
        Comment("B", "b3", 40, ACTOR_ROLE_AGENT, "Could you send me the error message?"),
        Status("B", "b4", 41, v1::TICKET_STATUS_PENDING_REQUESTER)});
  EXPECT_FALSE(Has("B", "PAUSE_ABUSE")) << "a pause right after the agent asked is legitimate";
}

TEST_F(DetectTest, SlaEdgeClosure) {
  // MEDIUM: 3 days to resolve. Resolved at 2d 23h on the clock, then reopened.
  Send({Created("A", "a1", 0), Comment("A", "a2", 10, ACTOR_ROLE_AGENT, "Looking into it."),
        Status("A", "a3", 3 * kDayMin - 60, v1::TICKET_STATUS_RESOLVED),
        Status("A", "a4", 3 * kDayMin + 600, v1::TICKET_STATUS_IN_PROGRESS)});
  EXPECT_TRUE(Has("A", "SLA_EDGE_CLOSURE"));
  Send({Created("B", "b1", 0), Comment("B", "b2", 10, ACTOR_ROLE_AGENT, "Looking into it."),
        Status("B", "b3", kDayMin, v1::TICKET_STATUS_RESOLVED), Status("B", "b4", kDayMin + 600, v1::TICKET_STATUS_IN_PROGRESS)});
  EXPECT_FALSE(Has("B", "SLA_EDGE_CLOSURE"));
  EXPECT_TRUE(Has("B", "REOPENED_AFTER_RESOLVE"));
}

TEST_F(DetectTest, PingPong) {
  Send({Created("A", "a1", 0, "Service Desk"), Assign("A", "a2", 10, "", "Network"), Assign("A", "a3", 20, "", "Apps"),
        Assign("A", "a4", 30, "", "Workplace")});
  EXPECT_TRUE(Has("A", "PING_PONG")) << "three reassignments";
  Send({Created("B", "b1", 0, "Service Desk"), Assign("B", "b2", 10, "", "Network"), Assign("B", "b3", 20, "", "Apps")});
  EXPECT_FALSE(Has("B", "PING_PONG")) << "two reassignments to new teams";
  Send({Created("C", "c1", 0, "Service Desk"), Assign("C", "c2", 10, "", "Network"),
        Assign("C", "c3", 20, "", "Service Desk")});
  EXPECT_TRUE(Has("C", "PING_PONG")) << "bounced back to a team it left";
}

TEST_F(DetectTest, PriorityDowngradeBeforeResolve) {
  Send({CreatedWith("A", "a1", 0, v1::PRIORITY_HIGH), Comment("A", "a2", 10, ACTOR_ROLE_AGENT, "On it."),
        Priority("A", "a3", 300, v1::PRIORITY_LOW), Status("A", "a4", 320, v1::TICKET_STATUS_RESOLVED)});
  EXPECT_TRUE(Has("A", "PRIORITY_DOWNGRADE_BEFORE_RESOLVE"));
  Send({CreatedWith("B", "b1", 0, v1::PRIORITY_HIGH), Comment("B", "b2", 10, ACTOR_ROLE_AGENT, "On it."),
        Priority("B", "b3", 60, v1::PRIORITY_LOW), Status("B", "b4", 300, v1::TICKET_STATUS_RESOLVED)});
  EXPECT_FALSE(Has("B", "PRIORITY_DOWNGRADE_BEFORE_RESOLVE")) << "lowered hours before";
  Send({CreatedWith("C", "c1", 0, v1::PRIORITY_LOW), Comment("C", "c2", 10, ACTOR_ROLE_AGENT, "On it."),
        Priority("C", "c3", 100, v1::PRIORITY_HIGH), Status("C", "c4", 110, v1::TICKET_STATUS_RESOLVED)});
  EXPECT_FALSE(Has("C", "PRIORITY_DOWNGRADE_BEFORE_RESOLVE")) << "raised, not lowered";
}

TEST_F(DetectTest, FirstResponseBreach) {
  Send({CreatedWith("A", "a1", 0, v1::PRIORITY_HIGH), Comment("A", "a2", 2 * kHourMin, ACTOR_ROLE_AGENT, "Hi, on it.")});
  EXPECT_TRUE(Has("A", "FIRST_RESPONSE_BREACH"));
  Send({CreatedWith("B", "b1", 0, v1::PRIORITY_HIGH), Comment("B", "b2", 30, ACTOR_ROLE_AGENT, "Hi, on it.")});
  EXPECT_FALSE(Has("B", "FIRST_RESPONSE_BREACH"));
  // No answer at all: raised once the watermark passes the deadline.
  Send({CreatedWith("C", "c1", 10 * kHourMin, v1::PRIORITY_HIGH)});
  EXPECT_FALSE(Has("C", "FIRST_RESPONSE_BREACH"));
  AdvanceTo(10 * kHourMin + 30);
  EXPECT_FALSE(Has("C", "FIRST_RESPONSE_BREACH"));
  AdvanceTo(12 * kHourMin);
  EXPECT_TRUE(Has("C", "FIRST_RESPONSE_BREACH"));
}

TEST_F(DetectTest, ResolutionBreachOnRapportsClock) {
  // HIGH: 8 hours. Resolved after 10 hours of work.
  Send({CreatedWith("A", "a1", 0, v1::PRIORITY_HIGH), Comment("A", "a2", 10, ACTOR_ROLE_AGENT, "On it."),
        Status("A", "a3", 10 * kHourMin, v1::TICKET_STATUS_RESOLVED)});
  EXPECT_TRUE(Has("A", "RESOLUTION_BREACH"));
  // 10 hours elapsed, 5 of them a legitimate wait after the agent asked.
  Send({CreatedWith("B", "b1", 0, v1::PRIORITY_HIGH), Comment("B", "b2", 10, ACTOR_ROLE_AGENT, "Could you send the log?"),
        Status("B", "b3", 11, v1::TICKET_STATUS_PENDING_REQUESTER),
        Comment("B", "b4", 5 * kHourMin + 11, ACTOR_ROLE_REQUESTER, "Here it is."),
        Status("B", "b5", 5 * kHourMin + 12, v1::TICKET_STATUS_IN_PROGRESS),
        Status("B", "b6", 10 * kHourMin, v1::TICKET_STATUS_RESOLVED)});
  EXPECT_FALSE(Has("B", "RESOLUTION_BREACH"));
  // The same hours, but the pause came while the agent owed the answer.
  Send({CreatedWith("C", "c1", 0, v1::PRIORITY_HIGH), Comment("C", "c2", 10, ACTOR_ROLE_AGENT, "Looking at it."),
        Comment("C", "c3", 20, ACTOR_ROLE_REQUESTER, "Any news? I can't work."),
        Status("C", "c4", 22, v1::TICKET_STATUS_PENDING_REQUESTER),
        Status("C", "c5", 5 * kHourMin + 12, v1::TICKET_STATUS_IN_PROGRESS),
        Status("C", "c6", 10 * kHourMin, v1::TICKET_STATUS_RESOLVED)});
  EXPECT_TRUE(Has("C", "RESOLUTION_BREACH"));
  auto c = ReadTicket(*store_, "acme", "C");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->sla().resolution_met());
  EXPECT_TRUE(c->sla().met_only_by_suspect_pause()) << "within target only if the suspect pause is excluded";
  auto b = ReadTicket(*store_, "acme", "B");
  EXPECT_TRUE(b->sla().resolution_met());
  EXPECT_GT(b->sla().legitimate_pause().seconds(), 4 * 3600);
}

TEST_F(DetectTest, ReplyGap) {
  Send({Created("A", "a1", 0), Comment("A", "a2", 10, ACTOR_ROLE_AGENT, "Hello!"),
        Comment("A", "a3", 60, ACTOR_ROLE_REQUESTER, "Is there any update?"),
        Comment("A", "a4", 60 + 30 * kHourMin, ACTOR_ROLE_AGENT, "Sorry, here it is.")});
  EXPECT_TRUE(Has("A", "REPLY_GAP"));
  Send({Created("B", "b1", 0), Comment("B", "b2", 10, ACTOR_ROLE_AGENT, "Hello!"),
        Comment("B", "b3", 60, ACTOR_ROLE_REQUESTER, "Is there any update?"),
        Comment("B", "b4", 180, ACTOR_ROLE_AGENT, "Yes, the fix ships today.")});
  EXPECT_FALSE(Has("B", "REPLY_GAP"));
}

TEST_F(DetectTest, ALateReplyWithdrawsAReplyGapRaisedByTheWatermark) {
  Send({Created("A", "a1", 0), Comment("A", "a2", 10, ACTOR_ROLE_AGENT, "Hello!"),
        Comment("A", "a3", 60, ACTOR_ROLE_REQUESTER, "Is there any update?")});
  AdvanceTo(2 * kDayMin);
  EXPECT_TRUE(Has("A", "REPLY_GAP"));
  // The agent's answer (sent within the hour) reaches Rapport late.
  Send({Comment("A", "a4", 90, ACTOR_ROLE_AGENT, "Yes: the fix ships today.")});
  EXPECT_FALSE(Has("A", "REPLY_GAP")) << "the refold withdraws what no longer holds";
}

TEST_F(DetectTest, Stale) {
  Send({Created("A", "a1", 0), Comment("A", "a2", 10, ACTOR_ROLE_AGENT, "I'll look into it."),
        Status("A", "a3", 11, v1::TICKET_STATUS_IN_PROGRESS)});
  Send({Created("B", "b1", 0), Comment("B", "b2", 10, ACTOR_ROLE_AGENT, "Could you send the log file?"),
        Status("B", "b3", 11, v1::TICKET_STATUS_PENDING_REQUESTER)});
  AdvanceTo(6 * kDayMin);
  EXPECT_FALSE(Has("A", "STALE"));
  AdvanceTo(8 * kDayMin);
  EXPECT_TRUE(Has("A", "STALE"));
  EXPECT_FALSE(Has("B", "STALE")) << "legitimately waiting for the requester";
}

TEST_F(DetectTest, GetTicketListsFindingsInTheOrderTheyHappened) {
  Send({Created("A", "a1", 0), Comment("A", "a2", 10, ACTOR_ROLE_REQUESTER, "The VPN drops every hour."),
        Status("A", "a3", 13, v1::TICKET_STATUS_PENDING_REQUESTER)});
  AdvanceTo(10 * kDayMin);
  auto ticket = ReadTicket(*store_, "acme", "A");
  ASSERT_TRUE(ticket.ok());
  ASSERT_GE(ticket->findings_size(), 4) << "pause abuse, first response, reply gap, resolution, stale";
  for (int i = 1; i < ticket->findings_size(); ++i) {
    EXPECT_LE(ToMicros(ticket->findings(i - 1).at()), ToMicros(ticket->findings(i).at()))
        << ticket->findings(i - 1).summary() << " / " << ticket->findings(i).summary();
  }
}

TEST_F(DetectTest, RudeReplyWithEvidenceSpans) {
  Send({Created("A", "a1", 0), Comment("A", "a2", 10, ACTOR_ROLE_REQUESTER, "The VPN drops every hour."),
        Comment("A", "a3", 20, ACTOR_ROLE_AGENT, "Not our problem. Talk to your manager."),
        Comment("A", "a4", 21, ACTOR_ROLE_AGENT, "Not our problem, honestly.", /*is_public=*/false)});
  auto ticket = ReadTicket(*store_, "acme", "A");
  ASSERT_TRUE(ticket.ok());
  int rude = 0;
  for (const auto& f : ticket->findings()) {
    if (f.kind() != v1::FINDING_KIND_RUDE_REPLY) continue;
    ++rude;
    ASSERT_GT(f.evidence_size(), 0);
    EXPECT_EQ(f.evidence(0).event_id(), "a3");
    EXPECT_EQ(f.evidence(0).text(), "Not our problem");
    EXPECT_EQ(f.summary().rfind("rude reply \"Not our problem\", \"Talk to your manager\" (rudeness ", 0), 0u)
        << f.summary();
  }
  EXPECT_EQ(rude, 1) << "the internal note is not a reply to the requester";
}

TEST_F(DetectTest, CurtToUpsetRequester) {
  Send({Created("A", "a1", 0),
        Comment("A", "a2", 10, ACTOR_ROLE_REQUESTER, "This is the third time I'm asking. I can't work like this."),
        Comment("A", "a3", 20, ACTOR_ROLE_AGENT, "Restart it.")});
  EXPECT_TRUE(Has("A", "CURT_TO_UPSET_REQUESTER"));
  auto curt = ReadTicket(*store_, "acme", "A");
  ASSERT_TRUE(curt.ok());
  for (const auto& f : curt->findings()) {
    if (f.kind() == v1::FINDING_KIND_CURT_TO_UPSET_REQUESTER) {
      EXPECT_EQ(f.summary(), "curt reply \"Restart it.\" (2 words, no acknowledgement) to an upset requester");
    }
  }
  Send({Created("B", "b1", 0),
        Comment("B", "b2", 10, ACTOR_ROLE_REQUESTER, "This is the third time I'm asking. I can't work like this."),
        Comment("B", "b3", 20, ACTOR_ROLE_AGENT, "I'm sorry, please restart it.")});
  EXPECT_FALSE(Has("B", "CURT_TO_UPSET_REQUESTER")) << "short but acknowledging";
  Send({Created("C", "c1", 0), Comment("C", "c2", 10, ACTOR_ROLE_REQUESTER, "Could you reset my password?"),
        Comment("C", "c3", 20, ACTOR_ROLE_AGENT, "Done.")});
  EXPECT_FALSE(Has("C", "CURT_TO_UPSET_REQUESTER")) << "a calm requester";
}

TEST_F(DetectTest, RequesterDistress) {
  Send({Created("A", "a1", 0), Comment("A", "a2", 10, ACTOR_ROLE_REQUESTER, "Outlook keeps asking for my password."),
        Comment("A", "a3", 300, ACTOR_ROLE_REQUESTER, "I've been waiting for days and nobody answers. This is unacceptable."),
        Comment("A", "a4", 600, ACTOR_ROLE_REQUESTER, "This is a disaster, I missed the deadline and my manager is furious.")});
  EXPECT_TRUE(Has("A", "REQUESTER_DISTRESS"));
  Send({Created("B", "b1", 0), Comment("B", "b2", 10, ACTOR_ROLE_REQUESTER, "Outlook keeps asking for my password."),
        Comment("B", "b3", 300, ACTOR_ROLE_REQUESTER, "Any news on this?")});
  EXPECT_FALSE(Has("B", "REQUESTER_DISTRESS"));
}

TEST_F(DetectTest, SourcesWithoutConversation) {
  auto quiet = [](v1::TicketEvent e) {
    (*e.mutable_attributes())[detect::kConversationAttribute] = "false";
    return e;
  };
  Send({quiet(CreatedWith("A", "a1", 0, v1::PRIORITY_HIGH)), quiet(Assign("A", "a2", 20, "kim", "Network")),
        quiet(Status("A", "a3", 60, v1::TICKET_STATUS_RESOLVED))});
  EXPECT_FALSE(Has("A", "RESOLVED_WITHOUT_CONTACT")) << "no comments to judge";
  EXPECT_FALSE(Has("A", "FIRST_RESPONSE_BREACH")) << "the assignment to a person answered within the hour";
  Send({quiet(CreatedWith("B", "b1", 0, v1::PRIORITY_HIGH)), quiet(Assign("B", "b2", 3 * kHourMin, "kim", "Network"))});
  EXPECT_TRUE(Has("B", "FIRST_RESPONSE_BREACH"));
}

v1::TicketEvent Resolve(const std::string& ticket, const std::string& id, int64_t minute, const std::string& actor,
                        const std::string& notes) {
  v1::TicketEvent e = Status(ticket, id, minute, v1::TICKET_STATUS_RESOLVED);
  e.mutable_actor()->set_id(actor);
  e.mutable_resolution()->set_notes(notes);
  return e;
}

TEST_F(DetectTest, MassClosureAcrossBatches) {
  std::vector<v1::TicketEvent> opened;
  for (int i = 0; i < 22; ++i) opened.push_back(Created("M" + std::to_string(i), "mo" + std::to_string(i), i));
  Send(opened);
  // Twenty-two resolutions by one agent within seven minutes, in three batches.
  std::vector<v1::TicketEvent> batch;
  for (int i = 0; i < 22; ++i) {
    batch.push_back(Resolve("M" + std::to_string(i), "mr" + std::to_string(i), 2 * kDayMin + i / 3, "mike",
                            "Fixed ticket " + std::to_string(i) + " for the user."));
    if (batch.size() == 8 || i == 21) {
      Send(batch);
      batch.clear();
    }
  }
  for (int i = 0; i < 22; ++i) EXPECT_TRUE(Has("M" + std::to_string(i), "MASS_CLOSURE")) << i;
  // Nineteen by one agent is under the threshold.
  std::vector<v1::TicketEvent> other;
  for (int i = 0; i < 19; ++i) {
    other.push_back(Created("N" + std::to_string(i), "no" + std::to_string(i), 3 * kDayMin));
    other.push_back(Resolve("N" + std::to_string(i), "nr" + std::to_string(i), 3 * kDayMin + 5, "nina",
                            "Replaced the toner of printer " + std::to_string(i)));
  }
  Send(other);
  EXPECT_FALSE(Has("N0", "MASS_CLOSURE"));
}

TEST_F(DetectTest, MassClosureCompletedByAnEarlierBatchBehindALaterPile) {
  // Five resolutions, then a pile of 85 twelve minutes later, then sixteen in
  // between: the five are completed by the last batch, though a read of the
  // newest entries around it sees only the later pile.
  std::vector<v1::TicketEvent> first, pile, between;
  auto add = [](std::vector<v1::TicketEvent>* batch, const std::string& t, int64_t second) {
    batch->push_back(Created(t, t + "-o", 0));
    v1::TicketEvent r = Resolve(t, t + "-r", 0, "lee", "Done " + t);
    *r.mutable_occurred_at() = FromMicros(At(2 * kDayMin) + second * 1'000'000);
    batch->push_back(r);
  };
  for (int i = 0; i < 5; ++i) add(&first, "U" + std::to_string(i), i);
  for (int i = 0; i < 85; ++i) add(&pile, "L" + std::to_string(i), 12 * 60 + i / 2);
  for (int i = 0; i < 16; ++i) add(&between, "W" + std::to_string(i), 5 * 60 + i * 10);
  Send(first);
  EXPECT_FALSE(Has("U0", "MASS_CLOSURE"));
  Send(pile);
  Send(between);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(Has("U" + std::to_string(i), "MASS_CLOSURE")) << i;
  for (int i = 0; i < 16; ++i) EXPECT_TRUE(Has("W" + std::to_string(i), "MASS_CLOSURE")) << i;
}

std::vector<v1::Finding> AllFindings(const Store& store);

// A stage that fails the batches it is told to.
class FailingStage final : public TicketStage {
 public:
  const char* name() const override { return "failing"; }
  absl::Status OnWatermark(const std::string&, int64_t, int64_t, StageContext&) override {
    if (failures_ == 0) return absl::OkStatus();
    --failures_;
    return absl::UnavailableError("injected failure");
  }
  int failures_ = 0;
};

TEST(DetectAbandon, AnAbandonedBatchLeavesNothingForTheNext) {
  testing::TempDir dir;
  std::unique_ptr<Store> store = testing::OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  detect::DetectorStage detectors;
  FailingStage failing;
  Ingestor::Options ingest;
  ingest.now_micros = [] { return At(365 * kDayMin); };
  // First, so a failure comes after the detectors saw the events and before
  // their end-of-batch checks.
  ingest.stages = {&failing, &detectors};
  auto ingestor = std::move(*Ingestor::Create(store.get(), ingest));
  auto resolutions = [](const std::string& prefix, int count) {
    v1::EventBatch batch;
    for (int i = 0; i < count; ++i) {
      std::string t = prefix + std::to_string(i);
      *batch.add_events() = Created(t, t + "-o", kDayMin);
      *batch.add_events() = Resolve(t, t + "-r", kDayMin + 60 + i / 4, "mike", "Fixed " + t);
    }
    return batch;
  };
  auto mass_closures = [&] {
    int n = 0;
    for (const auto& f : AllFindings(*store)) n += f.kind() == v1::FINDING_KIND_MASS_CLOSURE;
    return n;
  };
  // Fifteen resolutions within minutes, in a batch that fails.
  failing.failures_ = 1;
  EXPECT_FALSE(ingestor->Apply(resolutions("A", 15)).ok());
  // Eight more by the same agent: below the threshold of twenty on their own,
  // and the abandoned fifteen must not count.
  ASSERT_TRUE(ingestor->Apply(resolutions("B", 8)).ok());
  EXPECT_EQ(mass_closures(), 0);
  // The client re-sends the fifteen: twenty-three now, every one a finding.
  ASSERT_TRUE(ingestor->Apply(resolutions("A", 15)).ok());
  EXPECT_EQ(mass_closures(), 23);
}

TEST_F(DetectTest, BoilerplateResolution) {
  for (int i = 0; i < 10; ++i) {
    std::string t = "B" + std::to_string(i);
    Send({Created(t, "bo" + std::to_string(i), i * kDayMin),
          Comment(t, "bc" + std::to_string(i), i * kDayMin + 5, ACTOR_ROLE_AGENT, "Looking into it."),
          Resolve(t, "br" + std::to_string(i), i * kDayMin + 60, "mike", "Issue resolved.  ")});
  }
  EXPECT_TRUE(Has("B0", "BOILERPLATE_RESOLUTION")) << "the first of ten is flagged once the tenth arrives";
  EXPECT_TRUE(Has("B9", "BOILERPLATE_RESOLUTION"));
  for (int i = 0; i < 9; ++i) {
    std::string t = "C" + std::to_string(i);
    Send({Created(t, "co" + std::to_string(i), i * kDayMin),
          Resolve(t, "cr" + std::to_string(i), i * kDayMin + 60, "ann", "Reset the password (ticket " + std::to_string(i) + ")")});
  }
  EXPECT_FALSE(Has("C8", "BOILERPLATE_RESOLUTION")) << "nine tickets, digits aside";
}

TEST_F(DetectTest, ReopenAsNew) {
  Send({Created("R1", "r1", 0), Comment("R1", "r2", 5, ACTOR_ROLE_AGENT, "Fixed."),
        Resolve("R1", "r3", 60, "kim", "Restarted the VPN gateway.")});
  Send({Created("R2", "r4", 60 + 2 * kDayMin)});
  EXPECT_TRUE(Has("R2", "REOPEN_AS_NEW"));
  EXPECT_FALSE(Has("R1", "REOPEN_AS_NEW"));
  Send({Created("R3", "r5", 60 + 5 * kDayMin)});
  EXPECT_FALSE(Has("R3", "REOPEN_AS_NEW")) << "five days later is a new problem";
  // The new ticket can reach Rapport before the old one's resolution does.
  Send({Created("Q2", "q4", 10 * kDayMin + kDayMin)});
  auto other = Created("Q1", "q1", 10 * kDayMin);
  Send({other, Resolve("Q1", "q3", 10 * kDayMin + 60, "kim", "Restarted the VPN gateway.")});
  EXPECT_TRUE(Has("Q2", "REOPEN_AS_NEW"));
}

TEST_F(DetectTest, AgentLastMinuteRateFarAboveTheTeam) {
  // Three agents of one team, ten resolutions each; "edgy" resolves four of
  // them in the last 5% of the 3-day target, "calm" one, "quick" none.
  std::vector<v1::TicketEvent> events;
  int n = 0;
  for (const std::string agent : {"edgy", "calm", "quick"}) {
    for (int i = 0; i < 10; ++i, ++n) {
      std::string t = agent + std::to_string(i);
      bool edge = (agent == "edgy" && i < 4) || (agent == "calm" && i == 0);
      int64_t opened = n * 60;
      events.push_back(Created(t, t + "-o", opened));
      events.push_back(Resolve(t, t + "-r", opened + (edge ? 3 * kDayMin - 30 : 120), agent, "Fixed for " + t));
    }
  }
  Send(events);
  AdvanceTo(10 * kDayMin);  // a new day: the daily review of the last 30 days runs
  v1::ListFindingsRequest request;
  request.set_tenant("acme");
  request.add_kinds(v1::FINDING_KIND_SLA_EDGE_CLOSURE);
  auto list = ListFindings(*store_, request);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->total(), 1u);
  EXPECT_EQ(list->findings(0).agent_id(), "edgy");
  EXPECT_NE(list->findings(0).summary().find("4 of 10"), std::string::npos) << list->findings(0).summary();
}

std::vector<v1::TicketEvent> Story() {
  return {CreatedWith("S", "s01", 0, v1::PRIORITY_HIGH),
          Comment("S", "s02", 5, ACTOR_ROLE_REQUESTER, "The ERP shows error 500. I can't work and this is a disaster."),
          Assign("S", "s03", 100, "kim", "Apps"),
          Comment("S", "s04", 130, ACTOR_ROLE_AGENT, "Not our problem. Talk to your manager."),
          Comment("S", "s05", 140, ACTOR_ROLE_REQUESTER, "This is the third time I'm asking. This is unacceptable."),
          Status("S", "s06", 145, v1::TICKET_STATUS_PENDING_REQUESTER),
          Status("S", "s07", 20 * kHourMin, v1::TICKET_STATUS_IN_PROGRESS),
          Assign("S", "s08", 21 * kHourMin, "", "Network"),
          Assign("S", "s09", 22 * kHourMin, "", "Apps"),
          Comment("S", "s10", 30 * kHourMin, ACTOR_ROLE_AGENT, "Restart it."),
          Status("S", "s11", 31 * kHourMin, v1::TICKET_STATUS_RESOLVED),
          Comment("S", "s12", 40 * kHourMin, ACTOR_ROLE_REQUESTER, "Still not working."),
          Status("S", "s13", 41 * kHourMin, v1::TICKET_STATUS_IN_PROGRESS),
          CreatedWith("T", "t01", 50, v1::PRIORITY_LOW),
          Comment("T", "t02", 55, ACTOR_ROLE_REQUESTER, "Printer jams."),
          Created("CLOCK", "z01", 12 * kDayMin)};
}

std::vector<v1::Finding> AllFindings(const Store& store) {
  v1::ListFindingsRequest request;
  request.set_tenant("acme");
  request.set_page_size(1000);
  auto list = ListFindings(store, request);
  return {list->findings().begin(), list->findings().end()};
}

std::vector<v1::Finding> Replay(const std::vector<v1::TicketEvent>& events, size_t batch_size, bool prepare = false) {
  detect::DetectorStage stage;
  testing::TempDir dir;
  std::unique_ptr<Store> store = testing::OpenStore(dir.path());
  if (store == nullptr) return {};
  Ingestor::Options ingest;
  ingest.now_micros = [] { return At(365 * kDayMin); };
  ingest.stages = {&stage};
  auto ingestor = std::move(*Ingestor::Create(store.get(), ingest));
  for (size_t i = 0; i < events.size(); i += batch_size) {
    v1::EventBatch batch;
    for (size_t j = i; j < std::min(events.size(), i + batch_size); ++j) *batch.add_events() = events[j];
    // As the server does: the tone computed off the writer, handed over with the batch.
    std::unique_ptr<PreparedBatch> prepared = prepare ? ingestor->Prepare(batch) : nullptr;
    EXPECT_TRUE(ingestor->ApplyGroup({&batch}, {prepared.get()}).ok());
  }
  return AllFindings(*store);
}

void ExpectSameFindingsInAnyOrder(const std::vector<v1::TicketEvent>& story, const std::vector<v1::Finding>& reference,
                                  int rounds) {
  std::mt19937 rng(7);
  for (int round = 0; round < rounds; ++round) {
    auto events = story;
    std::shuffle(events.begin(), events.end(), rng);
    auto got = Replay(events, 1 + round % 5);
    ASSERT_EQ(got.size(), reference.size()) << "round " << round;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(got[i], reference[i]))
          << "round " << round << ": " << got[i].ShortDebugString() << "\nvs\n" << reference[i].ShortDebugString();
    }
  }
}

TEST(DetectOrder, ShuffledReplayGivesIdenticalFindings) {
  auto reference = Replay(Story(), 100);
  std::set<std::string> kinds;
  for (const auto& f : reference) kinds.insert(detect::KindName(f.kind()));
  for (const char* k : {"RUDE_REPLY", "PAUSE_ABUSE", "PING_PONG", "REOPENED_AFTER_RESOLVE", "FIRST_RESPONSE_BREACH",
                        "RESOLUTION_BREACH", "CURT_TO_UPSET_REQUESTER", "REQUESTER_DISTRESS", "STALE", "REPLY_GAP"}) {
    EXPECT_TRUE(kinds.count(k)) << k << " missing from the reference run";
  }
  ExpectSameFindingsInAnyOrder(Story(), reference, 10);
}

TEST(DetectOrder, PreparedToneGivesTheSameFindings) {
  auto reference = Replay(Story(), 3);
  auto prepared = Replay(Story(), 3, /*prepare=*/true);
  ASSERT_EQ(prepared.size(), reference.size());
  for (size_t i = 0; i < prepared.size(); ++i) {
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(prepared[i], reference[i]))
        << prepared[i].ShortDebugString() << "\nvs\n" << reference[i].ShortDebugString();
  }
}

// One requester, one agent and one resolution text on every ticket: the
// cross-ticket indexes are as busy as they get, and runs pass their caps.
std::vector<v1::TicketEvent> BusyDesk() {
  std::vector<v1::TicketEvent> events;
  auto add = [&](const std::string& t, int64_t opened_s, int64_t resolved_s) {
    v1::TicketEvent created = Created(t, t + "-o", 0);
    *created.mutable_occurred_at() = FromMicros(At(0) + opened_s * 1'000'000);
    v1::TicketEvent resolved = Resolve(t, t + "-r", 0, "bulk", "Issue resolved.");
    *resolved.mutable_occurred_at() = FromMicros(At(0) + resolved_s * 1'000'000);
    events.push_back(created);
    events.push_back(resolved);
  };
  // Every six hours for 40 days: reopen-as-new chains and a saturated boilerplate run.
  for (int i = 0; i < 160; ++i) add("D" + std::to_string(i), i * 6 * 3600, i * 6 * 3600 + 1800);
  // 45 resolutions within five minutes (past the cap), then 30 over fifteen (runs of 21).
  for (int i = 0; i < 45; ++i) add("M" + std::to_string(i), 50 * 86400, 50 * 86400 + 3600 + i * 6);
  for (int i = 0; i < 30; ++i) add("P" + std::to_string(i), 52 * 86400, 52 * 86400 + 3600 + i * 30);
  return events;
}

TEST(DetectOrder, BusyCrossTicketKeysGiveIdenticalFindingsInAnyOrder) {
  auto reference = Replay(BusyDesk(), 100);
  std::map<std::string, int> kinds;
  std::set<std::string> mass_summaries;
  for (const auto& f : reference) {
    ++kinds[detect::KindName(f.kind())];
    if (f.kind() == v1::FINDING_KIND_MASS_CLOSURE) mass_summaries.insert(f.summary());
  }
  EXPECT_EQ(kinds["BOILERPLATE_RESOLUTION"], 160 + 45 + 30);
  EXPECT_EQ(kinds["MASS_CLOSURE"], 45 + 30);
  EXPECT_EQ(kinds["REOPEN_AS_NEW"], 159 + 30) << "opened within three days of another ticket's resolution";
  EXPECT_TRUE(mass_summaries.count("one of at least 40 tickets bulk resolved within 10m")) << *mass_summaries.begin();
  EXPECT_TRUE(mass_summaries.count("one of 21 tickets bulk resolved within 10m")) << "the slower burst, below the cap";
  ExpectSameFindingsInAnyOrder(BusyDesk(), reference, 4);
}


// Mass closures against a brute-force count: resolutions by one agent at
// random times in clusters (runs below, at and past the cap of 40), sent in
// random orders and batch sizes. Each ticket's finding must say what the
// densest ten minutes around its resolution hold, counted up to the cap.
TEST(DetectOrder, MassClosureRunsMatchABruteForceCount) {
  std::mt19937 rng(2026);
  std::vector<int64_t> at_s;  // resolution times, seconds after day 2
  for (int cluster = 0; cluster < 6; ++cluster) {
    const int64_t start = cluster * 1500;                  // 25 minutes apart: clusters interact at the edges
    const int size = std::vector<int>{12, 19, 20, 27, 45, 60}[cluster];
    const int64_t spread = std::vector<int64_t>{300, 540, 600, 900, 420, 1200}[cluster];
    for (int i = 0; i < size; ++i) at_s.push_back(start + static_cast<int64_t>(rng() % spread));
  }
  std::vector<v1::TicketEvent> events;
  for (size_t i = 0; i < at_s.size(); ++i) {
    std::string t = "R" + std::to_string(i);
    events.push_back(Created(t, t + "-o", kDayMin));
    v1::TicketEvent r = Status(t, t + "-r", 0, v1::TICKET_STATUS_RESOLVED);
    r.mutable_actor()->set_id("lee");
    *r.mutable_occurred_at() = FromMicros(At(2 * kDayMin) + at_s[i] * 1'000'000);
    events.push_back(r);
  }
  // Expected: the densest 10-minute span containing each resolution, capped at 40.
  const int64_t window = 600;
  std::map<std::string, std::string> expected;  // ticket -> summary
  for (size_t i = 0; i < at_s.size(); ++i) {
    size_t best = 0;
    for (int64_t from = at_s[i] - window; from <= at_s[i]; ++from) {
      size_t in = 0;
      for (int64_t t : at_s) in += t >= from && t <= from + window;
      best = std::max(best, in);
    }
    if (best < 20) continue;
    expected["R" + std::to_string(i)] =
        absl::StrCat("one of ", best >= 40 ? "at least 40" : std::to_string(best), " tickets lee resolved within 10m");
  }
  ASSERT_GT(expected.size(), 100u);
  for (int round = 0; round < 3; ++round) {
    auto shuffled = events;
    if (round > 0) std::shuffle(shuffled.begin(), shuffled.end(), rng);
    std::map<std::string, std::string> got;
    for (const v1::Finding& f : Replay(shuffled, round == 0 ? 50 : 1 + rng() % 30)) {
      if (f.kind() == v1::FINDING_KIND_MASS_CLOSURE) got[f.ticket_id()] = f.summary();
    }
    EXPECT_EQ(got, expected) << "round " << round;
  }
}


namespace calendar_clocks {

// Mon-Fri 09:00-17:00 in Berlin (CEST in September: UTC+2), Wednesday
// 2026-09-02 a holiday. At(0) is Tue 2026-09-01 10:00 CEST.
detect::TenantThresholds NineToFiveBerlin() {
  calendar::WeeklyHours hours;
  for (int day = 0; day < 5; ++day) hours[day] = {{9 * 60, 17 * 60}};
  auto desk = calendar::Calendar::Make("berlin-desk", "Europe/Berlin", hours,
                                       {{absl::CivilDay(2026, 9, 2), absl::CivilDay(2026, 9, 2), false}});
  EXPECT_TRUE(desk.ok()) << desk.status();
  detect::Thresholds th;
  th.calendar = *desk;  // HIGH: first response 1h, resolution 8h, both working time
  return detect::TenantThresholds(th);
}

constexpr int64_t kFriday1630 = 3 * kDayMin + 390;        // Fri 2026-09-04 16:30 CEST
constexpr int64_t kMonday0900 = 6 * kDayMin - 60;         // Mon 2026-09-07 09:00 CEST
constexpr int64_t kWednesday1000 = kDayMin;               // the holiday
constexpr int64_t kThursday1000 = 2 * kDayMin;

std::vector<v1::TicketEvent> Story() {
  return {CreatedWith("EARLY", "e1", kFriday1630, v1::PRIORITY_HIGH),
          Comment("EARLY", "e2", kMonday0900 + 20, ACTOR_ROLE_AGENT, "Hi, looking at it now."),
          CreatedWith("LATE", "l1", kFriday1630, v1::PRIORITY_HIGH),
          Comment("LATE", "l2", kMonday0900 + 40, ACTOR_ROLE_AGENT, "Hi, looking at it now."),
          CreatedWith("HOLIDAY", "h1", kWednesday1000, v1::PRIORITY_HIGH),
          Comment("HOLIDAY", "h2", kThursday1000 - 5, ACTOR_ROLE_AGENT, "Hi, looking at it now."),
          CreatedWith("SILENT", "s1", kWednesday1000, v1::PRIORITY_HIGH),
          Created("CLOCK", "z1", 7 * kDayMin)};
}

struct Run {
  testing::TempDir dir;
  std::unique_ptr<Store> store;
  std::vector<v1::Finding> findings;
};

std::unique_ptr<Run> ReplayWith(const detect::TenantThresholds& thresholds, const std::vector<v1::TicketEvent>& events,
                                size_t batch_size) {
  auto run = std::make_unique<Run>();
  detect::DetectorStage stage(thresholds);
  run->store = testing::OpenStore(run->dir.path());
  if (run->store == nullptr) return run;
  Ingestor::Options ingest;
  ingest.now_micros = [] { return At(365 * kDayMin); };
  ingest.stages = {&stage};
  auto ingestor = std::move(*Ingestor::Create(run->store.get(), ingest));
  for (size_t i = 0; i < events.size(); i += batch_size) {
    v1::EventBatch batch;
    for (size_t j = i; j < std::min(events.size(), i + batch_size); ++j) *batch.add_events() = events[j];
    EXPECT_TRUE(ingestor->ApplyGroup({&batch}, {nullptr}).ok());
  }
  run->findings = AllFindings(*run->store);
  return run;
}

const v1::Finding* FindingOf(const Run& run, const std::string& ticket, v1::FindingKind kind) {
  for (const v1::Finding& f : run.findings) {
    if (f.ticket_id() == ticket && f.kind() == kind) return &f;
  }
  return nullptr;
}

TEST(DetectCalendar, FirstResponseCountsWorkingTime) {
  const detect::TenantThresholds thresholds = NineToFiveBerlin();
  auto run = ReplayWith(thresholds, Story(), 100);
  // Opened Friday 16:30, answered Monday 09:20: 50 working minutes.
  EXPECT_EQ(FindingOf(*run, "EARLY", v1::FINDING_KIND_FIRST_RESPONSE_BREACH), nullptr);
  // Answered Monday 09:40: breached at Monday 09:30 local.
  const v1::Finding* late = FindingOf(*run, "LATE", v1::FINDING_KIND_FIRST_RESPONSE_BREACH);
  ASSERT_NE(late, nullptr);
  EXPECT_EQ(ToMicros(late->at()), At(kMonday0900 + 30));
  EXPECT_EQ(FormatMicros(ToMicros(late->at())), "2026-09-07T07:30:00Z");
  EXPECT_NE(late->summary().find("after 1h 10m"), std::string::npos) << late->summary();
  EXPECT_NE(late->summary().find("business hours, calendar berlin-desk"), std::string::npos) << late->summary();
  // Opened on the holiday: the clock starts Thursday 09:00, so 09:55 is in
  // time; the silent one breaches at Thursday 10:00, raised by the watermark.
  EXPECT_EQ(FindingOf(*run, "HOLIDAY", v1::FINDING_KIND_FIRST_RESPONSE_BREACH), nullptr);
  const v1::Finding* silent = FindingOf(*run, "SILENT", v1::FINDING_KIND_FIRST_RESPONSE_BREACH);
  ASSERT_NE(silent, nullptr);
  EXPECT_EQ(ToMicros(silent->at()), At(kThursday1000));

  // The ledger: elapsed and left in working time, and the calendar's name.
  auto early = ReadTicket(*run->store, "acme", "EARLY", &thresholds);
  ASSERT_TRUE(early.ok()) << early.status();
  EXPECT_EQ(early->sla().calendar(), "berlin-desk");
  EXPECT_EQ(early->sla().first_response().seconds(), 50 * 60);
  EXPECT_TRUE(early->sla().first_response_met());
  EXPECT_EQ(early->sla().first_response_left().seconds(), 10 * 60);

  // On 24/7 the same story breaches all four.
  auto always = ReplayWith(detect::TenantThresholds(), Story(), 100);
  for (const char* ticket : {"EARLY", "LATE", "HOLIDAY", "SILENT"}) {
    EXPECT_NE(FindingOf(*always, ticket, v1::FINDING_KIND_FIRST_RESPONSE_BREACH), nullptr) << ticket;
  }
  auto plain = ReadTicket(*always->store, "acme", "EARLY", nullptr);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->sla().calendar(), "");
}

TEST(DetectCalendar, ResolutionDeadlineLandsOnTheNextWorkingDay) {
  // HIGH: 8 working hours. Opened Friday 16:30 and left in progress: 30
  // minutes on Friday, 7h30 on Monday -> Monday 16:30 CEST.
  const std::vector<v1::TicketEvent> story = {
      CreatedWith("R", "r1", kFriday1630, v1::PRIORITY_HIGH),
      Comment("R", "r2", kFriday1630 + 5, ACTOR_ROLE_AGENT, "Hi, on it."),
      Status("R", "r3", kFriday1630 + 6, v1::TICKET_STATUS_IN_PROGRESS), Created("CLOCK", "z1", 8 * kDayMin)};
  auto run = ReplayWith(NineToFiveBerlin(), story, 100);
  const v1::Finding* breach = FindingOf(*run, "R", v1::FINDING_KIND_RESOLUTION_BREACH);
  ASSERT_NE(breach, nullptr);
  EXPECT_EQ(ToMicros(breach->at()), At(kMonday0900 + 7 * kHourMin + 30));
  EXPECT_NE(breach->summary().find("business hours"), std::string::npos) << breach->summary();
  // Stale counts working time too: 7 days are 168 working hours, not reached.
  EXPECT_EQ(FindingOf(*run, "R", v1::FINDING_KIND_STALE), nullptr);
}

TEST(DetectCalendar, ShuffledReplayGivesIdenticalFindings) {
  const detect::TenantThresholds thresholds = NineToFiveBerlin();
  auto reference = ReplayWith(thresholds, Story(), 100);
  ASSERT_FALSE(reference->findings.empty());
  std::mt19937 rng(19);
  for (int round = 0; round < 6; ++round) {
    auto events = Story();
    std::shuffle(events.begin(), events.end(), rng);
    auto got = ReplayWith(thresholds, events, 1 + round % 3);
    ASSERT_EQ(got->findings.size(), reference->findings.size()) << "round " << round;
    for (size_t i = 0; i < got->findings.size(); ++i) {
      EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(got->findings[i], reference->findings[i]))
          << "round " << round << ": " << got->findings[i].ShortDebugString();
    }
  }
}

}  // namespace calendar_clocks

}  // namespace
}  // namespace rapport
