#include "detect/findings.h"

#include <algorithm>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "event/event.h"
#include "store/keys.h"

namespace rapport::detect {

std::string FindingKey(const std::string& tenant, const std::string& ticket, const std::string& id) {
  return keys::Finding(tenant, ticket, id);
}

std::string KindName(v1::FindingKind kind) {
  absl::string_view name = v1::FindingKind_Name(kind);
  absl::ConsumePrefix(&name, "FINDING_KIND_");
  return std::string(name);
}

std::string SeverityName(v1::Severity severity) {
  absl::string_view name = v1::Severity_Name(severity);
  absl::ConsumePrefix(&name, "SEVERITY_");
  return std::string(name);
}

namespace {

bool InScope(const v1::Finding& f, const v1::Scope& scope) {
  switch (scope.kind()) {
    case v1::SCOPE_KIND_TICKET: return f.ticket_id() == scope.id();
    case v1::SCOPE_KIND_AGENT: return f.agent_id() == scope.id();
    case v1::SCOPE_KIND_TEAM: return f.team() == scope.id();
    case v1::SCOPE_KIND_REQUESTER: return f.requester_id() == scope.id();
    default: return true;  // tenant-wide (department and service scopes are read from tickets)
  }
}

}  // namespace

absl::StatusOr<v1::ListFindingsResponse> ListFindings(const Store& store, const v1::ListFindingsRequest& request) {
  if (request.tenant().empty()) return absl::InvalidArgumentError("tenant is required");
  size_t page_size = request.page_size() == 0 ? 50 : std::min<size_t>(request.page_size(), 1000);
  size_t offset = 0;
  if (!request.page_token().empty() && !absl::SimpleAtoi(request.page_token(), &offset)) {
    return absl::InvalidArgumentError("page_token is not one this server issued");
  }
  const bool has_start = request.window().has_start(), has_end = request.window().has_end();
  const int64_t start = ToMicros(request.window().start()), end = ToMicros(request.window().end());
  std::vector<v1::Finding> matching;
  // Department and service are ticket fields: resolve them per ticket.
  const bool ticket_field_scope =
      request.scope().kind() == v1::SCOPE_KIND_DEPARTMENT || request.scope().kind() == v1::SCOPE_KIND_SERVICE;
  absl::flat_hash_map<std::string, bool> ticket_matches;
  std::string prefix = request.scope().kind() == v1::SCOPE_KIND_TICKET
                           ? keys::TicketEventsPrefix(request.tenant(), request.scope().id())
                           : keys::TenantPrefix(request.tenant());
  bool corrupt = false;
  absl::Status scan = store.Scan(Family::kFindings, prefix, [&](absl::string_view, absl::string_view value) {
    v1::Finding f;
    if (!f.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      corrupt = true;
      return false;
    }
    if (!request.kinds().empty() &&
        std::find(request.kinds().begin(), request.kinds().end(), f.kind()) == request.kinds().end()) {
      return true;
    }
    if (f.severity() < request.min_severity()) return true;
    int64_t at = ToMicros(f.at());
    if ((has_start && at < start) || (has_end && at >= end)) return true;
    if (ticket_field_scope) {
      auto [it, fresh] = ticket_matches.try_emplace(f.ticket_id(), false);
      if (fresh) {
        std::string bytes;
        internal::TicketState t;
        if (store.Get(Family::kTickets, keys::Ticket(request.tenant(), f.ticket_id()), &bytes).ok() &&
            t.ParseFromString(bytes)) {
          it->second = request.scope().kind() == v1::SCOPE_KIND_DEPARTMENT ? t.requester().department() == request.scope().id()
                                                                            : t.service() == request.scope().id();
        }
      }
      if (!it->second) return true;
    } else if (!InScope(f, request.scope())) {
      return true;
    }
    matching.push_back(std::move(f));
    return true;
  });
  if (!scan.ok()) return scan;
  if (corrupt) return absl::DataLossError("a stored finding is unreadable");
  std::stable_sort(matching.begin(), matching.end(), [](const v1::Finding& a, const v1::Finding& b) {
    int64_t ta = ToMicros(a.at()), tb = ToMicros(b.at());
    if (ta != tb) return ta > tb;
    return a.ticket_id() != b.ticket_id() ? a.ticket_id() < b.ticket_id() : a.id() < b.id();
  });
  v1::ListFindingsResponse response;
  response.set_total(matching.size());
  for (size_t i = offset; i < matching.size() && i < offset + page_size; ++i) *response.add_findings() = matching[i];
  if (offset + page_size < matching.size()) response.set_next_page_token(std::to_string(offset + page_size));
  return response;
}

}  // namespace rapport::detect
