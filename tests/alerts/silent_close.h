// A ticket `agent` resolves within minutes of its creation without a word to
// the requester: one RESOLVED_WITHOUT_CONTACT, one alert per agent under a
// rule on that kind with an agent subject. Shared by the service and sink
// tests, which raise alerts through a real server.
#ifndef RAPPORT_TESTS_ALERTS_SILENT_CLOSE_H_
#define RAPPORT_TESTS_ALERTS_SILENT_CLOSE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/test_util.h"
#include "rapport/v1/events.pb.h"

namespace rapport::testing {

inline std::vector<v1::TicketEvent> SilentClose(const std::string& t, int64_t minute, const std::string& agent) {
  std::vector<v1::TicketEvent> events = {
      Created(t, t + "-1", minute), Assign(t, t + "-2", minute + 1, agent, "Service Desk"),
      Comment(t, t + "-3", minute + 2, v1::ACTOR_ROLE_AGENT, "Closing.", /*is_public=*/false),
      Status(t, t + "-4", minute + 3, v1::TICKET_STATUS_RESOLVED)};
  for (size_t i = 1; i < events.size(); ++i) events[i].mutable_actor()->set_id(agent);
  return events;
}

}  // namespace rapport::testing

#endif  // RAPPORT_TESTS_ALERTS_SILENT_CLOSE_H_
