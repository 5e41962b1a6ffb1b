// Revisions of comments: a source may edit or delete a comment after the
// fact (Jira comment_updated / comment_deleted, an edited Freshservice
// conversation). An adapter reports a revision as an EVENT_KIND_FIELDS_UPDATED
// event whose attribute names the comment's event id:
//
//   rapport.edit_of = <comment event id>    the event's comment is the new
//                                           text; the latest edit counts
//   rapport.withdraws = <comment event id>  the source deleted the comment
//
// Stored events keep what the source said. Whatever reads a ticket's
// conversation (the fold with its detectors, the timeline) reads the
// comment as revised: an edited comment keeps its time and author and takes
// the latest text; a withdrawn one is no longer a message (it leaves tone
// and findings). The revision itself is a timeline entry of its own.
#ifndef RAPPORT_TICKET_REVISIONS_H_
#define RAPPORT_TICKET_REVISIONS_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "rapport/v1/events.pb.h"

namespace rapport::ticket {

inline constexpr char kEditOfAttribute[] = "rapport.edit_of";
inline constexpr char kWithdrawsAttribute[] = "rapport.withdraws";

// True when `event` revises an earlier comment.
bool IsRevision(const v1::TicketEvent& event);

class Revisions {
 public:
  // Adds `event` (in fold order: the later edit wins) if it is a revision.
  void Add(const v1::TicketEvent& event);
  bool empty() const { return edits_.empty() && withdrawn_.empty(); }

  bool Withdrawn(const std::string& event_id) const { return withdrawn_.contains(event_id); }
  bool Edited(const std::string& event_id) const { return edits_.contains(event_id); }

  // The event to read in place of `event`: `event` itself, or its revised
  // copy written to `*scratch`.
  const v1::TicketEvent& Effective(const v1::TicketEvent& event, v1::TicketEvent* scratch) const;

 private:
  absl::flat_hash_map<std::string, std::string> edits_;  // comment event id -> latest text
  absl::flat_hash_set<std::string> withdrawn_;
};

}  // namespace rapport::ticket

#endif  // RAPPORT_TICKET_REVISIONS_H_
