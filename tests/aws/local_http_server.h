// An HTTP server on a free loopback port, serving on its own thread until destroyed: a
// stand-in for a service where a test needs answers that moto does not give.
#pragma once

#include <httplib.h>

#include <chrono>
#include <string>
#include <thread>

namespace spotbatch::testing {

class LocalHttpServer {
 public:
  LocalHttpServer() {
    server_.set_keep_alive_max_count(1000);  // httplib closes after 5 requests by default
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!server_.is_running() && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  ~LocalHttpServer() {
    server_.stop();
    thread_.join();
  }
  LocalHttpServer(const LocalHttpServer&) = delete;
  LocalHttpServer& operator=(const LocalHttpServer&) = delete;

  httplib::Server& server() { return server_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace spotbatch::testing
