#include "server/tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/log.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"

namespace rapport::server {

// One loaded certificate set; the OpenSSL objects are freed with it.
struct HttpTls::Material {
  X509* cert = nullptr;
  STACK_OF(X509)* chain = nullptr;
  EVP_PKEY* key = nullptr;
  X509_STORE* client_ca = nullptr;
  ~Material() {
    X509_free(cert);
    sk_X509_pop_free(chain, X509_free);
    EVP_PKEY_free(key);
    X509_STORE_free(client_ca);
  }
};

namespace {

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

std::string Identity(const RapportConfig::Tls& tls) {
  std::string out;
  for (const std::string* path : {&tls.cert, &tls.key, &tls.client_ca}) {
    struct stat st {};
    if (!path->empty() && ::stat(path->c_str(), &st) == 0) {
      absl::StrAppend(&out, st.st_ino, ":", st.st_size, ":", st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec, ";");
    }
  }
  return out;
}

// The set of `tls`'s files, or an error naming the file.
absl::Status LoadMaterial(const RapportConfig::Tls& tls, HttpTls::Material* m) {
  std::unique_ptr<BIO, decltype(&BIO_free)> certs(BIO_new_file(tls.cert.c_str(), "r"), BIO_free);
  if (!certs) return absl::InvalidArgumentError(absl::StrCat("tls.cert: cannot read ", tls.cert));
  m->cert = PEM_read_bio_X509(certs.get(), nullptr, nullptr, nullptr);
  if (m->cert == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("tls.cert: ", tls.cert, " holds no PEM certificate: ", OpenSslError()));
  }
  m->chain = sk_X509_new_null();
  while (X509* more = PEM_read_bio_X509(certs.get(), nullptr, nullptr, nullptr)) sk_X509_push(m->chain, more);
  ERR_clear_error();  // the end of the file reads as an error
  std::unique_ptr<BIO, decltype(&BIO_free)> key(BIO_new_file(tls.key.c_str(), "r"), BIO_free);
  if (!key) return absl::InvalidArgumentError(absl::StrCat("tls.key: cannot read ", tls.key));
  m->key = PEM_read_bio_PrivateKey(key.get(), nullptr, nullptr, nullptr);
  if (m->key == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("tls.key: ", tls.key, " holds no unencrypted PEM private key"));
  }
  if (X509_check_private_key(m->cert, m->key) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat("tls.key: ", tls.key, " is not the key of the certificate in ", tls.cert));
  }
  if (!tls.client_ca.empty()) {
    m->client_ca = X509_STORE_new();
    if (X509_STORE_load_file(m->client_ca, tls.client_ca.c_str()) != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("tls.client_ca: ", tls.client_ca, " holds no PEM certificate: ", OpenSslError()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckTlsFiles(const RapportConfig::Tls& tls) {
  if (!tls.enabled()) return absl::OkStatus();
  HttpTls::Material material;
  return LoadMaterial(tls, &material);
}

std::shared_ptr<grpc::ServerCredentials> GrpcServerCredentials(const RapportConfig::Tls& tls) {
  if (!tls.enabled()) return grpc::InsecureServerCredentials();
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      tls.key, tls.cert, tls.client_ca, kGrpcTlsRefreshSeconds);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (!tls.client_ca.empty()) options.watch_root_certs();
  options.set_cert_request_type(tls.client_auth_grpc ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                                     : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  return grpc::experimental::TlsServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<HttpTls>> HttpTls::Load(const RapportConfig::Tls& tls) {
  std::shared_ptr<HttpTls> out(new HttpTls(tls));
  if (absl::Status s = out->Reload(); !s.ok()) return s;
  return out;
}

HttpTls::~HttpTls() = default;

absl::Status HttpTls::Reload() {
  const std::string identity = Identity(tls_);
  auto material = std::make_shared<Material>();
  absl::Status loaded = LoadMaterial(tls_, material.get());
  std::lock_guard<std::mutex> lock(mu_);
  checked_ = absl::Now();
  identity_ = identity;  // a bad version is not retried until it changes again
  if (!loaded.ok()) return loaded;
  material_ = std::move(material);
  return absl::OkStatus();
}

std::shared_ptr<const HttpTls::Material> HttpTls::Current() {
  bool changed = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (absl::Now() - checked_ >= absl::Seconds(1)) {
      checked_ = absl::Now();
      changed = Identity(tls_) != identity_;
    }
  }
  if (changed) {
    if (absl::Status s = Reload(); s.ok()) {
      Log(LogLevel::kInfo, "TLS certificate files re-read for the HTTP port");
    } else {
      Log(LogLevel::kError, "TLS certificate files changed but do not load; the previous ones stay in force",
          {{"error", std::string(s.message())}});
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  return material_;
}

int HttpTls::OnCertificate(SSL* ssl, void* self) {
  std::shared_ptr<const Material> m = static_cast<HttpTls*>(self)->Current();
  if (m == nullptr || SSL_use_cert_and_key(ssl, m->cert, m->key, m->chain, 1) != 1) return 0;
  if (m->client_ca != nullptr && SSL_set1_verify_cert_store(ssl, m->client_ca) != 1) return 0;
  return 1;
}

bool HttpTls::Setup(SSL_CTX& ctx) {
  SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_cert_cb(&ctx, &HttpTls::OnCertificate, this);
  if (tls_.client_auth_http) {
    SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return true;
}

}  // namespace rapport::server
