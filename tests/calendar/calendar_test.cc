// Calendar arithmetic on the edges, against instants computed by hand (the
// expected values are UTC; the comments give the local wall time).
#include "calendar/calendar.h"

#include <random>

#include "gtest/gtest.h"

namespace rapport::calendar {
namespace {

constexpr int64_t kMinute = 60'000'000;
constexpr int64_t kHour = 60 * kMinute;

int64_t Utc(int y, int mo, int d, int h, int mi) {
  return absl::ToUnixMicros(absl::FromCivil(absl::CivilMinute(y, mo, d, h, mi), absl::UTCTimeZone()));
}

int64_t Rfc3339(const std::string& text) {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, text, &t, &error)) << error;
  return absl::ToUnixMicros(t);
}

WeeklyHours NineToFive() {
  WeeklyHours hours;
  for (int day = 0; day < 5; ++day) hours[day] = {{9 * 60, 17 * 60}};
  return hours;
}

std::shared_ptr<const Calendar> Make(const std::string& zone, WeeklyHours hours, std::vector<Holiday> holidays = {}) {
  auto c = Calendar::Make("desk", zone, std::move(hours), std::move(holidays));
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

Holiday Day(int y, int m, int d) { return {absl::CivilDay(y, m, d), absl::CivilDay(y, m, d), false}; }

TEST(Calendar, RangeEndingAtFiveExactly) {
  auto berlin = Make("Europe/Berlin", NineToFive());
  // Tue 2026-12-01 16:00 CET + 1h ends at 17:00; the deadline is the next
  // working instant, Wed 09:00 CET, when the clock passes the target.
  EXPECT_EQ(berlin->Deadline(Utc(2026, 12, 1, 15, 0), kHour), Utc(2026, 12, 2, 8, 0));
  EXPECT_EQ(berlin->WorkingTime(Utc(2026, 12, 1, 15, 0), Utc(2026, 12, 2, 8, 0)), kHour);
  EXPECT_EQ(berlin->Deadline(Utc(2026, 12, 1, 15, 0), 30 * kMinute), Utc(2026, 12, 1, 15, 30));
  EXPECT_TRUE(berlin->IsWorking(Utc(2026, 12, 1, 15, 59)));
  EXPECT_FALSE(berlin->IsWorking(Utc(2026, 12, 1, 16, 0)));  // 17:00 is not working time
  EXPECT_TRUE(berlin->IsWorking(Utc(2026, 12, 1, 8, 0)));    // 09:00 is
}

TEST(Calendar, StartOutsideWorkingHours) {
  auto berlin = Make("Europe/Berlin", NineToFive());
  // Tue 06:00 CET: nothing counts before 09:00.
  EXPECT_EQ(berlin->NextWorking(Utc(2026, 12, 1, 5, 0)), Utc(2026, 12, 1, 8, 0));
  EXPECT_EQ(berlin->Deadline(Utc(2026, 12, 1, 5, 0), 30 * kMinute), Utc(2026, 12, 1, 8, 30));
  EXPECT_EQ(berlin->WorkingTime(Utc(2026, 12, 1, 5, 0), Utc(2026, 12, 1, 7, 59)), 0);
  // Opened Tue 20:00 and answered Wed 07:00: no working time at all.
  EXPECT_EQ(berlin->WorkingTime(Utc(2026, 12, 1, 19, 0), Utc(2026, 12, 2, 6, 0)), 0);
  EXPECT_EQ(berlin->WorkingTime(Utc(2026, 12, 2, 6, 0), Utc(2026, 12, 1, 15, 0)), -kHour);
}

TEST(Calendar, FridayToMonday) {
  auto berlin = Make("Europe/Berlin", NineToFive());
  // Fri 2026-12-04 16:30 CET + 1h: 30 min on Friday, 30 on Monday.
  EXPECT_EQ(berlin->Deadline(Utc(2026, 12, 4, 15, 30), kHour), Utc(2026, 12, 7, 8, 30));
  EXPECT_EQ(berlin->WorkingTime(Utc(2026, 12, 4, 15, 30), Utc(2026, 12, 7, 8, 20)), 50 * kMinute);
  // A pause from Friday 15:00 to Monday 10:00 holds two working hours.
  EXPECT_EQ(berlin->WorkingTime(Utc(2026, 12, 4, 14, 0), Utc(2026, 12, 7, 9, 0)), 3 * kHour);
}

TEST(Calendar, EventsInOtherOffsets) {
  auto berlin = Make("Europe/Berlin", NineToFive());
  // The same instant written in three offsets: Fri 16:30 in Berlin.
  const int64_t a = Rfc3339("2026-12-04T10:30:00-05:00");
  const int64_t b = Rfc3339("2026-12-05T00:30:00+09:00");
  EXPECT_EQ(a, Utc(2026, 12, 4, 15, 30));
  EXPECT_EQ(b, a);
  EXPECT_EQ(berlin->Deadline(a, kHour), Rfc3339("2026-12-07T09:30:00+01:00"));
  EXPECT_EQ(berlin->WorkingTime(a, Rfc3339("2026-12-07T03:20:00-05:00")), 50 * kMinute);
}

TEST(Calendar, SpringForwardInBerlinAndNewYork) {
  // Berlin: Sun 2026-03-29 02:00 CET -> 03:00 CEST. Fri 16:30 CET + 1h is
  // Mon 09:30 CEST, 07:30 UTC.
  auto berlin = Make("Europe/Berlin", NineToFive());
  EXPECT_EQ(berlin->Deadline(Utc(2026, 3, 27, 15, 30), kHour), Utc(2026, 3, 30, 7, 30));
  // New York: Sun 2026-03-08 02:00 EST -> 03:00 EDT. Fri 16:30 EST (21:30Z)
  // + 1h is Mon 09:30 EDT, 13:30 UTC.
  auto new_york = Make("America/New_York", NineToFive());
  EXPECT_EQ(new_york->Deadline(Utc(2026, 3, 6, 21, 30), kHour), Utc(2026, 3, 9, 13, 30));

  // A desk working all Sunday: that day has 23 hours; a 1-hour target from
  // 01:30 CET lands at 03:30 CEST, 01:30 UTC.
  WeeklyHours sunday;
  sunday[6] = {{0, 24 * 60}};
  auto berlin_sunday = Make("Europe/Berlin", sunday);
  EXPECT_EQ(berlin_sunday->WorkingTime(Utc(2026, 3, 28, 23, 0), Utc(2026, 3, 29, 22, 0)), 23 * kHour);
  EXPECT_EQ(berlin_sunday->Deadline(Utc(2026, 3, 29, 0, 30), kHour), Utc(2026, 3, 29, 1, 30));
  // A range across the gap: 01:00-04:00 is two hours that night.
  WeeklyHours night;
  night[6] = {{60, 4 * 60}};
  EXPECT_EQ(Make("Europe/Berlin", night)->WorkingTime(Utc(2026, 3, 28, 0, 0), Utc(2026, 3, 30, 0, 0)), 2 * kHour);
  // A bound inside the gap is the transition: New York 02:30-03:30 on
  // 2026-03-08 runs from 03:00 EDT (07:00Z) to 03:30 EDT (07:30Z).
  WeeklyHours gap;
  gap[6] = {{150, 210}};
  auto ny_gap = Make("America/New_York", gap);
  EXPECT_EQ(ny_gap->NextWorking(Utc(2026, 3, 8, 0, 0)), Utc(2026, 3, 8, 7, 0));
  EXPECT_EQ(ny_gap->WorkingTime(Utc(2026, 3, 8, 0, 0), Utc(2026, 3, 9, 0, 0)), 30 * kMinute);
}

TEST(Calendar, FallBackInBerlinAndNewYork) {
  // Berlin: Sun 2026-10-25 03:00 CEST -> 02:00 CET. Fri 16:30 CEST (14:30Z)
  // + 1h is Mon 09:30 CET, 08:30 UTC.
  auto berlin = Make("Europe/Berlin", NineToFive());
  EXPECT_EQ(berlin->Deadline(Utc(2026, 10, 23, 14, 30), kHour), Utc(2026, 10, 26, 8, 30));
  // New York: Sun 2026-11-01 02:00 EDT -> 01:00 EST. Fri 16:30 EDT (20:30Z)
  // + 1h is Mon 09:30 EST, 14:30 UTC.
  auto new_york = Make("America/New_York", NineToFive());
  EXPECT_EQ(new_york->Deadline(Utc(2026, 10, 30, 20, 30), kHour), Utc(2026, 11, 2, 14, 30));

  WeeklyHours sunday;
  sunday[6] = {{0, 24 * 60}};
  // That Sunday has 25 hours: 00:00 CEST (22:00Z on the 24th) to 24:00 CET
  // (23:00Z on the 25th).
  EXPECT_EQ(Make("Europe/Berlin", sunday)->WorkingTime(Utc(2026, 10, 24, 0, 0), Utc(2026, 10, 27, 0, 0)),
            25 * kHour);
  // A 1-hour target from 01:30 EDT (05:30Z) in New York lands at the second
  // 01:30, now EST (06:30Z).
  EXPECT_EQ(Make("America/New_York", sunday)->Deadline(Utc(2026, 11, 1, 5, 30), kHour), Utc(2026, 11, 1, 6, 30));
  // A bound passed twice is its first passage: 01:30-02:30 runs from 01:30
  // EDT (05:30Z) to 02:30 EST (07:30Z), two hours.
  WeeklyHours twice;
  twice[6] = {{90, 150}};
  EXPECT_EQ(Make("America/New_York", twice)->WorkingTime(Utc(2026, 10, 31, 0, 0), Utc(2026, 11, 2, 0, 0)), 2 * kHour);
}

TEST(Calendar, LeapDay) {
  // 2028-02-29 is a Tuesday. Mon 28th 16:00 CET + 16h: 1h Monday, 8h on the
  // 29th, 7h Wednesday -> Wed 2028-03-01 16:00 CET.
  auto berlin = Make("Europe/Berlin", NineToFive());
  EXPECT_EQ(berlin->Deadline(Utc(2028, 2, 28, 15, 0), 16 * kHour), Utc(2028, 3, 1, 15, 0));
  EXPECT_EQ(berlin->WorkingTime(Utc(2028, 2, 28, 0, 0), Utc(2028, 3, 2, 0, 0)), 24 * kHour);
  // The leap day as a holiday moves it a day further.
  auto off = Make("Europe/Berlin", NineToFive(), {Day(2028, 2, 29)});
  EXPECT_EQ(off->Deadline(Utc(2028, 2, 28, 15, 0), 16 * kHour), Utc(2028, 3, 2, 15, 0));
  EXPECT_FALSE(off->IsWorking(Utc(2028, 2, 29, 10, 0)));
}

TEST(Calendar, HolidaysOneDayRangeAndAnnual) {
  std::vector<Holiday> holidays = {Day(2026, 12, 24),
                                   {absl::CivilDay(2000, 12, 25), absl::CivilDay(2000, 12, 25), true},
                                   {absl::CivilDay(2026, 12, 28), absl::CivilDay(2026, 12, 31), false}};
  auto berlin = Make("Europe/Berlin", NineToFive(), holidays);
  // Thu 2026-12-24 is a weekday holiday, Fri 25th the annual one, 28th-31st
  // a range: Wed 23rd 16:30 CET + 1h lands on Fri 2027-01-01 09:30 CET.
  EXPECT_EQ(berlin->Deadline(Utc(2026, 12, 23, 15, 30), kHour), Utc(2027, 1, 1, 8, 30));
  EXPECT_EQ(berlin->NextWorking(Utc(2026, 12, 24, 9, 0)), Utc(2027, 1, 1, 8, 0));
  // Opened on the holiday: the clock starts the next working morning.
  EXPECT_EQ(berlin->Deadline(Utc(2026, 12, 24, 10, 0), kHour), Utc(2027, 1, 1, 9, 0));
  // The annual holiday recurs (Wed 2030-12-25); the one-day one does not.
  EXPECT_FALSE(berlin->IsWorking(Utc(2030, 12, 25, 10, 0)));
  EXPECT_TRUE(berlin->IsWorking(Utc(2030, 12, 24, 10, 0)));
}

TEST(Calendar, RangeEndingAtMidnight) {
  WeeklyHours hours;
  hours[0] = {{20 * 60, 24 * 60}};  // Monday 20:00-24:00
  hours[1] = {{0, 4 * 60}};         // Tuesday 00:00-04:00
  auto night = Make("Europe/Berlin", hours);
  // Mon 2026-11-30 23:30 CET + 1h runs through midnight to Tue 00:30 CET.
  EXPECT_EQ(night->Deadline(Utc(2026, 11, 30, 22, 30), kHour), Utc(2026, 11, 30, 23, 30));
  EXPECT_EQ(night->WorkingTime(Utc(2026, 11, 30, 19, 0), Utc(2026, 12, 1, 3, 0)), 8 * kHour);
  // Exactly 30 minutes before midnight lands at midnight itself, which is working time.
  EXPECT_EQ(night->Deadline(Utc(2026, 11, 30, 22, 30), 30 * kMinute), Utc(2026, 11, 30, 23, 0));
  EXPECT_TRUE(night->IsWorking(Utc(2026, 11, 30, 23, 0)));
}

TEST(Calendar, SeveralRangesADay) {
  WeeklyHours hours;
  for (int day = 0; day < 5; ++day) hours[day] = {{13 * 60, 17 * 60}, {8 * 60, 12 * 60}};  // unordered on purpose
  auto split = Make("Europe/Berlin", hours);
  // Tue 2026-12-01 11:30 CET + 1h: 30 min before lunch, 30 after.
  EXPECT_EQ(split->Deadline(Utc(2026, 12, 1, 10, 30), kHour), Utc(2026, 12, 1, 12, 30));
  EXPECT_FALSE(split->IsWorking(Utc(2026, 12, 1, 11, 30)));
}

TEST(Calendar, AlwaysOpenIsTheIdentity) {
  const Calendar& always = Calendar::AlwaysOpen();
  EXPECT_TRUE(always.always_open());
  std::mt19937_64 rng(7);
  for (int i = 0; i < 1000; ++i) {
    const int64_t a = static_cast<int64_t>(rng() % (int64_t{1} << 52));
    const int64_t d = static_cast<int64_t>(rng() % (int64_t{1} << 40)) - (int64_t{1} << 39);
    EXPECT_EQ(always.WorkingTime(a, a + d), d);
    EXPECT_EQ(always.Deadline(a, d), a + d);
    EXPECT_TRUE(always.IsWorking(a));
  }
}

TEST(Calendar, ConfigurationErrors) {
  auto missing = Calendar::Make("x", "Mars/Olympus_Mons", NineToFive(), {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("unknown time zone 'Mars/Olympus_Mons'"), std::string::npos);
  WeeklyHours overlap;
  overlap[2] = {{8 * 60, 12 * 60}, {11 * 60, 17 * 60}};
  auto o = Calendar::Make("x", "UTC", overlap, {});
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("wed: the ranges 08:00-12:00 and 11:00-17:00 overlap"), std::string::npos);
  EXPECT_FALSE(Calendar::Make("x", "UTC", WeeklyHours{}, {}).ok());
  EXPECT_FALSE(Calendar::Make("x", "UTC", NineToFive(),
                              {{absl::CivilDay(2026, 12, 31), absl::CivilDay(2026, 12, 1), false}})
                   .ok());
  auto crossing = Calendar::ParseRange("22:00-02:00");
  ASSERT_FALSE(crossing.ok());
  EXPECT_NE(crossing.status().message().find("may not cross midnight"), std::string::npos);
  EXPECT_FALSE(Calendar::ParseRange("9-17").ok());
  EXPECT_FALSE(Calendar::ParseRange("09:00-24:30").ok());
  auto late = Calendar::ParseRange("09:00-24:00");
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(late->end_minute, 24 * 60);
  EXPECT_EQ(Calendar::ParseWeekday("sun"), 6);
  EXPECT_EQ(Calendar::ParseWeekday("sunday"), -1);
}

// Minute by minute, from the definition: a minute works when its wall time
// in the zone falls in a range of its local day and that day is no holiday.
// (Ranges here stay clear of the hours a DST change repeats or skips, where
// the definition needs the first-passage rule.)
struct BruteForce {
  absl::TimeZone zone;
  WeeklyHours hours;
  std::set<absl::CivilDay> holidays;

  bool Works(int64_t minute_us) const {
    const absl::CivilMinute local = absl::ToCivilMinute(absl::FromUnixMicros(minute_us), zone);
    const absl::CivilDay day(local);
    if (holidays.count(day)) return false;
    const int m = local.hour() * 60 + local.minute();
    for (const WorkingRange& r : hours[static_cast<int>(absl::GetWeekday(day))]) {
      if (m >= r.start_minute && m < r.end_minute) return true;
    }
    return false;
  }
};

// Random weeks, holidays near `bases[round % size]`, and queries from there:
// working time over up to eight days, deadlines up to three working days.
void AgreeWithAMinuteByMinuteWalk(uint32_t seed, const std::vector<std::string>& zones,
                                  const std::vector<absl::CivilDay>& bases) {
  std::mt19937 rng(seed);
  for (int round = 0; round < 60; ++round) {
    BruteForce brute;
    ASSERT_TRUE(absl::LoadTimeZone(zones[round % zones.size()], &brute.zone));
    for (int day = 0; day < 7; ++day) {
      int at = 4 * 60;  // clear of the DST hours
      while (rng() % 3 != 0 && at < 24 * 60) {
        const int start = at + static_cast<int>(rng() % 240);
        const int end = std::min(24 * 60, start + 15 + static_cast<int>(rng() % 480));
        if (start >= end) break;
        brute.hours[day].push_back({start, end});
        at = end + static_cast<int>(rng() % 60);
      }
    }
    brute.hours[round % 7].push_back({0, 60});  // always some working time; 00:00-01:00 is clear too
    std::sort(brute.hours[round % 7].begin(), brute.hours[round % 7].end(),
              [](const WorkingRange& a, const WorkingRange& b) { return a.start_minute < b.start_minute; });
    // Keep the week valid: drop a range that overlaps the one before.
    for (auto& ranges : brute.hours) {
      std::vector<WorkingRange> kept;
      for (const WorkingRange& r : ranges) {
        if (kept.empty() || r.start_minute >= kept.back().end_minute) kept.push_back(r);
      }
      ranges = kept;
    }
    std::vector<Holiday> holidays;
    // Holidays near the round's base day.
    const absl::CivilDay base = bases[round % bases.size()];
    for (int h = 0; h < 3; ++h) {
      const absl::CivilDay day = base + static_cast<int>(rng() % 20);
      holidays.push_back({day, day, false});
      brute.holidays.insert(day);
    }
    auto cal = Calendar::Make("random", zones[round % zones.size()], brute.hours, holidays);
    ASSERT_TRUE(cal.ok()) << cal.status();
    const int64_t origin = absl::ToUnixMicros(absl::FromCivil(base, absl::UTCTimeZone()));
    for (int q = 0; q < 4; ++q) {
      const int64_t a = origin + static_cast<int64_t>(rng() % (14 * 24 * 60)) * kMinute;
      const int64_t b = a + static_cast<int64_t>(rng() % (8 * 24 * 60)) * kMinute;
      int64_t minutes = 0;
      for (int64_t t = a; t < b; t += kMinute) minutes += brute.Works(t);
      ASSERT_EQ((*cal)->WorkingTime(a, b), minutes * kMinute) << "round " << round;
      // The deadline of k working minutes: the first working minute after k counted.
      const int64_t k = static_cast<int64_t>(rng() % (3 * 24 * 60));
      int64_t counted = 0, deadline = -1;
      for (int64_t t = a; t < a + int64_t{60} * 24 * kHour; t += kMinute) {
        if (!brute.Works(t)) continue;
        if (counted == k) {
          deadline = t;
          break;
        }
        ++counted;
      }
      ASSERT_EQ((*cal)->Deadline(a, k * kMinute), deadline) << "round " << round << " k " << k;
      ASSERT_EQ((*cal)->IsWorking(a), brute.Works(a));
    }
  }
}

TEST(Calendar, AgreesWithAMinuteByMinuteWalk) {
  // Around the 2026 DST changes (March and October/November).
  AgreeWithAMinuteByMinuteWalk(19, {"Europe/Berlin", "America/New_York", "Asia/Kolkata"},
                               {absl::CivilDay(2026, 3, 20), absl::CivilDay(2026, 10, 20)});
}

TEST(Calendar, AgreesWithAMinuteByMinuteWalkAcrossYears) {
  // A year's intervals are cached apart: queries across New Year, in Sydney
  // on summer time then, and across both ends of the cached years and
  // outside them, where the operations walk day by day.
  AgreeWithAMinuteByMinuteWalk(
      23, {"Australia/Sydney", "Europe/Berlin", "America/New_York"},
      {absl::CivilDay(2026, 12, 20), absl::CivilDay(kFirstCachedYear - 1, 12, 22),
       absl::CivilDay(kLastCachedYear, 12, 22), absl::CivilDay(1965, 6, 1), absl::CivilDay(2250, 6, 1)});
}

}  // namespace
}  // namespace rapport::calendar
