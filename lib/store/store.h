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

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "store/commit_marks.h"

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

// What Open does when the write-ahead log gave back less than the store had
// acknowledged (see commit_marks.h), or is damaged before its last record.
enum class WalRecovery {
  kServe,   // log the shortfall as an error, report it, serve what was recovered
  kStrict,  // refuse to open, so an operator decides (restore a backup, or serve)
};

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
    WalRecovery wal_recovery = WalRecovery::kServe;
    // Keep commit marks (commit_marks.h): the WAL is synced and the newest
    // commit marked about once a second and at close, so without `sync` an
    // OS crash loses at most about a second of acknowledged writes, and any
    // loss is detected at the next open.
    bool mark_commits = true;
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
  // column family. On success *store owns it; on failure *store is unchanged
  // and the error names the directory, what is wrong and what to do.
  static absl::Status Open(const Options& options, std::unique_ptr<Store>* store);

  // Flushes no memtable (the WAL already holds every commit); syncs the WAL
  // and leaves the final commit mark.
  ~Store();
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

  // What Checkpoint wrote.
  struct CheckpointInfo {
    uint64_t sequence = 0;  // the newest commit the checkpoint holds
    uint64_t files = 0;
    uint64_t bytes = 0;     // hard links on the same file system cost no space
  };

  // Writes a consistent copy of the whole store (every family at one commit)
  // into `dir`, which must be absolute and must not exist yet (its parent
  // must), while commits go on: RocksDB's checkpoint — table files hard-linked
  // when `dir` is on the same file system, else copied, plus the WAL up to
  // that commit — and a commit mark of its newest commit, so a server started
  // on the copy checks its recovery against it. Blocks for the memtable flush
  // and the links or copies: call it off the RPC threads. On failure the
  // partial directory is removed.
  absl::StatusOr<CheckpointInfo> Checkpoint(const std::string& dir) const;

  // True while RocksDB stops writes because compaction fell too far behind:
  // a commit would wait until it catches up.
  bool WritesStopped() const;

  // A RocksDB property (e.g. "rocksdb.estimate-num-keys") of one family.
  std::string Property(Family family, absl::string_view name) const;

  const Options& options() const { return options_; }

  // What Open found when it compared the recovered WAL with the commit marks.
  const RecoveryReport& recovery() const { return recovery_; }

  // Unique among the stores this process opened, so a cache of store
  // contents can tell that it is looking at another store.
  uint64_t instance() const { return instance_; }

 private:
  Store(const Options& options, rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*> handles);

  // Syncs the WAL and marks the newest commit, if it moved since the last mark.
  absl::Status MarkCommits();
  void StartMarking();
  void StopMarking();

  Options options_;
  rocksdb::DB* db_;                                     // owned
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;   // owned; indexed by Family
  uint64_t instance_;

  RecoveryReport recovery_;
  CommitMarks marks_;              // the marker thread's, once it runs
  uint64_t marked_sequence_ = 0;   // likewise
  std::thread marker_;
  std::mutex marker_mutex_;
  std::condition_variable marker_wake_;
  bool marker_stop_ = false;       // guarded by marker_mutex_
};

}  // namespace rapport

#endif  // RAPPORT_STORE_STORE_H_
