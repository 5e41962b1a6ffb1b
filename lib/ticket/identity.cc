#include "ticket/identity.h"

namespace rapport::ticket {
namespace {

// The adapters' reason for an OTHER role; void once the role is known.
constexpr const char* kRoleReasonAttribute = "rapport.role_reason";

bool TakesRequesterRole(v1::ActorRole role) { return role != v1::ACTOR_ROLE_REQUESTER && role != v1::ACTOR_ROLE_SYSTEM; }

}  // namespace

const v1::TicketEvent& ResolvePeople(const v1::TicketEvent& event, const std::string& requester,
                                     const std::string& assignee, const PersonOf& person_of, v1::TicketEvent* scratch) {
  auto resolve = [&](const std::string& id) { return id.empty() ? id : person_of(id); };
  const std::string actor = resolve(event.actor().id());
  const std::string own_requester = resolve(event.requester().id());
  const std::string agent = resolve(event.assignee().agent_id());
  const std::string& ticket_requester = own_requester.empty() ? requester : own_requester;
  const bool is_requester =
      !actor.empty() && actor == ticket_requester && TakesRequesterRole(event.actor().role());
  const v1::ActorRole role = event.actor().role();
  const bool is_assignee = !is_requester && !actor.empty() && actor == assignee &&
                           (role == v1::ACTOR_ROLE_OTHER || role == v1::ACTOR_ROLE_UNSPECIFIED);
  if (actor == event.actor().id() && own_requester == event.requester().id() && agent == event.assignee().agent_id() &&
      !is_requester && !is_assignee) {
    return event;
  }
  *scratch = event;
  if (event.has_actor()) scratch->mutable_actor()->set_id(actor);
  if (event.has_requester()) scratch->mutable_requester()->set_id(own_requester);
  if (event.has_assignee()) scratch->mutable_assignee()->set_agent_id(agent);
  if (is_requester || is_assignee) {
    scratch->mutable_actor()->set_role(is_requester ? v1::ACTOR_ROLE_REQUESTER : v1::ACTOR_ROLE_AGENT);
    scratch->mutable_attributes()->erase(kRoleReasonAttribute);
  }
  return *scratch;
}

}  // namespace rapport::ticket
