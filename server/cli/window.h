// The one meaning of a window in every `rapport` command that takes one
// (findings, score, top, explain). Rapport analyses event time, so a window
// is event time too, and "the last 30 days" are the tenant's, counted back
// from its latest event (its watermark) as scores count them, never from the
// wall clock: a store loaded from last year's export answers the same today
// as then.
//
//   --window 30d | 12h | 90m   the last N whole days, hours or minutes (UTC),
//                              the last of them the one that holds the
//                              tenant's latest event: [end - N units, end)
//                              with end the start of the unit after it.
//   --window A..B              [A, B); A and B are dates (2026-01-01, the
//                              start of that day, UTC) or RFC 3339 times
//                              (2026-01-01T08:00:00Z, 2026-01-01T10:00:00+02:00).
//   --since A, --until B       the same as --window A..B with either end open.
//
// --window and --since/--until are two spellings of one thing: giving both
// is a usage error. Scores are kept per day, so a score window counts the
// whole days it touches.
#ifndef RAPPORT_CLI_WINDOW_H_
#define RAPPORT_CLI_WINDOW_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rapport/v1/events.pb.h"
#include "server/cli/args.h"

namespace rapport::cli {

// A window as written: either `count` units of `unit_us` back from the
// tenant's latest event, or absolute ends (either may be open).
struct WindowSpec {
  int64_t count = 0;  // 0: absolute
  int64_t unit_us = 0;
  std::optional<int64_t> start_us, end_us;

  bool relative() const { return count > 0; }
  // The window in event time; `latest_us` (the tenant's latest event) is
  // read only by a relative window.
  v1::Window Resolve(int64_t latest_us) const;
};

// "30d", "12h", "90m" or "A..B" (see above). InvalidArgument says what is
// accepted.
absl::StatusOr<WindowSpec> ParseWindow(absl::string_view text);

// A date (the start of that day, UTC) or an RFC 3339 time, in microseconds.
absl::StatusOr<int64_t> ParseInstant(absl::string_view text);

// The flags every windowed command takes.
inline const std::set<std::string> kWindowFlags = {"window", "since", "until"};

// The window `args` give (--window, or --since/--until), resolved against
// the tenant's latest event when relative (one AdminService.GetStats call).
// Leaves `window` unset when no flag is given. On failure prints the error
// prefixed with "rapport `command`:" and returns the exit code (2 for bad
// input); 0 on success.
int WindowFromArgs(const Args& args, const char* command, v1::Window* window);

}  // namespace rapport::cli

#endif  // RAPPORT_CLI_WINDOW_H_
