// Command-line arguments of `rapport`: `--name value`, `--name=value`,
// boolean `--flag`, and positionals, with an error for anything unknown so
// a typo never silently changes what a command does.
#ifndef RAPPORT_CLI_ARGS_H_
#define RAPPORT_CLI_ARGS_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace rapport::cli {

class Args {
 public:
  // `value_flags` take a value; `bool_flags` do not. --server, --tenant and
  // --json are always known.
  absl::Status Parse(const std::vector<std::string>& argv, std::set<std::string> value_flags,
                     std::set<std::string> bool_flags);

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  bool Flag(const std::string& name) const { return flags_.count(name) > 0; }
  const std::vector<std::string>& positionals() const { return positionals_; }

  std::string server() const;  // --server, else $RAPPORT_SERVER, else 127.0.0.1:50051
  bool json() const { return Flag("json"); }

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
  std::vector<std::string> positionals_;
};

}  // namespace rapport::cli

#endif  // RAPPORT_CLI_ARGS_H_
