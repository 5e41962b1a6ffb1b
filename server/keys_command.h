// `rapportd keys ...`: API keys of a data directory, made, listed, revoked
// and hashed while a rapportd serves that directory or not (the keys file,
// auth/api_keys.h, is the CLI's to write and the server's to re-read).
//
//   rapportd keys create --data-dir DIR --tenant T --role ingest|read|admin [--name LABEL]
//       prints the key's id, tenant and role, then the key alone on the last
//       line: the only time it is shown (only its salted hash is kept).
//   rapportd keys list --data-dir DIR [--json]
//       id, tenant, role, label, created, last used; never a key.
//   rapportd keys revoke --data-dir DIR KEY_OR_ID
//       a running server refuses the key within about a second.
//   rapportd keys hash [--generate]
//       the hash of the key read from stdin (or of a new key, printed after
//       it), for tenants.T.keys in the configuration.
#ifndef RAPPORT_SERVER_KEYS_COMMAND_H_
#define RAPPORT_SERVER_KEYS_COMMAND_H_

namespace rapport::server {

// argv[0] is "keys"; returns the exit code (0, 1 on failure, 2 on usage).
int RunKeysCommand(int argc, char** argv);

}  // namespace rapport::server

#endif  // RAPPORT_SERVER_KEYS_COMMAND_H_
