#include "server/authorizer.h"

#include <sys/stat.h>

#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/log.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_interceptor.h"
#include "server/status.h"

namespace rapport::server {
namespace {

constexpr absl::Duration kUsageFlushInterval = absl::Seconds(10);

// What identifies one version of the file: rename-replaced files get a new
// inode, and an edit in place changes the size or the time.
std::string FileIdentity(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "";
  return absl::StrCat(st.st_ino, ":", st.st_size, ":", st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec);
}

absl::Status Unauthenticated(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat(
      why, ": this server requires an API key in `authorization: Bearer <key>` (rapportd keys create; docs/security.md)"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<KeyRing>> KeyRing::Open(const std::string& data_dir,
                                                       const RapportConfig::ApiKeys& config_keys,
                                                       absl::Duration poll) {
  std::unique_ptr<KeyRing> ring(new KeyRing(data_dir, poll));
  {
    std::lock_guard<std::mutex> lock(ring->mu_);
    ring->config_keys_ = config_keys;
    ring->used_ = auth::ReadKeyUsage(data_dir);
  }
  if (absl::Status s = ring->Refresh(/*first=*/true); !s.ok()) return s;
  ring->poller_ = std::thread([r = ring.get()] { r->Poll(); });
  return ring;
}

KeyRing::~KeyRing() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (poller_.joinable()) poller_.join();
  FlushUsage();
}

std::shared_ptr<const KeySet> KeyRing::Get() const {
  std::lock_guard<std::mutex> lock(mu_);
  return keys_;
}

void KeyRing::SetConfigKeys(const RapportConfig::ApiKeys& config_keys) {
  std::lock_guard<std::mutex> lock(mu_);
  config_keys_ = config_keys;
  Publish();
}

void KeyRing::NoteUse(const std::string& key_id) {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  std::lock_guard<std::mutex> lock(mu_);
  int64_t& at = used_[key_id];
  if (at != now) {
    at = now;
    used_dirty_ = true;
  }
}

absl::Status KeyRing::Refresh(bool first) {
  const std::string path = (std::filesystem::path(data_dir_) / auth::kKeyFileName).string();
  const std::string identity = FileIdentity(path);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!first && identity == file_identity_) return absl::OkStatus();
  }
  auto read = auth::ReadKeyFile(data_dir_);
  std::lock_guard<std::mutex> lock(mu_);
  file_identity_ = identity;
  if (!read.ok()) {
    if (first) return read.status();
    Log(LogLevel::kError, "the keys file does not read; the keys of its last good version stay in force",
        {{"error", std::string(read.status().message())}});
    return absl::OkStatus();
  }
  const size_t before = file_keys_.size();
  file_exists_ = read->has_value();
  file_keys_ = read->value_or(std::vector<auth::KeyRecord>());
  Publish();
  if (!first) {
    Log(LogLevel::kInfo, "keys file re-read",
        {{"keys", std::to_string(file_keys_.size())}, {"before", std::to_string(before)}});
  }
  return absl::OkStatus();
}

// mu_ held.
void KeyRing::Publish() {
  auto set = std::make_shared<KeySet>();
  set->file_exists = file_exists_;
  for (const auto& r : file_keys_) set->by_id[r.hash.id] = KeySet::Entry{r.hash, r.tenant, r.role};
  for (const auto& [tenant, keys] : config_keys_) {
    for (const RapportConfig::ApiKey& k : keys) {
      set->config_names_keys = true;
      set->by_id.emplace(k.hash.id, KeySet::Entry{k.hash, tenant, k.role});  // the file's entry wins a clash
    }
  }
  keys_ = std::move(set);
}

void KeyRing::Poll() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    wake_.wait_for(lock, absl::ToChronoMilliseconds(poll_));
    if (stop_) break;
    lock.unlock();
    (void)Refresh(/*first=*/false);
    FlushUsage();
    lock.lock();
  }
}

void KeyRing::FlushUsage() {
  std::map<std::string, int64_t> used;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!used_dirty_ || (absl::Now() - flushed_ < kUsageFlushInterval && !stop_)) return;
    used = used_;
    used_dirty_ = false;
    flushed_ = absl::Now();
  }
  if (absl::Status s = auth::WriteKeyUsage(data_dir_, used); !s.ok()) {
    Log(LogLevel::kWarning, "cannot record when keys were last used", {{"error", std::string(s.message())}});
  }
}

bool Authorizer::Enabled() const {
  if (required_) return true;
  std::shared_ptr<const KeySet> keys = ring_->Get();
  return keys->file_exists || keys->config_names_keys;
}

absl::StatusOr<Principal> Authorizer::Check(absl::string_view authorization, absl::string_view tenant,
                                            Role needed) const {
  auto principal = Authenticate(authorization);
  if (!principal.ok()) return principal.status();
  const std::string& id = principal->key_id;
  if (!principal->is_operator() && !tenant.empty() && principal->tenant != tenant) {
    return absl::PermissionDeniedError(
        tenant == auth::kOperatorTenant
            ? absl::StrCat("API key ", id, " is for tenant '", principal->tenant,
                           "'; this needs an operator key (rapportd keys create --tenant '*')")
            : absl::StrCat("API key ", id, " is for tenant '", principal->tenant, "', not '", tenant, "'"));
  }
  if (!auth::RoleAllows(principal->role, needed)) {
    return absl::PermissionDeniedError(absl::StrCat("API key ", id, " has the role ", auth::RoleName(principal->role),
                                                    "; this needs ", auth::RoleName(needed), " or admin"));
  }
  return principal;
}

absl::StatusOr<Principal> Authorizer::Authenticate(absl::string_view authorization) const {
  std::shared_ptr<const KeySet> keys = ring_->Get();
  if (!required_ && !keys->file_exists && !keys->config_names_keys) {
    return Principal{"", std::string(auth::kOperatorTenant), Role::kAdmin};
  }
  if (authorization.empty()) return Unauthenticated("no API key");
  absl::string_view key = absl::StripAsciiWhitespace(authorization);
  if (key.size() < 7 || !absl::EqualsIgnoreCase(key.substr(0, 7), "bearer ")) {
    return Unauthenticated("the authorization is not `Bearer <key>`");
  }
  key = absl::StripLeadingAsciiWhitespace(key.substr(7));
  const std::optional<std::string> id = auth::KeyIdOf(key);
  if (!id) return Unauthenticated("the API key is not a Rapport key (rpk_...)");
  auto found = keys->by_id.find(*id);
  // Unknown and mismatching keys get the same answer (nothing to probe).
  if (found == keys->by_id.end() || !auth::KeyMatches(found->second.hash, key)) {
    return Unauthenticated(absl::StrCat("API key ", *id, " is not valid (revoked, mistyped or made for another server)"));
  }
  ring_->NoteUse(*id);
  return Principal{*id, found->second.tenant, found->second.role};
}

std::string Authorizer::AuthorizationOf(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

absl::StatusOr<Principal> Authorizer::CheckRequest(absl::string_view authorization, absl::string_view tenant,
                                                   Role needed) const {
  auto principal = Check(authorization, tenant, needed);
  if (!principal.ok() || limiter_ == nullptr) return principal;
  if (absl::Status s = limiter_->TakeRequest(*principal); !s.ok()) return s;
  return principal;
}

grpc::ServerUnaryReactor* Authorizer::RefuseUnary(grpc::CallbackServerContext* context, absl::string_view tenant,
                                                  Role needed, Principal* principal) const {
  absl::StatusOr<Principal> allowed = CheckRequest(AuthorizationOf(*context), tenant, needed);
  if (allowed.ok()) {
    if (principal != nullptr) *principal = std::move(*allowed);
    return nullptr;
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpc(allowed.status()));
  return reactor;
}

namespace {

// Reflection (grpc.reflection.*) is registered by gRPC's plugin, not by a
// handler of ours, so its check is an interceptor: without a valid key each
// answer is sent empty and the call ends UNAUTHENTICATED.
class ReflectionGuard final : public grpc::experimental::Interceptor {
 public:
  explicit ReflectionGuard(const Authorizer* auth) : auth_(auth) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      std::string authorization;
      auto* metadata = methods->GetRecvInitialMetadata();
      if (auto it = metadata->find("authorization"); it != metadata->end()) {
        authorization.assign(it->second.data(), it->second.size());
      }
      refused_ = auth_->Authenticate(authorization).status();
    }
    if (!refused_.ok() && methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      if (grpc::ByteBuffer* bytes = methods->GetSerializedSendMessage(); bytes != nullptr) bytes->Clear();
    }
    if (!refused_.ok() && methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      methods->ModifySendStatus(ToGrpc(refused_));
    }
    methods->Proceed();
  }

 private:
  const Authorizer* auth_;
  absl::Status refused_;
};

class ReflectionGuardFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit ReflectionGuardFactory(const Authorizer* auth) : auth_(auth) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    if (!absl::StartsWith(info->method(), "/grpc.reflection.")) return nullptr;
    return new ReflectionGuard(auth_);
  }

 private:
  const Authorizer* auth_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> Authorizer::ReflectionGuard() const {
  return std::make_unique<ReflectionGuardFactory>(this);
}

bool IsLoopbackListen(absl::string_view listen) {
  if (listen.empty() || absl::StartsWith(listen, "unix:")) return true;  // no socket, or a local one
  const size_t colon = listen.rfind(':');
  absl::string_view host = colon == absl::string_view::npos ? listen : listen.substr(0, colon);
  if (absl::ConsumePrefix(&host, "[")) absl::ConsumeSuffix(&host, "]");
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

}  // namespace rapport::server
