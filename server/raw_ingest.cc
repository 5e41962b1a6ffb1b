// IngestService.IngestRaw and IngestRawPayload (raw_ingest.h): one native
// payload through its adapter into the write path.
#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "server/raw_ingest.h"
#include "server/status.h"

namespace rapport::server {
namespace {

// A batch of translated events, with each event's position among all the
// payload's translated events (what an EventError's index names).
struct RawBatch {
  std::shared_ptr<v1::EventBatch> batch = std::make_shared<v1::EventBatch>();
  std::vector<uint32_t> positions;
};

// Collects the acks of a payload's batches; the last one finishes the call.
struct PendingRaw {
  RawIngestDone done;
  v1::BatchAck response;
  size_t max_detailed = 0;
  absl::Mutex mu;
  size_t remaining = 0;
  absl::Status failure;
  std::vector<std::pair<std::vector<uint32_t>, v1::BatchAck>> acks;  // positions, ack
};

// Adds `error` to the ack's counts, and to its list while there is room.
void AddRejection(v1::EventError error, size_t max_detailed, v1::BatchAck* ack) {
  (*ack->mutable_rejected_by_code())[error.code()]++;
  if (static_cast<size_t>(ack->rejected_size()) < max_detailed) *ack->add_rejected() = std::move(error);
}

// Runs on the writer thread, once per batch; the last one answers.
void OnBatchDone(const std::shared_ptr<PendingRaw>& pending, std::vector<uint32_t> positions,
                 absl::StatusOr<v1::BatchAck> ack) {
  absl::MutexLock lock(&pending->mu);
  if (ack.ok()) {
    pending->acks.emplace_back(std::move(positions), std::move(*ack));
  } else if (pending->failure.ok()) {
    pending->failure = ack.status();
  }
  if (--pending->remaining > 0) return;
  v1::BatchAck* out = &pending->response;
  for (auto& [at, a] : pending->acks) {
    out->set_accepted(out->accepted() + a.accepted());
    out->set_duplicates(out->duplicates() + a.duplicates());
    out->set_conflicts(out->conflicts() + a.conflicts());
    for (const auto& [code, count] : a.rejected_by_code()) (*out->mutable_rejected_by_code())[code] += count;
    for (v1::EventError& e : *a.mutable_rejected()) {
      if (static_cast<size_t>(out->rejected_size()) >= pending->max_detailed) break;
      if (e.index() < at.size()) e.set_index(at[e.index()]);
      *out->add_rejected() = std::move(e);
    }
    for (v1::TicketScore& s : *a.mutable_ticket_scores()) *out->add_ticket_scores() = std::move(s);
  }
  if (pending->failure.ok()) {
    pending->done(std::move(pending->response));
  } else {
    pending->done(pending->failure);
  }
}

}  // namespace

void IngestRawPayload(const v1::RawPayload& request, const Limits& limits, const AdapterCatalog& adapters,
                      IngestQueue* queue, RawIngestDone done) {
  if (request.adapter().empty()) return done(absl::InvalidArgumentError("adapter is required (see ListPlugins)"));
  if (request.tenant().empty()) return done(absl::InvalidArgumentError("tenant is required"));
  if (request.body().empty()) return done(absl::InvalidArgumentError("body is empty"));
  auto adapter = adapters.registry.CreateAdapter(request.adapter(),
                                                 adapters.ConfigFor(request.tenant(), request.adapter()));
  if (!adapter.ok()) return done(adapter.status());
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& [k, v] : request.headers()) {
    std::string name = k;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    headers.emplace_back(std::move(name), v);
  }

  const size_t max_detailed = limits.max_ack_errors;
  const size_t per_batch = std::max<size_t>(1, limits.max_batch_events);
  const int64_t now = absl::ToUnixMicros(absl::Now());
  std::vector<RawBatch> batches;
  v1::BatchAck screened;  // validation's refusals, counted and listed like an ack's
  uint32_t position = 0;
  auto screen = [&](v1::TicketEvent event) {
    const uint32_t at = position++;
    // Under the payload's tenant, the one the caller was authorized for,
    // whatever a (third-party) adapter put there.
    event.set_tenant(request.tenant());
    if (auto error = ValidateEvent(event, now, limits)) {
      error->set_index(at);
      AddRejection(std::move(*error), max_detailed, &screened);
      return;
    }
    if (batches.empty() || batches.back().positions.size() >= per_batch) {
      RawBatch& fresh = batches.emplace_back();
      fresh.batch->set_sequence(request.sequence());
      fresh.batch->set_want_scores(request.want_scores());
    }
    *batches.back().batch->add_events() = std::move(event);
    batches.back().positions.push_back(at);
  };
  auto translated = (*adapter)->Translate(request.tenant(), request.body(), request.content_type(), headers,
                                          max_detailed, screen);
  if (!translated.ok()) return done(translated.status());

  auto pending = std::make_shared<PendingRaw>();
  v1::BatchAck* response = &pending->response;
  response->set_sequence(request.sequence());
  if (!translated->note.empty()) response->add_notes(translated->note);
  for (v1::EventError& r : translated->rejected) {
    r.set_message(absl::StrCat("record ", r.index(), ": ", r.message()));
    *response->add_rejected() = std::move(r);
  }
  for (const auto& [code, count] : translated->rejected_by_code) {
    (*response->mutable_rejected_by_code())[code] += static_cast<uint32_t>(count);
  }
  for (const auto& [code, count] : screened.rejected_by_code()) (*response->mutable_rejected_by_code())[code] += count;
  for (v1::EventError& e : *screened.mutable_rejected()) {
    if (static_cast<size_t>(response->rejected_size()) >= max_detailed) break;
    *response->add_rejected() = std::move(e);
  }
  if (batches.empty()) return done(std::move(pending->response));

  pending->done = std::move(done);
  pending->max_detailed = max_detailed;
  pending->remaining = batches.size();
  for (RawBatch& b : batches) {
    queue->Submit(std::move(b.batch), [pending, positions = std::move(b.positions)](
                                          absl::StatusOr<v1::BatchAck> ack) mutable {
      OnBatchDone(pending, std::move(positions), std::move(ack));
    });
  }
}

grpc::ServerUnaryReactor* IngestServiceImpl::IngestRaw(grpc::CallbackServerContext* context,
                                                       const v1::RawPayload* request, v1::BatchAck* response) {
  if (auth_ != nullptr) {
    if (auto* refused = auth_->RefuseUnary(context, request->tenant(), Role::kIngest)) return refused;
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (adapters_ == nullptr) {
    reactor->Finish(ToGrpc(absl::FailedPreconditionError("this server has no adapters")));
    return reactor;
  }
  IngestRawPayload(*request, limits_, *adapters_, queue_, [reactor, response](absl::StatusOr<v1::BatchAck> ack) {
    if (ack.ok()) *response = std::move(*ack);
    reactor->Finish(ToGrpc(ack.status()));
  });
  return reactor;
}

}  // namespace rapport::server
