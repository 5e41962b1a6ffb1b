// StreamIngester: the client side of IngestService.StreamEvents, shared by
// the `rapport` CLI, the crash test and bench/ingest.
//
// Events are sent in batches of `batch_size` with up to `in_flight` batches
// un-acked; only those are kept, so a source of any length streams in bounded
// memory. When the stream breaks (the server restarts or shuts down, the
// network drops), it reconnects on a fresh channel and re-sends every un-acked
// batch in order; the server's dedupe turns already-committed ones into
// duplicates, so each event is stored exactly once. A batch the server cannot
// parse (INVALID_ARGUMENT) is not re-sent: Run fails naming it, and every
// batch before it is acked.
#ifndef RAPPORT_SERVER_CLIENT_STREAM_INGESTER_H_
#define RAPPORT_SERVER_CLIENT_STREAM_INGESTER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "rapport/v1/ingest.pb.h"

namespace rapport::client {

struct IngestProgress {
  uint64_t events_total = 0;  // taken from the source so far
  bool input_done = false;    // the source has no more events
  uint64_t events_acked = 0;
  uint64_t accepted = 0;
  uint64_t duplicates = 0;
  uint64_t conflicts = 0;  // of the duplicates, those whose content differs from the first write
  uint64_t rejected = 0;
  uint64_t reconnects = 0;
  std::string last_error;  // why the last stream broke
};

struct IngestResult {
  IngestProgress totals;
  // The ack each batch finally got, indexed by batch number. Batch b holds
  // events [b * batch_size, (b + 1) * batch_size).
  std::vector<v1::BatchAck> acks;
  // Rejections with `index` rewritten to the event's position in the input:
  // the ones the acks list in detail (the server lists the first of each ack).
  std::vector<v1::EventError> rejections;
  // Every rejection counted by code, also those past an ack's detail.
  std::map<std::string, uint64_t> rejected_by_code;
};

// Every rejection of `ack` counted by code, added to `by_code`: from its
// rejected_by_code (an ack lists only the first rejections in detail), or
// from the list of a server that does not count.
void CountRejections(const v1::BatchAck& ack, std::map<std::string, uint64_t>* by_code);

class StreamIngester {
 public:
  struct Options {
    std::string target = "127.0.0.1:50051";
    size_t batch_size = 100;
    int in_flight = 16;  // batches sent and not yet acked
    // Give up when no batch was acked for this long.
    absl::Duration retry_for = absl::Seconds(60);
    // Called after every ack and every reconnect (on the calling thread).
    std::function<void(const IngestProgress&)> on_progress;
    // Optional: how to make a channel (tests pass in-process channels).
    std::function<std::shared_ptr<grpc::Channel>()> make_channel;
    // Optional: called with each batch number right before it is written
    // (again on a re-send).
    std::function<void(size_t batch)> on_send;
    // Optional: called with each batch number right after its ack arrives.
    std::function<void(size_t batch, const v1::BatchAck&)> on_ack;
  };

  // Adds the next events, at most `max`, to `batch`; adding none ends the
  // input. An error ends the input too: what was taken before it is sent
  // and acked, then Run returns the error.
  using NextEvents = std::function<absl::Status(size_t max, v1::EventBatch* batch)>;

  explicit StreamIngester(Options options);

  // Sends what `next` supplies and returns the totals when every batch is
  // acked; with the last stream error once `retry_for` passes without
  // progress; INVALID_ARGUMENT at once when the server cannot parse a batch.
  // Batch b is the b-th batch taken from `next` (on_send, on_ack).
  absl::StatusOr<IngestProgress> Run(const NextEvents& next);
  // All of `events`, keeping every ack.
  absl::StatusOr<IngestResult> Run(const std::vector<v1::TicketEvent>& events);

 private:
  Options options_;
};

}  // namespace rapport::client

#endif  // RAPPORT_SERVER_CLIENT_STREAM_INGESTER_H_
