// Writes seed inputs for fuzz_ingest: canonical events from JSONL files (the
// bundled samples, the jsonl fixtures) as serialized EventBatch messages of a
// few events each, one file per batch.
//   ingest_seeds OUT_DIR FILE.jsonl...
#include <fstream>
#include <iostream>
#include <string>

#include "event/json.h"
#include "rapport/v1/ingest.pb.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: ingest_seeds OUT_DIR FILE.jsonl...\n";
    return 2;
  }
  const std::string out = argv[1];
  int written = 0;
  rapport::v1::EventBatch batch;
  auto flush = [&] {
    if (batch.events_size() == 0) return;
    std::ofstream(out + "/seed-" + std::to_string(written++), std::ios::binary) << batch.SerializeAsString();
    batch.clear_events();
  };
  for (int i = 2; i < argc; ++i) {
    std::ifstream in(argv[i]);
    std::string line;
    while (std::getline(in, line)) {
      auto event = rapport::ParseEventJson(line);
      if (!event.ok()) continue;
      *batch.add_events() = *event;
      if (batch.events_size() == 1 + written % 12) flush();
    }
    flush();
  }
  std::cout << written << " seeds in " << out << "\n";
  return 0;
}
