// IngestQueue's read-ahead budget: reads are admitted while the batches
// queued plus the reads admitted stay under the byte budget, waiting streams
// are admitted first come first served as commits free room, and a read
// that brings nothing gives its reservation back (at once when dropped,
// after IngestQueue::kReadGrantLifetime when it stays pending).
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "server/ingest_queue.h"

namespace rapport::server {
namespace {

using Grant = IngestQueue::ReadGrant;

// A batch whose encoded size is a little over `bytes`.
std::shared_ptr<v1::EventBatch> BatchOf(size_t bytes) {
  auto batch = std::make_shared<v1::EventBatch>();
  batch->add_events()->mutable_comment()->set_text(std::string(bytes, 'x'));
  return batch;
}

// A write path that commits nothing until opened.
class Gate {
 public:
  IngestQueue::ApplyFn Apply() {
    return [this](const v1::EventBatch&) -> absl::StatusOr<v1::BatchAck> {
      open_.WaitForNotification();
      return v1::BatchAck();
    };
  }
  void Open() { open_.Notify(); }

 private:
  absl::Notification open_;
};

// Records the admissions of reads, in order.
class Admissions {
 public:
  // Asks for a read under `name`; the grant is kept until Drop(name).
  void Ask(IngestQueue* queue, const std::string& name, size_t expected_bytes) {
    queue->AdmitRead(expected_bytes, [this, name](Grant grant) {
      absl::MutexLock lock(&mu_);
      order_.push_back(name);
      grants_.emplace_back(name, std::move(grant));
    });
  }
  bool Admitted(const std::string& name) {
    absl::MutexLock lock(&mu_);
    for (const std::string& n : order_) {
      if (n == name) return true;
    }
    return false;
  }
  // Waits up to `timeout` for `name` to be admitted.
  bool AwaitAdmitted(const std::string& name, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto admitted = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      for (const std::string& n : order_) {
        if (n == name) return true;
      }
      return false;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&admitted), timeout);
  }
  // The grant of an admitted read, taken out (to submit or drop it).
  Grant Take(const std::string& name) {
    absl::MutexLock lock(&mu_);
    for (auto& [n, grant] : grants_) {
      if (n == name) return std::move(grant);
    }
    ADD_FAILURE() << name << " was not admitted";
    return Grant();
  }
  std::vector<std::string> Order() {
    absl::MutexLock lock(&mu_);
    return order_;
  }
  // Gives back every grant still held; call it while the queue exists.
  void DropAll() {
    std::vector<std::pair<std::string, Grant>> gone;
    absl::MutexLock lock(&mu_);
    gone.swap(grants_);
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> order_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<std::string, Grant>> grants_ ABSL_GUARDED_BY(mu_);
};

void Submit(IngestQueue* queue, std::shared_ptr<v1::EventBatch> batch, Grant grant) {
  queue->Submit(std::move(batch), [](absl::StatusOr<v1::BatchAck>) {}, std::move(grant));
}

constexpr absl::Duration kPatience = absl::Seconds(30);

TEST(IngestQueueTest, ReadsWaitOnceQueuedBatchesSpendTheBudgetAndResumeInOrderAsTheyCommit) {
  Gate gate;
  Admissions admissions;
  {
    // Room for two batches of 400 bytes, not three.
    IngestQueue queue(gate.Apply(), /*read_ahead_bytes=*/800);
    admissions.Ask(&queue, "a", 400);
    ASSERT_TRUE(admissions.Admitted("a")) << "an empty queue admits at once";
    Submit(&queue, BatchOf(400), admissions.Take("a"));
    admissions.Ask(&queue, "b", 400);
    ASSERT_TRUE(admissions.Admitted("b"));
    Submit(&queue, BatchOf(400), admissions.Take("b"));
    admissions.Ask(&queue, "c", 400);
    admissions.Ask(&queue, "d", 400);
    admissions.Ask(&queue, "e", 400);
    absl::SleepFor(absl::Milliseconds(100));
    EXPECT_EQ(admissions.Order(), (std::vector<std::string>{"a", "b"})) << "over 800 bytes queued, reads wait";
    gate.Open();
    ASSERT_TRUE(admissions.AwaitAdmitted("c", kPatience));
    ASSERT_TRUE(admissions.AwaitAdmitted("d", kPatience));
    // c and d reserve 400 bytes each: e waits until one of them brings its batch.
    absl::SleepFor(absl::Milliseconds(100));
    EXPECT_FALSE(admissions.Admitted("e"));
    Submit(&queue, BatchOf(400), admissions.Take("c"));
    Submit(&queue, BatchOf(400), admissions.Take("d"));
    ASSERT_TRUE(admissions.AwaitAdmitted("e", kPatience));
    EXPECT_EQ(admissions.Order(), (std::vector<std::string>{"a", "b", "c", "d", "e"}))
        << "first come, first served";
    admissions.DropAll();
  }
}

TEST(IngestQueueTest, BatchesWithoutAGrantAreChargedToo) {
  Gate gate;
  Admissions admissions;
  IngestQueue queue(gate.Apply(), /*read_ahead_bytes=*/800);
  queue.Submit(BatchOf(1000), [](absl::StatusOr<v1::BatchAck>) {});  // a unary call's batch
  admissions.Ask(&queue, "a", 100);
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_FALSE(admissions.Admitted("a"));
  gate.Open();
  EXPECT_TRUE(admissions.AwaitAdmitted("a", kPatience));
  admissions.DropAll();
}

TEST(IngestQueueTest, AReadDroppedUnusedGivesItsReservationBackAtOnce) {
  Admissions admissions;
  IngestQueue queue([](const v1::EventBatch&) -> absl::StatusOr<v1::BatchAck> { return v1::BatchAck(); },
                    /*read_ahead_bytes=*/800);
  admissions.Ask(&queue, "a", 800);
  ASSERT_TRUE(admissions.Admitted("a"));
  admissions.Ask(&queue, "b", 800);
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_FALSE(admissions.Admitted("b")) << "a's reservation fills the budget";
  const absl::Time dropped = absl::Now();
  { Grant gone = admissions.Take("a"); }  // a's stream ended without a batch
  ASSERT_TRUE(admissions.AwaitAdmitted("b", kPatience));
  EXPECT_LT(absl::Now() - dropped, IngestQueue::kReadGrantLifetime) << "admitted by the release, not by expiry";
  admissions.DropAll();
}

TEST(IngestQueueTest, AReadThatBringsNothingGivesItsReservationBackAfterItsLifetime) {
  Admissions admissions;
  IngestQueue queue([](const v1::EventBatch&) -> absl::StatusOr<v1::BatchAck> { return v1::BatchAck(); },
                    /*read_ahead_bytes=*/800);
  const absl::Time start = absl::Now();
  admissions.Ask(&queue, "idle", 800);  // admitted, then its client sends nothing
  ASSERT_TRUE(admissions.Admitted("idle"));
  admissions.Ask(&queue, "busy", 800);
  ASSERT_TRUE(admissions.AwaitAdmitted("busy", kPatience)) << "an idle stream does not hold the budget for good";
  EXPECT_GE(absl::Now() - start, IngestQueue::kReadGrantLifetime);
  // The idle read's batch, when it comes at last, is still taken.
  Submit(&queue, BatchOf(800), admissions.Take("idle"));
  admissions.DropAll();
}

TEST(IngestQueueTest, StopAdmitsTheWaitingStreamsWithoutAReservation) {
  Gate gate;
  Admissions admissions;
  std::optional<absl::StatusOr<v1::BatchAck>> late;
  {
    IngestQueue queue(gate.Apply(), /*read_ahead_bytes=*/800);
    Submit(&queue, BatchOf(1000), Grant());
    admissions.Ask(&queue, "waiting", 100);
    std::thread stopper([&] { queue.Stop(); });
    absl::SleepFor(absl::Milliseconds(50));
    gate.Open();
    stopper.join();
    EXPECT_TRUE(admissions.Admitted("waiting"));
    queue.Submit(BatchOf(10), [&](absl::StatusOr<v1::BatchAck> ack) { late = std::move(ack); },
                 admissions.Take("waiting"));
  }
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace rapport::server
