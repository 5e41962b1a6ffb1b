// IngestService.IngestRaw: one native payload, translated by the named
// adapter, stored like a StreamEvents batch (split into batches of at most
// max_batch_events, all committed before the single ack).
#include <atomic>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "server/ingest_service.h"
#include "server/status.h"

namespace rapport::server {
namespace {

// Collects the acks of a payload's batches; the last one finishes the call.
struct PendingRaw {
  grpc::ServerUnaryReactor* reactor;
  v1::BatchAck* response;
  absl::Mutex mu;
  size_t remaining;
  absl::Status failure;
  std::vector<std::pair<uint32_t, v1::BatchAck>> acks;  // event offset, ack
};

}  // namespace

grpc::ServerUnaryReactor* IngestServiceImpl::IngestRaw(grpc::CallbackServerContext* context,
                                                       const v1::RawPayload* request, v1::BatchAck* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto fail = [&](absl::Status s) {
    reactor->Finish(ToGrpc(s));
    return reactor;
  };
  if (adapters_ == nullptr) return fail(absl::FailedPreconditionError("this server has no adapters"));
  if (request->adapter().empty()) return fail(absl::InvalidArgumentError("adapter is required (see ListPlugins)"));
  if (request->tenant().empty()) return fail(absl::InvalidArgumentError("tenant is required"));
  if (request->body().empty()) return fail(absl::InvalidArgumentError("body is empty"));
  auto adapter = adapters_->registry.CreateAdapter(request->adapter(),
                                                   adapters_->ConfigFor(request->tenant(), request->adapter()));
  if (!adapter.ok()) return fail(adapter.status());
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& [k, v] : request->headers()) {
    std::string name = k;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    headers.emplace_back(std::move(name), v);
  }
  auto translated = (*adapter)->Translate(request->tenant(), request->body(), request->content_type(), headers);
  if (!translated.ok()) return fail(translated.status());

  response->set_sequence(request->sequence());
  for (v1::EventError& r : translated->rejected) {
    r.set_message(absl::StrCat("record ", r.index(), ": ", r.message()));
    *response->add_rejected() = std::move(r);
  }
  const size_t per_batch = std::max<size_t>(1, limits_.max_batch_events);
  const size_t total = translated->events.size();
  if (total == 0) return fail(absl::OkStatus());
  auto pending = std::make_shared<PendingRaw>();
  pending->reactor = reactor;
  pending->response = response;
  pending->remaining = (total + per_batch - 1) / per_batch;
  std::vector<std::shared_ptr<v1::EventBatch>> batches;
  for (size_t start = 0; start < total; start += per_batch) {
    auto batch = std::make_shared<v1::EventBatch>();
    batch->set_sequence(request->sequence());
    batch->set_want_scores(request->want_scores());
    for (size_t i = start; i < total && i < start + per_batch; ++i) *batch->add_events() = std::move(translated->events[i]);
    batches.push_back(std::move(batch));
  }
  for (size_t b = 0; b < batches.size(); ++b) {
    const uint32_t offset = static_cast<uint32_t>(b * per_batch);
    queue_->Submit(batches[b], [pending, offset](absl::StatusOr<v1::BatchAck> ack) {
      absl::MutexLock lock(&pending->mu);
      if (ack.ok()) {
        pending->acks.emplace_back(offset, std::move(*ack));
      } else if (pending->failure.ok()) {
        pending->failure = ack.status();
      }
      if (--pending->remaining > 0) return;
      // Every batch is committed (or one failed): merge and answer.
      v1::BatchAck* out = pending->response;
      for (auto& [first, a] : pending->acks) {
        out->set_accepted(out->accepted() + a.accepted());
        out->set_duplicates(out->duplicates() + a.duplicates());
        for (v1::EventError& e : *a.mutable_rejected()) {
          e.set_index(e.index() + first);
          *out->add_rejected() = std::move(e);
        }
        for (v1::TicketScore& s : *a.mutable_ticket_scores()) *out->add_ticket_scores() = std::move(s);
      }
      pending->reactor->Finish(ToGrpc(pending->failure));
    });
  }
  return reactor;
}

}  // namespace rapport::server
