// Read side of findings: the findings family (lib/detect/findings.h) by
// scope, kind, severity and event-time window.
#ifndef RAPPORT_QUERY_FINDINGS_QUERY_H_
#define RAPPORT_QUERY_FINDINGS_QUERY_H_

#include "absl/status/statusor.h"
#include "rapport/v1/findings.pb.h"
#include "store/store.h"

namespace rapport {

// One page of the tenant's findings matching the request, newest first.
// InvalidArgument for a malformed request (query/read_request.h), NotFound
// for a tenant with no event yet. Walks the tenant's findings (or one
// ticket's): a report, not a hot path.
absl::StatusOr<v1::ListFindingsResponse> ListFindings(const Store& store, const v1::ListFindingsRequest& request);

}  // namespace rapport

#endif  // RAPPORT_QUERY_FINDINGS_QUERY_H_
