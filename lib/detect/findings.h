// Findings storage (their queries: lib/query/findings_query.h).
//
//   findings  tenant ∅ ticket ∅ finding_id  -> rapport.v1.Finding
//
// A ticket's current findings also live in its TicketState; the detector
// stage writes the difference between the state before and after a batch, so
// a finding that no longer holds after a late event is withdrawn.
#ifndef RAPPORT_DETECT_FINDINGS_H_
#define RAPPORT_DETECT_FINDINGS_H_

#include <string>

#include "rapport/v1/findings.pb.h"

namespace rapport::detect {

std::string FindingKey(const std::string& tenant, const std::string& ticket, const std::string& id);

// "REOPENED_AFTER_RESOLVE" for FINDING_KIND_REOPENED_AFTER_RESOLVE.
std::string KindName(v1::FindingKind kind);
std::string SeverityName(v1::Severity severity);

}  // namespace rapport::detect

#endif  // RAPPORT_DETECT_FINDINGS_H_
