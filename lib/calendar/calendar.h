// Business calendars: when a desk works, so that SLA clocks count working
// time as the ITSM tools do (ServiceNow schedules, JSM SLA calendars, Zendesk
// business hours).
//
// A calendar is
//   - an IANA time zone (absl::LoadTimeZone, which reads the system's tzdata),
//   - weekly working ranges in that zone's wall time: a day may have several,
//     [start, end) with minute precision, an end may be 24:00; a day without
//     ranges is off,
//   - holidays: one date, an inclusive range of dates, or a month-day every
//     year; a holiday has no working time at all.
//
// All instants are microseconds since the Unix epoch, so events stamped in any
// offset compare correctly; only the calendar's zone decides what "Monday
// 09:00" is.
//
// Daylight saving: a range's bounds are wall times of that day. A bound the
// clock skips (spring forward) is the transition instant; a bound the clock
// passes twice (fall back) is its first passage. Start and end use the same
// rule, so a day ending at 24:00 meets the next day's 00:00 exactly and a
// range across the change is as long as the clocks say (01:00-04:00 is two
// hours on the spring-forward night, four on the fall-back one).
//
// Cost: the working intervals of a year, with the working time before each,
// are computed once per calendar, the first time an operation needs that year
// (O(days) time-zone lookups, ~12 KB), and kept; an operation then costs a
// binary search in each year it touches plus a step per year crossed. Outside
// kFirstCachedYear..kLastCachedYear an operation walks the calendar day by day
// over the ranges it crosses (O(days crossed)), never minute by minute. A walk
// stops after kMaxWalkDays; a calendar must have working time in its week
// (Make refuses one without).
//
// AlwaysOpen() is the 24/7 calendar: its operations are the plain arithmetic
// Rapport used before calendars existed (WorkingTime(a, b) == b - a,
// Deadline(a, d) == a + d), bit for bit.
#ifndef RAPPORT_CALENDAR_CALENDAR_H_
#define RAPPORT_CALENDAR_CALENDAR_H_

#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace rapport::calendar {

// [start, end) in minutes since the local day's 00:00; end <= 24 * 60.
struct WorkingRange {
  int start_minute = 0;
  int end_minute = 0;
};

// A holiday: the days from `from` to `to` inclusive; with `annual`, only
// from's month and day matter and it recurs every year.
struct Holiday {
  absl::CivilDay from;
  absl::CivilDay to;
  bool annual = false;
};

// Working ranges per weekday, Monday first (absl::Weekday's order).
using WeeklyHours = std::array<std::vector<WorkingRange>, 7>;

// Deadline() when the walk found no such instant within kMaxWalkDays.
inline constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
inline constexpr int kMaxWalkDays = 4000;  // about eleven years
inline constexpr int kFirstCachedYear = 1970;
inline constexpr int kLastCachedYear = 2199;

class Calendar {
 public:
  // InvalidArgument naming the problem: an unknown zone, a range that is
  // empty or crosses midnight, overlapping ranges on a day, a holiday range
  // that ends before it starts, a week without working time.
  static absl::StatusOr<std::shared_ptr<const Calendar>> Make(std::string name, const std::string& time_zone,
                                                              WeeklyHours hours, std::vector<Holiday> holidays);
  // 24/7: no zone, no holidays, the identity arithmetic.
  static const Calendar& AlwaysOpen();

  const std::string& name() const { return name_; }
  bool always_open() const { return always_open_; }
  // Everything that decides the arithmetic — zone, ranges, holidays — in one
  // canonical line (ranges sorted, holidays in set order), for the settings
  // digest: two calendars with the same description count time alike.
  std::string Describe() const;

  // Working time between two instants; negative when `to_us` is before
  // `from_us` (-WorkingTime(to_us, from_us)).
  int64_t WorkingTime(int64_t from_us, int64_t to_us) const;
  // The last instant t with WorkingTime(start_us, t) <= working_us: when the
  // working time runs out at the end of a range, the deadline is the start
  // of the next one (the clock has not passed the target before then).
  // working_us < 0 (a target already overspent) gives start_us; kNever when
  // the walk ends first.
  int64_t Deadline(int64_t start_us, int64_t working_us) const;
  bool IsWorking(int64_t at_us) const;
  // `at_us` when it is working time, else the start of the next range
  // (kNever when the walk ends first).
  int64_t NextWorking(int64_t at_us) const;

  // "08:00-17:00" (24:00 allowed as an end).
  static absl::StatusOr<WorkingRange> ParseRange(absl::string_view text);
  // "mon" .. "sun" -> 0 .. 6; -1 for anything else.
  static int ParseWeekday(absl::string_view text);

 private:
  Calendar() = default;
  bool IsHoliday(absl::CivilDay day) const;
  // The day's working ranges as instants, in order, appended to `out`.
  void DayIntervals(absl::CivilDay day, std::vector<std::pair<int64_t, int64_t>>* out) const;
  int64_t Instant(absl::CivilDay day, int minute) const;
  // Calls visit(start, end) for each working interval ending after `from_us`
  // (clipped to start at it), in order, until visit returns false; returns
  // false when the walk ended at kMaxWalkDays instead.
  template <typename Visit>
  bool Walk(int64_t from_us, Visit visit) const;
  // The day-by-day versions, for instants outside the cached years.
  int64_t WalkWorkingTime(int64_t from_us, int64_t to_us) const;
  int64_t WalkDeadline(int64_t start_us, int64_t working_us) const;
  int64_t WalkNextWorking(int64_t at_us) const;

  // One year's working intervals in order; `before[i]` is the working time
  // of the year before interval i, `total` the year's. Every interval lies in
  // [start_us, end_us), the instants of the year's first and next year's
  // first local midnight.
  struct Year {
    int year = 0;
    int64_t start_us = 0, end_us = 0;
    std::vector<int64_t> starts, ends, before;
    int64_t total = 0;
    // Working time of the year before `at_us` (start_us <= at_us <= end_us).
    int64_t Before(int64_t at_us) const;
  };
  // The cached year holding `at_us`; null outside the cached years.
  const Year* YearOf(int64_t at_us) const;
  const Year& CachedYear(int year) const;  // kFirstCachedYear <= year <= kLastCachedYear

  std::string name_ = "24/7";
  bool always_open_ = true;
  absl::TimeZone zone_;
  WeeklyHours hours_;
  std::set<absl::CivilDay> holiday_days_;
  std::vector<std::pair<absl::CivilDay, absl::CivilDay>> holiday_ranges_;
  std::set<int> annual_;  // month * 100 + day

  static constexpr int kCachedYears = kLastCachedYear - kFirstCachedYear + 1;
  // Filled once each, on first use, by any thread: call_once orders the
  // fill before every read.
  mutable std::unique_ptr<std::once_flag[]> year_once_{new std::once_flag[kCachedYears]};
  mutable std::unique_ptr<Year[]> years_{new Year[kCachedYears]};
};

}  // namespace rapport::calendar

#endif  // RAPPORT_CALENDAR_CALENDAR_H_
