#include "ticket/revisions.h"

namespace rapport::ticket {

bool IsRevision(const v1::TicketEvent& event) {
  return event.kind() == v1::EVENT_KIND_FIELDS_UPDATED &&
         (event.attributes().contains(kEditOfAttribute) || event.attributes().contains(kWithdrawsAttribute));
}

void Revisions::Add(const v1::TicketEvent& event) {
  if (!IsRevision(event)) return;
  if (auto it = event.attributes().find(kWithdrawsAttribute); it != event.attributes().end()) {
    withdrawn_.insert(it->second);
  }
  if (auto it = event.attributes().find(kEditOfAttribute); it != event.attributes().end() && event.has_comment()) {
    edits_[it->second] = event.comment().text();
  }
}

const v1::TicketEvent& Revisions::Effective(const v1::TicketEvent& event, v1::TicketEvent* scratch) const {
  if (empty() || event.kind() != v1::EVENT_KIND_COMMENT_ADDED) return event;
  if (withdrawn_.contains(event.event_id())) {
    *scratch = event;
    scratch->set_kind(v1::EVENT_KIND_FIELDS_UPDATED);
    scratch->clear_comment();
    return *scratch;
  }
  auto edit = edits_.find(event.event_id());
  if (edit == edits_.end()) return event;
  *scratch = event;
  scratch->mutable_comment()->set_text(edit->second);
  return *scratch;
}

}  // namespace rapport::ticket
