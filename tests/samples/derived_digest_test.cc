// Derived data cannot go stale: the findings and scores of the bundled samples
// are digested and compared with the digest recorded for this
// kDerivedDataVersion in derived_digest.txt. A change of the detectors, the
// tone engine or the score that alters them fails here until the version is
// bumped (so stores written by the old code are rebuilt when the new rapportd
// starts) and the new digest recorded.
//
//   RAPPORT_UPDATE_DIGEST=1 build/tests/samples/derived_digest_tests   # records it
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/test_util.h"
#include "event/json.h"
#include "grpcpp/client_context.h"
#include "ingest/rebuild.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "rapport/v1/experience.grpc.pb.h"
#include "rapport/v1/ingest.grpc.pb.h"
#include "server/server.h"
#include "store/keys.h"

namespace rapport {
namespace {

std::vector<v1::TicketEvent> Samples() {
  std::vector<v1::TicketEvent> events;
  std::ifstream in(SAMPLES_FILE);
  std::string line;
  while (std::getline(in, line)) {
    auto event = ParseEventJson(line);
    EXPECT_TRUE(event.ok()) << event.status();
    if (event.ok()) events.push_back(*event);
  }
  return events;
}

// Every sample event in one stream, in file order, 200 to a batch.
void IngestSamples(grpc::Channel* channel) {
  auto stub = v1::IngestService::NewStub(std::shared_ptr<grpc::Channel>(channel, [](grpc::Channel*) {}));
  grpc::ClientContext context;
  auto stream = stub->StreamEvents(&context);
  std::vector<v1::TicketEvent> events = Samples();
  ASSERT_GT(events.size(), 1000u);
  uint64_t sequence = 0;
  for (size_t i = 0; i < events.size(); i += 200) {
    v1::EventBatch batch;
    batch.set_sequence(++sequence);
    for (size_t j = i; j < std::min(events.size(), i + 200); ++j) *batch.add_events() = events[j];
    ASSERT_TRUE(stream->Write(batch));
    v1::BatchAck ack;
    ASSERT_TRUE(stream->Read(&ack));
    ASSERT_EQ(ack.rejected_size(), 0) << ack.rejected(0).message();
  }
  stream->WritesDone();
  ASSERT_TRUE(stream->Finish().ok());
}

std::string Score(const v1::ScoreReport& r) {
  return absl::StrFormat("%s scored=%d score=%.6f services=%.6f communications=%.6f tickets=%d weighted=%.6f",
                         r.scope().id(), r.scored(), r.score(), r.services_score(), r.communications_score(),
                         r.tickets(), r.weighted_tickets());
}

// The readings a desk lead sees, one line each, in a fixed order.
std::string Readings(const std::shared_ptr<grpc::Channel>& channel) {
  auto admin = v1::AdminService::NewStub(channel);
  auto experience = v1::ExperienceService::NewStub(channel);
  grpc::ClientContext stats_context;
  v1::GetStatsResponse stats;
  EXPECT_TRUE(admin->GetStats(&stats_context, v1::GetStatsRequest(), &stats).ok());
  std::set<std::string> tenants;
  for (const auto& t : stats.tenants()) tenants.insert(t.tenant());

  std::ostringstream out;
  for (const std::string& tenant : tenants) {
    std::map<std::string, std::string> findings;  // by ticket and id: a fixed order
    v1::ListFindingsRequest request;
    request.set_tenant(tenant);
    request.set_page_size(1000);
    for (int page = 0; page < 1000; ++page) {
      grpc::ClientContext context;
      v1::ListFindingsResponse response;
      EXPECT_TRUE(experience->ListFindings(&context, request, &response).ok());
      for (const auto& f : response.findings()) findings[f.ticket_id() + " " + f.id()] = f.ShortDebugString();
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    for (const auto& [key, finding] : findings) out << "finding " << finding << "\n";

    for (int kind = v1::SCOPE_KIND_TICKET; kind <= v1::SCOPE_KIND_SERVICE; ++kind) {
      std::map<std::string, std::string> scores;
      v1::ListScoresRequest list;
      list.set_tenant(tenant);
      list.set_kind(static_cast<v1::ScopeKind>(kind));
      list.set_page_size(1000);
      for (int page = 0; page < 1000; ++page) {
        grpc::ClientContext context;
        v1::ListScoresResponse response;
        EXPECT_TRUE(experience->ListScores(&context, list, &response).ok());
        for (const auto& r : response.scores()) scores[r.scope().id()] = Score(r);
        if (response.next_page_token().empty()) break;
        list.set_page_token(response.next_page_token());
      }
      for (const auto& [id, line] : scores) out << "score " << tenant << " " << kind << " " << line << "\n";
    }
    grpc::ClientContext context;
    v1::GetScoreRequest whole;
    whole.set_tenant(tenant);
    whole.mutable_scope()->set_kind(v1::SCOPE_KIND_TENANT);
    v1::ScoreReport report;
    EXPECT_TRUE(experience->GetScore(&context, whole, &report).ok());
    out << "score " << tenant << " tenant " << Score(report) << "\n";
  }
  return out.str();
}

// tenant ∅ scope ∅ 'm' be64(month): a month roll-up (store/keys.h).
// A month ('m') or week ('w') roll-up of the score sums.
bool IsRollupKey(absl::string_view key) {
  return key.size() > 10 && key[key.size() - 10] == '\0' && (key[key.size() - 9] == 'm' || key[key.size() - 9] == 'w');
}

uint64_t Fnv1a(const std::string& text) {
  uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

TEST(DerivedData, DigestOfTheSamplesMatchesTheDerivedDataVersion) {
  testing::TempDir dir;
  server::ServerOptions options;
  options.listen = "";
  options.data_dir = dir.path();
  std::unique_ptr<server::RapportServer> server;
  ASSERT_TRUE(server::RapportServer::Start(options, &server).ok());
  IngestSamples(server->InProcessChannel().get());
  const std::string readings = Readings(server->InProcessChannel());
  ASSERT_GT(readings.size(), 1000u);
  const std::string digest = absl::StrFormat("%016x", Fnv1a(readings));
  const std::string readings_file = std::string(BINARY_DIR) + "/derived_readings.txt";
  std::ofstream(readings_file) << readings;

  const std::string recorded_file = DIGEST_FILE;
  if (std::getenv("RAPPORT_UPDATE_DIGEST") != nullptr) {
    std::ofstream(recorded_file) << "derived_data_version " << kDerivedDataVersion << "\ndigest " << digest << "\n";
    GTEST_SKIP() << "recorded digest " << digest << " for derived-data version " << kDerivedDataVersion;
  }
  std::ifstream in(recorded_file);
  std::string word, recorded_digest;
  int recorded_version = 0;
  in >> word >> recorded_version >> word >> recorded_digest;
  const std::string record = "RAPPORT_UPDATE_DIGEST=1 build/tests/samples/derived_digest_tests";
  if (recorded_version == kDerivedDataVersion) {
    EXPECT_EQ(digest, recorded_digest)
        << "The findings or scores of the bundled samples changed, but kDerivedDataVersion ("
        << kDerivedDataVersion << ") did not. Bump it in lib/ingest/rebuild.h so that stores written by the "
        << "old code are rebuilt when the new rapportd starts, then record the new digest: " << record
        << ". The new readings are in " << readings_file << ".";
  } else {
    ADD_FAILURE() << "kDerivedDataVersion is " << kDerivedDataVersion << " but " << recorded_file
                  << " records version " << recorded_version << ": record the digest of this version with "
                  << record << ".";
  }
}

// A store whose derived data another version wrote is rebuilt at startup:
// derived records it lacks come back, and it is marked current.
TEST(DerivedData, AStoreOfAnOlderVersionIsRebuiltAtStartup) {
  testing::TempDir dir;
  server::ServerOptions options;
  options.listen = "";
  options.data_dir = dir.path();
  std::string before;
  {
    std::unique_ptr<server::RapportServer> server;
    ASSERT_TRUE(server::RapportServer::Start(options, &server).ok());
    IngestSamples(server->InProcessChannel().get());
    before = Readings(server->InProcessChannel());
  }
  {
    // What an older rapportd would have left: another version, and derived
    // data that differs from this version's (here: no findings at all, and
    // no roll-ups of the score sums: version 4 wrote no months, 7 no weeks).
    std::unique_ptr<Store> store = testing::OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    Store::Batch batch(*store);
    batch.Put(Family::kMeta, keys::kDerivedVersion, std::to_string(kDerivedDataVersion - 1));
    ASSERT_TRUE(store->Scan(Family::kFindings, "", [&](absl::string_view key, absl::string_view) {
      batch.Delete(Family::kFindings, key);
      return true;
    }).ok());
    const size_t findings = batch.Count();
    ASSERT_TRUE(store->Scan(Family::kAggregates, "", [&](absl::string_view key, absl::string_view) {
      if (IsRollupKey(key)) batch.Delete(Family::kAggregates, key);
      return true;
    }).ok());
    ASSERT_GT(findings, 1u);
    ASSERT_GT(batch.Count(), findings + 10) << "roll-ups";
    ASSERT_TRUE(store->Commit(&batch).ok());
    auto current = DerivedDataIsCurrent(*store);
    ASSERT_TRUE(current.ok());
    EXPECT_FALSE(*current);
  }
  ::testing::internal::CaptureStderr();
  std::unique_ptr<server::RapportServer> server;
  ASSERT_TRUE(server::RapportServer::Start(options, &server).ok());
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("rebuilding derived data from the events"), std::string::npos) << log;
  EXPECT_NE(log.find("another version of rapportd"), std::string::npos) << log;
  EXPECT_EQ(Readings(server->InProcessChannel()), before);
  auto current = DerivedDataIsCurrent(server->store());
  ASSERT_TRUE(current.ok());
  EXPECT_TRUE(*current);
  size_t rollups = 0;
  ASSERT_TRUE(server->store().Scan(Family::kAggregates, "", [&](absl::string_view key, absl::string_view) {
    rollups += IsRollupKey(key);
    return true;
  }).ok());
  EXPECT_GT(rollups, 10u) << "the rebuild writes the roll-ups";
}

// Tighter rules never cost a stored event: a rebuild (as after an upgrade)
// replays what was accepted under the rules of its day.
TEST(DerivedData, ARebuildKeepsEventsTodaysRulesWouldRefuse) {
  testing::TempDir dir;
  server::ServerOptions options;
  options.listen = "";
  options.data_dir = dir.path();
  options.limits.max_name_bytes = 1024;  // an older, laxer rule
  v1::TicketEvent event = testing::Created("LONG-1", "long-1", 0);
  event.set_service(std::string(300, 's'));
  {
    std::unique_ptr<server::RapportServer> server;
    ASSERT_TRUE(server::RapportServer::Start(options, &server).ok());
    v1::EventBatch batch;
    batch.set_sequence(1);
    *batch.add_events() = event;
    auto stub = v1::IngestService::NewStub(server->InProcessChannel());
    grpc::ClientContext context;
    auto stream = stub->StreamEvents(&context);
    ASSERT_TRUE(stream->Write(batch));
    v1::BatchAck ack;
    ASSERT_TRUE(stream->Read(&ack));
    ASSERT_EQ(ack.accepted(), 1u);
    stream->WritesDone();
    ASSERT_TRUE(stream->Finish().ok());
  }
  options.limits = Limits();  // today's rule: 256 bytes
  options.rebuild = true;
  std::unique_ptr<server::RapportServer> server;
  absl::Status started = server::RapportServer::Start(options, &server);
  ASSERT_TRUE(started.ok()) << started;
  std::string stored;
  EXPECT_TRUE(server->store().Get(Family::kDedupe, keys::Dedupe("acme", "long-1"), &stored).ok());
  grpc::ClientContext context;
  v1::GetTicketRequest request;
  request.set_tenant("acme");
  request.set_ticket_id("LONG-1");
  v1::GetTicketResponse ticket;
  auto status = v1::ExperienceService::NewStub(server->InProcessChannel())->GetTicket(&context, request, &ticket);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(ticket.timeline_size(), 1);
}

}  // namespace
}  // namespace rapport
