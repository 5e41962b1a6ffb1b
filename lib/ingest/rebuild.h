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
inline constexpr int kDerivedDataVersion = 6;

// Why the store's derived data must be rebuilt before it is served: "" when
// the store holds no events, or its derived data is of this version and, when
// `settings_digest` is not empty, was derived under the settings of that
// digest (RapportConfig::DerivedSettingsDigest: thresholds, targets,
// scoring). A store that never recorded a digest counts as derived under
// other settings.
absl::StatusOr<std::string> WhyDerivedDataIsStale(const Store& store, absl::string_view settings_digest = "");
// WhyDerivedDataIsStale(...) == "".
absl::StatusOr<bool> DerivedDataIsCurrent(const Store& store, absl::string_view settings_digest = "");
// Records that the store's derived data is of this version (and, when not
// empty, of the settings of `settings_digest`).
absl::Status MarkDerivedDataCurrent(Store* store, absl::string_view settings_digest = "");

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
