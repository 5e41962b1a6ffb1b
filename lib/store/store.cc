#include "store/store.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/log.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/write_batch.h"
#include "rocksdb/write_buffer_manager.h"
#include "store/keys.h"
#include "store/sums.h"

namespace rapport {
namespace {

rocksdb::Slice ToSlice(absl::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
absl::string_view ToView(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string message = absl::StrCat(what, ": ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(message);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(message);
  if (s.IsCorruption()) return absl::DataLossError(message);
  if (s.IsBusy() || s.IsTryAgain() || s.IsTimedOut()) return absl::UnavailableError(message);
  return absl::InternalError(message);
}

// The key up to its third NUL byte: an index key's kind, tenant and name
// ("sc" ∅ tenant ∅ scope ∅ ...), an aggregate's tenant and scope. Keys under
// one such prefix are mostly written in key order (newest times last), which
// the memtable's insert hint turns into short inserts next to the last one.
class UpToThirdSeparator final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "rapport.UpToThirdSeparator"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    size_t seen = 0;
    for (size_t i = 0; i < key.size(); ++i) {
      if (key[i] == keys::kSep[0] && ++seen == 3) return rocksdb::Slice(key.data(), i + 1);
    }
    return key;
  }
  bool InDomain(const rocksdb::Slice&) const override { return true; }
};

// A failed RocksDB open, said as an operator needs it: the directory, what is
// wrong in words, and what to do about it.
absl::Status OpenError(const rocksdb::Status& s, const std::string& path) {
  const std::string raw = s.ToString();
  std::string what;
  std::string todo;
  if (s.IsIOError() && absl::StrContains(raw, "lock")) {
    what = "it is in use by another process (its LOCK file is held)";
    todo = "stop the other rapportd, or give this one another --data-dir";
  } else if (absl::StrContains(raw, "wal_dir contains existing log file") ||
             absl::StrContains(raw, "does not exist (create_if_missing is false)")) {
    what = "its table catalogue (CURRENT, MANIFEST) is missing but write-ahead logs remain, "
           "so the directory is incomplete (partly deleted, or copied while a server ran)";
    todo = "restore it from a backup, or move it aside to start with an empty store";
  } else if (s.IsCorruption()) {
    what = "its files are damaged";
    todo = "restore it from a backup; if only the newest write-ahead log is damaged, starting with "
           "--wal-recovery=serve keeps what can be recovered and reports what is missing";
  } else if (s.IsIOError()) {
    what = "its files cannot be read or written";
    todo = "check the directory's permissions and free space";
  } else {
    what = "RocksDB refused it";
    todo = "see the detail below; a store written by another tool cannot be opened";
  }
  std::string message = absl::StrCat("cannot open the store at ", path, ": ", what, ". What to do: ", todo,
                                     ". (RocksDB: ", raw, ")");
  if (s.IsCorruption()) return absl::DataLossError(message);
  if (s.IsIOError() && absl::StrContains(raw, "lock")) return absl::UnavailableError(message);
  return absl::FailedPreconditionError(message);
}

int64_t NowUnixSeconds() { return absl::ToUnixSeconds(absl::Now()); }

}  // namespace

const char* FamilyName(Family family) {
  switch (family) {
    case Family::kMeta: return rocksdb::kDefaultColumnFamilyName.c_str();
    case Family::kEvents: return "events";
    case Family::kDedupe: return "dedupe";
    case Family::kTickets: return "tickets";
    case Family::kFindings: return "findings";
    case Family::kAggregates: return "aggregates";
    case Family::kAlerts: return "alerts";
    case Family::kIndex: return "index";
  }
  return "unknown";
}

Store::Batch::Batch(const Store& store)
    : store_(&store), batch_(std::make_unique<rocksdb::WriteBatch>()) {}
Store::Batch::~Batch() = default;

void Store::Batch::Put(Family family, absl::string_view key, absl::string_view value) {
  (void)batch_->Put(store_->handles_[static_cast<int>(family)], ToSlice(key), ToSlice(value));
}
void Store::Batch::Delete(Family family, absl::string_view key) {
  (void)batch_->Delete(store_->handles_[static_cast<int>(family)], ToSlice(key));
}
void Store::Batch::Merge(Family family, absl::string_view key, absl::string_view value) {
  (void)batch_->Merge(store_->handles_[static_cast<int>(family)], ToSlice(key), ToSlice(value));
}
size_t Store::Batch::Count() const { return batch_->Count(); }
size_t Store::Batch::ByteSize() const { return batch_->GetDataSize(); }
void Store::Batch::Clear() { batch_->Clear(); }

absl::Status Store::Open(const Options& options, std::unique_ptr<Store>* store) {
  if (options.path.empty()) return absl::InvalidArgumentError("store path is empty");
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = options.create_if_missing;
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 5;
  db_options.max_total_wal_size = 256 << 20;
  // Strict: a damaged record before the WAL's end stops the open (the
  // default recovers up to it and drops the rest without an error). A torn
  // last record is never one that was acknowledged, so it is tolerated.
  if (options.wal_recovery == WalRecovery::kStrict) {
    db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  }

  CommitMarks marks;
  if (options.mark_commits) {
    auto read = CommitMarks::Read(options.path);
    if (read.ok()) {
      marks = std::move(*read);
    } else if (options.wal_recovery == WalRecovery::kStrict) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot check the store at ", options.path, " for lost writes: ", read.status().message(),
          ". What to do: start once with --wal-recovery=serve (the marks are then written anew)"));
    } else {
      Log(LogLevel::kError, "cannot check the store for lost writes; serving what it holds",
          {{"data_dir", options.path}, {"error", std::string(read.status().message())}});
    }
  }

  // One memory budget: memtables are charged to the block cache, so the
  // store's memory stays near block_cache_bytes however much is written.
  // Few shards: a cache shard must hold the largest block it is asked to
  // keep, and index and filter partitions go in its high-priority pool.
  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes, /*num_shard_bits=*/4,
                                    /*strict_capacity_limit=*/false, /*high_pri_pool_ratio=*/0.25);
  db_options.write_buffer_manager =
      std::make_shared<rocksdb::WriteBufferManager>(options.block_cache_bytes / 2, cache);
  auto family_options = [&](Family family) {
    const bool point_lookups = family == Family::kDedupe || family == Family::kTickets || family == Family::kMeta;
    rocksdb::ColumnFamilyOptions cf;
    cf.write_buffer_size = options.write_buffer_bytes;
    cf.max_write_buffer_number = 3;
    cf.compression = rocksdb::kLZ4Compression;
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = cache;
    if (family == Family::kAggregates) {
      // A score query scans one scope's days (a few hundred small records):
      // large uncompressed blocks make that a handful of cached block reads.
      table.block_size = 32 << 10;
      cf.compression = rocksdb::kNoCompression;
    }
    // Index and filter blocks live in the cache (bounded memory), split into
    // small partitions under a pinned top level: a whole-file filter of a
    // large table is megabytes, more than a cache shard keeps, and was read
    // from disk on every lookup once the store held a few million events.
    table.cache_index_and_filter_blocks = true;
    table.cache_index_and_filter_blocks_with_high_priority = true;
    table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
    table.metadata_block_size = 4096;
    table.pin_top_level_index_and_filter = true;
    table.pin_l0_filter_and_index_blocks_in_cache = true;
    // Dedupe and ticket lookups are point reads, mostly of absent or hot keys:
    // Bloom filters in the tables and in the memtable answer "absent" without
    // a search (the memtable one halves the cost of the dedupe check).
    if (point_lookups) {
      table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
      table.partition_filters = true;
      cf.memtable_whole_key_filtering = true;
      cf.memtable_prefix_bloom_size_ratio = 0.1;
    }
    cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    return cf;
  };

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (int i = 0; i < kFamilyCount; ++i) {
    Family family = static_cast<Family>(i);
    rocksdb::ColumnFamilyOptions cf = family_options(family);
    if (family == Family::kAggregates) {
      cf.merge_operator =
          options.aggregates_merge_operator ? options.aggregates_merge_operator : NewSumsMergeOperator();
      // Every ticket update merges into its scope-days; past a few operands
      // per key in the memtable, fold them at write time so a read never
      // replays thousands of deltas.
      cf.max_successive_merges = 8;
      // Reads scan a scope's days; every delta leaves a hidden version in the
      // memtable that a scan must step over. A small memtable, flushed (which
      // folds the deltas) and compacted early, keeps a scan near one entry
      // per day.
      cf.write_buffer_size = std::min<size_t>(options.write_buffer_bytes, 4 << 20);
      cf.level0_file_num_compaction_trigger = 2;
    }
    if (family == Family::kIndex || family == Family::kAggregates) {
      // Derived-data keys arrive spread over the key space but in order
      // within their prefix (a scope's newest day, an index key's newest
      // time): an insert hint per prefix saves most of each skiplist search.
      cf.memtable_insert_with_hint_prefix_extractor = std::make_shared<UpToThirdSeparator>();
    }
    descriptors.emplace_back(FamilyName(family), cf);
  }

  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status s = rocksdb::DB::Open(db_options, options.path, descriptors, &handles, &db);
  if (!s.ok()) return OpenError(s, options.path);
  std::unique_ptr<Store> opened(new Store(options, db, std::move(handles)));
  opened->recovery_ = marks.Compare(db->GetLatestSequenceNumber());
  const RecoveryReport& recovery = opened->recovery_;
  if (!recovery.complete()) {
    if (options.wal_recovery == WalRecovery::kStrict) {
      return absl::DataLossError(absl::StrCat(
          "refusing to open the store at ", options.path, " (--wal-recovery=strict): ", recovery.Describe(),
          ". To serve what was recovered instead, start once with --wal-recovery=serve"));
    }
    Log(LogLevel::kError, "acknowledged writes were lost from the write-ahead log; serving what was recovered",
        {{"data_dir", options.path},
         {"missing_writes", std::to_string(recovery.missing_writes())},
         {"detail", recovery.Describe()}});
  }

  std::string version;
  absl::Status got = opened->Get(Family::kMeta, keys::kSchemaVersion, &version);
  if (absl::IsNotFound(got)) {
    Batch init(*opened);
    init.Put(Family::kMeta, keys::kSchemaVersion, std::to_string(kSchemaVersion));
    if (absl::Status c = opened->Commit(&init); !c.ok()) return c;
  } else if (!got.ok()) {
    return got;
  } else if (version != std::to_string(kSchemaVersion)) {
    return absl::FailedPreconditionError(
        absl::StrCat("the store at ", options.path, " has schema version ", version,
                     "; this build reads version ", kSchemaVersion,
                     ". Rebuild derived data or use a matching build."));
  }
  if (options.mark_commits) {
    // The recovered state is now the store's: the next open compares with it.
    opened->marks_ = std::move(marks);
    if (absl::Status m = opened->MarkCommits(); !m.ok()) {
      return absl::Status(m.code(), absl::StrCat("cannot write commit marks in ", options.path, ": ", m.message()));
    }
    opened->StartMarking();
  }
  *store = std::move(opened);
  return absl::OkStatus();
}

absl::Status Store::MarkCommits() {
  const uint64_t sequence = db_->GetLatestSequenceNumber();
  if (sequence == marked_sequence_ && !marks_.marks().empty()) return absl::OkStatus();
  // Everything up to `sequence` must be on disk before the mark claims it.
  if (!options_.sync) {
    if (absl::Status s = FromRocks(db_->SyncWAL(), "syncing the write-ahead log"); !s.ok()) return s;
  }
  if (absl::Status s = marks_.Append(options_.path, sequence, NowUnixSeconds()); !s.ok()) return s;
  marked_sequence_ = sequence;
  return absl::OkStatus();
}

void Store::StartMarking() {
  marker_ = std::thread([this] {
    bool warned = false;
    std::unique_lock<std::mutex> lock(marker_mutex_);
    while (!marker_wake_.wait_for(lock, std::chrono::seconds(1), [this] { return marker_stop_; })) {
      lock.unlock();
      absl::Status s = MarkCommits();
      if (!s.ok() && !warned) {
        Log(LogLevel::kError, "cannot mark commits; a lost write would go unnoticed",
            {{"data_dir", options_.path}, {"error", std::string(s.message())}});
      }
      warned = warned || !s.ok();
      lock.lock();
    }
  });
}

void Store::StopMarking() {
  if (!marker_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(marker_mutex_);
    marker_stop_ = true;
  }
  marker_wake_.notify_all();
  marker_.join();
  if (absl::Status s = MarkCommits(); !s.ok()) {
    Log(LogLevel::kWarning, "cannot leave the final commit mark",
        {{"data_dir", options_.path}, {"error", std::string(s.message())}});
  }
}

Store::Store(const Options& options, rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*> handles)
    : options_(options), db_(db), handles_(std::move(handles)), instance_([] {
        static std::atomic<uint64_t> next{1};
        return next++;
      }()) {}

Store::~Store() {
  StopMarking();
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    rocksdb::Status s = db_->DestroyColumnFamilyHandle(handle);
    if (!s.ok()) Log(LogLevel::kWarning, "closing a column family failed", {{"error", s.ToString()}});
  }
  rocksdb::Status s = db_->Close();
  if (!s.ok()) Log(LogLevel::kWarning, "closing the store failed", {{"error", s.ToString()}});
  delete db_;
}

absl::Status Store::Commit(Batch* batch) {
  rocksdb::WriteOptions write_options;
  write_options.sync = options_.sync;
  return FromRocks(db_->Write(write_options, batch->batch_.get()), "committing a write batch");
}

absl::Status Store::Get(Family family, absl::string_view key, std::string* value) const {
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handles_[static_cast<int>(family)],
                               ToSlice(key), value);
  if (s.IsNotFound()) return absl::NotFoundError("not found");
  return FromRocks(s, "reading the store");
}

absl::Status Store::MultiGet(Family family, const std::vector<std::string>& keys,
                             std::vector<std::string>* values, std::vector<bool>* found) const {
  std::vector<rocksdb::Slice> slices;
  slices.reserve(keys.size());
  for (const std::string& key : keys) slices.emplace_back(key);
  std::vector<rocksdb::ColumnFamilyHandle*> families(keys.size(), handles_[static_cast<int>(family)]);
  values->assign(keys.size(), std::string());
  std::vector<rocksdb::Status> statuses = db_->MultiGet(rocksdb::ReadOptions(), families, slices, values);
  found->assign(keys.size(), false);
  for (size_t i = 0; i < statuses.size(); ++i) {
    if (statuses[i].ok()) {
      (*found)[i] = true;
    } else if (!statuses[i].IsNotFound()) {
      return FromRocks(statuses[i], "reading the store");
    }
  }
  return absl::OkStatus();
}

absl::Status Store::Scan(Family family, absl::string_view prefix,
                         const std::function<bool(absl::string_view, absl::string_view)>& visit) const {
  return ScanFrom(family, prefix, prefix, visit);
}

absl::Status Store::ScanFrom(Family family, absl::string_view prefix, absl::string_view start,
                             const std::function<bool(absl::string_view, absl::string_view)>& visit) const {
  std::string upper = keys::PrefixEnd(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read_options;
  if (!upper.empty()) read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, handles_[static_cast<int>(family)]));
  for (it->Seek(ToSlice(start)); it->Valid(); it->Next()) {
    if (!visit(ToView(it->key()), ToView(it->value()))) break;
  }
  return FromRocks(it->status(), "scanning the store");
}

Store::Cursor::Cursor(const Store& store, Family family)
    : it_(store.db_->NewIterator(rocksdb::ReadOptions(), store.handles_[static_cast<int>(family)])) {}

Store::Cursor::~Cursor() = default;

absl::Status Store::Cursor::Scan(bool forward, absl::string_view prefix, absl::string_view start,
                                 const std::function<bool(absl::string_view, absl::string_view)>& visit) {
  if (forward) {
    it_->Seek(ToSlice(start));
  } else {
    it_->SeekForPrev(ToSlice(start));
  }
  for (; it_->Valid(); forward ? it_->Next() : it_->Prev()) {
    absl::string_view key = ToView(it_->key());
    if (!absl::StartsWith(key, prefix) || !visit(key, ToView(it_->value()))) break;
  }
  return FromRocks(it_->status(), "scanning the store");
}

absl::Status Store::Cursor::ScanFrom(absl::string_view prefix, absl::string_view start,
                                     const std::function<bool(absl::string_view, absl::string_view)>& visit) {
  return Scan(/*forward=*/true, prefix, start, visit);
}

absl::Status Store::Cursor::ScanBackFrom(absl::string_view prefix, absl::string_view start,
                                         const std::function<bool(absl::string_view, absl::string_view)>& visit) {
  return Scan(/*forward=*/false, prefix, start, visit);
}

absl::Status Store::Flush() {
  rocksdb::FlushOptions options;
  options.wait = true;
  return FromRocks(db_->Flush(options, handles_), "flushing the memtables");
}

absl::StatusOr<Store::CheckpointInfo> Store::Checkpoint(const std::string& dir) const {
  namespace fs = std::filesystem;
  const fs::path path(dir);
  std::error_code ec;
  if (!path.is_absolute()) return absl::InvalidArgumentError(absl::StrCat("the backup directory ", dir, " is not absolute"));
  if (fs::exists(path, ec)) {
    return absl::AlreadyExistsError(absl::StrCat("the backup directory ", dir, " exists; name a new one"));
  }
  if (!fs::is_directory(path.parent_path(), ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat("the backup directory's parent ", path.parent_path().string(), " is not a directory"));
  }
  rocksdb::Checkpoint* raw = nullptr;
  if (absl::Status s = FromRocks(rocksdb::Checkpoint::Create(db_, &raw), "starting a checkpoint"); !s.ok()) return s;
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  CheckpointInfo info;
  // RocksDB cleans up after its own failure; what follows is ours to undo.
  if (absl::Status s = FromRocks(checkpoint->CreateCheckpoint(dir, /*log_size_for_flush=*/0, &info.sequence),
                                 absl::StrCat("writing a checkpoint to ", dir));
      !s.ok()) {
    return s;
  }
  absl::Status s;
  {
    CommitMarks marks;
    s = marks.Append(dir, info.sequence, absl::ToUnixSeconds(absl::Now()));
  }
  if (s.ok()) {
    for (const fs::directory_entry& entry : fs::directory_iterator(path, ec)) {
      if (!entry.is_regular_file(ec)) continue;
      ++info.files;
      info.bytes += entry.file_size(ec);
    }
    if (ec) s = absl::InternalError(absl::StrCat("listing the checkpoint in ", dir, ": ", ec.message()));
  }
  if (!s.ok()) {
    fs::remove_all(path, ec);
    return s;
  }
  return info;
}

bool Store::WritesStopped() const {
  // The flag is the DB's, not a family's: any handle reads it.
  return Property(Family::kEvents, "rocksdb.is-write-stopped") == "1";
}

absl::Status Store::Compact(Family family) {
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  return FromRocks(db_->CompactRange(options, handles_[static_cast<int>(family)], nullptr, nullptr),
                   absl::StrCat("compacting ", FamilyName(family)));
}

std::string Store::Property(Family family, absl::string_view name) const {
  std::string value;
  db_->GetProperty(handles_[static_cast<int>(family)], ToSlice(name), &value);
  return value;
}

}  // namespace rapport
