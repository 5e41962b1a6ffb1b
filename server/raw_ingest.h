// One native payload (a webhook body, an export chunk) translated by the
// named adapter and stored like a StreamEvents batch: split into batches of
// at most max_batch_events, all committed before the single answer. The one
// write path of IngestService.IngestRaw and the HTTP webhook endpoint.
//
// The answer and the request's memory stay bounded whatever the payload: each
// event is validated as the adapter emits it, so a refused one costs a count
// (and, for the first max_ack_errors, its error), never its memory; the ack
// lists at most max_ack_errors rejections (the adapter's first, then
// validation's, then the writer's) and counts every one by code.
#ifndef RAPPORT_SERVER_RAW_INGEST_H_
#define RAPPORT_SERVER_RAW_INGEST_H_

#include <functional>

#include "absl/status/statusor.h"
#include "event/validate.h"
#include "rapport/v1/ingest.pb.h"
#include "server/ingest_queue.h"
#include "server/ingest_service.h"

namespace rapport::server {

// Runs exactly once: at once (on the caller's thread) when the adapter
// refuses the payload or nothing is left to store, else on the writer thread
// after the last batch is committed. An error status means the payload was
// refused whole (the adapter's code: NOT_FOUND for an unknown adapter,
// INVALID_ARGUMENT for a body it cannot read) or a commit failed
// (UNAVAILABLE after IngestQueue::Stop). `request` is read during the call only.
using RawIngestDone = std::function<void(absl::StatusOr<v1::BatchAck>)>;
void IngestRawPayload(const v1::RawPayload& request, const Limits& limits, const AdapterCatalog& adapters,
                      IngestQueue* queue, RawIngestDone done);

}  // namespace rapport::server

#endif  // RAPPORT_SERVER_RAW_INGEST_H_
