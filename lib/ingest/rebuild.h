// Rebuild: recomputes every piece of derived data (ticket states, findings,
// indexes, score aggregates) from the stored events alone. The alerts family
// is not derived data: Finish copies it from the last source as it stands,
// so the alert log, its cursors and the sinks' delivery cursors survive a
// rebuild; a stage that writes there (the alert stage) reconciles what the
// replay derived with it (TicketStage::BeforeCarryOver/AfterCarryOver).
//
// The events are replayed in their original arrival order through a fresh
// Ingestor with the given stages, into a new database next to the old one
// (`<path>.rebuild`); only when that succeeded is it moved into place, so a
// crash during a rebuild leaves the original untouched. Run it with the
// server stopped (rapportd --rebuild does it before serving).
#ifndef RAPPORT_INGEST_REBUILD_H_
#define RAPPORT_INGEST_REBUILD_H_

#include <atomic>
#include <cstdint>
#include <memory>
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
inline constexpr int kDerivedDataVersion = 9;

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

// Replays stored events into a fresh store, in arrival order, in steps: a
// rebuild beside a serving store replays a checkpoint of it first, then,
// once the server has stopped, the events that arrived since:
//
//   replayer = Replayer::Create(fresh_options, ingest_options)   // empties fresh_options.path
//   replayer->CatchUp(checkpoint)     // every event
//   replayer->CatchUp(serving_store)  // only those that arrived after the last one replayed
//   replayer->Finish(serving_store, digest)  // carries the alert log over,
//                                             // marks it current, closes it
//   SwapInRebuilt(path, fresh_options.path)
//
// Both sources must hold the same events up to the first's last (a
// checkpoint and the store it was taken of), since arrival numbers are
// compared across them. A CatchUp scans the keys of every stored event.
class Replayer {
 public:
  static absl::StatusOr<std::unique_ptr<Replayer>> Create(const Store::Options& fresh_options,
                                                          const Ingestor::Options& ingest_options);
  ~Replayer();
  // Cancelled (nothing finished) when `cancel` turns true between batches.
  absl::Status CatchUp(const Store& source, RebuildStats* stats, const std::atomic<bool>* cancel = nullptr);
  // `source` is the store the last CatchUp read (its alerts family is the
  // one carried over).
  absl::Status Finish(const Store& source, absl::string_view settings_digest, RebuildStats* stats);

 private:
  Replayer() = default;
  std::unique_ptr<Store> fresh_;
  std::unique_ptr<Ingestor> ingestor_;
  std::vector<TicketStage*> stages_;  // not owned
  bool replayed_any_ = false;
  uint64_t last_arrival_ = 0;
  int64_t batches_ = 0;
};

// Moves `path` aside (to `<path>.old`), `rebuilt_path` into its place, and
// removes the old one; both stores must be closed. On failure `path` is as
// it was. Refuses when `path` holds no store, so a store parked at .old by
// an interrupted swap is never the one removed.
absl::Status SwapInRebuilt(const std::string& path, const std::string& rebuilt_path);

// `path` with `suffix` appended to its last component ("/a/store/" and
// ".rebuild" give "/a/store.rebuild"): the work directories of a rebuild sit
// beside the store, never inside it.
std::string SiblingPath(const std::string& path, absl::string_view suffix);

// A crash between SwapInRebuilt's two renames leaves no store at `path` and
// the complete old one at `<path>.old`: this moves it back (and says so in
// the returned text, "" when there was nothing to do). Called before a
// store is opened at `path`.
absl::StatusOr<std::string> RecoverInterruptedSwap(const std::string& path);

}  // namespace rapport

#endif  // RAPPORT_INGEST_REBUILD_H_
