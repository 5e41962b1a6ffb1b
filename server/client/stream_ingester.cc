#include "server/client/stream_ingester.h"

#include <algorithm>
#include <deque>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "rapport/v1/ingest.grpc.pb.h"
#include "server/client/channel.h"

namespace rapport::client {
namespace {

std::shared_ptr<grpc::Channel> DefaultChannel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  // A fresh channel per attempt; keep its own reconnect backoff short.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return CreateRapportChannel(target, args);
}

}  // namespace

StreamIngester::StreamIngester(Options options) : options_(std::move(options)) {
  options_.batch_size = std::max<size_t>(1, options_.batch_size);
  options_.in_flight = std::max(1, options_.in_flight);
}

absl::StatusOr<IngestProgress> StreamIngester::Run(const NextEvents& next) {
  struct Pending {
    size_t number;         // b-th batch taken from the source
    uint64_t first_event;  // position of its first event in the input
    v1::EventBatch batch;
  };
  IngestProgress totals;
  std::deque<Pending> unacked;  // sent, not acked, in send order
  size_t batches = 0;
  // A source error ends the input: the batches taken before it are still
  // sent and acked, then Run returns the error.
  absl::Status source_error;
  // Takes the next batch from the source; false at its end.
  auto take = [&](Pending* p) {
    if (totals.input_done) return false;
    p->batch.Clear();
    source_error = next(options_.batch_size, &p->batch);
    if (!source_error.ok()) p->batch.Clear();
    if (p->batch.events_size() == 0) {
      totals.input_done = true;
      return false;
    }
    p->number = batches++;
    p->first_event = totals.events_total;
    p->batch.set_sequence(p->number);
    totals.events_total += p->batch.events_size();
    return true;
  };
  auto report = [&] {
    if (options_.on_progress) options_.on_progress(totals);
  };

  absl::Time last_progress = absl::Now();
  absl::Duration backoff = absl::Milliseconds(50);
  while (true) {
    auto channel = options_.make_channel ? options_.make_channel() : DefaultChannel(options_.target);
    auto stub = v1::IngestService::NewStub(channel);
    grpc::ClientContext context;
    auto stream = stub->StreamEvents(&context);
    // A failed write means the call is over: read the acks it still holds,
    // then Finish gives the server's status.
    bool writable = true;
    auto write = [&](const Pending& p) {
      if (!writable) return;
      if (options_.on_send) options_.on_send(p.number);
      writable = stream->Write(p.batch);
    };
    for (const Pending& p : unacked) write(p);
    bool read_all = true;
    while (true) {
      while (writable && unacked.size() < static_cast<size_t>(options_.in_flight)) {
        Pending p;
        if (!take(&p)) break;
        write(p);
        unacked.push_back(std::move(p));
      }
      if (unacked.empty()) break;
      v1::BatchAck ack;
      if (!stream->Read(&ack)) {
        read_all = false;
        break;
      }
      // Acks come in send order; anything else is a server bug worth surfacing.
      const Pending& p = unacked.front();
      if (ack.sequence() != p.batch.sequence()) {
        context.TryCancel();
        (void)stream->Finish();
        return absl::InternalError(absl::StrCat("ack for batch ", ack.sequence(), " arrived while batch ",
                                                p.batch.sequence(), " was expected"));
      }
      totals.events_acked += p.batch.events_size();
      totals.accepted += ack.accepted();
      totals.duplicates += ack.duplicates();
      totals.conflicts += ack.conflicts();
      std::map<std::string, uint64_t> rejected;
      CountRejections(ack, &rejected);
      for (const auto& [code, n] : rejected) totals.rejected += n;
      if (options_.on_ack) options_.on_ack(p.number, ack);
      unacked.pop_front();
      last_progress = absl::Now();
      backoff = absl::Milliseconds(50);
      report();
    }
    if (read_all && writable) stream->WritesDone();
    grpc::Status status = stream->Finish();
    if (read_all && writable && status.ok()) break;
    totals.last_error = absl::StrCat(status.error_code(), ": ", status.error_message());
    if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT && !unacked.empty()) {
      // The same bytes would be refused again: say which batch, and stop.
      const Pending& p = unacked.front();
      return absl::InvalidArgumentError(absl::StrCat(
          "the server refused batch ", p.number, " (events ", p.first_event, "..",
          p.first_event + p.batch.events_size() - 1, " of the input; ", totals.events_acked,
          " events before it are acked): ", status.error_message()));
    }
    if (absl::Now() - last_progress > options_.retry_for) {
      return absl::UnavailableError(absl::StrCat(
          "no batch was acked for ", absl::FormatDuration(options_.retry_for),
          "; last error: ", totals.last_error, ". ", totals.events_acked, " events are acked; running the "
          "same command again is safe (stored events count as duplicates)"));
    }
    ++totals.reconnects;
    report();
    std::this_thread::sleep_for(absl::ToChronoMilliseconds(backoff));
    backoff = std::min(backoff * 2, absl::Seconds(2));
  }
  if (!source_error.ok()) return source_error;
  return totals;
}

void CountRejections(const v1::BatchAck& ack, std::map<std::string, uint64_t>* by_code) {
  for (const auto& [code, n] : ack.rejected_by_code()) (*by_code)[code] += n;
  if (!ack.rejected_by_code().empty()) return;
  // A server that does not count by code lists every rejection.
  for (const v1::EventError& e : ack.rejected()) ++(*by_code)[e.code()];
}

absl::StatusOr<IngestResult> StreamIngester::Run(const std::vector<v1::TicketEvent>& events) {
  const size_t batch_size = options_.batch_size;
  IngestResult result;
  result.acks.resize((events.size() + batch_size - 1) / batch_size);
  size_t taken = 0;
  auto next = [&](size_t max, v1::EventBatch* batch) {
    for (size_t end = std::min(events.size(), taken + max); taken < end; ++taken) *batch->add_events() = events[taken];
    return absl::OkStatus();
  };
  StreamIngester with_acks(options_);
  with_acks.options_.on_ack = [&](size_t b, const v1::BatchAck& ack) {
    for (const v1::EventError& e : ack.rejected()) {
      v1::EventError global = e;
      global.set_index(static_cast<uint32_t>(b * batch_size + e.index()));
      result.rejections.push_back(std::move(global));
    }
    CountRejections(ack, &result.rejected_by_code);
    result.acks[b] = ack;
    if (options_.on_ack) options_.on_ack(b, ack);
  };
  auto totals = with_acks.Run(next);
  if (!totals.ok()) return totals.status();
  result.totals = *totals;
  return result;
}

}  // namespace rapport::client
