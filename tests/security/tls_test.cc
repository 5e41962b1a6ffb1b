// TLS and mutual TLS end to end on both ports: a CA, server and client
// certificates made by the `openssl` program for each test, a real
// RapportServer on 127.0.0.1, gRPC's SSL credentials and cpp-httplib's
// SSLClient (and a bare OpenSSL client to see which certificate is served).
// No private key reaches the log, whatever the key files hold.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "base/log.h"
#include "core/test_util.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "rapport/v1/ingest.grpc.pb.h"
#include "server/server.h"

namespace rapport {
namespace {

// Runs a shell command; the test fails with it when it fails.
void Run(const std::string& command) {
  ASSERT_EQ(std::system((command + " >/dev/null 2>&1").c_str()), 0) << command;
}

// A CA and, signed by it, certificates named `name` (CN and, for servers,
// the SANs localhost and 127.0.0.1).
class Pki {
 public:
  explicit Pki(const std::string& dir) : dir_(dir) {
    Run(absl::StrCat("cd ", dir_, " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes ",
                     "-keyout ca.key -out ca.pem -days 2 -subj '/CN=Rapport test CA'"));
  }
  void Issue(const std::string& name, bool server) {
    std::ofstream(absl::StrCat(dir_, "/", name, ".ext"))
        << (server ? "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
                   : "extendedKeyUsage=clientAuth\n");
    Run(absl::StrCat("cd ", dir_, " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ",
                     name, ".key -out ", name, ".csr -subj '/CN=", name, "' && openssl x509 -req -in ", name,
                     ".csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out ", name, ".pem -extfile ", name,
                     ".ext"));
  }
  std::string Path(const std::string& file) const { return absl::StrCat(dir_, "/", file); }
  // Replaces `file` whole (written aside, renamed in place) with `contents`.
  void Replace(const std::string& file, const std::string& contents) const {
    std::ofstream(Path(file + ".new")) << contents;
    std::filesystem::rename(Path(file + ".new"), Path(file));
  }

 private:
  std::string dir_;
};

// The CN of the certificate the server at 127.0.0.1:port presents, "" when
// the handshake fails (also when it asks for a client certificate we lack).
std::string ServedCommonName(int port, const std::string& ca) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string cn;
  SSL* ssl = SSL_new(ctx);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) == 1) {
      if (X509* peer = SSL_get1_peer_certificate(ssl)) {
        char name[256] = {0};
        X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name, sizeof(name));
        cn = name;
        X509_free(peer);
      }
    }
  }
  SSL_free(ssl);
  close(fd);
  SSL_CTX_free(ctx);
  return cn;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = std::make_unique<Pki>(dir_.path());
    pki_->Issue("server", true);
    pki_->Issue("client", false);
  }
  void TearDown() override { server_.reset(); }

  // Starts with `tls:` as given (paths relative to the PKI directory).
  void Start(const std::string& client_ca, const std::string& client_auth) {
    std::string yaml = absl::StrCat("tls:\n  cert: ", pki_->Path("server.pem"), "\n  key: ", pki_->Path("server.key"), "\n");
    if (!client_ca.empty()) absl::StrAppend(&yaml, "  client_ca: ", pki_->Path(client_ca), "\n");
    if (!client_auth.empty()) absl::StrAppend(&yaml, "  client_auth: ", client_auth, "\n");
    auto config = ParseConfig(yaml);
    ASSERT_TRUE(config.ok()) << config.status();
    config_ = *config;
    server::ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.http_listen = "127.0.0.1:0";
    options.data_dir = dir_.path() + "/store";
    options.config = config_;
    absl::Status s = server::RapportServer::Start(options, &server_);
    ASSERT_TRUE(s.ok()) << s;
  }

  // A channel over TLS (with a client certificate when `with_cert`).
  std::shared_ptr<grpc::Channel> TlsChannel(bool with_cert) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = testing::ReadFile(pki_->Path("ca.pem"));
    if (with_cert) {
      ssl.pem_cert_chain = testing::ReadFile(pki_->Path("client.pem"));
      ssl.pem_private_key = testing::ReadFile(pki_->Path("client.key"));
    }
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", server_->port()), grpc::SslCredentials(ssl), args);
  }

  // A ListPlugins over TLS (with a client certificate when `with_cert`).
  grpc::Status GrpcCall(bool with_cert, std::string* served_cn = nullptr) {
    auto channel = TlsChannel(with_cert);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::ListPluginsResponse resp;
    grpc::Status s = v1::AdminService::NewStub(channel)->ListPlugins(&ctx, v1::ListPluginsRequest(), &resp);
    if (served_cn != nullptr && ctx.auth_context() != nullptr) {
      for (const auto& v : ctx.auth_context()->FindPropertyValues("x509_common_name")) *served_cn = std::string(v.data(), v.size());
    }
    return s;
  }

  grpc::Status PlainGrpcCall() {
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials());
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::ListPluginsResponse resp;
    return v1::AdminService::NewStub(channel)->ListPlugins(&ctx, v1::ListPluginsRequest(), &resp);
  }

  // GET /readyz over HTTPS; -1 when no answer came (handshake refused).
  int HttpsGet(bool with_cert) {
    std::unique_ptr<httplib::SSLClient> client =
        with_cert ? std::make_unique<httplib::SSLClient>("127.0.0.1", server_->http_port(), pki_->Path("client.pem"),
                                                         pki_->Path("client.key"))
                  : std::make_unique<httplib::SSLClient>("127.0.0.1", server_->http_port());
    client->set_ca_cert_path(pki_->Path("ca.pem").c_str());
    client->enable_server_certificate_verification(true);
    client->set_connection_timeout(5, 0);
    client->set_read_timeout(5, 0);
    auto r = client->Get("/readyz");
    return r ? r->status : -1;
  }

  int PlainHttpGet() {
    httplib::Client client("127.0.0.1", server_->http_port());
    client.set_connection_timeout(5, 0);
    client.set_read_timeout(5, 0);
    auto r = client.Get("/readyz");
    return r ? r->status : -1;
  }

  testing::TempDir dir_;
  std::unique_ptr<Pki> pki_;
  RapportConfig config_;
  std::unique_ptr<server::RapportServer> server_;
};

TEST_F(TlsTest, BothPortsServeTlsAndRefusePlainText) {
  Start("", "");
  std::string cn;
  grpc::Status s = GrpcCall(false, &cn);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(HttpsGet(false), 200);
  EXPECT_EQ(ServedCommonName(server_->http_port(), pki_->Path("ca.pem")), "server");
  EXPECT_NE(PlainGrpcCall().error_code(), grpc::StatusCode::OK);
  EXPECT_NE(PlainHttpGet(), 200);
}

TEST_F(TlsTest, MutualTlsOnBothPortsNeedsAClientCertificateSignedByTheCa) {
  Start("ca.pem", "");
  EXPECT_NE(GrpcCall(false).error_code(), grpc::StatusCode::OK);
  grpc::Status s = GrpcCall(true);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(HttpsGet(false), -1);
  EXPECT_EQ(HttpsGet(true), 200);
}

TEST_F(TlsTest, ClientAuthOnGrpcOnlyKeepsHttpOpenToWebhooksAndProbes) {
  Start("ca.pem", "[grpc]");
  EXPECT_NE(GrpcCall(false).error_code(), grpc::StatusCode::OK);
  EXPECT_TRUE(GrpcCall(true).ok());
  EXPECT_EQ(HttpsGet(false), 200);
}

TEST_F(TlsTest, ReplacedCertificateFilesAreServedWithoutARestart) {
  Start("", "");
  ASSERT_EQ(ServedCommonName(server_->http_port(), pki_->Path("ca.pem")), "server");
  std::string cn;
  ASSERT_TRUE(GrpcCall(false, &cn).ok());
  EXPECT_EQ(cn, "server");
  // A new certificate for the same files (written aside, renamed in place).
  pki_->Issue("renewed", true);
  std::filesystem::rename(pki_->Path("renewed.key"), pki_->Path("server.key"));
  std::filesystem::rename(pki_->Path("renewed.pem"), pki_->Path("server.pem"));
  server_->Reload(config_);  // SIGHUP; the HTTP port would also see the change by itself
  EXPECT_EQ(ServedCommonName(server_->http_port(), pki_->Path("ca.pem")), "renewed");
  // gRPC's watcher re-reads the files every few seconds.
  const absl::Time deadline = absl::Now() + absl::Seconds(3 * server::kGrpcTlsRefreshSeconds);
  while (absl::Now() < deadline) {
    cn.clear();
    if (GrpcCall(false, &cn).ok() && cn == "renewed") break;
    absl::SleepFor(absl::Milliseconds(500));
  }
  EXPECT_EQ(cn, "renewed");
}

// The base64 lines of a PEM file's body (16 characters or more: a short last
// line could turn up in a log by chance).
std::vector<std::string> PemBodyLines(const std::string& pem) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(pem, '\n', absl::SkipWhitespace())) {
    if (line.size() >= 16 && !absl::StartsWith(line, "-----")) lines.emplace_back(line);
  }
  return lines;
}

// Keeps what the test writes to stderr (the in-process server's log and
// gRPC's) until Take, even when an assertion ends the test first.
class CapturedStderr {
 public:
  CapturedStderr() { ::testing::internal::CaptureStderr(); }
  ~CapturedStderr() {
    if (!taken_) Take();
  }
  std::string Take() {
    taken_ = true;
    return ::testing::internal::GetCapturedStderr();
  }

 private:
  bool taken_ = false;
};

TEST_F(TlsTest, NoPrivateKeyReachesTheLogAtDebugLevel) {
  const std::string server_key = testing::ReadFile(pki_->Path("server.key"));
  const std::string client_key = testing::ReadFile(pki_->Path("client.key"));
  const std::string ca_key = testing::ReadFile(pki_->Path("ca.key"));
  ASSERT_FALSE(PemBodyLines(server_key).empty());
  const LogLevel level = MinLogLevel();
  SetMinLogLevel(LogLevel::kDebug);
  CapturedStderr captured;
  Start("ca.pem", "");  // mutual TLS on both ports
  config_.log_level = LogLevel::kDebug;  // kept by the reloads below
  EXPECT_TRUE(GrpcCall(true).ok());
  EXPECT_NE(GrpcCall(false).error_code(), grpc::StatusCode::OK);
  EXPECT_EQ(HttpsGet(true), 200);
  EXPECT_EQ(HttpsGet(false), -1);
  {
    // An ingest stream that ends well: logged at debug level.
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    auto stream = v1::IngestService::NewStub(TlsChannel(true))->StreamEvents(&ctx);
    v1::EventBatch batch;
    batch.set_sequence(1);
    *batch.add_events() = testing::Comment("T-1", "e-1", 0, v1::ACTOR_ROLE_REQUESTER, "It still fails.");
    EXPECT_TRUE(stream->Write(batch));
    stream->WritesDone();
    v1::BatchAck ack;
    EXPECT_TRUE(stream->Read(&ack));
    EXPECT_EQ(ack.accepted(), 1u);
    EXPECT_TRUE(stream->Finish().ok());
  }
  // Key files that do not load, each reported on a reload and by the HTTP
  // port's next handshake: a truncated key, then the client's key (not the
  // certificate's); then the right one again.
  pki_->Replace("server.key", absl::StrCat("-----BEGIN PRIVATE KEY-----\n", PemBodyLines(server_key).front(),
                                           "\n-----END PRIVATE KEY-----\n"));
  server_->Reload(config_);
  absl::SleepFor(absl::Milliseconds(1100));  // the HTTP port looks at the files once a second
  HttpsGet(true);
  pki_->Replace("server.key", client_key);
  server_->Reload(config_);
  pki_->Replace("server.key", server_key);
  server_->Reload(config_);
  EXPECT_TRUE(GrpcCall(true).ok());
  server_.reset();  // and its shutdown
  const std::string log = captured.Take();
  SetMinLogLevel(level);

  EXPECT_NE(log.find("level=debug msg=\"ingest stream ended\""), std::string::npos)
      << "debug records were written: " << log;
  EXPECT_NE(log.find("the TLS files do not load"), std::string::npos) << "the bad key files were reported: " << log;
  for (const auto& [name, pem] : {std::pair<const char*, const std::string&>{"server.key", server_key},
                                  {"client.key", client_key},
                                  {"ca.key", ca_key}}) {
    const std::vector<std::string> lines = PemBodyLines(pem);
    EXPECT_FALSE(lines.empty()) << name;
    for (const std::string& line : lines) {
      EXPECT_EQ(log.find(line), std::string::npos) << "a line of " << name << "'s body is in the log";
    }
  }
}

TEST(TlsConfigTest, AKeyThatIsNotTheCertificatesStopsStartup) {
  testing::TempDir dir;
  Pki pki(dir.path());
  pki.Issue("a", true);
  pki.Issue("b", true);
  auto config = ParseConfig(absl::StrCat("tls:\n  cert: ", pki.Path("a.pem"), "\n  key: ", pki.Path("b.key"), "\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  server::ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.data_dir = dir.path() + "/store";
  options.config = *config;
  std::unique_ptr<server::RapportServer> server;
  absl::Status s = server::RapportServer::Start(options, &server);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("is not the key of the certificate"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace rapport
