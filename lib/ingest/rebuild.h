// Rebuild: recomputes every piece of derived data (ticket states, findings,
// indexes, score aggregates) from the stored events alone.
//
// The events are replayed in their original arrival order through a fresh
// Ingestor with the given stages, into a new database next to the old one
// (`<path>.rebuild`); only when that succeeded is it moved into place, so a
// crash during a rebuild leaves the original untouched. Run it with the
// server stopped (rapportd --rebuild does it before serving).
#ifndef RAPPORT_INGEST_REBUILD_H_
#define RAPPORT_INGEST_REBUILD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ingest/ingestor.h"
#include "ingest/stage.h"
#include "store/store.h"

namespace rapport {

// The version of the derivation (fold, detectors, scores). A store whose
// derived data was computed by another version is rebuilt when rapportd
// starts, so an upgrade never mixes old and new readings.
inline constexpr int kDerivedDataVersion = 5;

// True when the store holds no events or its derived data is of this version.
absl::StatusOr<bool> DerivedDataIsCurrent(const Store& store);
// Records that the store's derived data is of this version.
absl::Status MarkDerivedDataCurrent(Store* store);

struct RebuildStats {
  uint64_t events = 0;
  uint64_t tickets = 0;
  double seconds = 0;
};

// `options.path` names the database to rebuild. `stages` (not owned) must be
// fresh: stages keep no state across stores, but must not be in use.
absl::Status RebuildDerivedData(const Store::Options& options, const Ingestor::Options& ingest_options,
                                RebuildStats* stats);

}  // namespace rapport

#endif  // RAPPORT_INGEST_REBUILD_H_
