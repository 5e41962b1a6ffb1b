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

namespace rapport::client {
namespace {

std::shared_ptr<grpc::Channel> DefaultChannel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  // A fresh channel per attempt; keep its own reconnect backoff short.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

}  // namespace

StreamIngester::StreamIngester(Options options) : options_(std::move(options)) {
  options_.batch_size = std::max<size_t>(1, options_.batch_size);
  options_.window = std::max(1, options_.window);
}

absl::StatusOr<IngestResult> StreamIngester::Run(const std::vector<v1::TicketEvent>& events) {
  const size_t batch_size = options_.batch_size;
  const size_t batches = (events.size() + batch_size - 1) / batch_size;
  IngestResult result;
  result.acks.resize(batches);
  result.totals.events_total = events.size();
  std::vector<bool> acked(batches, false);
  size_t acked_count = 0, next_batch = 0;
  std::deque<size_t> unacked;  // sent, not acked, in send order

  auto make_batch = [&](size_t b) {
    v1::EventBatch batch;
    batch.set_sequence(b);
    size_t end = std::min(events.size(), (b + 1) * batch_size);
    for (size_t i = b * batch_size; i < end; ++i) *batch.add_events() = events[i];
    return batch;
  };
  auto report = [&] {
    if (options_.on_progress) options_.on_progress(result.totals);
  };

  absl::Time last_progress = absl::Now();
  absl::Duration backoff = absl::Milliseconds(50);
  while (acked_count < batches) {
    auto channel = options_.make_channel ? options_.make_channel() : DefaultChannel(options_.target);
    auto stub = v1::IngestService::NewStub(channel);
    grpc::ClientContext context;
    auto stream = stub->StreamEvents(&context);
    bool ok = true;
    for (size_t b : unacked) {
      if (options_.on_send) options_.on_send(b);
      if (!stream->Write(make_batch(b))) {
        ok = false;
        break;
      }
    }
    while (ok && acked_count < batches) {
      while (ok && unacked.size() < static_cast<size_t>(options_.window) && next_batch < batches) {
        if (options_.on_send) options_.on_send(next_batch);
        if (!stream->Write(make_batch(next_batch))) {
          ok = false;
          break;
        }
        unacked.push_back(next_batch++);
      }
      if (!ok || unacked.empty()) break;
      v1::BatchAck ack;
      if (!stream->Read(&ack)) {
        ok = false;
        break;
      }
      // Acks come in send order; anything else is a server bug worth surfacing.
      if (ack.sequence() != unacked.front()) {
        context.TryCancel();
        (void)stream->Finish();
        return absl::InternalError(absl::StrCat("ack for batch ", ack.sequence(),
                                                " arrived while batch ", unacked.front(),
                                                " was expected"));
      }
      size_t b = unacked.front();
      unacked.pop_front();
      acked[b] = true;
      ++acked_count;
      size_t first_event = b * batch_size;
      result.totals.events_acked += std::min(events.size(), first_event + batch_size) - first_event;
      result.totals.accepted += ack.accepted();
      result.totals.duplicates += ack.duplicates();
      result.totals.conflicts += ack.conflicts();
      for (const auto& [code, n] : ack.rejected_by_code()) {
        result.totals.rejected += n;
        result.rejected_by_code[code] += n;
      }
      if (ack.rejected_by_code().empty()) {  // a server that does not count by code lists them all
        result.totals.rejected += ack.rejected_size();
        for (const v1::EventError& e : ack.rejected()) ++result.rejected_by_code[e.code()];
      }
      for (const v1::EventError& e : ack.rejected()) {
        v1::EventError global = e;
        global.set_index(static_cast<uint32_t>(first_event + e.index()));
        result.rejections.push_back(std::move(global));
      }
      if (options_.on_ack) options_.on_ack(b, ack);
      result.acks[b] = std::move(ack);
      last_progress = absl::Now();
      backoff = absl::Milliseconds(50);
      report();
    }
    if (ok) {
      stream->WritesDone();
      grpc::Status status = stream->Finish();
      if (status.ok()) break;
      result.totals.last_error = status.error_message();
    } else {
      context.TryCancel();
      grpc::Status status = stream->Finish();
      result.totals.last_error = absl::StrCat(status.error_code(), ": ", status.error_message());
    }
    if (acked_count == batches) break;
    if (absl::Now() - last_progress > options_.retry_for) {
      return absl::UnavailableError(absl::StrCat(
          "no batch was acked for ", absl::FormatDuration(options_.retry_for),
          "; last error: ", result.totals.last_error, ". ", acked_count, " of ", batches,
          " batches are acked; running the same command again is safe (stored events count as "
          "duplicates)"));
    }
    ++result.totals.reconnects;
    report();
    std::this_thread::sleep_for(absl::ToChronoMilliseconds(backoff));
    backoff = std::min(backoff * 2, absl::Seconds(2));
  }
  return result;
}

}  // namespace rapport::client
