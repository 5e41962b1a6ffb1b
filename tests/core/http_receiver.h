// An HTTP server on 127.0.0.1, on a port of its own, that answers POSTs to
// one path with a handler the test gives: what stands in for the receiver
// of a webhook or an Alertmanager in the sink tests. The handler runs under
// the receiver's lock, one request at a time; Locked() reads what it
// recorded under the same lock. Header only: its tests link cpp-httplib.
#ifndef RAPPORT_TESTS_CORE_HTTP_RECEIVER_H_
#define RAPPORT_TESTS_CORE_HTTP_RECEIVER_H_

#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "httplib.h"

namespace rapport::testing {

class HttpReceiver {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

  HttpReceiver(const std::string& path, Handler handle) : path_(path), handle_(std::move(handle)) {
    server_.Post(path_, [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      handle_(req, res);
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~HttpReceiver() {
    server_.stop();
    thread_.join();
  }
  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;

  int port() const { return port_; }
  // http://127.0.0.1:<port><path>
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + path_; }

  template <typename Read>
  auto Locked(Read read) {
    std::lock_guard<std::mutex> lock(mu_);
    return read();
  }

 private:
  std::string path_;
  Handler handle_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
};

}  // namespace rapport::testing

#endif  // RAPPORT_TESTS_CORE_HTTP_RECEIVER_H_
