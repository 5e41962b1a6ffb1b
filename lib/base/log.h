// Structured logging: one line per record on stderr, `key=value` pairs after
// the message, so operators can grep and log shippers can parse. Debian's
// abseil predates absl/log, hence this small shim.
//
//   Log(LogLevel::kWarning, "conflicting duplicate", {{"tenant", t}, {"event_id", id}});
#ifndef RAPPORT_BASE_LOG_H_
#define RAPPORT_BASE_LOG_H_

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace rapport {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

using LogField = std::pair<absl::string_view, std::string>;

// Records below `level` are dropped. Thread-safe.
void SetMinLogLevel(LogLevel level);

// Thread-safe; values are quoted when they contain spaces or quotes.
void Log(LogLevel level, absl::string_view message,
         std::initializer_list<LogField> fields = {});

}  // namespace rapport

#endif  // RAPPORT_BASE_LOG_H_
