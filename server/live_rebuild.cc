#include "server/live_rebuild.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/log.h"

namespace rapport::server {

absl::StatusOr<std::unique_ptr<LiveRebuild>> LiveRebuild::Begin(const RapportServer* serving,
                                                                const ServerOptions& options, RapportConfig next) {
  std::unique_ptr<LiveRebuild> rebuild(new LiveRebuild());
  rebuild->digest_ = next.DerivedSettingsDigest();
  rebuild->options_ = options;
  rebuild->options_.rebuild = false;
  // A crash during an earlier one left none: the server removed them at start.
  const std::string data_dir = std::filesystem::absolute(options.data_dir).string();
  rebuild->snapshot_path_ = SiblingPath(data_dir, ".snapshot");
  rebuild->rebuilt_path_ = SiblingPath(data_dir, ".rebuild");
  rebuild->detectors_ = std::make_unique<detect::DetectorStage>(std::move(next.detectors));
  rebuild->scores_ = std::make_unique<score::ScoreStage>(&rebuild->detectors_->thresholds(), next.scoring);
  rebuild->alerts_ = std::make_unique<alert::AlertStage>(next.alerts, &rebuild->scores_->options(), nullptr);

  const absl::Time started = absl::Now();
  auto checkpoint = serving->store().Checkpoint(rebuild->snapshot_path_);
  if (!checkpoint.ok()) return checkpoint.status();
  Ingestor::Options ingest_options;
  ingest_options.limits = options.limits;
  ingest_options.stages = {rebuild->detectors_.get(), rebuild->scores_.get(), rebuild->alerts_.get()};
  Store::Options fresh = serving->store().options();
  fresh.path = rebuild->rebuilt_path_;
  auto replayer = Replayer::Create(fresh, ingest_options);
  if (!replayer.ok()) {
    rebuild->RemoveWorkDirectories();
    return replayer.status();
  }
  rebuild->replayer_ = std::move(*replayer);
  LiveRebuild* self = rebuild.get();
  rebuild->thread_ = std::thread([self, started, snapshot_options = serving->store().options()]() mutable {
    snapshot_options.path = self->snapshot_path_;
    snapshot_options.create_if_missing = false;
    snapshot_options.mark_commits = false;
    std::unique_ptr<Store> snapshot;
    absl::Status s = Store::Open(snapshot_options, &snapshot);
    if (s.ok()) s = self->replayer_->CatchUp(*snapshot, &self->stats_, &self->cancel_);
    snapshot.reset();
    if (s.ok()) {
      Log(LogLevel::kInfo, "rebuild beside the serving store: replayed; swapping in",
          {{"events", std::to_string(self->stats_.events)},
           {"seconds", absl::StrFormat("%.1f", absl::ToDoubleSeconds(absl::Now() - started))}});
    }
    self->replay_status_ = s;
    self->replayed_.store(true);
  });
  return rebuild;
}

LiveRebuild::~LiveRebuild() {
  cancel_.store(true);
  if (thread_.joinable()) thread_.join();
  replayer_.reset();
  if (!swapped_) RemoveWorkDirectories();
}

void LiveRebuild::RemoveWorkDirectories() const {
  std::error_code ec;
  std::filesystem::remove_all(snapshot_path_, ec);
  std::filesystem::remove_all(rebuilt_path_, ec);
}

absl::Status LiveRebuild::SwapIn(std::unique_ptr<RapportServer>* server) {
  if (thread_.joinable()) thread_.join();
  if (!replay_status_.ok()) return replay_status_;
  const absl::Time stopped = absl::Now();
  // The settings in force, as reloads left them (a rotated webhook secret),
  // with the derived ones the stages were built with; any other change
  // still waits for a restart.
  ServerOptions serving_options = options_;
  serving_options.config = (*server)->config();
  ServerOptions rebuilt_options = serving_options;
  rebuilt_options.config->detectors = detectors_->thresholds();
  rebuilt_options.config->scoring = scores_->options();
  (*server)->Shutdown();
  server->reset();  // closes the store: it is the catch-up's source now
  absl::Status finished = CatchUpAndFinish();
  if (finished.ok()) finished = SwapInRebuilt(options_.data_dir, rebuilt_path_);
  if (!finished.ok()) {
    // The old store is whole and still in place: serve it again, as before.
    replayer_.reset();
    RemoveWorkDirectories();
    if (absl::Status s = RapportServer::Start(serving_options, server); !s.ok()) return s;
    return finished;
  }
  swapped_ = true;
  std::error_code ec;
  std::filesystem::remove_all(snapshot_path_, ec);
  if (absl::Status s = RapportServer::Start(rebuilt_options, server); !s.ok()) return s;
  Log(LogLevel::kInfo, "rebuilt derived data beside the serving store; serving the new results",
      {{"events", std::to_string(stats_.events)}, {"tickets", std::to_string(stats_.tickets)},
       {"settings_digest", digest_},
       {"paused_seconds", absl::StrFormat("%.1f", absl::ToDoubleSeconds(absl::Now() - stopped))}});
  return absl::OkStatus();
}

absl::Status LiveRebuild::CatchUpAndFinish() {
  Store::Options source_options;
  source_options.path = options_.data_dir;
  source_options.create_if_missing = false;
  std::unique_ptr<Store> source;
  if (absl::Status s = Store::Open(source_options, &source); !s.ok()) return s;
  const uint64_t before = stats_.events;
  if (absl::Status s = replayer_->CatchUp(*source, &stats_); !s.ok()) return s;
  Log(LogLevel::kInfo, "rebuild beside the serving store: caught up",
      {{"events_since_checkpoint", std::to_string(stats_.events - before)}});
  if (absl::Status s = replayer_->Finish(*source, digest_, &stats_); !s.ok()) return s;
  source.reset();
  replayer_.reset();
  return absl::OkStatus();
}

}  // namespace rapport::server
