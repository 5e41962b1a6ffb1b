// `jsonl`: appends each alert stream entry as one JSON line to a file
// (created if missing) and fsyncs once per delivery before reporting it
// delivered. Also built as a loadable module (plugins/CMakeLists.txt).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rapport/sink_sdk.h"
#include "sinks/sink_config.h"

namespace rapport::sinks {
namespace {

class JsonlSink final : public sdk::Sink {
 public:
  static std::unique_ptr<JsonlSink> Create(std::string_view text, std::string* error) {
    auto config = ParseSinkConfig(text, "jsonl", {"name", "kind", "path"}, error);
    if (!config) return nullptr;
    if (!config->contains("path") || !(*config)["path"].is_string() || (*config)["path"].get<std::string>().empty()) {
      *error = "a jsonl sink needs a path";
      return nullptr;
    }
    auto sink = std::unique_ptr<JsonlSink>(new JsonlSink);
    sink->path_ = (*config)["path"].get<std::string>();
    return sink;
  }

  rapport_status Deliver(const std::vector<sdk::AlertEntry>& entries, sdk::DeliveryResult* result,
                         std::string* error) override {
    std::string text;
    for (const sdk::AlertEntry& e : entries) {
      if (!e.replayed) text.append(e.json).push_back('\n');
    }
    if (!text.empty() && !Append(text, error)) return RAPPORT_ERR_RETRYABLE;
    result->handled = entries.size();
    return RAPPORT_OK;
  }

 private:
  JsonlSink() = default;

  // Writes `text` and fsyncs: all of it or an error.
  bool Append(const std::string& text, std::string* error) const {
    const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) return Fail("cannot open ", error);
    size_t written = 0;
    while (written < text.size()) {
      const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        Fail("cannot write ", error);
        ::close(fd);
        return false;
      }
      written += static_cast<size_t>(n);
    }
    const bool synced = ::fsync(fd) == 0 || Fail("cannot fsync ", error);
    ::close(fd);
    return synced;
  }

  bool Fail(const char* what, std::string* error) const {
    *error = what + path_ + ": " + std::strerror(errno);
    return false;
  }

  std::string path_;
};

}  // namespace
}  // namespace rapport::sinks

RAPPORT_SINK(rapport_builtin_jsonl_sink, rapport::sinks::JsonlSink, "jsonl", "1.0.0",
             "appends each alert entry as one JSON line to a file, fsynced per delivery")
#ifdef RAPPORT_PLUGIN_MODULE
RAPPORT_EXPORT_ENTRY(rapport_builtin_jsonl_sink)
#endif
