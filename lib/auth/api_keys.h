// API keys: their text, their salted hashes, their roles and the keys file
// that `rapportd keys` writes and a running rapportd re-reads
// (docs/security.md).
//
// A key is `rpk_<id>_<secret>`: `id` is 16 hex digits, public (it names the
// key in `keys list`, `keys revoke` and the logs); `secret` is 64 hex digits
// (32 random bytes from OpenSSL's RAND_bytes). Only its hash is ever stored:
// `rpk1$<id>$<salt>$<digest>`, the salt 16 random bytes and the digest
// SHA-256(salt || key), both in hex. A key carries 256 random bits, so a fast
// hash with a per-key salt is as strong as a slow one (there is nothing to
// guess); the comparison is constant time (CRYPTO_memcmp).
//
// The keys file is `<data_dir>/RAPPORT-KEYS`, one JSON object, rewritten
// whole (temporary file, fsync, rename) under an flock of
// `<data_dir>/RAPPORT-KEYS.lock`, so a reader sees the old or the new file,
// never half of one, and two writers never lose each other's change. It lives
// in the data directory so that a backup and a rebuild carry it
// (server/admin_service.cc, lib/ingest/rebuild.cc) and because the running
// server holds the RocksDB lock: the CLI writes this file, the server only
// reads it. The server records when each key was last used in
// `<data_dir>/RAPPORT-KEYS-USED` (id -> unix seconds), a file only it
// writes.
#ifndef RAPPORT_AUTH_API_KEYS_H_
#define RAPPORT_AUTH_API_KEYS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rapport::auth {

// admin includes read and ingest; read and ingest are apart.
enum class Role { kIngest, kRead, kAdmin };

std::optional<Role> ParseRole(absl::string_view name);  // "ingest", "read", "admin"
const char* RoleName(Role role);
// Whether a key of role `held` may do what needs `needed`.
bool RoleAllows(Role held, Role needed);

// The tenant of the operator's keys: every tenant, and what belongs to none
// (GET /metrics, backups, cross-tenant listings).
inline constexpr absl::string_view kOperatorTenant = "*";

// OK for "*" and for a tenant id ingest would accept (1 to 256 bytes, no
// control characters); INVALID_ARGUMENT saying why otherwise.
absl::Status ValidateKeyTenant(absl::string_view tenant);

// A parsed `rpk1$<id>$<salt>$<digest>`; salt and digest are raw bytes.
struct KeyHash {
  std::string id;
  std::string salt;
  std::string digest;
  std::string text;  // as written
};

// INVALID_ARGUMENT naming what is malformed (never echoing the text, which
// may be a key pasted by mistake).
absl::StatusOr<KeyHash> ParseKeyHash(absl::string_view text);

// The id of a key in the `rpk_<id>_<secret>` shape; nullopt otherwise.
std::optional<std::string> KeyIdOf(absl::string_view key);

// Whether `key` hashes to `hash` (constant time in the key's content).
bool KeyMatches(const KeyHash& hash, absl::string_view key);

// A new random key and its hash (fresh salt).
struct GeneratedKey {
  std::string key;
  KeyHash hash;
};
absl::StatusOr<GeneratedKey> GenerateKey();

// The hash of an existing key with a fresh salt (`rapportd keys hash`);
// INVALID_ARGUMENT when `key` is not in the `rpk_` shape.
absl::StatusOr<KeyHash> HashKey(absl::string_view key);

// One key as the keys file holds it.
struct KeyRecord {
  KeyHash hash;
  std::string tenant;  // or kOperatorTenant
  Role role = Role::kRead;
  std::string label;
  int64_t created = 0;  // unix seconds
};

inline constexpr char kKeyFileName[] = "RAPPORT-KEYS";
inline constexpr char kKeyUsageFileName[] = "RAPPORT-KEYS-USED";

// The file's text <-> its records. Parse refuses (INVALID_ARGUMENT naming
// the entry and field) anything but what Render writes: bounded, so a
// damaged or hostile file costs at most its size to read.
absl::StatusOr<std::vector<KeyRecord>> ParseKeyFile(absl::string_view text);
std::string RenderKeyFile(const std::vector<KeyRecord>& records);

// The records of `<data_dir>/RAPPORT-KEYS`; nullopt when there is no file.
absl::StatusOr<std::optional<std::vector<KeyRecord>>> ReadKeyFile(const std::string& data_dir);

// Read-modify-write of the keys file under its lock (creating `data_dir`
// and the file as needed): `change` gets the current records (none without
// a file) and edits them; an error from it changes nothing and is returned.
absl::Status UpdateKeyFile(const std::string& data_dir,
                           const std::function<absl::Status(std::vector<KeyRecord>*)>& change);

// `<data_dir>/RAPPORT-KEYS-USED`: key id -> unix seconds of its last use.
// Read: an absent or unreadable file is an empty map (it is a convenience,
// never a decision). Write: atomically (temporary file and rename).
std::map<std::string, int64_t> ReadKeyUsage(const std::string& data_dir);
absl::Status WriteKeyUsage(const std::string& data_dir, const std::map<std::string, int64_t>& used);

// Copies the keys file and the usage file (those present) from one data
// directory into another: a rebuilt store swapped in for the serving one,
// or a backup, keeps the keys.
absl::Status CopyKeyFiles(const std::string& from_dir, const std::string& to_dir);

// Writes `text` to `path` through `path.tmp`, fsync and rename.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view text);

}  // namespace rapport::auth

#endif  // RAPPORT_AUTH_API_KEYS_H_
