// The one window parser of the `rapport` commands (server/cli/window.h):
// lengths back from the tenant's latest event, absolute ranges, and the
// errors for everything else.
#include "server/cli/window.h"

#include <gtest/gtest.h>

#include "absl/time/time.h"
#include "event/event.h"

namespace rapport::cli {
namespace {

int64_t Utc(int year, int month, int day, int hour = 0, int minute = 0, int second = 0) {
  return absl::ToUnixMicros(absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, second),
                                            absl::UTCTimeZone()));
}

// [start, end) of `text` resolved with the latest event at 2026-09-14 10:30:15.
std::pair<int64_t, int64_t> Resolved(const std::string& text) {
  auto spec = ParseWindow(text);
  EXPECT_TRUE(spec.ok()) << text << ": " << spec.status();
  if (!spec.ok()) return {0, 0};
  v1::Window w = spec->Resolve(Utc(2026, 9, 14, 10, 30, 15));
  return {w.has_start() ? ToMicros(w.start()) : -1, w.has_end() ? ToMicros(w.end()) : -1};
}

TEST(WindowTest, ALengthCountsWholeUnitsBackFromTheLatestEvent) {
  // Days as scores count them: the latest event's day is the last one.
  EXPECT_EQ(Resolved("30d"), std::make_pair(Utc(2026, 8, 16), Utc(2026, 9, 15)));
  EXPECT_EQ(Resolved("1d"), std::make_pair(Utc(2026, 9, 14), Utc(2026, 9, 15)));
  EXPECT_EQ(Resolved("12h"), std::make_pair(Utc(2026, 9, 13, 23), Utc(2026, 9, 14, 11)));
  EXPECT_EQ(Resolved("90m"), std::make_pair(Utc(2026, 9, 14, 9, 1), Utc(2026, 9, 14, 10, 31)));
}

TEST(WindowTest, ARangeTakesDatesOrRfc3339Times) {
  EXPECT_EQ(Resolved("2026-01-01..2026-02-01"), std::make_pair(Utc(2026, 1, 1), Utc(2026, 2, 1)));
  EXPECT_EQ(Resolved("2026-01-01T08:00:00Z..2026-01-01T12:30:00+02:00"),
            std::make_pair(Utc(2026, 1, 1, 8), Utc(2026, 1, 1, 10, 30)));
  EXPECT_EQ(Resolved("2026-01-01..2026-01-01T06:00:00Z"), std::make_pair(Utc(2026, 1, 1), Utc(2026, 1, 1, 6)));
  auto spec = ParseWindow("2026-01-01..2026-02-01");
  ASSERT_TRUE(spec.ok());
  EXPECT_FALSE(spec->relative());
}

TEST(WindowTest, BadInputSaysWhatIsAccepted) {
  for (const char* bad : {"", "30", "d", "0d", "-3d", "30x", "3.5d", "30D", "99999999999d", "..",
                          "2026-01-01..", "..2026-01-01", "2026-13-01..2026-02-01", "yesterday..today",
                          "2026-01-01..2026-02-01..2026-03-01"}) {
    auto spec = ParseWindow(bad);
    EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument) << "'" << bad << "'";
    EXPECT_NE(spec.status().message().find("30d, 12h, 90m"), absl::string_view::npos) << spec.status();
  }
  for (const char* backwards : {"2026-02-01..2026-01-01", "2026-01-01..2026-01-01"}) {
    auto spec = ParseWindow(backwards);
    EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument) << backwards;
    EXPECT_NE(spec.status().message().find("ends before it starts"), absl::string_view::npos) << spec.status();
  }
  EXPECT_FALSE(ParseInstant("0000-12-31").ok());
  EXPECT_TRUE(ParseInstant("9999-12-31").ok());
}

}  // namespace
}  // namespace rapport::cli
