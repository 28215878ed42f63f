// A local fake of the Lambda Runtime API (cpp-httplib on a free loopback port): hands out the
// invocations a test queues, one per GET .../invocation/next (which waits while none is
// queued, as Lambda's does), and records every response, error and init error.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace spotbatch::testing {

class FakeLambdaRuntime {
 public:
  struct Answer {
    bool ok = false;  // /response (true) or /error
    std::string body;
    std::string error_type_header;  // Lambda-Runtime-Function-Error-Type
  };

  FakeLambdaRuntime() {
    server_.Get("/2018-06-01/runtime/invocation/next",
                [this](const httplib::Request&, httplib::Response& res) {
                  std::unique_lock lock(mu_);
                  if (!cv_.wait_for(lock, std::chrono::seconds(30),
                                    [&] { return !pending_.empty() || stopping_; }) ||
                      stopping_) {
                    res.status = 500;
                    return;
                  }
                  Invocation next = std::move(pending_.front());
                  pending_.pop_front();
                  res.set_header("Lambda-Runtime-Aws-Request-Id", next.id);
                  res.set_header("Lambda-Runtime-Deadline-Ms", "1764584430000");
                  res.set_header("Lambda-Runtime-Invoked-Function-Arn",
                                 "arn:aws:lambda:us-east-1:123456789012:function:ingest");
                  res.set_content(next.event, "application/json");
                });
    server_.Post(R"(/2018-06-01/runtime/invocation/([^/]+)/(response|error))",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   std::lock_guard lock(mu_);
                   answers_[req.matches[1]] = {req.matches[2] == "response", req.body,
                                               req.get_header_value(
                                                   "Lambda-Runtime-Function-Error-Type")};
                   res.status = 202;
                   cv_.notify_all();
                 });
    server_.Post("/2018-06-01/runtime/init/error",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   std::lock_guard lock(mu_);
                   init_errors_.push_back(req.body);
                   res.status = 202;
                   cv_.notify_all();
                 });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~FakeLambdaRuntime() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      cv_.notify_all();
    }
    server_.stop();
    thread_.join();
  }

  // "127.0.0.1:PORT", as $AWS_LAMBDA_RUNTIME_API holds it.
  std::string api() const { return "127.0.0.1:" + std::to_string(port_); }

  void Invoke(std::string id, std::string event) {
    std::lock_guard lock(mu_);
    pending_.push_back({std::move(id), std::move(event)});
    cv_.notify_all();
  }
  // The answer to invocation `id`, waiting up to `timeout` for it; nullopt if none came.
  std::optional<Answer> AnswerTo(const std::string& id,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return answers_.count(id) > 0; })) return std::nullopt;
    return answers_.at(id);
  }
  std::vector<std::string> init_errors() {
    std::lock_guard lock(mu_);
    return init_errors_;
  }

 private:
  struct Invocation {
    std::string id;
    std::string event;
  };
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Invocation> pending_;
  std::map<std::string, Answer> answers_;
  std::vector<std::string> init_errors_;
  bool stopping_ = false;
};

}  // namespace spotbatch::testing
