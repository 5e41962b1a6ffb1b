// Structured logging: one line per record on stderr, either `key=value` pairs
// after the message (text, for people and grep) or one JSON object (json, for
// log shippers). Debian's abseil predates absl/log, hence this small shim.
// No record carries a secret; message texts (comments, notes) appear only at
// debug level.
//
//   Log(LogLevel::kWarning, "conflicting duplicate", {{"tenant", t}, {"event_id", id}});
#ifndef RAPPORT_BASE_LOG_H_
#define RAPPORT_BASE_LOG_H_

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace rapport {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

using LogField = std::pair<absl::string_view, std::string>;

enum class LogFormat { kText, kJson };

// Records below `level` are dropped. Thread-safe; may change while logging.
void SetMinLogLevel(LogLevel level);
LogLevel MinLogLevel();
void SetLogFormat(LogFormat format);
LogFormat CurrentLogFormat();

// "debug", "info", "warning" (or "warn"), "error"; "text", "json".
std::optional<LogLevel> ParseLogLevel(absl::string_view name);
std::optional<LogFormat> ParseLogFormat(absl::string_view name);
const char* LogLevelName(LogLevel level);
const char* LogFormatName(LogFormat format);

// Thread-safe; values are quoted when they contain spaces or quotes.
void Log(LogLevel level, absl::string_view message,
         std::initializer_list<LogField> fields = {});

}  // namespace rapport

#endif  // RAPPORT_BASE_LOG_H_
