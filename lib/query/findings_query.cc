#include "query/findings_query.h"

#include <algorithm>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "event/event.h"
#include "query/page.h"
#include "query/read_request.h"
#include "rapport/internal/state.pb.h"
#include "store/keys.h"
#include "store/records.h"

namespace rapport {
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

absl::Status CheckRequest(const Store& store, const v1::ListFindingsRequest& request) {
  if (absl::Status s = ReadTenant(store, request.tenant()).status(); !s.ok()) return s;
  if (absl::Status s = CheckScope(request.scope(), ScopeUse::kOptional); !s.ok()) return s;
  for (int kind : request.kinds()) {
    if (absl::Status s = CheckEnum<v1::FindingKind>("kinds", kind); !s.ok()) return s;
  }
  return CheckEnum<v1::Severity>("min_severity", request.min_severity());
}

}  // namespace

absl::StatusOr<v1::ListFindingsResponse> ListFindings(const Store& store, const v1::ListFindingsRequest& asked) {
  if (absl::Status s = CheckRequest(store, asked); !s.ok()) return s;
  v1::ListFindingsRequest request = asked;
  if (absl::Status s = ResolvePersonScope(store, request.tenant(), request.mutable_scope()); !s.ok()) return s;
  auto window = CheckWindow(request.window());
  if (!window.ok()) return window.status();
  auto page = Page::Of(request, 50);
  if (!page.ok()) return page.status();

  std::vector<v1::Finding> matching;
  // Department and service are ticket fields: resolve them per ticket.
  const bool ticket_field_scope =
      request.scope().kind() == v1::SCOPE_KIND_DEPARTMENT || request.scope().kind() == v1::SCOPE_KIND_SERVICE;
  absl::flat_hash_map<std::string, bool> ticket_matches;
  std::string prefix = request.scope().kind() == v1::SCOPE_KIND_TICKET
                           ? keys::TicketFindingsPrefix(request.tenant(), request.scope().id())
                           : keys::TenantPrefix(request.tenant());
  absl::Status unreadable;
  absl::Status scan = store.Scan(Family::kFindings, prefix, [&](absl::string_view key, absl::string_view value) {
    v1::Finding f;
    unreadable = records::ParseFinding(key, value, request.tenant(), &f);
    if (!unreadable.ok()) return false;
    if (!request.kinds().empty() &&
        std::find(request.kinds().begin(), request.kinds().end(), f.kind()) == request.kinds().end()) {
      return true;
    }
    if (f.severity() < request.min_severity()) return true;
    if (!window->Contains(ToMicros(f.at()))) return true;
    if (ticket_field_scope) {
      auto [it, fresh] = ticket_matches.try_emplace(f.ticket_id(), false);
      if (fresh) {
        auto t = records::ReadTicketState(store, request.tenant(), f.ticket_id());
        unreadable = t.status();
        if (!unreadable.ok()) return false;
        if (t->has_value()) {
          const internal::TicketState& state = **t;
          it->second = request.scope().kind() == v1::SCOPE_KIND_DEPARTMENT
                           ? state.requester().department() == request.scope().id()
                           : state.service() == request.scope().id();
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
  if (!unreadable.ok()) return unreadable;
  std::stable_sort(matching.begin(), matching.end(), [](const v1::Finding& a, const v1::Finding& b) {
    int64_t ta = ToMicros(a.at()), tb = ToMicros(b.at());
    if (ta != tb) return ta > tb;
    return a.ticket_id() != b.ticket_id() ? a.ticket_id() < b.ticket_id() : a.id() < b.id();
  });
  v1::ListFindingsResponse response;
  response.set_total(matching.size());
  for (size_t i = page->begin(matching.size()); i < page->end(matching.size()); ++i) {
    *response.add_findings() = std::move(matching[i]);
  }
  response.set_next_page_token(page->NextToken(matching.size()));
  return response;
}

}  // namespace rapport
