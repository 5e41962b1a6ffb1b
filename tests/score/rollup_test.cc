// Month and week roll-ups (score/aggregates.h): a window read from whole
// months, whole edge weeks and the remaining days gives what reading every day
// gives, and the roll-up records are exactly what the tickets they hold imply,
// after late events, refolds and reassignments moved tickets between days,
// periods and scopes.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "event/event.h"
#include "score/aggregates.h"
#include "score_fixture.h"
#include "store/keys.h"
#include "store/sums.h"

namespace rapport {
namespace {

using testing::At;
using testing::kDayMin;

constexpr int kAgents = 6, kTeams = 3;
const std::string kTenant = "acme";

// Minutes from At(0) (2026-09-01) to midnight UTC of a civil day.
int64_t MinuteOf(absl::CivilDay day) { return (day - absl::CivilDay(2026, 9, 1)) * kDayMin; }

v1::Window Window(int64_t start_minute, int64_t end_minute) {
  v1::Window w;
  *w.mutable_start() = FromMicros(At(start_minute));
  *w.mutable_end() = FromMicros(At(end_minute));
  return w;
}

class RollupTest : public testing::ScoreFixture {
 protected:
  // 600 tickets on random days from 2026-09 to 2029-02 (February 2028 is a
  // leap month), sent in shuffled batches so that many arrive late and refold;
  // a fifth are reassigned later, moving them between agent and team scopes.
  void Fill() {
    std::mt19937 rng(20261205);
    std::vector<std::vector<v1::TicketEvent>> tickets;
    for (int i = 0; i < 600; ++i) {
      const std::string id = absl::StrFormat("T%04d", i);
      const int64_t minute = static_cast<int64_t>(rng() % 900) * kDayMin + static_cast<int64_t>(rng() % kDayMin);
      const int agent = static_cast<int>(rng() % kAgents);
      auto events = Handled(id, minute, absl::StrFormat("agent%d", agent), absl::StrFormat("team%d", agent % kTeams),
                            static_cast<int64_t>(5 + rng() % 3000), static_cast<int64_t>(3000 + rng() % 20000),
                            rng() % 3 == 0 ? "Done." : "Thanks for the report, I have reset your VPN profile.");
      events[0].mutable_requester()->set_department(absl::StrFormat("dept%d", static_cast<int>(rng() % 4)));
      if (rng() % 5 == 0) {
        const int other = static_cast<int>(rng() % kAgents);
        events.push_back(testing::Assign(id, id + "-6", minute + 30, absl::StrFormat("agent%d", other),
                                         absl::StrFormat("team%d", other % kTeams)));
      }
      tickets.push_back(std::move(events));
    }
    std::vector<v1::TicketEvent> all;
    for (auto& t : tickets) all.insert(all.end(), t.begin(), t.end());
    std::shuffle(all.begin(), all.end(), rng);
    for (size_t i = 0; i < all.size();) {
      const size_t n = std::min(all.size() - i, static_cast<size_t>(1 + rng() % 300));
      Send(std::vector<v1::TicketEvent>(all.begin() + i, all.begin() + i + n));
      i += n;
    }
  }

  score::ScoreOptions DaysOnly(score::ScoreOptions options) {
    options.read_rollups = false;
    return options;
  }

  absl::StatusOr<v1::ScoreReport> Get(v1::ScopeKind kind, const std::string& id, const v1::Window* window,
                                      const score::ScoreOptions& options) {
    v1::GetScoreRequest request;
    request.set_tenant(kTenant);
    request.mutable_scope()->set_kind(kind);
    request.mutable_scope()->set_id(id);
    if (window != nullptr) *request.mutable_window() = *window;
    return score::GetScore(*store_, request, options);
  }

  // Counts equal; sums of decayed doubles equal up to their summation order
  // and the months' fixed point: within 1e-9 of their value, or of the
  // 100-point scale for a trend (a difference of two scores).
  static void ExpectSame(const v1::ScoreReport& rolled, const v1::ScoreReport& days) {
    auto near = [](double a, double b) { return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(b)); };
    auto near_points = [](double a, double b) { return std::abs(a - b) <= 1e-9 * 100; };
    EXPECT_EQ(rolled.scored(), days.scored());
    EXPECT_EQ(rolled.tickets(), days.tickets());
    EXPECT_EQ(rolled.window().ShortDebugString(), days.window().ShortDebugString());
    EXPECT_EQ(rolled.relationship(), days.relationship());
    EXPECT_EQ(rolled.has_trend(), days.has_trend());
    EXPECT_EQ(rolled.has_surveys(), days.has_surveys());
    EXPECT_EQ(rolled.surveys(), days.surveys());
    ASSERT_EQ(rolled.findings_size(), days.findings_size());
    for (int i = 0; i < days.findings_size(); ++i) {
      EXPECT_EQ(rolled.findings(i).ShortDebugString(), days.findings(i).ShortDebugString());
    }
    EXPECT_PRED2(near, rolled.score(), days.score());
    EXPECT_PRED2(near, rolled.weighted_tickets(), days.weighted_tickets());
    EXPECT_PRED2(near, rolled.services_score(), days.services_score());
    EXPECT_PRED2(near, rolled.communications_score(), days.communications_score());
    EXPECT_PRED2(near_points, rolled.trend(), days.trend());
    ASSERT_EQ(rolled.components_size(), days.components_size());
    for (int i = 0; i < days.components_size(); ++i) {
      EXPECT_EQ(rolled.components(i).component(), days.components(i).component());
      EXPECT_PRED2(near, rolled.components(i).score(), days.components(i).score());
    }
  }

  // Every scope the tickets use, against both readings, under `options`.
  int CompareEveryScope(const v1::Window* window, const score::ScoreOptions& options) {
    std::vector<std::pair<v1::ScopeKind, std::string>> scopes = {{v1::SCOPE_KIND_TENANT, ""}};
    for (int a = 0; a < kAgents; ++a) scopes.emplace_back(v1::SCOPE_KIND_AGENT, absl::StrFormat("agent%d", a));
    for (int t = 0; t < kTeams; ++t) scopes.emplace_back(v1::SCOPE_KIND_TEAM, absl::StrFormat("team%d", t));
    scopes.emplace_back(v1::SCOPE_KIND_DEPARTMENT, "dept2");
    int scored = 0;
    for (const auto& [kind, id] : scopes) {
      SCOPED_TRACE(absl::StrFormat("%s %s", v1::ScopeKind_Name(kind), window ? window->ShortDebugString() : "all time"));
      auto rolled = Get(kind, id, window, options);
      auto days = Get(kind, id, window, DaysOnly(options));
      EXPECT_TRUE(rolled.ok()) << rolled.status();
      EXPECT_TRUE(days.ok()) << days.status();
      if (!rolled.ok() || !days.ok()) continue;
      ExpectSame(*rolled, *days);
      scored += days->scored();
    }
    return scored;
  }
};

TEST_F(RollupTest, RollupRecordsAreExactlyWhatTheirTicketsImply) {
  Fill();
  const int64_t half_life = scores_.options().half_life_us;
  for (score::Period period : score::kPeriods) {
    const char letter = static_cast<char>(period);
    SCOPED_TRACE(std::string(1, letter));
    std::map<std::string, SumVector> expected;
    ASSERT_TRUE(store_->Scan(Family::kTickets, keys::TenantPrefix(kTenant), [&](absl::string_view, absl::string_view v) {
                         internal::TicketState state;
                         EXPECT_TRUE(state.ParseFromArray(v.data(), static_cast<int>(v.size())));
                         const internal::TicketScoreRecord& rec = state.score().counted();
                         if (!rec.scored()) return true;
                         SumVector day{};
                         EXPECT_TRUE(AddEncodedSums(rec.sums(), &day).ok());
                         const SumVector rollup = score::RollupContribution(period, day, rec.day(), half_life);
                         for (const std::string& scope : rec.scopes()) {
                           SumVector& sums =
                               expected[keys::AggregateRollup(kTenant, scope, letter, score::PeriodOfDay(period, rec.day()))];
                           for (int slot = 0; slot < kSumSlots; ++slot) sums[slot] += rollup[slot];
                         }
                         return true;
                       }).ok());
    ASSERT_GT(expected.size(), 100u);
    std::map<std::string, SumVector> stored;
    for (const auto& [key, value] : Dump(*store_, Family::kAggregates)) {
      // A roll-up key: the scope's prefix, the period's letter, eight bytes of number.
      if (key.size() < 10 || key[key.size() - 10] != '\0' || key[key.size() - 9] != letter) continue;
      SumVector sums{};
      ASSERT_TRUE(AddEncodedSums(value, &sums).ok());
      if (std::any_of(sums.begin(), sums.end(), [](int64_t v) { return v != 0; })) stored[key] = sums;
    }
    EXPECT_EQ(stored.size(), expected.size());
    for (const auto& [key, sums] : expected) {
      auto it = stored.find(key);
      ASSERT_NE(it, stored.end()) << "no roll-up record for " << absl::CHexEscape(key);
      EXPECT_EQ(it->second, sums) << absl::CHexEscape(key);
    }
  }
}

TEST_F(RollupTest, RandomWindowsReadTheSameFromRollupsAsFromDays) {
  Fill();
  const score::ScoreOptions& options = scores_.options();
  EXPECT_GT(CompareEveryScope(nullptr, options), 0) << "all time";
  using absl::CivilDay;
  const int64_t hour = 60;
  std::vector<v1::Window> windows = {
      Window(MinuteOf(CivilDay(2027, 1, 1)), MinuteOf(CivilDay(2028, 1, 1))),          // whole months
      Window(MinuteOf(CivilDay(2028, 2, 1)), MinuteOf(CivilDay(2028, 3, 1))),          // leap February
      Window(MinuteOf(CivilDay(2028, 2, 29)), MinuteOf(CivilDay(2028, 3, 1))),         // its 29th alone
      Window(MinuteOf(CivilDay(2028, 2, 28)), MinuteOf(CivilDay(2028, 3, 2))),         // across its end
      Window(MinuteOf(CivilDay(2027, 12, 15)), MinuteOf(CivilDay(2028, 1, 15))),       // across a year
      Window(MinuteOf(CivilDay(2026, 12, 31)), MinuteOf(CivilDay(2027, 1, 1))),        // a year's last day
      Window(MinuteOf(CivilDay(2027, 5, 10)), MinuteOf(CivilDay(2027, 5, 20))),        // inside one month
      Window(MinuteOf(CivilDay(2027, 3, 5)) + 13 * hour, MinuteOf(CivilDay(2027, 9, 2)) + 7 * hour),  // mid-day ends
      Window(MinuteOf(CivilDay(2026, 8, 1)), MinuteOf(CivilDay(2026, 10, 1))),         // starting before the data
      Window(MinuteOf(CivilDay(2031, 1, 1)), MinuteOf(CivilDay(2031, 2, 1))),          // after the data: empty
      Window(MinuteOf(CivilDay(2027, 6, 1)), MinuteOf(CivilDay(2027, 6, 1)) + 1),      // one minute
      Window(MinuteOf(CivilDay(2027, 3, 8)), MinuteOf(CivilDay(2027, 3, 15))),         // one whole week (Monday)
      Window(MinuteOf(CivilDay(2027, 3, 9)), MinuteOf(CivilDay(2027, 3, 15))),         // a week less its Monday
      Window(MinuteOf(CivilDay(2027, 3, 8)), MinuteOf(CivilDay(2027, 3, 14))),         // less its Sunday
      Window(MinuteOf(CivilDay(2027, 4, 26)), MinuteOf(CivilDay(2027, 5, 10))),        // weeks across a month's end
      Window(MinuteOf(CivilDay(2027, 12, 27)), MinuteOf(CivilDay(2028, 2, 7))),        // edge weeks both sides of a month
  };
  std::mt19937 rng(7);
  for (int i = 0; i < 120; ++i) {
    const int64_t start = static_cast<int64_t>(rng() % 950) * kDayMin + (rng() % 2 ? 0 : rng() % kDayMin);
    const int64_t length = 1 + (rng() % 4 == 0 ? rng() % (40 * kDayMin) : rng() % (700 * kDayMin));
    windows.push_back(Window(start, start + length));
  }
  int scored = 0;
  for (const v1::Window& window : windows) scored += CompareEveryScope(&window, options);
  EXPECT_GT(scored, 500);
}

// A configuration with another half-life than the roll-ups were weighed with:
// they are read from their days, and the answer is still right.
TEST_F(RollupTest, RollupsWeighedWithAnotherHalfLifeAreReadFromTheirDays) {
  Fill();
  score::ScoreOptions other = scores_.options();
  other.half_life_us /= 3;
  EXPECT_GT(CompareEveryScope(nullptr, other), 0);
  const v1::Window year = Window(MinuteOf(absl::CivilDay(2027, 1, 10)), MinuteOf(absl::CivilDay(2028, 1, 20)));
  EXPECT_GT(CompareEveryScope(&year, other), 0);
  const v1::Window weeks = Window(MinuteOf(absl::CivilDay(2027, 4, 26)), MinuteOf(absl::CivilDay(2027, 5, 24)));
  EXPECT_GT(CompareEveryScope(&weeks, other), 0);
}

TEST(MonthOfDay, CountsCalendarMonthsFrom1970) {
  using absl::CivilDay;
  auto day = [](CivilDay d) { return d - CivilDay(1970, 1, 1); };
  EXPECT_EQ(score::MonthOfDay(0), 0);
  EXPECT_EQ(score::MonthOfDay(day(CivilDay(2028, 2, 29))), (2028 - 1970) * 12 + 1);
  EXPECT_EQ(score::MonthOfDay(day(CivilDay(1969, 12, 31))), -1);
  for (int64_t month : {-25, -1, 0, 1, 697, 697 + 12 * 8000}) {
    const int64_t first = score::MonthFirstDay(month);
    EXPECT_EQ(score::MonthOfDay(first), month);
    EXPECT_EQ(score::MonthOfDay(first - 1), month - 1);
  }
  EXPECT_EQ(score::MonthFirstDay(score::MonthOfDay(day(CivilDay(2028, 3, 1)))) - 1, day(CivilDay(2028, 2, 29)));
}

TEST(WeekOfDay, CountsWeeksFromMonday) {
  using absl::CivilDay;
  auto day = [](CivilDay d) { return d - CivilDay(1970, 1, 1); };
  EXPECT_EQ(score::WeekOfDay(0), 0) << "1970-01-01, a Thursday";
  EXPECT_EQ(score::WeekFirstDay(0), day(CivilDay(1969, 12, 29)));
  EXPECT_EQ(score::WeekOfDay(day(CivilDay(1969, 12, 28))), -1) << "the Sunday before";
  EXPECT_EQ(score::WeekOfDay(day(CivilDay(1970, 1, 5))), 1) << "the next Monday";
  for (int64_t d = -800; d < 800; ++d) {
    const int64_t week = score::WeekOfDay(d);
    ASSERT_LE(score::WeekFirstDay(week), d);
    ASSERT_GT(score::WeekFirstDay(week + 1), d);
    ASSERT_EQ(absl::GetWeekday(CivilDay(1970, 1, 1) + score::WeekFirstDay(week)), absl::Weekday::monday);
  }
}

}  // namespace
}  // namespace rapport
