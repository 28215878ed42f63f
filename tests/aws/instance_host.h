// EC2 as moto does not run it, for tests: every instance moto's Auto Scaling groups say is
// running becomes a local `spotbatch worker --on-ec2` process with its own instance-metadata
// server (LocalImdsServer), as cloud-init would start it on a real instance.
//
//   - The worker's config is the one the group's launch template carries: the host decodes
//     the template's user data and takes the file its cloud-init writes, so that what deploy
//     put there is what runs (the binary is the build's; the install lines are not run).
//   - An instance the group holds in Terminating:Wait sees target-lifecycle-state
//     "Terminated" in its metadata, as EC2 tells an instance a termination hook holds.
//   - An instance that leaves its group is gone: its metadata server stops answering, its
//     worker gets SIGTERM and, still running 3 s later, SIGKILL, as a machine shutting down.
//   - Interrupt(instance): its metadata shows the two-minute notice (shortened), and at the
//     reclaim time the instance is terminated in moto's EC2 (moto's group replaces it).
// A thread polls the groups every poll_millis; every worker is stopped when the host goes.
#pragma once

#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "adapters/aws/asg_xml.h"
#include "adapters/aws/aws_query_client.h"
#include "adapters/aws/dynamodb_items.h"
#include "adapters/local/local_imds_server.h"
#include "aws/static_credentials.h"
#include "integration/cli_util.h"

namespace spotbatch::testing {

class InstanceHost {
 public:
  static constexpr int64_t kShutdownMillis = 3000;
  struct Options {
    std::string ec2;          // moto's endpoint (EC2: launch templates, terminations)
    std::string autoscaling;  // Auto Scaling's (the lifecycle harness before moto)
    std::vector<std::string> groups;
    std::string launch_template;        // what the groups' instances boot
    std::set<std::string> spot_groups;  // their instances say life cycle "spot"
    std::string folder;                 // per-instance configs and logs go here
    CliEnv env;                         // the workers' environment (credentials)
    int64_t poll_millis = 100;
    int64_t metadata_poll_millis = 50;
  };

  explicit InstanceHost(Options options) : o_(std::move(options)) {
    ec2_ = *AwsQueryClient::New({.endpoint = o_.ec2, .region = "us-east-1"}, credentials_,
                                SystemClock());
    autoscaling_ = *AwsQueryClient::New(
        {.endpoint = o_.autoscaling, .region = "us-east-1", .api = kAutoScalingApi}, credentials_,
        SystemClock());
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        Poll();
        ::usleep(static_cast<useconds_t>(o_.poll_millis * 1000));
      }
    });
  }
  ~InstanceHost() {
    stop_ = true;
    thread_.join();
    std::lock_guard lock(mu_);
    for (auto& [id, in] : hosted_) Kill(in);
  }

  // The two-minute notice, shortened to `notice_millis`, then the reclaim.
  bool Interrupt(const std::string& instance, int64_t notice_millis) {
    std::lock_guard lock(mu_);
    auto it = hosted_.find(instance);
    if (it == hosted_.end() || it->second.gone) return false;
    const int64_t now = SystemClock().NowUnixMillis();
    it->second.imds->ScheduleInterruption(now, now + notice_millis);
    it->second.reclaim_at = now + notice_millis;
    return true;
  }

  // Instances hosted now (worker running), and ever.
  std::set<std::string> Running() {
    std::lock_guard lock(mu_);
    std::set<std::string> out;
    for (const auto& [id, in] : hosted_) {
      if (!in.gone) out.insert(id);
    }
    return out;
  }
  int ever() {
    std::lock_guard lock(mu_);
    return static_cast<int>(hosted_.size());
  }
  // Workers alive now (processes not yet reaped).
  int alive_workers() {
    std::lock_guard lock(mu_);
    int n = 0;
    for (auto& [id, in] : hosted_) n += in.pid > 0;
    return n;
  }
  // Workers still running kShutdownMillis after their instance went.
  int killed() {
    std::lock_guard lock(mu_);
    return killed_;
  }
  std::string Logs() {
    std::lock_guard lock(mu_);
    std::string out;
    for (const auto& [id, in] : hosted_) out += "--- " + id + "\n" + ReadFile(in.dir + "/err");
    return out;
  }

 private:
  struct Hosted {
    std::string dir;
    std::unique_ptr<LocalImdsServer> imds;
    pid_t pid = -1;
    bool gone = false;
    int64_t reclaim_at = 0;
    int64_t kill_at = 0;  // gone: SIGKILL then, if it has not exited after SIGTERM
  };

  // The config the group's launch template's cloud-init writes.
  std::string ConfigOfTemplate(const std::string& template_name) {
    auto body = ec2_->Call("DescribeLaunchTemplateVersions",
                           {{"LaunchTemplateName", template_name}, {"Versions.1", "$Latest"}});
    if (!body.ok()) return "";
    const std::string& xml = *body;
    const size_t at = xml.find("<userData>");
    const size_t end = xml.find("</userData>");
    if (at == std::string::npos || end == std::string::npos) return "";
    std::string user_data;
    if (!ddb::Base64Decode(xml.substr(at + 10, end - at - 10), &user_data)) return "";
    const std::string marker = "content: ";
    const size_t c = user_data.find(marker);
    if (c == std::string::npos) return "";
    const size_t line_end = user_data.find('\n', c);
    std::string config;
    if (!ddb::Base64Decode(user_data.substr(c + marker.size(), line_end - c - marker.size()),
                           &config)) {
      return "";
    }
    return config;
  }

  void Start(const std::string& group, const AsgInstance& in) {
    Hosted h;
    h.dir = o_.folder + "/" + in.id;
    std::filesystem::create_directories(h.dir);
    const std::string config = ConfigOfTemplate(o_.launch_template);
    WriteFile(h.dir + "/spotbatch.toml", config);
    h.imds = *LocalImdsServer::Start(SystemClock());
    // moto leaves a mixed-instances group's types out: the first override stands in.
    h.imds->SetIdentity({in.id, in.instance_type.empty() ? "c5.xlarge" : in.instance_type, in.zone,
                         "us-east-1", o_.spot_groups.count(group) ? "spot" : "on-demand"});
    h.imds->SetTargetLifecycleState("InService");
    h.pid = StartCli({"worker", "-c", h.dir + "/spotbatch.toml", "--on-ec2", "--metadata-url",
                      h.imds->endpoint(), "--metadata-poll-ms",
                      std::to_string(o_.metadata_poll_millis), "--lifecycle-heartbeat-ms", "500"},
                     h.dir + "/out", h.dir + "/err", "", o_.env);
    hosted_.emplace(in.id, std::move(h));
  }

  void Kill(Hosted& h) {
    if (h.pid <= 0) return;
    ::kill(h.pid, SIGKILL);
    ::waitpid(h.pid, nullptr, 0);
    h.pid = -1;
  }

  void Poll() {
    QueryParams p;
    for (size_t i = 0; i < o_.groups.size(); ++i) {
      p.emplace_back("AutoScalingGroupNames.member." + std::to_string(i + 1), o_.groups[i]);
    }
    auto body = autoscaling_->Call("DescribeAutoScalingGroups", p);
    if (!body.ok()) return;
    auto page = ParseDescribeAutoScalingGroups(*body);
    if (!page.ok()) return;
    std::lock_guard lock(mu_);
    std::set<std::string> in_groups;
    for (const AsgGroup& g : page->groups) {
      for (const AsgInstance& in : g.instances) {
        in_groups.insert(in.id);
        auto it = hosted_.find(in.id);
        if (it == hosted_.end()) {
          if (in.lifecycle_state == "InService" || in.lifecycle_state.starts_with("Pending")) {
            Start(g.name, in);
          }
          continue;
        }
        if (in.lifecycle_state.starts_with("Terminating")) {
          it->second.imds->SetTargetLifecycleState("Terminated");
        }
      }
    }
    const int64_t now = SystemClock().NowUnixMillis();
    for (auto& [id, h] : hosted_) {
      if (h.pid > 0 && ::waitpid(h.pid, nullptr, WNOHANG) == h.pid) h.pid = -1;  // exited
      if (!h.gone && h.reclaim_at > 0 && now >= h.reclaim_at) {
        // The reclaim: EC2 takes the instance (moto's group replaces it).
        (void)ec2_->Call("TerminateInstances", {{"InstanceId.1", id}});
        h.reclaim_at = 0;
      }
      if (!h.gone && !in_groups.count(id)) {
        // The machine shuts down: systemd stops the worker (SIGTERM), then power goes.
        h.gone = true;
        h.imds->Reclaim();
        if (h.pid > 0) ::kill(h.pid, SIGTERM);
        h.kill_at = now + kShutdownMillis;
      }
      if (h.gone && h.pid > 0 && now >= h.kill_at) {
        ++killed_;
        Kill(h);
      }
    }
  }

  Options o_;
  StaticCredentials credentials_;
  std::unique_ptr<AwsQueryClient> ec2_, autoscaling_;
  std::mutex mu_;
  std::map<std::string, Hosted> hosted_;
  int killed_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace spotbatch::testing
