#include "server/cli/args.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace rapport::cli {

absl::Status Args::Parse(const std::vector<std::string>& argv, std::set<std::string> value_flags,
                         std::set<std::string> bool_flags) {
  value_flags.insert({"server", "tenant"});
  bool_flags.insert("json");
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg.size() < 3 || arg.rfind("--", 0) != 0) {
      positionals_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2), value;
    bool inline_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inline_value = true;
    }
    if (bool_flags.count(name)) {
      if (inline_value) return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
      flags_.insert(name);
    } else if (value_flags.count(name)) {
      if (!inline_value) {
        if (i + 1 >= argv.size()) return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
        value = argv[++i];
      }
      values_[name] = value;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown option --", name));
    }
  }
  return absl::OkStatus();
}

std::string Args::Get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

std::string Args::server() const {
  if (Has("server")) return Get("server");
  if (const char* env = std::getenv("RAPPORT_SERVER"); env != nullptr && *env != '\0') return env;
  return "127.0.0.1:50051";
}

}  // namespace rapport::cli
