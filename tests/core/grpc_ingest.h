// Sends events to a real server over StreamEvents as one batch and checks
// the ack: the one way the server tests feed a server over gRPC. Header
// only: the tests that use it link gRPC already.
#ifndef RAPPORT_TESTS_CORE_GRPC_INGEST_H_
#define RAPPORT_TESTS_CORE_GRPC_INGEST_H_

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "rapport/v1/ingest.grpc.pb.h"

namespace rapport::testing {

inline void StreamBatch(const std::shared_ptr<grpc::Channel>& channel, const std::vector<v1::TicketEvent>& events) {
  auto stub = v1::IngestService::NewStub(channel);
  grpc::ClientContext context;
  auto stream = stub->StreamEvents(&context);
  v1::EventBatch batch;
  batch.set_sequence(1);
  for (const auto& e : events) *batch.add_events() = e;
  ASSERT_TRUE(stream->Write(batch));
  v1::BatchAck ack;
  ASSERT_TRUE(stream->Read(&ack));
  EXPECT_EQ(ack.rejected_size(), 0) << ack.ShortDebugString();
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

}  // namespace rapport::testing

#endif  // RAPPORT_TESTS_CORE_GRPC_INGEST_H_
