#include "calendar/calendar.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rapport::calendar {
namespace {

constexpr int kMinutesPerDay = 24 * 60;
constexpr const char* kWeekdays[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

std::string FormatMinute(int minute) {
  return absl::StrCat(minute / 60 < 10 ? "0" : "", minute / 60, ":", minute % 60 < 10 ? "0" : "", minute % 60);
}

// "HH:MM" -> minutes; -1 when it is not one (24:00 is allowed).
int ParseClock(absl::string_view text) {
  int h = 0, m = 0;
  if (text.size() != 5 || text[2] != ':' || !absl::SimpleAtoi(text.substr(0, 2), &h) ||
      !absl::SimpleAtoi(text.substr(3, 2), &m) || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0)) {
    return -1;
  }
  return h * 60 + m;
}

}  // namespace

const Calendar& Calendar::AlwaysOpen() {
  static const Calendar* always = new Calendar();
  return *always;
}

int Calendar::ParseWeekday(absl::string_view text) {
  for (int i = 0; i < 7; ++i) {
    if (text == kWeekdays[i]) return i;
  }
  return -1;
}

absl::StatusOr<WorkingRange> Calendar::ParseRange(absl::string_view text) {
  const size_t dash = text.find('-');
  const int start = dash == absl::string_view::npos ? -1 : ParseClock(text.substr(0, dash));
  const int end = dash == absl::string_view::npos ? -1 : ParseClock(text.substr(dash + 1));
  if (start < 0 || end < 0) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a working range like 08:00-17:00"));
  }
  if (start == kMinutesPerDay || end <= start) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", text, "' ends at or before it starts: a range may not cross midnight (split it, or end at 24:00)"));
  }
  return WorkingRange{start, end};
}

std::string Calendar::Describe() const {
  if (always_open_) return "24/7";
  std::string out = absl::StrCat("zone=", zone_.name());
  for (int day = 0; day < 7; ++day) {
    absl::StrAppend(&out, " ", kWeekdays[day], "=");
    for (const WorkingRange& r : hours_[day]) {
      absl::StrAppend(&out, FormatMinute(r.start_minute), "-", FormatMinute(r.end_minute), ",");
    }
  }
  absl::StrAppend(&out, " holidays=");
  for (absl::CivilDay day : holiday_days_) absl::StrAppend(&out, absl::FormatCivilTime(day), ",");
  std::vector<std::pair<absl::CivilDay, absl::CivilDay>> ranges = holiday_ranges_;
  std::sort(ranges.begin(), ranges.end());
  for (const auto& [from, to] : ranges) {
    absl::StrAppend(&out, absl::FormatCivilTime(from), "..", absl::FormatCivilTime(to), ",");
  }
  for (int month_day : annual_) absl::StrAppend(&out, "annual:", month_day, ",");
  return out;
}

absl::StatusOr<std::shared_ptr<const Calendar>> Calendar::Make(std::string name, const std::string& time_zone,
                                                               WeeklyHours hours, std::vector<Holiday> holidays) {
  std::shared_ptr<Calendar> c(new Calendar());
  c->name_ = std::move(name);
  c->always_open_ = false;
  if (!absl::LoadTimeZone(time_zone, &c->zone_)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown time zone '", time_zone, "' (an IANA name such as Europe/Berlin; the tzdata package provides them)"));
  }
  bool any = false;
  for (int day = 0; day < 7; ++day) {
    std::vector<WorkingRange>& ranges = hours[day];
    std::sort(ranges.begin(), ranges.end(),
              [](const WorkingRange& a, const WorkingRange& b) { return a.start_minute < b.start_minute; });
    for (size_t i = 0; i < ranges.size(); ++i) {
      const WorkingRange& r = ranges[i];
      if (r.start_minute < 0 || r.end_minute > kMinutesPerDay || r.end_minute <= r.start_minute) {
        return absl::InvalidArgumentError(absl::StrCat(kWeekdays[day], ": a range must end after it starts, by 24:00"));
      }
      if (i > 0 && r.start_minute < ranges[i - 1].end_minute) {
        return absl::InvalidArgumentError(absl::StrCat(
            kWeekdays[day], ": the ranges ", FormatMinute(ranges[i - 1].start_minute), "-",
            FormatMinute(ranges[i - 1].end_minute), " and ", FormatMinute(r.start_minute), "-",
            FormatMinute(r.end_minute), " overlap"));
      }
      any = true;
    }
  }
  if (!any) return absl::InvalidArgumentError("no working time in the week: a calendar needs at least one range");
  c->hours_ = std::move(hours);
  for (const Holiday& h : holidays) {
    if (h.annual) {
      c->annual_.insert(h.from.month() * 100 + h.from.day());
    } else if (h.to < h.from) {
      return absl::InvalidArgumentError(absl::StrCat("the holiday range ", absl::FormatCivilTime(h.from), " to ",
                                                     absl::FormatCivilTime(h.to), " ends before it starts"));
    } else if (h.to == h.from) {
      c->holiday_days_.insert(h.from);
    } else {
      c->holiday_ranges_.emplace_back(h.from, h.to);
    }
  }
  return std::shared_ptr<const Calendar>(std::move(c));
}

bool Calendar::IsHoliday(absl::CivilDay day) const {
  if (holiday_days_.count(day) != 0 || annual_.count(day.month() * 100 + day.day()) != 0) return true;
  for (const auto& [from, to] : holiday_ranges_) {
    if (from <= day && day <= to) return true;
  }
  return false;
}

int64_t Calendar::Instant(absl::CivilDay day, int minute) const {
  const absl::TimeZone::TimeInfo info = zone_.At(absl::CivilSecond(day) + int64_t{minute} * 60);
  return absl::ToUnixMicros(info.kind == absl::TimeZone::TimeInfo::SKIPPED ? info.trans : info.pre);
}

void Calendar::DayIntervals(absl::CivilDay day, std::vector<std::pair<int64_t, int64_t>>* out) const {
  const std::vector<WorkingRange>& ranges = hours_[static_cast<int>(absl::GetWeekday(day))];
  if (ranges.empty() || IsHoliday(day)) return;
  for (const WorkingRange& r : ranges) {
    const int64_t start = Instant(day, r.start_minute);
    const int64_t end = Instant(day, r.end_minute);
    if (end > start) out->emplace_back(start, end);  // a range inside a skipped hour is empty
  }
}

template <typename Visit>
bool Calendar::Walk(int64_t from_us, Visit visit) const {
  // From the day before: with a repeated midnight, an instant's local date
  // can be the day before the one whose ranges hold it.
  absl::CivilDay day = absl::ToCivilDay(absl::FromUnixMicros(from_us), zone_) - 1;
  std::vector<std::pair<int64_t, int64_t>> intervals;
  for (int n = 0; n < kMaxWalkDays; ++n, ++day) {
    intervals.clear();
    DayIntervals(day, &intervals);
    for (const auto& [start, end] : intervals) {
      if (end <= from_us) continue;
      if (!visit(std::max(start, from_us), end)) return true;
    }
  }
  return false;
}

const Calendar::Year& Calendar::CachedYear(int year) const {
  const int slot = year - kFirstCachedYear;
  std::call_once(year_once_[slot], [this, year, slot] {
    Year& y = years_[slot];
    y.year = year;
    y.start_us = Instant(absl::CivilDay(year, 1, 1), 0);
    y.end_us = Instant(absl::CivilDay(year + 1, 1, 1), 0);
    std::vector<std::pair<int64_t, int64_t>> intervals;
    for (absl::CivilDay day(year, 1, 1); day.year() == year; ++day) DayIntervals(day, &intervals);
    for (const auto& [start, end] : intervals) {
      y.starts.push_back(start);
      y.ends.push_back(end);
      y.before.push_back(y.total);
      y.total += end - start;
    }
  });
  return years_[slot];
}

int64_t Calendar::Year::Before(int64_t at_us) const {
  // The last interval starting at or before at_us.
  const size_t i = std::upper_bound(starts.begin(), starts.end(), at_us) - starts.begin();
  if (i == 0) return 0;
  return before[i - 1] + std::min(at_us, ends[i - 1]) - starts[i - 1];
}

const Calendar::Year* Calendar::YearOf(int64_t at_us) const {
  int year = static_cast<int>(absl::ToCivilYear(absl::FromUnixMicros(at_us), zone_).year());
  if (year < kFirstCachedYear || year > kLastCachedYear) return nullptr;
  const Year* y = &CachedYear(year);
  // A repeated or skipped local midnight can put an instant's civil year
  // across from the year whose intervals hold it.
  if (at_us < y->start_us) {
    if (year == kFirstCachedYear) return nullptr;
    y = &CachedYear(year - 1);
  } else if (at_us >= y->end_us) {
    if (year == kLastCachedYear) return nullptr;
    y = &CachedYear(year + 1);
  }
  return y;
}

int64_t Calendar::WorkingTime(int64_t from_us, int64_t to_us) const {
  if (always_open_) return to_us - from_us;
  if (to_us < from_us) return -WorkingTime(to_us, from_us);
  const Year* from = YearOf(from_us);
  const Year* to = YearOf(to_us);
  if (from == nullptr || to == nullptr) return WalkWorkingTime(from_us, to_us);
  int64_t total = to->Before(to_us) - from->Before(from_us);
  for (const Year* y = from; y != to; y = &CachedYear(y->year + 1)) total += y->total;
  return total;
}

int64_t Calendar::Deadline(int64_t start_us, int64_t working_us) const {
  if (always_open_) return start_us + working_us;
  if (working_us < 0) return start_us;
  const Year* y = YearOf(start_us);
  if (y == nullptr) return WalkDeadline(start_us, working_us);
  // The working time to find, counted from the start of y.
  int64_t need = y->Before(start_us) + working_us;
  for (;;) {
    // The first interval that ends with more than `need` before its end:
    // a target spent exactly at an interval's end is due at the next start.
    // Over the starts, each found by its index (not std::views::iota: clang
    // 14, which scripts/fuzz builds with, cannot compile libstdc++ 12's).
    const auto first = y->starts.begin();
    const size_t i = static_cast<size_t>(std::partition_point(first, y->starts.end(), [&](const int64_t& start) {
      const size_t k = static_cast<size_t>(&start - &*first);
      return y->before[k] + (y->ends[k] - start) <= need;
    }) - first);
    if (i < y->starts.size()) return y->starts[i] + (need - y->before[i]);
    need -= y->total;
    if (y->year == kLastCachedYear) return WalkDeadline(y->end_us, need);
    y = &CachedYear(y->year + 1);
  }
}

int64_t Calendar::NextWorking(int64_t at_us) const {
  if (always_open_) return at_us;
  const Year* y = YearOf(at_us);
  if (y == nullptr) return WalkNextWorking(at_us);
  for (;;) {
    // The first interval ending after at_us.
    const size_t i = std::upper_bound(y->ends.begin(), y->ends.end(), at_us) - y->ends.begin();
    if (i < y->ends.size()) return std::max(y->starts[i], at_us);
    if (y->year == kLastCachedYear) return WalkNextWorking(std::max(at_us, y->end_us));
    y = &CachedYear(y->year + 1);
  }
}

int64_t Calendar::WalkWorkingTime(int64_t from_us, int64_t to_us) const {
  int64_t total = 0;
  Walk(from_us, [&](int64_t start, int64_t end) {
    if (start >= to_us) return false;
    total += std::min(end, to_us) - start;
    return end < to_us;
  });
  return total;
}

int64_t Calendar::WalkDeadline(int64_t start_us, int64_t working_us) const {
  int64_t left = working_us;
  int64_t at = kNever;
  Walk(start_us, [&](int64_t start, int64_t end) {
    if (left < end - start) {
      at = start + left;
      return false;
    }
    left -= end - start;
    return true;
  });
  return at;
}

int64_t Calendar::WalkNextWorking(int64_t at_us) const {
  int64_t next = kNever;
  Walk(at_us, [&](int64_t start, int64_t) {
    next = start;
    return false;
  });
  return next;
}

bool Calendar::IsWorking(int64_t at_us) const { return NextWorking(at_us) == at_us; }

}  // namespace rapport::calendar
