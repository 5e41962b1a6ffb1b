// Findings storage and queries.
//
//   findings  tenant ∅ ticket ∅ finding_id  -> rapport.v1.Finding
//
// A ticket's current findings also live in its TicketState; the detector
// stage writes the difference between the state before and after a batch, so
// a finding that no longer holds after a late event is withdrawn.
#ifndef RAPPORT_DETECT_FINDINGS_H_
#define RAPPORT_DETECT_FINDINGS_H_

#include <string>

#include "absl/status/statusor.h"
#include "rapport/internal/state.pb.h"
#include "rapport/v1/findings.pb.h"
#include "store/store.h"

namespace rapport::detect {

std::string FindingKey(const std::string& tenant, const std::string& ticket, const std::string& id);

// One page of the tenant's findings matching the request, newest first.
absl::StatusOr<v1::ListFindingsResponse> ListFindings(const Store& store, const v1::ListFindingsRequest& request);

// "REOPENED_AFTER_RESOLVE" for FINDING_KIND_REOPENED_AFTER_RESOLVE.
std::string KindName(v1::FindingKind kind);
std::string SeverityName(v1::Severity severity);

}  // namespace rapport::detect

#endif  // RAPPORT_DETECT_FINDINGS_H_
