#include "sinks/http_target.h"

#include <chrono>

namespace rapport::sinks {

std::unique_ptr<httplib::Client> HttpTarget::Client() const {
  auto client = std::make_unique<httplib::Client>(origin);
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::microseconds(timeout_us));
  client->set_connection_timeout(timeout);
  client->set_read_timeout(timeout);
  client->set_write_timeout(timeout);
  if (!ca_file.empty()) client->set_ca_cert_path(ca_file);
  return client;
}

httplib::Result HttpTarget::Post(httplib::Client& client, const std::string& to, const std::string& body,
                                 const httplib::Headers& more) const {
  httplib::Headers all = headers;
  all.insert(more.begin(), more.end());
  return client.Post(to, all, body, "application/json");
}

bool ReadHttpTarget(const nlohmann::json& config, const char* kind, HttpTarget* out, std::string* error) {
  auto text = [&](const char* key, std::string* value) {
    if (!config.contains(key)) return true;
    if (!config[key].is_string()) {
      *error = std::string(key) + " must be a string";
      return false;
    }
    *value = config[key].get<std::string>();
    return true;
  };
  if (!text("url", &out->url) || !text("ca_file", &out->ca_file)) return false;
  const size_t scheme_end = out->url.find("://");
  const std::string scheme = scheme_end == std::string::npos ? "" : out->url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    *error = std::string("a ") + kind + " sink needs a url starting with http:// or https:// (got '" + out->url + "')";
    return false;
  }
  const size_t path_start = out->url.find('/', scheme_end + 3);
  out->origin = out->url.substr(0, path_start);
  out->path = path_start == std::string::npos ? "/" : out->url.substr(path_start);
  if (config.contains("headers")) {
    if (!config["headers"].is_object()) {
      *error = "headers must be a mapping of header name -> value";
      return false;
    }
    for (const auto& [name, value] : config["headers"].items()) {
      if (!value.is_string()) {
        *error = "header '" + name + "' must have a string value";
        return false;
      }
      out->headers.emplace(name, value.get<std::string>());
    }
  }
  if (config.contains("timeout_us")) {
    if (!config["timeout_us"].is_number_integer() || config["timeout_us"].get<int64_t>() <= 0) {
      *error = "timeout_us must be a positive number of microseconds";
      return false;
    }
    out->timeout_us = config["timeout_us"].get<int64_t>();
  }
  return true;
}

}  // namespace rapport::sinks
