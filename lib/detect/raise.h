// Helpers shared by the detectors for raising findings on a ticket state.
#ifndef RAPPORT_DETECT_RAISE_H_
#define RAPPORT_DETECT_RAISE_H_

#include <cstdint>
#include <string>

#include "rapport/internal/state.pb.h"
#include "rapport/v1/findings.pb.h"

namespace rapport::detect {

// Adds or replaces the finding `id` of the ticket and returns it, with the
// ticket's subjects filled in (`agent` overrides the current assignee).
v1::Finding* Raise(internal::TicketState* s, v1::FindingKind kind, const std::string& id, int64_t at,
                   v1::Severity severity, std::string summary, const std::string& agent = "");
bool HasFinding(const internal::TicketState& s, const std::string& id);
v1::Evidence MakeEvidence(const std::string& event_id, int64_t at, std::string note);

}  // namespace rapport::detect

#endif  // RAPPORT_DETECT_RAISE_H_
