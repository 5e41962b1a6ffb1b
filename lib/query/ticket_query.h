// Read side for one ticket and for tenant-level ticket lists. Reads go
// straight to the store; nothing here writes.
#ifndef RAPPORT_QUERY_TICKET_QUERY_H_
#define RAPPORT_QUERY_TICKET_QUERY_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "rapport/internal/state.pb.h"
#include "rapport/v1/experience.pb.h"
#include "detect/thresholds.h"
#include "query/read_request.h"
#include "store/store.h"

namespace rapport {

// One page of the ticket (see GetTicketRequest): its current fields, a page
// of its timeline in (occurred_at, arrival) order, its clocks at the
// tenant's watermark, and on the first page its findings. InvalidArgument
// for a malformed tenant or id (query/read_request.h) or a page token of
// another tenant or ticket (query/page.h); NotFound when the tenant has no
// event yet or no such ticket.
// `thresholds` (may be null: the defaults) sets the SLA ledger's targets.
absl::StatusOr<v1::GetTicketResponse> ReadTicket(const Store& store, const v1::GetTicketRequest& request,
                                                 const detect::TenantThresholds* thresholds = nullptr);
// The first page, of the default size.
absl::StatusOr<v1::GetTicketResponse> ReadTicket(const Store& store, const std::string& tenant,
                                                 const std::string& ticket_id,
                                                 const detect::TenantThresholds* thresholds = nullptr);

// One page of the tenant's tickets in request.order(), validated as
// ReadTicket is. Walks every ticket
// record of the tenant: a report, not a hot path.
absl::StatusOr<v1::ListTicketsResponse> ListTickets(const Store& store,
                                                    const v1::ListTicketsRequest& request);

}  // namespace rapport

#endif  // RAPPORT_QUERY_TICKET_QUERY_H_
