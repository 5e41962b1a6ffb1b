// Cross-ticket detectors: one actor resolving a pile of tickets within
// minutes (MASS_CLOSURE), the same resolution text reused across many tickets
// (BOILERPLATE_RESOLUTION), and a requester opening a new ticket on the same
// service soon after a resolution (REOPEN_AS_NEW).
//
// They keep compact state in Family::kIndex, not in memory:
//   "mc" ∅ tenant ∅ actor ∅ be64(resolved) ticket            resolutions by actor
//   "bp" ∅ tenant ∅ fnv64(notes) ∅ be64(resolved) ticket      resolutions by notes
//   "rr" ∅ tenant ∅ requester ∅ service ∅ be64(resolved) ticket
//   "rc" ∅ tenant ∅ requester ∅ service ∅ be64(created) ticket
//   "er" ∅ tenant ∅ be64(resolved) ticket -> agent ∅ team ∅ "1"|"0" (at the edge)
// At the end of each batch, the batch's tickets and the stored ones whose
// finding the batch may complete are judged against the index and the batch,
// so a pile that arrives in one batch is found on every ticket of it, and
// every check reads a bounded number of entries however busy a key is. The
// newest entries of recently used keys are also held in memory (IndexTails),
// which answers the reads around live resolutions without a seek.
#ifndef RAPPORT_DETECT_CROSS_TICKET_H_
#define RAPPORT_DETECT_CROSS_TICKET_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "detect/index_tails.h"
#include "detect/thresholds.h"
#include "ingest/stage.h"

namespace rapport::detect {

class CrossTicket {
 public:
  // Record a resolution (an open ticket becoming RESOLVED or CLOSED) and a
  // creation; they are judged in Flush, once the whole batch is known.
  void OnResolved(const v1::TicketEvent& event, internal::TicketState* state, StageContext& context);
  void OnCreated(const v1::TicketEvent& event, internal::TicketState* state, StageContext& context);

  // End of the batch for `tenant`: raises on every ticket that this batch's
  // resolutions and creations put in a finding. Clears the tenant's buffer,
  // so it runs after ReviewAgentEdgeRates. `stored_until` is the tenant's
  // watermark before the batch: no stored entry is later, so a resolution
  // after it has no stored tickets after it to recheck.
  absl::Status Flush(const std::string& tenant, int64_t stored_until, const Thresholds& th, StageContext& context);

  // Once per day of event time (for every UTC midnight the watermark passed):
  // over the 30 days before it, an agent with at least 10 resolutions, two of
  // them in the last 5% of the target, whose rate of last-minute closures is
  // more than twice the median of the agents of the same team, gets an
  // SLA_EDGE_CLOSURE finding on their latest last-minute ticket.
  absl::Status ReviewAgentEdgeRates(const std::string& tenant, int64_t before_us, int64_t after_us,
                                    const Thresholds& th, StageContext& context);

  // End of the batch: on commit its index entries join the tails; either
  // way nothing of the batch is kept.
  void AfterBatch(bool committed);

  // Findings raised by the daily review rather than by the ticket's events.
  static bool IsPeriodic(const v1::Finding& finding);

 private:
  using Entry = IndexEntry;
  struct Seen {
    std::string ticket, actor, notes_key, requester, service;
    int64_t at;
    bool resolution;
    std::string team;  // the "er" entry's fields, for the daily review
    bool at_edge = false;
  };
  // One daily review: resolutions in the 30 days before `day` (a UTC
  // midnight), from the store and from this batch.
  absl::Status ReviewDay(const std::string& tenant, int64_t day, const Thresholds& th, StageContext& context);
  // Up to `limit` stored entries under `prefix` from time `from` towards
  // `to` (descending when to < from), in that order; from the key's tail
  // when it can tell, else read through cursor_, so only while Flush runs
  // (the only caller of every check). A scan error goes to read_error_.
  std::vector<Entry> Stored(const std::string& prefix, int64_t from, int64_t to, size_t limit) const;
  // This batch's entries under `prefix` within [from, to].
  std::vector<Entry> Batched(const std::string& tenant, const std::string& prefix, int64_t from, int64_t to) const;
  // Adds an index entry to the batch's writes and to its lookup.
  void Index(StageContext& context, const std::string& tenant, const std::string& prefix, int64_t at,
             const std::string& ticket);
  // The most resolutions under one key within one span of `window` that
  // contains t, stored and batched, counted up to `cap`: past the cap a finding
  // no longer changes, which keeps every check bounded however busy the key.
  size_t RunAround(const std::string& tenant, const std::string& prefix, int64_t t, int64_t window, size_t cap) const;
  // The run around t from the stored entries of the window (all of them if
  // `complete`, else more than the cap's worth) and the batch's.
  size_t RunOf(const std::vector<Entry>& stored, bool complete, const std::string& tenant, const std::string& prefix,
               int64_t t, int64_t window, size_t cap) const;
  // Adds the stored resolutions near t whose run may have been below `cap`,
  // and remembers the run around t for the checks that follow.
  void AddUnsettled(const std::string& tenant, const std::string& prefix, int64_t t, int64_t window, size_t cap,
                    absl::flat_hash_set<std::string>* recheck);
  // The same for the entries just after t - window, when the entries read
  // newest first do not reach them.
  void AddUnsettledAfterWindowStart(const std::string& prefix, int64_t t, int64_t window, size_t cap,
                                    absl::flat_hash_set<std::string>* recheck) const;
  // The checks, from what the ticket's state remembers of its last
  // resolution and its creation; Flush runs them for the batch's tickets and
  // the stored ones it rechecks.
  void CheckResolution(internal::TicketState* s, const Thresholds& th) const;
  void CheckCreation(internal::TicketState* s, const Thresholds& th) const;

  absl::flat_hash_map<std::string, std::vector<Seen>> batch_;  // by tenant
  Store::Cursor* cursor_ = nullptr;  // Flush's reader of the index, while it runs
  // The first error of a scan by Stored during this Flush: a check that read
  // less than the store holds may be wrong, so Flush fails the batch with it.
  mutable absl::Status read_error_;
  // Runs around (key prefix, time) already counted by this Flush.
  absl::flat_hash_map<std::pair<std::string, int64_t>, size_t> runs_;
  // This batch's index entries, by tenant and key prefix; they join the
  // tails once the batch committed.
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, std::vector<Entry>>> batched_;
  mutable IndexTails tails_;
  uint64_t tails_store_ = 0;  // Store::instance() the tails mirror
};

// Normalised resolution notes ("Issue resolved." == "issue resolved"), hashed.
std::string NotesKey(const std::string& notes);

}  // namespace rapport::detect

#endif  // RAPPORT_DETECT_CROSS_TICKET_H_
