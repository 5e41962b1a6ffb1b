// What the HTTP sinks (webhook, alertmanager) share: the receiver's URL and
// the settings every HTTP sink takes (extra headers, a CA file, a timeout),
// read from the sink's configuration (plugin.h: one JSON object).
#ifndef RAPPORT_SINKS_HTTP_TARGET_H_
#define RAPPORT_SINKS_HTTP_TARGET_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "httplib.h"
#include "nlohmann/json.hpp"
#include "sinks/sink_config.h"

namespace rapport::sinks {

struct HttpTarget {
  std::string url;     // as configured
  std::string origin;  // "scheme://host[:port]"
  std::string path;    // what follows the origin, "/" at least
  httplib::Headers headers;
  std::string ca_file;
  int64_t timeout_us = 10'000'000;

  // A client for `origin` with the timeout and CA file set.
  std::unique_ptr<httplib::Client> Client() const;
  // POSTs `body` (JSON) to `path` with the extra headers and `more`.
  httplib::Result Post(httplib::Client& client, const std::string& path, const std::string& body,
                       const httplib::Headers& more = {}) const;
};

// Reads url (required: http:// or https://), headers, ca_file and
// timeout_us. False with *error set when a value is wrong.
bool ReadHttpTarget(const nlohmann::json& config, const char* kind, HttpTarget* out, std::string* error);

// A 2xx; or one of 429, 5xx (the receiver may take it later).
inline bool Accepted(int status) { return status >= 200 && status < 300; }
inline bool Retryable(int status) { return status == 429 || status >= 500; }

}  // namespace rapport::sinks

#endif  // RAPPORT_SINKS_HTTP_TARGET_H_
