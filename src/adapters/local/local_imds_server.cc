#include "adapters/local/local_imds_server.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "common/ids.h"
#include "common/time_format.h"

namespace spotbatch {
namespace {

// EC2 writes whole seconds. Here times carry milliseconds: a fleet replaying a trace faster
// than real time gives notices of a fraction of a second, which whole seconds would round
// away. The client reads both forms.
constexpr bool kMillis = true;

constexpr const char* kRolePrefix = "/latest/meta-data/iam/security-credentials/";

}  // namespace

const char* const kProtectionPath = "/spotbatch/v1/scale-in-protection";

namespace {

class Server final : public LocalImdsServer {
 public:
  explicit Server(Clock& clock) : clock_(clock) {
    // One instance's metadata is polled by one worker: two threads are plenty, and a fleet
    // runs one server per instance.
    http_.new_task_queue = [] { return new httplib::ThreadPool(2); };
    http_.Put("/latest/api/token", [this](const auto& req, auto& res) { Token(req, res); });
    http_.Put(kProtectionPath, [this](const auto& req, auto& res) { Protection(req, res); });
    http_.Get(R"(/latest/meta-data/.*)",
              [this](const auto& req, auto& res) { MetaData(req, res); });
    http_.set_error_handler([](const auto&, auto& res) {
      if (res.body.empty()) res.set_content("", "text/plain");
    });
  }

  ~Server() override { Stop(); }

  Status Listen(int port) {
    port_ = port == 0 ? http_.bind_to_any_port("127.0.0.1")
                      : (http_.bind_to_port("127.0.0.1", port) ? port : -1);
    if (port_ <= 0) return Unavailable("cannot listen on 127.0.0.1:" + std::to_string(port));
    thread_ = std::thread([this] { http_.listen_after_bind(); });
    // httplib's stop() does nothing before listening started, and a Reclaim() that came
    // then would leave the thread in accept() for good: return once it listens.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!http_.is_running() && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::yield();
    }
    return Status::Ok();
  }

  int port() const override { return port_; }
  std::string endpoint() const override { return "http://127.0.0.1:" + std::to_string(port_); }

  void ScheduleRebalance(int64_t at) override {
    std::lock_guard<std::mutex> lock(mu_);
    rebalance_at_ = at;
  }
  void ScheduleInterruption(int64_t notice_at, int64_t reclaim_at, SpotAction action) override {
    std::lock_guard<std::mutex> lock(mu_);
    notice_at_ = notice_at;
    interruption_ = SpotInterruption{action, reclaim_at};
  }
  void ClearNotices() override {
    std::lock_guard<std::mutex> lock(mu_);
    rebalance_at_.reset();
    notice_at_.reset();
    interruption_.reset();
  }
  void SetIdentity(const LocalInstanceIdentity& identity) override {
    std::lock_guard<std::mutex> lock(mu_);
    identity_ = {{"/latest/meta-data/instance-id", identity.instance_id},
                 {"/latest/meta-data/instance-type", identity.instance_type},
                 {"/latest/meta-data/placement/availability-zone", identity.zone},
                 {"/latest/meta-data/placement/region", identity.region},
                 {"/latest/meta-data/instance-life-cycle", identity.life_cycle}};
  }
  void SetTargetLifecycleState(const std::string& state) override {
    std::lock_guard<std::mutex> lock(mu_);
    lifecycle_ = state;
  }
  void SetRoleCredentials(const std::string& role, const AwsCredentials& credentials) override {
    std::lock_guard<std::mutex> lock(mu_);
    role_ = role;
    role_credentials_ = credentials;
    if (!role_credentials_.expires_unix_millis) {
      role_credentials_.expires_unix_millis = clock_.NowUnixMillis() + 3600 * 1000;
    }
  }
  void Reclaim() override { Stop(); }
  void FailNextRequests(int count, int http_status) override {
    std::lock_guard<std::mutex> lock(mu_);
    fail_count_ = count;
    fail_status_ = http_status;
  }
  void SetAnswerDelayMillis(int64_t millis) override { delay_millis_ = millis; }
  void RevokeTokens() override {
    std::lock_guard<std::mutex> lock(mu_);
    tokens_.clear();
  }
  bool protected_from_scale_in() const override { return protected_.load(); }
  int64_t requests() const override { return requests_.load(); }
  int64_t token_requests() const override { return token_requests_.load(); }
  int64_t role_credential_requests() const override { return role_credential_requests_.load(); }

 private:
  void Stop() {
    http_.stop();
    if (thread_.joinable()) thread_.join();
  }

  // Delay and injected failures, common to every path. True when the request was answered.
  bool Intercept(httplib::Response& res) {
    ++requests_;
    // A slow service is slow in real time, whatever clock the notices follow.
    if (const int64_t d = delay_millis_.load(); d > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(d));
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_count_ <= 0) return false;
    --fail_count_;
    res.status = fail_status_;
    res.set_content("injected failure", "text/plain");
    return true;
  }

  void Token(const httplib::Request& req, httplib::Response& res) {
    ++token_requests_;
    if (Intercept(res)) return;
    if (req.has_header("X-Forwarded-For")) {
      res.status = 403;
      return;
    }
    const std::string ttl_text = req.get_header_value("X-aws-ec2-metadata-token-ttl-seconds");
    int64_t ttl = 0;
    const bool digits = !ttl_text.empty() && ttl_text.size() <= 5 &&
                        ttl_text.find_first_not_of("0123456789") == std::string::npos;
    if (digits) ttl = std::stoll(ttl_text);
    if (ttl < 1 || ttl > 21600) {
      res.status = 400;
      return;
    }
    const std::string token = RandomHex(28);
    {
      std::lock_guard<std::mutex> lock(mu_);
      tokens_[token] = clock_.NowUnixMillis() + ttl * 1000;
    }
    res.set_header("X-aws-ec2-metadata-token-ttl-seconds", ttl_text);
    res.set_content(token, "text/plain");
  }

  // Whether the request carries a token issued and not expired (mu_ held).
  bool Authorized(const httplib::Request& req, int64_t now) const {
    auto token = tokens_.find(req.get_header_value("X-aws-ec2-metadata-token"));
    return token != tokens_.end() && token->second > now;
  }

  void Protection(const httplib::Request& req, httplib::Response& res) {
    if (Intercept(res)) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (!Authorized(req, clock_.NowUnixMillis())) {
      res.status = 401;
      return;
    }
    if (req.body != "true" && req.body != "false") {
      res.status = 400;
      res.set_content("the body must be true or false", "text/plain");
      return;
    }
    protected_ = req.body == "true";
    res.status = 204;
  }

  void MetaData(const httplib::Request& req, httplib::Response& res) {
    if (Intercept(res)) return;
    const int64_t now = clock_.NowUnixMillis();
    std::lock_guard<std::mutex> lock(mu_);
    if (!Authorized(req, now)) {
      res.status = 401;
      return;
    }
    const bool noticed = notice_at_ && *notice_at_ <= now;
    const std::string& path = req.path;
    if (path == "/latest/meta-data/spot/instance-action" && noticed) {
      res.set_content(std::string("{\"action\": \"") + SpotActionName(interruption_->action) +
                          "\", \"time\": \"" +
                          FormatUtcTimestamp(interruption_->time_unix_millis, kMillis) + "\"}",
                      "text/plain");
    } else if (path == "/latest/meta-data/spot/termination-time" && noticed &&
               interruption_->action == SpotAction::kTerminate) {
      res.set_content(FormatUtcTimestamp(interruption_->time_unix_millis, kMillis), "text/plain");
    } else if (path == "/latest/meta-data/events/recommendations/rebalance" && rebalance_at_ &&
               *rebalance_at_ <= now) {
      res.set_content("{\"noticeTime\": \"" + FormatUtcTimestamp(*rebalance_at_, kMillis) + "\"}",
                      "text/plain");
    } else if (path == "/latest/meta-data/autoscaling/target-lifecycle-state" &&
               !lifecycle_.empty()) {
      res.set_content(lifecycle_, "text/plain");
    } else if (auto id = identity_.find(path); id != identity_.end() && !id->second.empty()) {
      res.set_content(id->second, "text/plain");
    } else if (path.rfind(kRolePrefix, 0) == 0 && !role_.empty()) {
      RoleCredentials(path.substr(std::string_view(kRolePrefix).size()), now, res);
    } else {
      res.status = 404;
    }
  }

  // The role's name, or its credentials as EC2 writes them (mu_ held).
  void RoleCredentials(const std::string& role, int64_t now, httplib::Response& res) {
    if (role.empty()) {
      res.set_content(role_, "text/plain");
      return;
    }
    if (role != role_) {
      res.status = 404;
      return;
    }
    ++role_credential_requests_;
    const nlohmann::json body = {
        {"Code", "Success"},
        {"LastUpdated", FormatUtcTimestamp(now)},
        {"Type", "AWS-HMAC"},
        {"AccessKeyId", role_credentials_.access_key_id},
        {"SecretAccessKey", role_credentials_.secret_access_key},
        {"Token", role_credentials_.session_token},
        {"Expiration", FormatUtcTimestamp(*role_credentials_.expires_unix_millis)}};
    res.set_content(body.dump(2), "text/plain");
  }

  Clock& clock_;
  httplib::Server http_;
  std::thread thread_;
  int port_ = -1;
  std::mutex mu_;
  std::map<std::string, int64_t> tokens_;  // token -> expiry (unix millis)
  std::optional<int64_t> rebalance_at_;
  std::optional<int64_t> notice_at_;
  std::optional<SpotInterruption> interruption_;
  std::string lifecycle_;
  std::map<std::string, std::string> identity_;  // path -> value
  std::string role_;
  AwsCredentials role_credentials_;
  int fail_count_ = 0;
  int fail_status_ = 500;
  std::atomic<int64_t> delay_millis_{0};
  std::atomic<bool> protected_{false};
  std::atomic<int64_t> requests_{0};
  std::atomic<int64_t> token_requests_{0};
  std::atomic<int64_t> role_credential_requests_{0};
};

}  // namespace

Result<std::unique_ptr<LocalImdsServer>> LocalImdsServer::Start(Clock& clock, int port) {
  auto server = std::make_unique<Server>(clock);
  SB_RETURN_IF_ERROR(server->Listen(port));
  return std::unique_ptr<LocalImdsServer>(std::move(server));
}

}  // namespace spotbatch
