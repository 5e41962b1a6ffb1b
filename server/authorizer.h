// Who may call what: the one place every gRPC method and HTTP route asks,
// before it reads anything (docs/security.md).
//
// A call presents `authorization: Bearer <key>` (gRPC metadata or HTTP
// header). The key must be one the KeyRing holds, its tenant the call's
// tenant (or the operator tenant "*"), its role one that allows the call
// (auth/api_keys.h: admin includes read and ingest). Refusals:
// UNAUTHENTICATED (HTTP 401) for a missing, malformed, unknown or revoked
// key; PERMISSION_DENIED (403) for a valid key of another tenant or without
// the role — whether or not that tenant exists, since the check comes first.
//
// Why a check in each handler rather than grpc::AuthMetadataProcessor or an
// interceptor: the processor works only on TLS credentials (on insecure ones
// gRPC 1.51 aborts) and its AuthContext is per connection, so two calls of
// two tenants on one connection could mix; an experimental server
// interceptor sees the request message only as an untyped pointer (it
// guards only gRPC's reflection service, which has no handler of ours). The
// handler knows its request's tenant, so one line per method does it:
//
//   if (auto* refused = auth_->RefuseUnary(context, request->tenant(), Role::kRead)) return refused;
//
// When auth is off (loopback, no key anywhere, not required) every check
// passes as the operator's admin: the single-host mode the tests and a
// developer's machine use.
#ifndef RAPPORT_SERVER_AUTHORIZER_H_
#define RAPPORT_SERVER_AUTHORIZER_H_

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "auth/api_keys.h"
#include "config/config.h"
#include "server/call_limits.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_interceptor.h"
#include "grpcpp/support/server_callback.h"

namespace rapport::server {

using auth::Role;

// The key a call was allowed with.
struct Principal {
  std::string key_id;  // "" when auth is off
  std::string tenant;  // the key's tenant, "*" for the operator
  Role role = Role::kAdmin;
  bool is_operator() const { return tenant == auth::kOperatorTenant; }
};

// One immutable set of keys: the keys file's and the configuration's.
struct KeySet {
  struct Entry {
    auth::KeyHash hash;
    std::string tenant;
    Role role = Role::kRead;
  };
  std::map<std::string, Entry> by_id;
  bool file_exists = false;  // the keys file is there, even empty
  bool config_names_keys = false;
};

// The keys in force. The keys file is re-read when it changes (checked every
// `poll`), so `rapportd keys create/revoke` take effect within about that
// long without a restart; a file that does not parse keeps the keys of the
// last good one and is logged once per change. Records each key's last use
// and writes it to RAPPORT-KEYS-USED at most every ten seconds.
class KeyRing {
 public:
  static absl::StatusOr<std::unique_ptr<KeyRing>> Open(const std::string& data_dir, const RapportConfig::ApiKeys& config_keys,
                                                       absl::Duration poll = absl::Seconds(1));
  ~KeyRing();
  KeyRing(const KeyRing&) = delete;
  KeyRing& operator=(const KeyRing&) = delete;

  std::shared_ptr<const KeySet> Get() const;
  // A configuration reload's keys (tenants.T.keys).
  void SetConfigKeys(const RapportConfig::ApiKeys& config_keys);
  void NoteUse(const std::string& key_id);

 private:
  KeyRing(std::string data_dir, absl::Duration poll) : data_dir_(std::move(data_dir)), poll_(poll) {}
  // Re-reads the file if its identity (inode, size, mtime) changed. The
  // first call reports a bad file as an error; later ones log it.
  absl::Status Refresh(bool first);
  void Publish();
  void Poll();
  void FlushUsage();

  const std::string data_dir_;
  const absl::Duration poll_;
  mutable std::mutex mu_;
  std::shared_ptr<const KeySet> keys_;                  // guarded by mu_
  std::vector<auth::KeyRecord> file_keys_;              // guarded by mu_
  bool file_exists_ = false;                            // guarded by mu_
  RapportConfig::ApiKeys config_keys_;                  // guarded by mu_
  std::string file_identity_;                           // guarded by mu_
  std::map<std::string, int64_t> used_;                 // guarded by mu_
  bool used_dirty_ = false;                             // guarded by mu_
  absl::Time flushed_ = absl::InfinitePast();           // guarded by mu_
  bool stop_ = false;                                   // guarded by mu_
  std::condition_variable wake_;
  std::thread poller_;
};

class Authorizer {
 public:
  // `ring` and `limiter` (null: no call limits) must outlive the
  // authorizer. `required`: --require-auth, auth.required, or a listen
  // address that is not loopback.
  Authorizer(KeyRing* ring, bool required, CallLimiter* limiter = nullptr)
      : ring_(ring), required_(required), limiter_(limiter) {}

  // Auth is on when required or when any key is known: the keys file exists
  // (even emptied by revocations) or the configuration names a key. So the
  // first `rapportd keys create` turns it on within a poll, and revoking
  // every key never turns it off.
  bool Enabled() const;

  // The one check. `authorization`: the header's value ("" when absent).
  // `tenant`: the tenant the call reads or writes; "*" for what belongs to
  // no tenant (an operator key only); "" for a listing the caller narrows to
  // the principal's tenant itself.
  absl::StatusOr<Principal> Check(absl::string_view authorization, absl::string_view tenant, Role needed) const;

  // Any valid key, whatever its tenant and role (reflection).
  absl::StatusOr<Principal> Authenticate(absl::string_view authorization) const;

  // For grpc::ServerBuilder::experimental().SetInterceptorCreators: guards
  // gRPC's reflection service, which has no handler of ours (any valid key).
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> ReflectionGuard() const;

  // The `authorization` metadata of a gRPC call ("" when absent).
  static std::string AuthorizationOf(const grpc::ServerContextBase& context);

  // Check, then one request against the key's rate
  // (limits.requests_per_second_per_key: RESOURCE_EXHAUSTED). What unary
  // calls and HTTP requests ask; a stream asks Check per batch instead.
  absl::StatusOr<Principal> CheckRequest(absl::string_view authorization, absl::string_view tenant, Role needed) const;

  // The call limits (null: none), for streams to take a place.
  CallLimiter* limiter() const { return limiter_; }

  // For unary callback handlers: CheckRequest; null when allowed (and
  // *principal set, when given), else a reactor already finished with the
  // refusal, to return.
  grpc::ServerUnaryReactor* RefuseUnary(grpc::CallbackServerContext* context, absl::string_view tenant, Role needed,
                                        Principal* principal = nullptr) const;

 private:
  KeyRing* ring_;
  bool required_;
  CallLimiter* limiter_;
};

// Whether a listen address (host:port, [v6]:port) is on the loopback
// interface; "" (no socket) and unix: sockets count as loopback.
bool IsLoopbackListen(absl::string_view listen);

}  // namespace rapport::server

#endif  // RAPPORT_SERVER_AUTHORIZER_H_
