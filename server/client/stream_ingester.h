// StreamIngester: the client side of IngestService.StreamEvents, shared by
// the `rapport` CLI, the crash test and bench/ingest.
//
// Events are sent in batches of `batch_size` with up to `window` batches
// un-acked. When the stream breaks (the server restarts, the network drops),
// it reconnects on a fresh channel and re-sends every un-acked batch in order;
// the server's dedupe turns already-committed ones into duplicates, so each
// event is stored exactly once.
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
  uint64_t events_total = 0;
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

class StreamIngester {
 public:
  struct Options {
    std::string target = "127.0.0.1:50051";
    size_t batch_size = 100;
    int window = 16;
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

  explicit StreamIngester(Options options);

  // Sends every event and returns when all batches are acked, or with the
  // last stream error once `retry_for` passes without progress.
  absl::StatusOr<IngestResult> Run(const std::vector<v1::TicketEvent>& events);

 private:
  Options options_;
};

}  // namespace rapport::client

#endif  // RAPPORT_SERVER_CLIENT_STREAM_INGESTER_H_
