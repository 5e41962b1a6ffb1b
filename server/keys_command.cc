#include "server/keys_command.h"

#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "auth/api_keys.h"
#include "nlohmann/json.hpp"

namespace rapport::server {
namespace {

constexpr char kUsage[] =
    "usage: rapportd keys create --data-dir DIR --tenant T --role ingest|read|admin [--name LABEL]\n"
    "       rapportd keys list --data-dir DIR [--json]\n"
    "       rapportd keys revoke --data-dir DIR KEY_OR_ID\n"
    "       rapportd keys hash [--generate]   (the key on stdin)\n"
    "A key of tenant '*' is the operator's: every tenant, /metrics and backups.\n";

int Usage(const std::string& problem) {
  if (!problem.empty()) std::fprintf(stderr, "rapportd keys: %s\n", problem.c_str());
  std::fputs(kUsage, stderr);
  return 2;
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "rapportd keys: %s\n", std::string(status.message()).c_str());
  return 1;
}

// --name VALUE or --name=VALUE (dashes or underscores), and positionals.
struct Args {
  std::map<std::string, std::string> options;
  std::vector<std::string> flags;
  std::vector<std::string> positional;
};

std::optional<Args> ParseArgs(int argc, char** argv, const std::vector<std::string>& valued, std::string* problem) {
  Args args;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (!absl::StartsWith(arg, "--")) {
      args.positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    for (char& c : name) c = c == '_' ? '-' : c;
    bool takes_value = false;
    for (const std::string& v : valued) takes_value = takes_value || v == name;
    if (!takes_value) {
      if (value) {
        *problem = absl::StrCat("--", name, " takes no value");
        return std::nullopt;
      }
      args.flags.push_back(name);
      continue;
    }
    if (!value) {
      if (i + 1 >= argc) {
        *problem = absl::StrCat("--", name, " needs a value");
        return std::nullopt;
      }
      value = argv[++i];
    }
    args.options[name] = *value;
  }
  return args;
}

bool HasFlag(const Args& args, absl::string_view name) {
  for (const std::string& f : args.flags) {
    if (f == name) return true;
  }
  return false;
}

std::string FormatTime(int64_t unix_seconds) {
  if (unix_seconds <= 0) return "never";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(unix_seconds), absl::UTCTimeZone());
}

int Create(const Args& args) {
  for (const char* needed : {"data-dir", "tenant", "role"}) {
    if (args.options.count(needed) == 0) return Usage(absl::StrCat("create needs --", needed));
  }
  auth::KeyRecord record;
  record.tenant = args.options.at("tenant");
  if (absl::Status s = auth::ValidateKeyTenant(record.tenant); !s.ok()) return Fail(s);
  const std::optional<auth::Role> role = auth::ParseRole(args.options.at("role"));
  if (!role) return Usage("--role is ingest, read or admin");
  record.role = *role;
  if (auto it = args.options.find("name"); it != args.options.end()) record.label = it->second;
  record.created = absl::ToUnixSeconds(absl::Now());
  auto generated = auth::GenerateKey();
  if (!generated.ok()) return Fail(generated.status());
  record.hash = generated->hash;
  absl::Status written = auth::UpdateKeyFile(args.options.at("data-dir"), [&](std::vector<auth::KeyRecord>* keys) {
    keys->push_back(record);
    return auth::ParseKeyFile(auth::RenderKeyFile(*keys)).status();  // e.g. a label over the limit
  });
  if (!written.ok()) return Fail(written);
  std::printf("created key %s for tenant %s with role %s%s\n", record.hash.id.c_str(), record.tenant.c_str(),
              auth::RoleName(record.role), record.label.empty() ? "" : absl::StrCat(" (", record.label, ")").c_str());
  std::printf("the key is shown this once; send it as `authorization: Bearer <key>`:\n%s\n", generated->key.c_str());
  return 0;
}

int List(const Args& args) {
  if (args.options.count("data-dir") == 0) return Usage("list needs --data-dir");
  const std::string dir = args.options.at("data-dir");
  auto keys = auth::ReadKeyFile(dir);
  if (!keys.ok()) return Fail(keys.status());
  const std::map<std::string, int64_t> used = auth::ReadKeyUsage(dir);
  const std::vector<auth::KeyRecord> records = keys->value_or(std::vector<auth::KeyRecord>());
  auto last_used = [&](const auth::KeyRecord& r) {
    auto it = used.find(r.hash.id);
    return it == used.end() ? int64_t{0} : it->second;
  };
  if (HasFlag(args, "json")) {
    nlohmann::json out = nlohmann::json::array();
    for (const auth::KeyRecord& r : records) {
      out.push_back({{"id", r.hash.id}, {"tenant", r.tenant}, {"role", auth::RoleName(r.role)}, {"label", r.label},
                     {"created", FormatTime(r.created)}, {"last_used", FormatTime(last_used(r))}});
    }
    std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
  }
  if (!keys->has_value()) std::printf("no keys file in %s (auth is off on loopback)\n", dir.c_str());
  std::printf("%-16s  %-20s  %-6s  %-20s  %-20s  %s\n", "ID", "TENANT", "ROLE", "CREATED", "LAST USED", "LABEL");
  for (const auth::KeyRecord& r : records) {
    std::printf("%-16s  %-20s  %-6s  %-20s  %-20s  %s\n", r.hash.id.c_str(), r.tenant.c_str(),
                auth::RoleName(r.role), FormatTime(r.created).c_str(), FormatTime(last_used(r)).c_str(),
                r.label.c_str());
  }
  return 0;
}

int Revoke(const Args& args) {
  if (args.options.count("data-dir") == 0 || args.positional.size() != 1) {
    return Usage("revoke needs --data-dir DIR and one KEY_OR_ID");
  }
  const std::string& given = args.positional[0];
  const std::string id = auth::KeyIdOf(given).value_or(given);
  absl::Status written = auth::UpdateKeyFile(args.options.at("data-dir"), [&](std::vector<auth::KeyRecord>* keys) {
    const size_t before = keys->size();
    std::erase_if(*keys, [&](const auth::KeyRecord& r) { return r.hash.id == id; });
    if (keys->size() == before) {
      return absl::NotFoundError(absl::StrCat("no key with the id '", id, "' (see rapportd keys list)"));
    }
    return absl::OkStatus();
  });
  if (!written.ok()) return Fail(written);
  std::printf("revoked key %s; a running rapportd refuses it within seconds\n", id.c_str());
  return 0;
}

int Hash(const Args& args) {
  if (HasFlag(args, "generate")) {
    auto generated = auth::GenerateKey();
    if (!generated.ok()) return Fail(generated.status());
    std::printf("hash (for tenants.T.keys): %s\n%s\n", generated->hash.text.c_str(), generated->key.c_str());
    return 0;
  }
  std::string key;
  std::getline(std::cin, key);
  auto hash = auth::HashKey(absl::StripAsciiWhitespace(key));
  if (!hash.ok()) return Fail(hash.status());
  std::printf("%s\n", hash->text.c_str());
  return 0;
}

}  // namespace

int RunKeysCommand(int argc, char** argv) {
  if (argc < 2) return Usage("");
  const std::string command = argv[1];
  std::string problem;
  auto args = ParseArgs(argc - 2, argv + 2, {"data-dir", "tenant", "role", "name"}, &problem);
  if (!args) return Usage(problem);
  for (const std::string& f : args->flags) {
    if (f != "json" && f != "generate") return Usage(absl::StrCat("unknown option --", f));
  }
  if (command == "create") return Create(*args);
  if (command == "list") return List(*args);
  if (command == "revoke") return Revoke(*args);
  if (command == "hash") return Hash(*args);
  return Usage(absl::StrCat("unknown command '", command, "'"));
}

}  // namespace rapport::server
