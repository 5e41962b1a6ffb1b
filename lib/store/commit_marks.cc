#include "store/commit_marks.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace rapport {
namespace {

constexpr absl::string_view kHeader = "rapport commit marks v1";

std::string UtcTime(int64_t unix_seconds) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(unix_seconds), absl::UTCTimeZone());
}

absl::Status ErrnoError(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status SyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags);
  if (fd < 0) return ErrnoError("cannot open", path);
  int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? absl::OkStatus() : ErrnoError("cannot fsync", path);
}

}  // namespace

std::string RecoveryReport::Describe() const {
  if (!marked) return "no commit marks to compare with (a new store, or one from an older rapportd)";
  if (complete()) return absl::StrCat("every acknowledged write recovered (sequence ", recovered_sequence, ")");
  std::string when;
  if (lost_after > 0) absl::StrAppend(&when, " after ", UtcTime(lost_after));
  if (lost_before > 0) absl::StrAppend(&when, lost_after > 0 ? " and" : "", " no later than ", UtcTime(lost_before));
  return absl::StrCat(missing_writes(), " acknowledged writes are missing from the write-ahead log (sequence ",
                      recovered_sequence + 1, "..", expected_sequence, ", acknowledged", when,
                      "): re-send what the sources sent in that time, or restore a backup");
}

absl::StatusOr<CommitMarks> CommitMarks::Read(const std::string& dir) {
  const std::string path = absl::StrCat(dir, "/", kFileName);
  CommitMarks marks;
  std::ifstream in(path);
  if (!in) return marks;
  std::string line;
  if (!std::getline(in, line) || line != kHeader) {
    return absl::DataLossError(absl::StrCat(path, " is not a commit-marks file (first line '", line, "')"));
  }
  int line_number = 1;
  while (std::getline(in, line)) {
    ++line_number;
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    Mark mark;
    if (fields.size() != 2 || !absl::SimpleAtoi(fields[0], &mark.sequence) ||
        !absl::SimpleAtoi(fields[1], &mark.unix_seconds)) {
      return absl::DataLossError(absl::StrCat(path, ":", line_number, ": not '<sequence> <unix seconds>'"));
    }
    marks.marks_.push_back(mark);
  }
  return marks;
}

absl::Status CommitMarks::Append(const std::string& dir, uint64_t sequence, int64_t unix_seconds) {
  while (!marks_.empty() && marks_.back().sequence > sequence) marks_.pop_back();
  if (marks_.empty() || marks_.back().sequence != sequence) marks_.push_back({sequence, unix_seconds});
  if (marks_.size() > kKept) marks_.erase(marks_.begin(), marks_.end() - kKept);

  std::ostringstream text;
  text << kHeader << "\n";
  for (const Mark& mark : marks_) text << mark.sequence << " " << mark.unix_seconds << "\n";
  const std::string contents = text.str();
  const std::string path = absl::StrCat(dir, "/", kFileName);
  const std::string temporary = path + ".tmp";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("cannot create", temporary);
  bool written = ::write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size());
  bool synced = written && ::fsync(fd) == 0;
  ::close(fd);
  if (!written || !synced) return ErrnoError("cannot write", temporary);
  if (std::rename(temporary.c_str(), path.c_str()) != 0) return ErrnoError("cannot rename", temporary);
  return SyncPath(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

RecoveryReport CommitMarks::Compare(uint64_t recovered_sequence) const {
  RecoveryReport report;
  report.recovered_sequence = recovered_sequence;
  if (marks_.empty()) return report;
  report.marked = true;
  report.expected_sequence = marks_.back().sequence;
  if (report.complete()) return report;
  report.lost_before = marks_.back().unix_seconds;
  // The newest mark the store still reaches: the lost writes came after it.
  for (auto it = marks_.rbegin(); it != marks_.rend(); ++it) {
    if (it->sequence <= recovered_sequence) {
      report.lost_after = it->unix_seconds;
      break;
    }
  }
  return report;
}

}  // namespace rapport
