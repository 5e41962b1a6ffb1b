#include "auth/api_keys.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace rapport::auth {
namespace {

using Json = nlohmann::json;

constexpr size_t kIdBytes = 8;       // 16 hex digits
constexpr size_t kSecretBytes = 32;  // 64 hex digits
constexpr size_t kSaltBytes = 16;
constexpr char kKeyPrefix[] = "rpk_";
constexpr char kHashScheme[] = "rpk1";
constexpr char kFileFormat[] = "rapport-keys/1";
// Far more keys than anyone issues; bounds what a damaged file costs.
constexpr size_t kMaxKeys = 100000;
constexpr size_t kMaxLabelBytes = 256;
constexpr size_t kMaxTenantBytes = 256;

bool IsLowerHex(absl::string_view s, size_t length) {
  if (s.size() != length) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

absl::StatusOr<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return absl::InternalError("OpenSSL's random generator failed; no key was made");
  }
  return out;
}

std::string Digest(absl::string_view salt, absl::string_view key) {
  const std::string input = absl::StrCat(salt, key);
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), out);
  OPENSSL_cleanse(const_cast<char*>(input.data()), input.size());  // it held the key
  return std::string(reinterpret_cast<const char*>(out), sizeof(out));
}

KeyHash MakeHash(const std::string& id, std::string salt, absl::string_view key) {
  KeyHash hash;
  hash.id = id;
  hash.digest = Digest(salt, key);
  hash.salt = std::move(salt);
  hash.text = absl::StrCat(kHashScheme, "$", id, "$", absl::BytesToHexString(hash.salt), "$",
                           absl::BytesToHexString(hash.digest));
  return hash;
}

absl::Status ReadText(const std::string& path, std::string* text) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream buffer;
  buffer << file.rdbuf();
  *text = buffer.str();
  return absl::OkStatus();
}

// An exclusive flock held for the life of the object.
class FileLock {
 public:
  static absl::StatusOr<FileLock> Take(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return absl::PermissionDeniedError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
    if (::flock(fd, LOCK_EX) != 0) {
      ::close(fd);
      return absl::InternalError(absl::StrCat("cannot lock ", path, ": ", std::strerror(errno)));
    }
    return FileLock(fd);
  }
  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&&) = delete;
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace

std::optional<Role> ParseRole(absl::string_view name) {
  if (name == "ingest") return Role::kIngest;
  if (name == "read") return Role::kRead;
  if (name == "admin") return Role::kAdmin;
  return std::nullopt;
}

const char* RoleName(Role role) {
  switch (role) {
    case Role::kIngest: return "ingest";
    case Role::kRead: return "read";
    case Role::kAdmin: return "admin";
  }
  return "?";
}

bool RoleAllows(Role held, Role needed) { return held == Role::kAdmin || held == needed; }

absl::Status ValidateKeyTenant(absl::string_view tenant) {
  if (tenant == kOperatorTenant) return absl::OkStatus();
  if (tenant.empty() || tenant.size() > kMaxTenantBytes) {
    return absl::InvalidArgumentError(absl::StrCat("a tenant is 1 to ", kMaxTenantBytes, " bytes (or '*' for every tenant)"));
  }
  for (unsigned char c : tenant) {
    if (c < 0x20 || c == 0x7f) return absl::InvalidArgumentError("a tenant may not contain control characters");
  }
  return absl::OkStatus();
}

absl::StatusOr<KeyHash> ParseKeyHash(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '$');
  if (parts.size() != 4 || parts[0] != kHashScheme) {
    return absl::InvalidArgumentError(
        "a key hash is rpk1$<id>$<salt>$<digest>, as `rapportd keys hash` prints it (is this a key rather than "
        "its hash?)");
  }
  if (!IsLowerHex(parts[1], 2 * kIdBytes) || !IsLowerHex(parts[2], 2 * kSaltBytes) ||
      !IsLowerHex(parts[3], 2 * SHA256_DIGEST_LENGTH)) {
    return absl::InvalidArgumentError(absl::StrCat("a key hash's id, salt and digest are ", 2 * kIdBytes, ", ",
                                                   2 * kSaltBytes, " and ", 2 * SHA256_DIGEST_LENGTH,
                                                   " lower-case hex digits"));
  }
  KeyHash hash;
  hash.id = std::string(parts[1]);
  hash.salt = absl::HexStringToBytes(parts[2]);
  hash.digest = absl::HexStringToBytes(parts[3]);
  hash.text = std::string(text);
  return hash;
}

std::optional<std::string> KeyIdOf(absl::string_view key) {
  if (!absl::ConsumePrefix(&key, kKeyPrefix)) return std::nullopt;
  const size_t sep = key.find('_');
  if (sep == absl::string_view::npos) return std::nullopt;
  const absl::string_view id = key.substr(0, sep);
  if (!IsLowerHex(id, 2 * kIdBytes) || !IsLowerHex(key.substr(sep + 1), 2 * kSecretBytes)) return std::nullopt;
  return std::string(id);
}

bool KeyMatches(const KeyHash& hash, absl::string_view key) {
  const std::string digest = Digest(hash.salt, key);
  return digest.size() == hash.digest.size() && CRYPTO_memcmp(digest.data(), hash.digest.data(), digest.size()) == 0;
}

absl::StatusOr<GeneratedKey> GenerateKey() {
  auto id = RandomBytes(kIdBytes);
  if (!id.ok()) return id.status();
  auto secret = RandomBytes(kSecretBytes);
  if (!secret.ok()) return secret.status();
  auto salt = RandomBytes(kSaltBytes);
  if (!salt.ok()) return salt.status();
  GeneratedKey out;
  const std::string id_hex = absl::BytesToHexString(*id);
  out.key = absl::StrCat(kKeyPrefix, id_hex, "_", absl::BytesToHexString(*secret));
  out.hash = MakeHash(id_hex, std::move(*salt), out.key);
  return out;
}

absl::StatusOr<KeyHash> HashKey(absl::string_view key) {
  const std::optional<std::string> id = KeyIdOf(key);
  if (!id) {
    return absl::InvalidArgumentError(
        "not a Rapport key (rpk_ followed by 16 and 64 hex digits): make one with `rapportd keys hash --generate`");
  }
  auto salt = RandomBytes(kSaltBytes);
  if (!salt.ok()) return salt.status();
  return MakeHash(*id, std::move(*salt), key);
}

absl::StatusOr<std::vector<KeyRecord>> ParseKeyFile(absl::string_view text) {
  Json doc = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return absl::InvalidArgumentError("the keys file is not a JSON object");
  if (!doc.contains("format") || !doc["format"].is_string() || doc["format"].get<std::string>() != kFileFormat) {
    return absl::InvalidArgumentError(absl::StrCat("the keys file's format is not ", kFileFormat));
  }
  if (!doc.contains("keys") || !doc["keys"].is_array()) return absl::InvalidArgumentError("the keys file has no keys array");
  const Json& keys = doc["keys"];
  if (keys.size() > kMaxKeys) return absl::InvalidArgumentError(absl::StrCat("the keys file holds over ", kMaxKeys, " keys"));
  std::vector<KeyRecord> out;
  for (size_t i = 0; i < keys.size(); ++i) {
    const Json& k = keys[i];
    auto bad = [i](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat("keys file entry ", i, ": ", what));
    };
    if (!k.is_object()) return bad("is not an object");
    for (const char* field : {"hash", "tenant", "role", "label"}) {
      if (!k.contains(field) || !k[field].is_string()) return bad(absl::StrCat(field, " is missing or not a string"));
    }
    if (!k.contains("created") || !k["created"].is_number_integer()) return bad("created is not a whole number");
    KeyRecord r;
    auto hash = ParseKeyHash(k["hash"].get<std::string>());
    if (!hash.ok()) return bad(hash.status().message());
    r.hash = std::move(*hash);
    r.tenant = k["tenant"].get<std::string>();
    if (absl::Status s = ValidateKeyTenant(r.tenant); !s.ok()) return bad(s.message());
    const std::optional<Role> role = ParseRole(k["role"].get<std::string>());
    if (!role) return bad("role is not ingest, read or admin");
    r.role = *role;
    r.label = k["label"].get<std::string>();
    if (r.label.size() > kMaxLabelBytes) return bad(absl::StrCat("label is over ", kMaxLabelBytes, " bytes"));
    r.created = k["created"].get<int64_t>();
    for (const KeyRecord& other : out) {
      if (other.hash.id == r.hash.id) return bad("its id appears twice");
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::string RenderKeyFile(const std::vector<KeyRecord>& records) {
  Json keys = Json::array();
  for (const KeyRecord& r : records) {
    keys.push_back({{"hash", r.hash.text}, {"tenant", r.tenant}, {"role", RoleName(r.role)}, {"label", r.label},
                    {"created", r.created}});
  }
  Json doc = {{"format", kFileFormat}, {"keys", std::move(keys)}};
  return doc.dump(1, ' ', false, Json::error_handler_t::replace) + "\n";
}

absl::StatusOr<std::optional<std::vector<KeyRecord>>> ReadKeyFile(const std::string& data_dir) {
  const std::string path = (std::filesystem::path(data_dir) / kKeyFileName).string();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<std::vector<KeyRecord>>();
  std::string text;
  if (absl::Status s = ReadText(path, &text); !s.ok()) return s;
  auto records = ParseKeyFile(text);
  if (!records.ok()) return absl::Status(records.status().code(), absl::StrCat(path, ": ", records.status().message()));
  return std::optional<std::vector<KeyRecord>>(std::move(*records));
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view text) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return absl::PermissionDeniedError(absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n <= 0) {
      ::close(fd);
      return absl::InternalError(absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
    }
    written += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot replace ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status UpdateKeyFile(const std::string& data_dir,
                           const std::function<absl::Status(std::vector<KeyRecord>*)>& change) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return absl::FailedPreconditionError(absl::StrCat("cannot create ", data_dir, ": ", ec.message()));
  const std::filesystem::path dir(data_dir);
  auto lock = FileLock::Take((dir / (std::string(kKeyFileName) + ".lock")).string());
  if (!lock.ok()) return lock.status();
  auto current = ReadKeyFile(data_dir);
  if (!current.ok()) return current.status();
  std::vector<KeyRecord> records = current->value_or(std::vector<KeyRecord>());
  if (absl::Status s = change(&records); !s.ok()) return s;
  return WriteFileAtomically((dir / kKeyFileName).string(), RenderKeyFile(records));
}

absl::Status CopyKeyFiles(const std::string& from_dir, const std::string& to_dir) {
  for (const char* name : {kKeyFileName, kKeyUsageFileName}) {
    const std::string from = (std::filesystem::path(from_dir) / name).string();
    std::error_code ec;
    if (!std::filesystem::exists(from, ec)) continue;
    // Read whole and written atomically: writers replace the file by
    // rename, so this is one version of it.
    std::string text;
    if (absl::Status s = ReadText(from, &text); !s.ok()) return s;
    if (absl::Status s = WriteFileAtomically((std::filesystem::path(to_dir) / name).string(), text); !s.ok()) return s;
  }
  return absl::OkStatus();
}

std::map<std::string, int64_t> ReadKeyUsage(const std::string& data_dir) {
  std::map<std::string, int64_t> used;
  std::string text;
  if (!ReadText((std::filesystem::path(data_dir) / kKeyUsageFileName).string(), &text).ok()) return used;
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return used;
  for (const auto& [id, at] : doc.items()) {
    if (at.is_number_integer()) used[id] = at.get<int64_t>();
  }
  return used;
}

absl::Status WriteKeyUsage(const std::string& data_dir, const std::map<std::string, int64_t>& used) {
  Json doc = Json::object();
  for (const auto& [id, at] : used) doc[id] = at;
  return WriteFileAtomically((std::filesystem::path(data_dir) / kKeyUsageFileName).string(), doc.dump() + "\n");
}

}  // namespace rapport::auth
