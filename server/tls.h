// TLS for both ports from the one `tls:` block (RapportConfig::Tls): the
// same certificate and key on gRPC and HTTP, and with `client_ca` a client
// certificate required on the ports `client_auth` names (docs/security.md).
//
// Certificates are rotated by replacing the files: gRPC's own file watcher
// re-reads them every kGrpcTlsRefreshSeconds; the HTTP port re-reads them
// when they change (checked at a handshake, at most once a second) and on
// Reload (SIGHUP). A set that does not load (a key that does not match its
// certificate, a half-written file) leaves the last good set in force and is
// logged, never the key's content.
#ifndef RAPPORT_SERVER_TLS_H_
#define RAPPORT_SERVER_TLS_H_

#include <openssl/ssl.h>

#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "config/config.h"
#include "grpcpp/security/server_credentials.h"

namespace rapport::server {

inline constexpr unsigned int kGrpcTlsRefreshSeconds = 5;

// Checks that the files load (certificate chain, matching key, client CA):
// an error names the file and what is wrong.
absl::Status CheckTlsFiles(const RapportConfig::Tls& tls);

// TLS credentials for the gRPC port; InsecureServerCredentials when
// `tls.enabled()` is false.
std::shared_ptr<grpc::ServerCredentials> GrpcServerCredentials(const RapportConfig::Tls& tls);

// What the HTTP port's SSL_CTX serves: the certificate set in force, handed
// to each handshake by a certificate callback.
class HttpTls {
 public:
  // Loads the files; an error names the file.
  static absl::StatusOr<std::shared_ptr<HttpTls>> Load(const RapportConfig::Tls& tls);
  ~HttpTls();

  // For httplib::SSLServer's setup callback: TLS 1.2 or later, the
  // certificate callback, and peer verification when the HTTP port requires
  // client certificates. `this` must outlive the context.
  bool Setup(SSL_CTX& ctx);
  // Re-reads the files; on failure the set in force stays and the error is
  // returned.
  absl::Status Reload();

  struct Material;  // one loaded set (tls.cc)

 private:
  explicit HttpTls(RapportConfig::Tls tls) : tls_(std::move(tls)) {}
  static int OnCertificate(SSL* ssl, void* self);
  std::shared_ptr<const Material> Current();

  const RapportConfig::Tls tls_;
  std::mutex mu_;
  std::shared_ptr<const Material> material_;  // guarded by mu_
  std::string identity_;                      // guarded by mu_: the files' inode, size and mtime
  absl::Time checked_ = absl::InfinitePast();  // guarded by mu_
};

}  // namespace rapport::server

#endif  // RAPPORT_SERVER_TLS_H_
