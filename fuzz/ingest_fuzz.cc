// libFuzzer target for the whole write path: arbitrary bytes as an
// EventBatch, through validation, dedupe, the fold, the detectors and the
// score stage, into a real RocksDB store (one per process, in a temp dir),
// as the server's writer applies a batch. Whatever the bytes, the write path
// must not crash, and every score it reports or stores must be finite: one
// hostile event must never poison a ticket, a team or a tenant.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include "base/log.h"
#include "detect/detectors.h"
#include "ingest/ingestor.h"
#include "rapport/v1/ingest.pb.h"
#include "score/score_query.h"
#include "score/score_stage.h"
#include "store/store.h"

namespace {

struct Pipeline {
  std::string dir;
  std::unique_ptr<rapport::Store> store;
  rapport::detect::DetectorStage detectors;
  std::unique_ptr<rapport::score::ScoreStage> scores;
  std::unique_ptr<rapport::Ingestor> ingestor;
};

Pipeline& Get() {
  static Pipeline* pipeline = [] {
    rapport::SetMinLogLevel(rapport::LogLevel::kError);  // conflicting duplicates are the fuzzer's daily bread
    auto* p = new Pipeline();
    char pattern[] = "/tmp/rapport-ingest-fuzz-XXXXXX";
    if (mkdtemp(pattern) == nullptr) abort();
    p->dir = pattern;
    std::atexit([] { std::filesystem::remove_all(Get().dir); });
    rapport::Store::Options options;
    options.path = p->dir;
    if (!rapport::Store::Open(options, &p->store).ok()) abort();
    p->scores = std::make_unique<rapport::score::ScoreStage>(&p->detectors.thresholds(), rapport::score::ScoreOptions());
    rapport::Ingestor::Options ingest;
    ingest.stages = {&p->detectors, p->scores.get()};
    auto created = rapport::Ingestor::Create(p->store.get(), ingest);
    if (!created.ok()) abort();
    p->ingestor = std::move(*created);
    return p;
  }();
  return *pipeline;
}

void CheckFinite(double value) {
  if (!std::isfinite(value) || value < -100.0001 || value > 100.0001) abort();
}

// The tenant's score and every team's, read back from the stored sums.
void CheckStoredScores(Pipeline& p, const std::string& tenant) {
  rapport::v1::GetScoreRequest request;
  request.set_tenant(tenant);
  request.mutable_scope()->set_kind(rapport::v1::SCOPE_KIND_TENANT);
  auto report = rapport::score::GetScore(*p.store, request, p.scores->options());
  if (report.ok()) {
    CheckFinite(report->score());
    CheckFinite(report->services_score());
    CheckFinite(report->communications_score());
  }
  rapport::v1::ListScoresRequest teams;
  teams.set_tenant(tenant);
  teams.set_kind(rapport::v1::SCOPE_KIND_TEAM);
  teams.set_page_size(50);
  auto ranking = rapport::score::ListScores(*p.store, teams, p.scores->options());
  if (ranking.ok()) {
    for (const auto& team : ranking->scores()) CheckFinite(team.score());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rapport::v1::EventBatch batch;
  if (!batch.ParseFromArray(data, static_cast<int>(size))) return 0;
  batch.set_want_scores(true);
  Pipeline& p = Get();
  auto ack = p.ingestor->Apply(batch);
  if (!ack.ok()) return 0;  // nothing committed; a store error is not the input's fault
  for (const auto& ticket : ack->ticket_scores()) {
    CheckFinite(ticket.score());
    CheckFinite(ticket.services_score());
    CheckFinite(ticket.communications_score());
  }
  std::set<std::string> tenants;
  for (const auto& event : batch.events()) tenants.insert(event.tenant());
  for (const std::string& tenant : tenants) CheckStoredScores(p, tenant);
  return 0;
}
