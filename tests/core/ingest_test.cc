#include "ingest/ingestor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "core/test_util.h"
#include "event/event.h"
#include "google/protobuf/util/message_differencer.h"
#include "query/ticket_query.h"
#include "store/store.h"

namespace rapport {
namespace {

using testing::Assign;
using testing::At;
using testing::Comment;
using testing::Created;
using testing::Status;
using testing::TempDir;

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open(Limits limits = Limits()) {
    ingestor_.reset();
    store_.reset();
    Store::Options options;
    options.path = dir_.path() + "/db";
    ASSERT_TRUE(Store::Open(options, &store_).ok());
    Ingestor::Options ingest_options;
    ingest_options.limits = limits;
    ingest_options.now_micros = [] { return At(90 * 24 * 60); };
    auto ingestor = Ingestor::Create(store_.get(), ingest_options);
    ASSERT_TRUE(ingestor.ok());
    ingestor_ = std::move(*ingestor);
  }

  v1::BatchAck Send(const std::vector<v1::TicketEvent>& events, uint64_t sequence = 1) {
    v1::EventBatch batch;
    batch.set_sequence(sequence);
    for (const auto& e : events) *batch.add_events() = e;
    auto ack = ingestor_->Apply(batch);
    EXPECT_TRUE(ack.ok()) << ack.status();
    return ack.ok() ? *ack : v1::BatchAck();
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Ingestor> ingestor_;
};

TEST_F(IngestTest, ABadEventDoesNotDropItsNeighbours) {
  auto missing_ticket = Created("", "e2", 1);
  auto future = Status("T3", "e4", 0, v1::TICKET_STATUS_IN_PROGRESS);
  *future.mutable_occurred_at() = FromMicros(At(400 * 24 * 60));
  auto ack = Send({Created("T1", "e1", 0), missing_ticket, Created("T2", "e3", 2), future,
                   Status("T1", "e5", 3, v1::TICKET_STATUS_IN_PROGRESS)},
                  7);
  EXPECT_EQ(ack.sequence(), 7u);
  EXPECT_EQ(ack.accepted(), 3u);
  ASSERT_EQ(ack.rejected_size(), 2);
  EXPECT_EQ(ack.rejected(0).index(), 1u);
  EXPECT_EQ(ack.rejected(0).event_id(), "e2");
  EXPECT_EQ(ack.rejected(0).code(), "MISSING_FIELD");
  EXPECT_EQ(ack.rejected(1).index(), 3u);
  EXPECT_EQ(ack.rejected(1).code(), "OUT_OF_RANGE");
  auto t1 = ReadTicket(*store_, "acme", "T1");
  ASSERT_TRUE(t1.ok());
  EXPECT_EQ(t1->status(), v1::TICKET_STATUS_IN_PROGRESS);
  EXPECT_EQ(t1->timeline_size(), 2);
  EXPECT_TRUE(ReadTicket(*store_, "acme", "T2").ok());
  EXPECT_TRUE(absl::IsNotFound(ReadTicket(*store_, "acme", "T3").status()));
  EXPECT_EQ(ingestor_->counters().rejected_by_code.at("MISSING_FIELD"), 1u);
}

TEST_F(IngestTest, DuplicatesChangeNothing) {
  std::vector<v1::TicketEvent> events = {Created("T1", "e1", 0), Status("T1", "e2", 5, v1::TICKET_STATUS_IN_PROGRESS),
                                         Status("T1", "e3", 9, v1::TICKET_STATUS_RESOLVED)};
  auto first = Send(events);
  EXPECT_EQ(first.accepted(), 3u);
  auto before = ReadTicket(*store_, "acme", "T1");
  auto again = Send(events, 2);
  EXPECT_EQ(again.accepted(), 0u);
  EXPECT_EQ(again.duplicates(), 3u);
  auto after = ReadTicket(*store_, "acme", "T1");
  ASSERT_TRUE(before.ok() && after.ok());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*before, *after));
  EXPECT_EQ(ReadTenant(*store_, "acme")->events(), 3u);
}

TEST_F(IngestTest, DuplicateWithinABatchAndConflictingDuplicate) {
  auto ack = Send({Created("T1", "e1", 0), Created("T1", "e1", 0)});
  EXPECT_EQ(ack.accepted(), 1u);
  EXPECT_EQ(ack.duplicates(), 1u);
  // Same id, other content: the first write wins and the conflict is counted.
  EXPECT_EQ(ack.conflicts(), 0u) << "same content: a plain duplicate";
  auto conflicting = Status("T1", "e1", 4, v1::TICKET_STATUS_CLOSED);
  ack = Send({conflicting});
  EXPECT_EQ(ack.duplicates(), 1u);
  EXPECT_EQ(ack.conflicts(), 1u) << "the client learns of it, not only the log";
  EXPECT_EQ(ingestor_->counters().conflicting_duplicates, 1u);
  EXPECT_EQ(ReadTicket(*store_, "acme", "T1")->status(), v1::TICKET_STATUS_NEW);
}

TEST_F(IngestTest, AConflictWithinOneBatchIsCounted) {
  auto ack = Send({Created("T1", "e1", 0), Status("T1", "e1", 4, v1::TICKET_STATUS_CLOSED), Created("T2", "e2", 0),
                   Created("T2", "e2", 0)});
  EXPECT_EQ(ack.accepted(), 2u);
  EXPECT_EQ(ack.duplicates(), 2u);
  EXPECT_EQ(ack.conflicts(), 1u) << ack.ShortDebugString();
  EXPECT_EQ(ingestor_->counters().conflicting_duplicates, 1u);
  EXPECT_EQ(ReadTicket(*store_, "acme", "T1")->status(), v1::TICKET_STATUS_NEW) << "the first write wins";
  // Attributes serialize in no fixed order: the same map is never a conflict.
  auto a = Created("T3", "e3", 0), b = a;
  for (int i = 0; i < 20; ++i) (*a.mutable_attributes())["k" + std::to_string(i)] = "v";
  for (int i = 19; i >= 0; --i) (*b.mutable_attributes())["k" + std::to_string(i)] = "v";
  ack = Send({a, b});
  EXPECT_EQ(ack.duplicates(), 1u);
  EXPECT_EQ(ack.conflicts(), 0u);
  ack = Send({b});
  EXPECT_EQ(ack.conflicts(), 0u);
}

TEST_F(IngestTest, TenantsAreSeparate) {
  auto other = Created("T1", "e1", 0);
  other.set_tenant("globex");
  auto ack = Send({Created("T1", "e1", 0), other});
  EXPECT_EQ(ack.accepted(), 2u) << "the same event id in two tenants is two events";
  EXPECT_EQ(ReadTicket(*store_, "globex", "T1")->timeline_size(), 1);
  EXPECT_EQ(ReadTicket(*store_, "acme", "T1")->timeline_size(), 1);
}

TEST_F(IngestTest, EventsPastTheBatchLimitAreRejectedNotDropped) {
  Limits limits;
  limits.max_batch_events = 2;
  Open(limits);
  auto ack = Send({Created("T1", "e1", 0), Created("T2", "e2", 0), Created("T3", "e3", 0)});
  EXPECT_EQ(ack.accepted(), 2u);
  ASSERT_EQ(ack.rejected_size(), 1);
  EXPECT_EQ(ack.rejected(0).index(), 2u);
  EXPECT_EQ(ack.rejected(0).code(), "TOO_LARGE");
}

// A batch far past every limit: the ack lists max_ack_errors rejections and
// counts all of them, so its size does not grow with the batch.
TEST_F(IngestTest, AnAckListsTheFirstErrorsAndCountsAll) {
  std::vector<v1::TicketEvent> events;
  for (int i = 0; i < 5000; ++i) {
    auto e = Created("T" + std::to_string(i), "e" + std::to_string(i), 0);
    if (i % 5 == 0) e.clear_ticket_id();  // 200 of the first 1000 are invalid
    events.push_back(std::move(e));
  }
  auto ack = Send(events);
  EXPECT_EQ(ack.accepted(), 800u);
  EXPECT_EQ(ack.rejected_size(), 100) << "the default max_ack_errors";
  EXPECT_EQ(ack.rejected(0).index(), 0u);
  EXPECT_EQ(ack.rejected(0).code(), "MISSING_FIELD");
  ASSERT_EQ(ack.rejected_by_code().size(), 2u) << ack.ShortDebugString().substr(0, 500);
  EXPECT_EQ(ack.rejected_by_code().at("MISSING_FIELD"), 200u);
  EXPECT_EQ(ack.rejected_by_code().at("TOO_LARGE"), 4000u);
  EXPECT_LT(ack.ByteSizeLong(), 20'000u);
  EXPECT_EQ(ingestor_->counters().rejected_by_code.at("TOO_LARGE"), 4000u);
  EXPECT_EQ(ReadTenant(*store_, "acme")->events(), 800u);

  Limits limits;
  limits.max_ack_errors = 3;
  Open(limits);
  ack = Send({Created("", "x1", 0), Created("", "x2", 0), Created("", "x3", 0), Created("", "x4", 0)}, 2);
  EXPECT_EQ(ack.rejected_size(), 3);
  EXPECT_EQ(ack.rejected_by_code().at("MISSING_FIELD"), 4u);
}

std::vector<v1::TicketEvent> Timeline() {
  return {Created("T1", "a1", 0),
          Assign("T1", "a2", 3, "alice", "Service Desk"),
          Comment("T1", "a3", 10, v1::ACTOR_ROLE_AGENT, "Could you send the error message?"),
          Status("T1", "a4", 11, v1::TICKET_STATUS_PENDING_REQUESTER),
          Comment("T1", "a5", 60, v1::ACTOR_ROLE_REQUESTER, "Here it is."),
          Status("T1", "a6", 61, v1::TICKET_STATUS_IN_PROGRESS),
          Assign("T1", "a7", 90, "", "Network"),
          Assign("T1", "a8", 95, "nina", "Network"),
          Status("T1", "a9", 200, v1::TICKET_STATUS_RESOLVED),
          Status("T1", "a10", 300, v1::TICKET_STATUS_IN_PROGRESS),
          Assign("T1", "a11", 301, "alice", "Service Desk"),
          Status("T1", "a12", 400, v1::TICKET_STATUS_RESOLVED),
          Created("T2", "b1", 5),
          Status("T2", "b2", 50, v1::TICKET_STATUS_IN_PROGRESS),
          Status("T2", "b3", 70, v1::TICKET_STATUS_PENDING_THIRD_PARTY)};
}

// Records which preparation OnEvent found for each event it folded.
class RecordingStage final : public TicketStage {
 public:
  struct Tag final : PreparedEvent {
    explicit Tag(std::string id) : event_id(std::move(id)) {}
    std::string event_id;
  };
  const char* name() const override { return "recording"; }
  std::unique_ptr<PreparedEvent> Prepare(const v1::TicketEvent& event) const override {
    return std::make_unique<Tag>(event.event_id());
  }
  void OnEvent(const v1::TicketEvent& event, const ticket::Transition&, internal::TicketState*,
               StageContext& context) override {
    const auto* tag = static_cast<const Tag*>(context.Prepared(*this, event));
    seen.push_back(event.event_id() + "=" + (tag ? tag->event_id : "none"));
  }
  std::vector<std::string> seen;
};

TEST(IngestPrepare, EachEventFindsItsOwnPreparationAndARefoldNone) {
  TempDir dir;
  std::unique_ptr<Store> store = testing::OpenStore(dir.path() + "/db");
  ASSERT_NE(store, nullptr);
  RecordingStage stage;
  Ingestor::Options ingest_options;
  ingest_options.now_micros = [] { return At(90 * 24 * 60); };
  ingest_options.stages = {&stage};
  auto ingestor = std::move(*Ingestor::Create(store.get(), ingest_options));
  auto apply = [&](std::vector<v1::TicketEvent> events) {
    v1::EventBatch batch;
    for (auto& e : events) *batch.add_events() = std::move(e);
    auto prepared = ingestor->Prepare(batch);
    auto acks = ingestor->ApplyGroup({&batch}, {prepared.get()});
    EXPECT_TRUE(acks.ok()) << acks.status();
  };
  apply({Created("T1", "a1", 10), Comment("T1", "a2", 20, v1::ACTOR_ROLE_AGENT, "Hello")});
  EXPECT_EQ(stage.seen, (std::vector<std::string>{"a1=a1", "a2=a2"}));
  // A late event: the stored events are refolded without preparations.
  stage.seen.clear();
  apply({Comment("T1", "a0", 15, v1::ACTOR_ROLE_REQUESTER, "Early")});
  EXPECT_EQ(stage.seen, (std::vector<std::string>{"a1=none", "a0=a0", "a2=none"}));
  // Prepared bytes are what is stored: the same event again is a plain
  // duplicate, a changed one a conflicting duplicate.
  apply({Created("T1", "a1", 10)});
  EXPECT_EQ(ingestor->counters().conflicting_duplicates, 0u);
  apply({Created("T1", "a1", 11)});
  EXPECT_EQ(ingestor->counters().duplicates, 2u);
  EXPECT_EQ(ingestor->counters().conflicting_duplicates, 1u);
}

TEST(IngestOrder, LateAndOutOfOrderEventsGiveTheSameTicketsAsInOrder) {
  uint64_t rebuilds = 0;
  auto ingest = [&rebuilds](const std::vector<v1::TicketEvent>& events, size_t batch_size, TempDir& dir) {
    std::unique_ptr<Store> store;
    Store::Options options;
    options.path = dir.path();
    EXPECT_TRUE(Store::Open(options, &store).ok());
    Ingestor::Options ingest_options;
    ingest_options.now_micros = [] { return At(90 * 24 * 60); };
    auto ingestor = std::move(*Ingestor::Create(store.get(), ingest_options));
    for (size_t i = 0; i < events.size(); i += batch_size) {
      v1::EventBatch batch;
      for (size_t j = i; j < std::min(events.size(), i + batch_size); ++j) *batch.add_events() = events[j];
      EXPECT_TRUE(ingestor->Apply(batch).ok());
    }
    std::vector<v1::GetTicketResponse> tickets;
    for (const char* id : {"T1", "T2"}) tickets.push_back(*ReadTicket(*store, "acme", id));
    rebuilds += ingestor->counters().rebuilds;
    return tickets;
  };
  TempDir reference_dir;
  auto reference = ingest(Timeline(), 100, reference_dir);
  EXPECT_EQ(reference[0].reopen_count(), 1u);
  EXPECT_EQ(reference[0].reassignment_count(), 2u);
  EXPECT_EQ(rebuilds, 0u);

  std::mt19937 rng(20261123);
  for (int round = 0; round < 8; ++round) {
    auto shuffled = Timeline();
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    TempDir dir;
    auto got = ingest(shuffled, 1 + round % 4, dir);
    for (size_t t = 0; t < got.size(); ++t) {
      std::string diff;
      google::protobuf::util::MessageDifferencer differ;
      differ.ReportDifferencesToString(&diff);
      EXPECT_TRUE(differ.Compare(reference[t], got[t])) << "round " << round << ": " << diff;
    }
  }
  EXPECT_GT(rebuilds, 0u) << "the shuffles should have delivered some events late";
}

TEST_F(IngestTest, ArrivalOrderSurvivesARestart) {
  Send({Created("T1", "e1", 0), Status("T1", "e2", 5, v1::TICKET_STATUS_IN_PROGRESS)});
  Open();
  // Same occurred_at as e2: arrival breaks the tie, so e3 folds after e2.
  Send({Status("T1", "e3", 5, v1::TICKET_STATUS_PENDING_REQUESTER)});
  auto t = ReadTicket(*store_, "acme", "T1");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->status(), v1::TICKET_STATUS_PENDING_REQUESTER);
  EXPECT_EQ(t->timeline(2).event().event_id(), "e3");
  EXPECT_EQ(ingestor_->counters().rebuilds, 0u);
}

TEST_F(IngestTest, ListTicketsOrdersAndPages) {
  Send(Timeline());
  v1::ListTicketsRequest request;
  request.set_tenant("acme");
  request.set_order(v1::TICKET_ORDER_MOST_REOPENED);
  request.set_page_size(1);
  auto page = ListTickets(*store_, request);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total(), 2u);
  ASSERT_EQ(page->tickets_size(), 1);
  EXPECT_EQ(page->tickets(0).ticket_id(), "T1");
  request.set_page_token(page->next_page_token());
  page = ListTickets(*store_, request);
  ASSERT_EQ(page->tickets_size(), 1);
  EXPECT_EQ(page->tickets(0).ticket_id(), "T2");
  EXPECT_TRUE(page->next_page_token().empty());
  request.set_open_only(true);
  request.clear_page_token();
  EXPECT_EQ(ListTickets(*store_, request)->total(), 1u);
  request.set_tenant("nobody");
  EXPECT_TRUE(absl::IsNotFound(ListTickets(*store_, request).status()));
}

}  // namespace
}  // namespace rapport
