#include "core/test_util.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

#include "base/net.h"
#include "event/event.h"

namespace rapport::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "rapport-test-XXXXXX").string();
  char* made = mkdtemp(pattern.data());
  if (made == nullptr) std::abort();
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::unique_ptr<Store> OpenStore(const std::string& path) {
  Store::Options options;
  options.path = path;
  std::unique_ptr<Store> store;
  if (absl::Status s = Store::Open(options, &store); !s.ok()) ADD_FAILURE() << s;
  return store;
}

int64_t At(int64_t minutes) { return 1788249600LL * 1'000'000 + minutes * 60'000'000; }

namespace {

v1::TicketEvent Base(const std::string& ticket, const std::string& id, int64_t minute, v1::EventKind kind) {
  v1::TicketEvent e;
  e.set_tenant("acme");
  e.set_ticket_id(ticket);
  e.set_event_id(id);
  *e.mutable_occurred_at() = FromMicros(At(minute));
  e.set_source("test");
  e.set_kind(kind);
  return e;
}

}  // namespace

v1::TicketEvent Created(const std::string& ticket, const std::string& id, int64_t minute, const std::string& team) {
  v1::TicketEvent e = Base(ticket, id, minute, v1::EVENT_KIND_TICKET_CREATED);
  e.mutable_actor()->set_id("req-1");
  e.mutable_actor()->set_role(v1::ACTOR_ROLE_REQUESTER);
  e.set_status(v1::TICKET_STATUS_NEW);
  e.set_priority(v1::PRIORITY_MEDIUM);
  e.mutable_requester()->set_id("req-1");
  e.mutable_requester()->set_department("Finance");
  e.set_service("vpn");
  if (!team.empty()) e.mutable_assignee()->set_team(team);
  return e;
}

v1::TicketEvent Status(const std::string& ticket, const std::string& id, int64_t minute, v1::TicketStatus status) {
  v1::TicketEvent e = Base(ticket, id, minute, v1::EVENT_KIND_STATUS_CHANGED);
  e.mutable_actor()->set_id("agent-1");
  e.mutable_actor()->set_role(v1::ACTOR_ROLE_AGENT);
  e.set_status(status);
  return e;
}

v1::TicketEvent Assign(const std::string& ticket, const std::string& id, int64_t minute, const std::string& agent,
                       const std::string& team) {
  v1::TicketEvent e = Base(ticket, id, minute, v1::EVENT_KIND_ASSIGNMENT_CHANGED);
  e.mutable_actor()->set_role(v1::ACTOR_ROLE_AGENT);
  e.mutable_assignee()->set_agent_id(agent);
  e.mutable_assignee()->set_team(team);
  return e;
}

v1::TicketEvent Comment(const std::string& ticket, const std::string& id, int64_t minute, v1::ActorRole role,
                        const std::string& text, bool is_public) {
  v1::TicketEvent e = Base(ticket, id, minute, v1::EVENT_KIND_COMMENT_ADDED);
  e.mutable_actor()->set_id(role == v1::ACTOR_ROLE_REQUESTER ? "req-1" : "agent-1");
  e.mutable_actor()->set_role(role);
  e.mutable_comment()->set_text(text);
  e.mutable_comment()->set_public_(is_public);
  return e;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int FreePort() { return PickFreeLoopbackPort(); }

}  // namespace rapport::testing
