// libFuzzer target: the HTTP request path as a sender on the network meets it.
// One RapportServer (a real store in a temporary directory, the HTTP port on
// 127.0.0.1, API keys on, a tenant with Jira and Zendesk signing secrets and
// a token) is started once; each input is written as raw bytes on a fresh
// connection: request line, headers and body as given. That covers
// cpp-httplib's parsing, the pre-routing limits, the routes, the signature
// and token checks and the API-key checks. Beyond "no crash, no sanitizer
// report", the port must still answer /healthz afterwards.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/api_keys.h"
#include "config/config.h"
#include "server/server.h"

namespace {

rapport::server::RapportServer* server = nullptr;

// Sends `bytes` on a new connection and returns what the server answers
// until it closes or stays silent for `quiet` (an incomplete request is
// left to the server's read timeout once the connection closes). The
// connection is not half-closed: cpp-httplib writes no answer to a client
// that has shut down its side.
std::string Exchange(const std::string& bytes, int quiet_ms = 20) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server->http_port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{quiet_ms / 1000, (quiet_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  timeval send_timeout{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
  std::string answer;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    (void)send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    char buf[4096];
    ssize_t n;
    while (answer.size() < (1 << 20) && (n = recv(fd, buf, sizeof(buf), 0)) > 0) answer.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return answer;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  const std::string dir = absl::StrCat(std::filesystem::temp_directory_path().string(), "/rapport-http-fuzz-", getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  // A keys file turns auth on; the fuzzer may guess a key's id, never its secret.
  (void)rapport::auth::UpdateKeyFile(dir + "/store", [](std::vector<rapport::auth::KeyRecord>* keys) {
    auto generated = rapport::auth::GenerateKey();
    if (!generated.ok()) return generated.status();
    keys->push_back({generated->hash, "acme", rapport::auth::Role::kIngest, "fuzz", 0});
    return absl::OkStatus();
  });
  auto config = rapport::ParseConfig(
      "tenants:\n  acme:\n    webhooks:\n      jira: {secret: s3cret}\n      zendesk: {secret: zd}\n"
      "      servicenow: {token: tok}\n");
  if (!config.ok()) std::abort();
  rapport::server::ServerOptions options;
  options.listen = "";
  options.http_listen = "127.0.0.1:0";
  options.data_dir = dir + "/store";
  options.config = *config;
  options.limits.max_message_bytes = 64 << 10;
  std::unique_ptr<rapport::server::RapportServer> started;
  if (!rapport::server::RapportServer::Start(options, &started).ok()) std::abort();
  server = started.release();  // lives as long as the process
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)Exchange(std::string(reinterpret_cast<const char*>(data), size));
  static int n = 0;
  if (++n % 1000 == 0) {
    const std::string health = Exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5000);
    if (health.find(" 200 ") == std::string::npos) {
      std::fprintf(stderr, "the port stopped answering /healthz: '%s'\n", health.substr(0, 200).c_str());
      std::abort();
    }
  }
  return 0;
}
