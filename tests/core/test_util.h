// Helpers shared by the core tests: temporary directories and compact event
// builders for hand-written timelines.
#ifndef RAPPORT_TESTS_CORE_TEST_UTIL_H_
#define RAPPORT_TESTS_CORE_TEST_UTIL_H_

#include <cstdint>
#include <memory>
#include <string>

#include "rapport/v1/events.pb.h"
#include "store/store.h"

namespace rapport::testing {

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A store with default options at `path`, created if missing; null, with
// the test marked failed, if it cannot be opened.
std::unique_ptr<Store> OpenStore(const std::string& path);

// 2026-09-01T08:00:00Z plus `minutes`.
int64_t At(int64_t minutes);

// Builders: tenant "acme" unless changed afterwards.
v1::TicketEvent Created(const std::string& ticket, const std::string& id, int64_t minute,
                        const std::string& team = "Service Desk");
v1::TicketEvent Status(const std::string& ticket, const std::string& id, int64_t minute,
                       v1::TicketStatus status);
v1::TicketEvent Assign(const std::string& ticket, const std::string& id, int64_t minute,
                       const std::string& agent, const std::string& team);
v1::TicketEvent Comment(const std::string& ticket, const std::string& id, int64_t minute,
                        v1::ActorRole role, const std::string& text, bool is_public = true);

// The whole file at `path`; empty if it cannot be read (the test's own
// expectations then fail with the content).
std::string ReadFile(const std::string& path);

// A free TCP port on 127.0.0.1 (bound and released; good enough for tests).
int FreePort();

}  // namespace rapport::testing

#endif  // RAPPORT_TESTS_CORE_TEST_UTIL_H_
