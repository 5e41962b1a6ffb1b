// Detector thresholds. The defaults are PRODUCT.md §6's; docs/detectors.md
// explains each.
#ifndef RAPPORT_DETECT_THRESHOLDS_H_
#define RAPPORT_DETECT_THRESHOLDS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "calendar/calendar.h"
#include "rapport/v1/events.pb.h"

namespace rapport::detect {

inline constexpr int64_t kMinute = 60'000'000;
inline constexpr int64_t kHour = 60 * kMinute;
inline constexpr int64_t kDay = 24 * kHour;

struct Thresholds {
  int64_t reply_gap = 24 * kHour;
  int64_t stale = 7 * kDay;
  int64_t pause_after_reply = 10 * kMinute;   // a pause this soon after a requester reply is suspect
  int64_t downgrade_before_resolve = 1 * kHour;
  int64_t reopen_window = 7 * kDay;
  double edge_fraction = 0.05;                // the last 5% of the resolution target
  uint32_t ping_pong_reassignments = 3;
  double upset_compound = -0.5;               // a requester message this negative is upset
  int curt_max_words = 6;
  double distress_drop = 0.8;                 // fall of the requester's compound from the first message
  uint32_t mass_closure_count = 20;           // resolutions by one actor ...
  int64_t mass_closure_window = 10 * kMinute; // ... within this long
  uint32_t boilerplate_count = 10;            // the same resolution text on this many tickets ...
  int64_t boilerplate_window = 30 * kDay;     // ... within this long
  int64_t reopen_as_new_window = 3 * kDay;    // a new ticket this soon after a resolution
  uint32_t agent_rate_min_tickets = 10;       // agent vs team last-minute closure rates: resolutions needed
  int64_t agent_rate_window = 30 * kDay;      // ... within this long

  // Targets indexed by Priority (CRITICAL, HIGH, MEDIUM, LOW); an unset
  // priority uses MEDIUM's.
  int64_t first_response[5] = {4 * kHour, 15 * kMinute, 1 * kHour, 4 * kHour, 8 * kHour};
  int64_t resolution[5] = {3 * kDay, 4 * kHour, 8 * kHour, 3 * kDay, 5 * kDay};

  int64_t FirstResponseTarget(v1::Priority p) const { return first_response[Slot(p)]; }
  int64_t ResolutionTarget(v1::Priority p) const { return resolution[Slot(p)]; }

  // Business calendars (lib/calendar; null: not set). A ticket's clocks —
  // first response, resolution, pauses, REPLY_GAP, STALE — count working
  // time on the first of: its priority's target calendar; calendar_by_team,
  // then calendar_by_service, for the team and service it had when opened;
  // `calendar`, the tenant's default; else 24/7. The targets, reply_gap and
  // stale are then working time (3d = 72 working hours).
  using CalendarPtr = std::shared_ptr<const calendar::Calendar>;
  CalendarPtr target_calendar[5];
  std::map<std::string, CalendarPtr> calendar_by_team;
  std::map<std::string, CalendarPtr> calendar_by_service;
  CalendarPtr calendar;

  const calendar::Calendar& ClockCalendar(v1::Priority p, const std::string& team, const std::string& service) const {
    if (const CalendarPtr& c = target_calendar[Slot(p)]) return *c;
    if (auto it = calendar_by_team.find(team); !team.empty() && it != calendar_by_team.end()) return *it->second;
    if (auto it = calendar_by_service.find(service); !service.empty() && it != calendar_by_service.end()) {
      return *it->second;
    }
    return calendar ? *calendar : calendar::Calendar::AlwaysOpen();
  }

 private:
  static int Slot(v1::Priority p) { return p >= v1::PRIORITY_CRITICAL && p <= v1::PRIORITY_LOW ? p : 3; }
};

// Thresholds per tenant: a tenant without its own uses the defaults.
class TenantThresholds {
 public:
  TenantThresholds() = default;
  explicit TenantThresholds(Thresholds defaults) : defaults_(defaults) {}

  void Set(const std::string& tenant, const Thresholds& thresholds) { by_tenant_[tenant] = thresholds; }
  const Thresholds& For(const std::string& tenant) const {
    auto it = by_tenant_.find(tenant);
    return it == by_tenant_.end() ? defaults_ : it->second;
  }
  const Thresholds& defaults() const { return defaults_; }
  const std::map<std::string, Thresholds>& by_tenant() const { return by_tenant_; }

 private:
  Thresholds defaults_;
  std::map<std::string, Thresholds> by_tenant_;
};

}  // namespace rapport::detect

#endif  // RAPPORT_DETECT_THRESHOLDS_H_
