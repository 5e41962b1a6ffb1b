// Store scans: a real RocksDB in a temp dir.
#include "store/store.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/test_util.h"

namespace rapport {
namespace {

class StoreScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Store::Options options;
    options.path = dir_.path();
    ASSERT_TRUE(Store::Open(options, &store_).ok());
    Store::Batch batch(*store_);
    for (const char* key : {"a/1", "b/1", "b/3", "b/5", "b/7", "c/1"}) batch.Put(Family::kIndex, key, "");
    ASSERT_TRUE(store_->Commit(&batch).ok());
  }

  // Keys under "b/" visited from `start`, at most `limit`.
  std::vector<std::string> Scan(Store::Cursor& cursor, bool backward, const std::string& start, size_t limit) {
    std::vector<std::string> keys;
    auto visit = [&](absl::string_view key, absl::string_view) {
      keys.emplace_back(key);
      return keys.size() < limit;
    };
    EXPECT_TRUE((backward ? cursor.ScanBackFrom("b/", start, visit) : cursor.ScanFrom("b/", start, visit)).ok());
    return keys;
  }
  std::vector<std::string> Forward(Store::Cursor& cursor, const std::string& start, size_t limit = 99) {
    return Scan(cursor, false, start, limit);
  }
  std::vector<std::string> Backward(Store::Cursor& cursor, const std::string& start, size_t limit = 99) {
    return Scan(cursor, true, start, limit);
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreScanTest, ACursorScansBothWaysWithinItsPrefix) {
  Store::Cursor cursor(*store_, Family::kIndex);
  EXPECT_EQ(Forward(cursor, "b/2"), (std::vector<std::string>{"b/3", "b/5", "b/7"})) << "stops before c/";
  EXPECT_EQ(Backward(cursor, "b/6"), (std::vector<std::string>{"b/5", "b/3", "b/1"})) << "stops before a/";
  EXPECT_EQ(Backward(cursor, "b/5"), (std::vector<std::string>{"b/5", "b/3", "b/1"})) << "the start is inclusive";
  EXPECT_EQ(Forward(cursor, "b/1", 2), (std::vector<std::string>{"b/1", "b/3"})) << "the visitor ends a scan";
  EXPECT_EQ(Backward(cursor, "b/9", 1), (std::vector<std::string>{"b/7"}));
  EXPECT_TRUE(Forward(cursor, "b/8").empty());
  EXPECT_TRUE(Backward(cursor, "b/0").empty());
}

TEST_F(StoreScanTest, ACursorSeesTheStoreAsOfItsCreation) {
  Store::Cursor cursor(*store_, Family::kIndex);
  Store::Batch batch(*store_);
  batch.Put(Family::kIndex, "b/4", "");
  ASSERT_TRUE(store_->Commit(&batch).ok());
  EXPECT_EQ(Forward(cursor, "b/3"), (std::vector<std::string>{"b/3", "b/5", "b/7"}));
  Store::Cursor later(*store_, Family::kIndex);
  EXPECT_EQ(Forward(later, "b/3"), (std::vector<std::string>{"b/3", "b/4", "b/5", "b/7"}));
}

}  // namespace
}  // namespace rapport
