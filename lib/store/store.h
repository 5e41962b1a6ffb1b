// Store: Rapport's one RocksDB database, with a column family per kind of
// record (see keys.h for the key grammar).
//
//   std::unique_ptr<Store> store;
//   absl::Status s = Store::Open(options, &store);
//   Store::Batch batch(*store);
//   batch.Put(Family::kEvents, key, bytes);
//   s = store->Commit(&batch);     // atomic; durable in the WAL on return
//
// Everything an event batch changes (events, dedupe keys, ticket states,
// findings, aggregate deltas, alerts) goes into one Batch, so after a crash at
// any instant derived data is consistent with the events.
//
// Thread safety: reads may run concurrently with each other and with Commit.
// Commit may be called from several threads, but callers that read-modify-
// write (the ingest pipeline) must serialize themselves.
#ifndef RAPPORT_STORE_STORE_H_
#define RAPPORT_STORE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Iterator;
class MergeOperator;
class WriteBatch;
}  // namespace rocksdb

namespace rapport {

enum class Family : int {
  kMeta = 0,  // RocksDB's default family
  kEvents,
  kDedupe,
  kTickets,
  kFindings,
  kAggregates,
  kAlerts,
  kIndex,     // secondary indexes maintained by derived-data writers
};
inline constexpr int kFamilyCount = 8;
const char* FamilyName(Family family);

// The on-disk layout version. Opening a database written by another version
// fails with FailedPrecondition rather than misreading it.
inline constexpr int kSchemaVersion = 1;

class Store {
 public:
  struct Options {
    std::string path;
    bool create_if_missing = true;
    // fsync the WAL on every commit (survives power loss). Without it a
    // commit survives a killed process, because the OS holds the write.
    bool sync = false;
    // The store's memory budget: block cache plus memtables (half of it at
    // most), shared by every column family.
    size_t block_cache_bytes = 128 << 20;
    size_t write_buffer_bytes = 32 << 20;  // per memtable
    // Merge operator of Family::kAggregates; null: the sums operator (sums.h).
    std::shared_ptr<rocksdb::MergeOperator> aggregates_merge_operator;
  };

  // An atomic group of writes for one store. Not thread-safe; cheap to
  // create. Must not outlive the store.
  class Batch {
   public:
    explicit Batch(const Store& store);
    ~Batch();
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;

    void Put(Family family, absl::string_view key, absl::string_view value);
    void Delete(Family family, absl::string_view key);
    void Merge(Family family, absl::string_view key, absl::string_view value);
    size_t Count() const;
    size_t ByteSize() const;
    void Clear();

   private:
    friend class Store;
    const Store* store_;
    std::unique_ptr<rocksdb::WriteBatch> batch_;
  };

  // A reusable reader of one family for many short scans: repositioning
  // costs a seek, not a new iterator. Sees the store as of its creation.
  // Must not outlive the store.
  class Cursor {
   public:
    Cursor(const Store& store, Family family);
    ~Cursor();
    Cursor(const Cursor&) = delete;
    Cursor& operator=(const Cursor&) = delete;

    // As Store::ScanFrom; ScanBackFrom goes in descending key order from the
    // last key <= `start` (which must begin with `prefix`).
    absl::Status ScanFrom(absl::string_view prefix, absl::string_view start,
                          const std::function<bool(absl::string_view, absl::string_view)>& visit);
    absl::Status ScanBackFrom(absl::string_view prefix, absl::string_view start,
                              const std::function<bool(absl::string_view, absl::string_view)>& visit);

   private:
    absl::Status Scan(bool forward, absl::string_view prefix, absl::string_view start,
                      const std::function<bool(absl::string_view, absl::string_view)>& visit);

    std::unique_ptr<rocksdb::Iterator> it_;
  };

  // Opens (creating if allowed) the database at options.path with every
  // column family. On success *store owns it; on failure *store is unchanged.
  static absl::Status Open(const Options& options, std::unique_ptr<Store>* store);

  ~Store();  // flushes nothing: the WAL already holds every commit
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Applies every write of `batch` atomically; durable in the WAL on return.
  absl::Status Commit(Batch* batch);

  // NotFound when the key is absent.
  absl::Status Get(Family family, absl::string_view key, std::string* value) const;

  // For each key, found[i] tells whether it exists and values[i] holds it.
  absl::Status MultiGet(Family family, const std::vector<std::string>& keys,
                        std::vector<std::string>* values, std::vector<bool>* found) const;

  // Calls `visit(key, value)` for every key starting with `prefix`, in key
  // order, until it returns false.
  absl::Status Scan(Family family, absl::string_view prefix,
                    const std::function<bool(absl::string_view, absl::string_view)>& visit) const;

  // Like Scan, but starting at `start` (which must begin with `prefix`).
  absl::Status ScanFrom(Family family, absl::string_view prefix, absl::string_view start,
                        const std::function<bool(absl::string_view, absl::string_view)>& visit) const;

  // Writes every memtable to table files (the next open replays no WAL).
  absl::Status Flush();

  // Flushes and compacts one family completely (an operator's tool; RocksDB
  // compacts on its own in the background).
  absl::Status Compact(Family family);

  // A RocksDB property (e.g. "rocksdb.estimate-num-keys") of one family.
  std::string Property(Family family, absl::string_view name) const;

  const Options& options() const { return options_; }

  // Unique among the stores this process opened, so a cache of store
  // contents can tell that it is looking at another store.
  uint64_t instance() const { return instance_; }

 private:
  Store(const Options& options, rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*> handles);

  Options options_;
  rocksdb::DB* db_;                                     // owned
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;   // owned; indexed by Family
  uint64_t instance_;
};

}  // namespace rapport

#endif  // RAPPORT_STORE_STORE_H_
