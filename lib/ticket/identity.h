// One person, one id: an event as the analysis reads it, with every person
// it names resolved through the tenant's alias directory (ingest/aliases.h).
// Stored events keep what the source said; the fold, the detectors, tone
// attribution and scores read the resolved copy.
//
// Roles come from the ticket: whoever the ticket names as requester is the
// requester under any alias, so an actor who resolves to the ticket's
// requester acts as REQUESTER whatever the payload guessed (AGENT, OTHER or
// unset; SYSTEM stays). Failing that, an actor the payload could not place
// (OTHER or unset) who resolves to the ticket's assigned agent acts as
// AGENT. docs/adapters.md, "Identities and roles".
#ifndef RAPPORT_TICKET_IDENTITY_H_
#define RAPPORT_TICKET_IDENTITY_H_

#include <functional>
#include <string>

#include "rapport/v1/events.pb.h"

namespace rapport::ticket {

// The person an id resolves to (the id itself when the directory does not
// know it). Called only with non-empty ids.
using PersonOf = std::function<std::string(const std::string& id)>;

// `event` with its actor, requester and assignee resolved, and its actor's
// role taken from the ticket: `requester` and `assignee` are the ticket's
// requester and assigned agent as folded so far (already resolved); the
// event's own requester, when it names one, takes precedence. Returns `event` itself when nothing changes,
// else *scratch.
const v1::TicketEvent& ResolvePeople(const v1::TicketEvent& event, const std::string& requester,
                                     const std::string& assignee, const PersonOf& person_of, v1::TicketEvent* scratch);

}  // namespace rapport::ticket

#endif  // RAPPORT_TICKET_IDENTITY_H_
