// CommitMarks: Rapport's own record, kept outside RocksDB's write-ahead log,
// of how far the store's acknowledged commits reached, so that a damaged WAL
// cannot lose acknowledged writes in silence.
//
// RocksDB recovers a WAL up to its first damaged or missing record and says
// nothing about what it dropped (a cut on a record boundary is not even an
// error). So the store writes, about once a second and when it closes, the
// sequence number of its newest commit into a small file beside its tables
// (after syncing the WAL up to it); at the next open the sequence number
// RocksDB recovered is compared with the newest mark:
//
//   marks = CommitMarks::Read(dir)      // before RocksDB opens the store
//   report = marks.Compare(recovered)   // after: what, if anything, is missing
//   CommitMarks::Append(dir, seq, now)  // the ticker and Close()
//
// Sequence numbers count single writes (one per key a WriteBatch touches), so
// a shortfall is a count of writes, not of events. The file keeps the last
// kKept marks with their wall-clock times, which tells an operator when the
// lost writes were acknowledged.
#ifndef RAPPORT_STORE_COMMIT_MARKS_H_
#define RAPPORT_STORE_COMMIT_MARKS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rapport {

// What opening a store found, compared with the marks it had left.
struct RecoveryReport {
  bool marked = false;              // a mark existed to compare with
  uint64_t expected_sequence = 0;   // the newest commit the marks record
  uint64_t recovered_sequence = 0;  // the newest commit RocksDB recovered
  // Known bounds (Unix seconds, 0: unknown) of when the missing writes were
  // acknowledged: after `lost_after`, no later than `lost_before`.
  int64_t lost_after = 0;
  int64_t lost_before = 0;

  uint64_t missing_writes() const {
    return expected_sequence > recovered_sequence ? expected_sequence - recovered_sequence : 0;
  }
  bool complete() const { return missing_writes() == 0; }
  // One line for logs and errors: what is missing and since when.
  std::string Describe() const;
};

class CommitMarks {
 public:
  static constexpr const char* kFileName = "RAPPORT-COMMITS";
  static constexpr size_t kKept = 64;

  struct Mark {
    uint64_t sequence = 0;
    int64_t unix_seconds = 0;
  };

  // The marks of the store in `dir`; none when the file does not exist (a new
  // store, or one written before marks existed). DataLoss when it is unreadable.
  static absl::StatusOr<CommitMarks> Read(const std::string& dir);

  // Adds a mark and rewrites the file atomically and durably (temporary file,
  // fsync, rename, fsync of the directory). `sequence` must be durable in the
  // WAL before it is marked. Marks older than the last kKept are dropped, as
  // are marks above `sequence` (a store that recovered less starts over from
  // what it has).
  absl::Status Append(const std::string& dir, uint64_t sequence, int64_t unix_seconds);

  RecoveryReport Compare(uint64_t recovered_sequence) const;
  const std::vector<Mark>& marks() const { return marks_; }

 private:
  std::vector<Mark> marks_;  // oldest first
};

}  // namespace rapport

#endif  // RAPPORT_STORE_COMMIT_MARKS_H_
