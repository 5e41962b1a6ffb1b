// LiveRebuild: applies a change of the settings that alter derived data
// (thresholds, targets, calendars, scoring) without stopping the service for
// the length of a rebuild. The serving server keeps answering, with the old
// results, and keeps ingesting while the events are replayed beside it with
// the new settings; only the swap stops it, for the time of a shutdown, the
// replay of what arrived meanwhile and a start.
//
//   rebuild = LiveRebuild::Begin(server.get(), next_config)   // on SIGHUP
//   ... rebuild->Replayed() turns true (poll) ...
//   rebuild->SwapIn(&server, options)                          // the new server serves
//
// Begin checkpoints the serving store into `<data_dir>.snapshot` (hard links:
// cheap) and replays it into `<data_dir>.rebuild` on a thread of its own.
// SwapIn shuts the serving server down (streams end UNAVAILABLE and clients
// re-send; webhooks get 503 and retry), replays the events that arrived
// after the checkpoint, moves the rebuilt store into place and starts a
// server on it with the new settings. Destroying a LiveRebuild that did not
// swap cancels the replay and removes its directories; the serving server is
// untouched.
#ifndef RAPPORT_SERVER_LIVE_REBUILD_H_
#define RAPPORT_SERVER_LIVE_REBUILD_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "alert/alert_stage.h"
#include "config/config.h"
#include "detect/detectors.h"
#include "ingest/rebuild.h"
#include "score/score_stage.h"
#include "server/server.h"

namespace rapport::server {

class LiveRebuild {
 public:
  // `serving` must outlive the replay (until Replayed() or destruction).
  static absl::StatusOr<std::unique_ptr<LiveRebuild>> Begin(const RapportServer* serving, const ServerOptions& options,
                                                            RapportConfig next);
  ~LiveRebuild();
  LiveRebuild(const LiveRebuild&) = delete;
  LiveRebuild& operator=(const LiveRebuild&) = delete;

  // The replay of the checkpoint has ended, well or not.
  bool Replayed() const { return replayed_.load(); }
  // The digest of the settings being applied.
  const std::string& digest() const { return digest_; }

  // After Replayed(): on a failed replay, returns its error and leaves
  // *server serving. Otherwise stops *server, finishes the rebuild and puts
  // a server started on it with the new settings in *server. When the
  // catch-up or the swap fails, the old store is still in place: a server
  // is started on it again with the old settings and the error returned.
  // *server is null only when no server could be started at all.
  absl::Status SwapIn(std::unique_ptr<RapportServer>* server);

 private:
  LiveRebuild() = default;
  void RemoveWorkDirectories() const;
  // Replays what arrived since the checkpoint from the stopped store at
  // data_dir and closes the rebuilt one.
  absl::Status CatchUpAndFinish();

  ServerOptions options_;  // the serving server's, without --rebuild
  std::string digest_;
  std::string snapshot_path_, rebuilt_path_;
  std::unique_ptr<detect::DetectorStage> detectors_;
  std::unique_ptr<score::ScoreStage> scores_;
  std::unique_ptr<alert::AlertStage> alerts_;  // no hub: reconciles the log at Finish
  std::unique_ptr<Replayer> replayer_;
  RebuildStats stats_;
  absl::Status replay_status_;  // written by the thread before replayed_
  std::atomic<bool> replayed_{false};
  std::atomic<bool> cancel_{false};
  std::thread thread_;
  bool swapped_ = false;
};

}  // namespace rapport::server

#endif  // RAPPORT_SERVER_LIVE_REBUILD_H_
