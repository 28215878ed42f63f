// Auto Scaling as moto does not play it, for tests: a loopback server in front of moto that
// plays termination lifecycle hooks and groups without capacity, and passes every other
// request on to moto unchanged (docs/moto-ec2-autoscaling.md: moto runs no lifecycle-hook
// waits and has no CompleteLifecycleAction or RecordLifecycleActionHeartbeat).
//
//   - A group given a termination hook (PutLifecycleHook, recorded and passed on) holds an
//     instance that TerminateInstanceInAutoScalingGroup names in Terminating:Wait: the
//     instance is detached in moto (desired capacity decremented as asked) and shown in the
//     group's DescribeAutoScalingGroups answers as Terminating:Wait, until
//     CompleteLifecycleAction names it, when it is terminated in moto's EC2. An unprotected
//     instance completes at once, as an idle worker does (auto_complete_idle), so that only
//     a busy one waits for its worker.
//   - Exhaust(group): the group has no capacity: a raised desired capacity is shown but no
//     instance is launched, as when EC2 has no capacity for any of the group's overrides,
//     and DescribeScalingActivities shows the launch failed (moto lists no activities), at
//     the time of the clock given to UseClock (the system's by default).
//   - Every lifecycle call (completions, heartbeats) is recorded.
//   - FailNext(action): the next calls of an action fail, as an account at its quota.
#pragma once

#include <httplib.h>

#include <map>
#include <mutex>
#include <pugixml.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "aws/local_http_server.h"
#include "common/time_format.h"
#include "spotbatch/clock.h"

namespace spotbatch::testing {

class AsgHarness {
 public:
  struct LifecycleCall {
    std::string action;  // CompleteLifecycleAction, RecordLifecycleActionHeartbeat
    std::string group, hook, instance, result;
    bool operator==(const LifecycleCall&) const = default;
  };

  explicit AsgHarness(std::string moto, bool auto_complete_idle = true)
      : forward_(moto), auto_complete_idle_(auto_complete_idle) {
    server_.server().Post(
        "/", [this](const httplib::Request& req, httplib::Response& res) { Serve(req, res); });
  }

  std::string endpoint() const { return server_.endpoint(); }
  // The clock of the failed launches' StartTime: the fleet's, for tests on a FakeClock.
  void UseClock(Clock& clock) {
    std::lock_guard lock(mu_);
    clock_ = &clock;
  }
  void Exhaust(const std::string& group) {
    std::lock_guard lock(mu_);
    exhausted_.insert(group);
  }
  // Capacity is back: what was asked for is launched.
  void Restore(const std::string& group) {
    int asked = 0;
    {
      std::lock_guard lock(mu_);
      exhausted_.erase(group);
      auto shown = shown_desired_.find(group);
      if (shown == shown_desired_.end()) return;
      asked = shown->second;
      shown_desired_.erase(shown);
    }
    Forward({},
            "Action=SetDesiredCapacity&Version=2011-01-01&AutoScalingGroupName=" + group +
                "&DesiredCapacity=" + std::to_string(asked),
            "autoscaling");
  }
  // The next `times` calls of `action` fail with LimitExceeded (an error not retried), as an
  // account at its quota answers; nothing reaches moto.
  void FailNext(const std::string& action, int times = 1) {
    std::lock_guard lock(mu_);
    fail_next_[action] = times;
  }
  // Instances held in Terminating:Wait now.
  std::set<std::string> Held() {
    std::lock_guard lock(mu_);
    std::set<std::string> out;
    for (const auto& [id, h] : held_) out.insert(id);
    return out;
  }
  std::vector<LifecycleCall> LifecycleCalls() {
    std::lock_guard lock(mu_);
    return lifecycle_calls_;
  }

 private:
  struct Hold {
    std::string group, hook;
    bool protect = false;
    std::string xml;  // the instance's <member> as the group last showed it
  };

  static std::string Value(const httplib::Params& form, const std::string& key) {
    auto it = form.find(key);
    return it == form.end() ? "" : it->second;
  }
  static void Ok(httplib::Response& res, const std::string& action,
                 const std::string& result = "") {
    res.set_content("<" + action +
                        "Response xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\">" +
                        result +
                        "<ResponseMetadata><RequestId>harness</RequestId>"
                        "</ResponseMetadata></" +
                        action + "Response>",
                    "text/xml");
  }
  static void Refuse(httplib::Response& res, const std::string& message) {
    res.status = 400;
    res.set_content(
        "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>" + message +
            "</Message></Error><RequestId>harness</RequestId></ErrorResponse>",
        "text/xml");
  }

  // Passes `body` to moto with the request's headers (moto, not checking signatures here,
  // routes by the service the Authorization header names), or as a call of `service`.
  httplib::Result Forward(const httplib::Headers& request_headers, const std::string& body,
                          const std::string& service = "") {
    httplib::Headers headers;
    for (const auto& [k, v] : request_headers) {
      if (k == "Authorization" && !service.empty()) continue;
      if (k != "Host" && k != "Content-Length" && k != "REMOTE_ADDR" && k != "REMOTE_PORT" &&
          k != "LOCAL_ADDR" && k != "LOCAL_PORT") {
        headers.emplace(k, v);
      }
    }
    if (!service.empty()) {
      headers.emplace("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/" +
                                           service +
                                           "/aws4_request, SignedHeaders=host, Signature=0");
    }
    std::lock_guard lock(forward_mu_);
    return forward_.Post("/", headers, body, "application/x-www-form-urlencoded; charset=utf-8");
  }
  void Relay(httplib::Result r, httplib::Response& res) {
    if (!r) {
      res.status = 502;
      return;
    }
    res.status = r->status;
    res.set_content(r->body, r->get_header_value("Content-Type").c_str());
  }

  void Serve(const httplib::Request& req, httplib::Response& res) {
    httplib::Params form;
    httplib::detail::parse_query_text(req.body, form);
    const std::string action = Value(form, "Action");
    {
      std::lock_guard lock(mu_);
      if (auto fail = fail_next_.find(action); fail != fail_next_.end() && fail->second > 0) {
        --fail->second;
        res.status = 400;
        res.set_content(
            "<ErrorResponse><Error><Type>Sender</Type><Code>LimitExceeded</Code><Message>"
            "injected by the harness</Message></Error></ErrorResponse>",
            "text/xml");
        return;
      }
    }
    if (action == "PutLifecycleHook") {
      if (Value(form, "LifecycleTransition") == "autoscaling:EC2_INSTANCE_TERMINATING") {
        std::lock_guard lock(mu_);
        hooks_[Value(form, "AutoScalingGroupName")] = Value(form, "LifecycleHookName");
      }
      return Relay(Forward(req.headers, req.body), res);
    }
    if (action == "DescribeAutoScalingGroups") return Groups(req, res);
    if (action == "DescribeScalingActivities") {
      std::lock_guard lock(mu_);
      auto a = activities_.find(Value(form, "AutoScalingGroupName"));
      if (a != activities_.end()) {
        std::string list;
        for (auto it = a->second.rbegin(); it != a->second.rend(); ++it) list += *it;
        return Ok(res, action,
                  "<DescribeScalingActivitiesResult><Activities>" + list +
                      "</Activities></DescribeScalingActivitiesResult>");
      }
    }
    if (action == "TerminateInstanceInAutoScalingGroup") return TerminateInGroup(req, form, res);
    if (action == "CompleteLifecycleAction" || action == "RecordLifecycleActionHeartbeat") {
      return Lifecycle(req, form, action, res);
    }
    if (action == "SetInstanceProtection") {
      std::lock_guard lock(mu_);
      const std::string id = Value(form, "InstanceIds.member.1");
      const bool protect = Value(form, "ProtectedFromScaleIn") == "true";
      if (auto h = held_.find(id); h != held_.end()) {
        h->second.protect = protect;
        return Ok(res, action, "<SetInstanceProtectionResult/>");
      }
      protected_[id] = protect;
    }
    if (action == "SetDesiredCapacity") {
      std::lock_guard lock(mu_);
      const std::string group = Value(form, "AutoScalingGroupName");
      if (exhausted_.count(group)) {
        const int asked = std::stoi(Value(form, "DesiredCapacity"));
        shown_desired_[group] = asked;
        // Scale-in still happens; capacity that is not there is only asked for.
        if (asked >= moto_desired_[group]) {
          if (asked > moto_desired_[group]) FailedLaunch(group);
          return Ok(res, action);
        }
      }
    }
    Relay(Forward(req.headers, req.body), res);
  }

  // As Auto Scaling writes a launch that found no capacity for any of the group's overrides.
  void FailedLaunch(const std::string& group) {
    const std::string why =
        "There is no Spot capacity available that matches your request. Launching EC2 instance "
        "failed.";
    activities_[group].push_back(
        "<member><ActivityId>harness-" + std::to_string(++activity_number_) +
        "</ActivityId><AutoScalingGroupName>" + group +
        "</AutoScalingGroupName><Description>Launching a new EC2 instance.  Status Reason: " + why +
        "</Description><Cause>a user request explicitly set group desired capacity</Cause>"
        "<StartTime>" +
        FormatUtcTimestamp(clock_->NowUnixMillis(), true) +
        "</StartTime><StatusCode>Failed</StatusCode><StatusMessage>" + why +
        "</StatusMessage><Progress>100</Progress></member>");
  }

  void Groups(const httplib::Request& req, httplib::Response& res) {
    httplib::Result r = Forward(req.headers, req.body);
    if (!r || r->status != 200) return Relay(std::move(r), res);
    pugi::xml_document doc;
    if (!doc.load_string(r->body.c_str())) return Relay(std::move(r), res);
    std::lock_guard lock(mu_);
    for (pugi::xml_node g : doc.document_element()
                                .child("DescribeAutoScalingGroupsResult")
                                .child("AutoScalingGroups")
                                .children("member")) {
      const std::string name = g.child("AutoScalingGroupName").text().get();
      pugi::xml_node desired = g.child("DesiredCapacity");
      moto_desired_[name] = desired.text().as_int();
      if (auto shown = shown_desired_.find(name); shown != shown_desired_.end()) {
        desired.text().set(std::max(shown->second, moto_desired_[name]));
      }
      pugi::xml_node instances = g.child("Instances");
      for (pugi::xml_node in : instances.children("member")) {
        const std::string id = in.child("InstanceId").text().get();
        group_of_[id] = name;
        protected_[id] = std::string_view(in.child("ProtectedFromScaleIn").text().get()) == "true";
        std::ostringstream xml;
        in.print(xml, "", pugi::format_raw);
        member_xml_[id] = xml.str();
      }
      for (const auto& [id, h] : held_) {
        if (h.group != name) continue;
        pugi::xml_document member;
        member.load_string(h.xml.c_str());
        pugi::xml_node m = instances.append_copy(member.document_element());
        m.child("LifecycleState").text().set("Terminating:Wait");
        m.child("ProtectedFromScaleIn").text().set(h.protect ? "true" : "false");
      }
    }
    std::ostringstream out;
    doc.save(out, "", pugi::format_raw);
    res.set_content(out.str(), "text/xml");
  }

  void TerminateInGroup(const httplib::Request& req, const httplib::Params& form,
                        httplib::Response& res) {
    const std::string id = Value(form, "InstanceId");
    std::unique_lock lock(mu_);
    if (held_.count(id)) return Refuse(res, "instance " + id + " is terminating already");
    const std::string group = group_of_[id];
    auto hook = hooks_.find(group);
    const bool idle = !protected_[id];
    if (group.empty() || hook == hooks_.end() || (idle && auto_complete_idle_)) {
      lock.unlock();
      return Relay(Forward(req.headers, req.body), res);
    }
    held_[id] = {group, hook->second, protected_[id], member_xml_[id]};
    lock.unlock();
    httplib::Result r = Forward(
        req.headers, "Action=DetachInstances&Version=2011-01-01&AutoScalingGroupName=" + group +
                         "&InstanceIds.member.1=" + id + "&ShouldDecrementDesiredCapacity=" +
                         Value(form, "ShouldDecrementDesiredCapacity"));
    if (!r || r->status != 200) {
      std::lock_guard relock(mu_);
      held_.erase(id);
      return Relay(std::move(r), res);
    }
    Ok(res, "TerminateInstanceInAutoScalingGroup",
       "<TerminateInstanceInAutoScalingGroupResult><Activity><ActivityId>harness</ActivityId>"
       "<AutoScalingGroupName>" +
           group +
           "</AutoScalingGroupName><StatusCode>InProgress"
           "</StatusCode><Progress>0</Progress></Activity></"
           "TerminateInstanceInAutoScalingGroupResult>");
  }

  void Lifecycle(const httplib::Request& req, const httplib::Params& form,
                 const std::string& action, httplib::Response& res) {
    const std::string id = Value(form, "InstanceId");
    std::unique_lock lock(mu_);
    lifecycle_calls_.push_back({action, Value(form, "AutoScalingGroupName"),
                                Value(form, "LifecycleHookName"), id,
                                Value(form, "LifecycleActionResult")});
    auto h = held_.find(id);
    if (h == held_.end() || h->second.group != Value(form, "AutoScalingGroupName") ||
        h->second.hook != Value(form, "LifecycleHookName")) {
      return Refuse(res, "No active Lifecycle Action found with instance ID " + id);
    }
    if (action == "RecordLifecycleActionHeartbeat") return Ok(res, action);
    held_.erase(h);
    lock.unlock();
    httplib::Result r = Forward(
        req.headers, "Action=TerminateInstances&Version=2016-11-15&InstanceId.1=" + id, "ec2");
    if (!r || r->status != 200) return Relay(std::move(r), res);
    Ok(res, action, "<CompleteLifecycleActionResult/>");
  }

  std::mutex forward_mu_;
  httplib::Client forward_;
  const bool auto_complete_idle_;
  std::map<std::string, int> fail_next_;
  std::mutex mu_;
  std::map<std::string, std::string> hooks_;     // group -> its termination hook
  std::map<std::string, std::string> group_of_;  // instance -> group, as last shown
  std::map<std::string, bool> protected_;        // instance -> ProtectedFromScaleIn
  std::map<std::string, std::string> member_xml_;
  std::map<std::string, Hold> held_;
  std::set<std::string> exhausted_;
  std::map<std::string, int> moto_desired_, shown_desired_;
  Clock* clock_ = &SystemClock();
  std::map<std::string, std::vector<std::string>> activities_;  // group -> members, oldest first
  int activity_number_ = 0;
  std::vector<LifecycleCall> lifecycle_calls_;
  LocalHttpServer server_;  // last: destroyed (and stopped) first
};

}  // namespace spotbatch::testing
