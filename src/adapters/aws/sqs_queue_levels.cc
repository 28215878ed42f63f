#include "adapters/aws/sqs_queue_levels.h"

#include <algorithm>
#include <map>

namespace spotbatch {
namespace {

std::string QueueNameOfUrl(const std::string& url) { return url.substr(url.rfind('/') + 1); }

}  // namespace

SqsQueueLevels::SqsQueueLevels(const SqsQueueOptions& options, AwsJsonClient& client, Clock& clock)
    : options_(options),
      max_levels_(options.pipeline_levels * kSqsSizeBands),
      client_(client),
      clock_(clock) {}

Status SqsQueueLevels::Configure(std::string_view queue, const QueueOptions& options) {
  if (queue.empty()) return InvalidArgument("queue name is empty");
  if (options.max_receives < 1) return InvalidArgument("max_receives must be at least 1");
  if (options.dead_letter_queue == queue) {
    return InvalidArgument("queue " + std::string(queue) + " cannot be its own dead-letter queue");
  }
  SB_RETURN_IF_ERROR(ValidateName(queue));
  const std::string dlq =
      options.dead_letter_queue.empty() ? std::string(queue) + "-dlq" : options.dead_letter_queue;
  SB_RETURN_IF_ERROR(ValidateName(dlq));
  SB_ASSIGN_OR_RETURN(const std::string dlq_url, EnsureLevel(dlq, 0));
  SB_ASSIGN_OR_RETURN(
      nlohmann::json arn,
      Call("GetQueueAttributes", {{"QueueUrl", dlq_url}, {"AttributeNames", {"QueueArn"}}}));
  const nlohmann::json* arn_value = nullptr;
  if (arn.is_object() && arn.contains("Attributes") && arn["Attributes"].is_object() &&
      arn["Attributes"].contains("QueueArn") && arn["Attributes"]["QueueArn"].is_string()) {
    arn_value = &arn["Attributes"]["QueueArn"];
  }
  if (arn_value == nullptr) return Internal("GetQueueAttributes: no QueueArn for " + dlq);
  const std::string policy =
      nlohmann::json{{"deadLetterTargetArn", *arn_value},
                     {"maxReceiveCount", std::min(options.max_receives + 1, 1000)}}
          .dump();
  SB_ASSIGN_OR_RETURN(const std::string base_url, EnsureLevel(queue, 0));
  // Set only when it differs: every process configures its queues as it starts, and a
  // write is not free (and moto's SetQueueAttributes drops the queue's access Policy).
  SB_ASSIGN_OR_RETURN(
      nlohmann::json current,
      Call("GetQueueAttributes",
           {{"QueueUrl", base_url}, {"AttributeNames", nlohmann::json::array({"RedrivePolicy"})}}));
  const nlohmann::json have = nlohmann::json::parse(
      current.is_object() ? current.value("Attributes", nlohmann::json::object())
                                .value("RedrivePolicy", std::string("null"))
                          : std::string("null"),
      nullptr, false);
  if (have.is_discarded() || have != nlohmann::json::parse(policy)) {
    SB_RETURN_IF_ERROR(SetPolicy(base_url, policy));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    SqsQueueInfo& info = queues_[std::string(queue)];
    info.policy_known = true;
    info.policy_read_at = clock_.NowUnixMillis();
    info.max_receives = options.max_receives;
    info.dead_letter = dlq;
    info.raw_policy = policy;
  }
  SB_ASSIGN_OR_RETURN(std::vector<int> levels, Levels(queue, /*force=*/true));
  for (int level : levels) {
    if (level == 0) continue;
    SB_ASSIGN_OR_RETURN(const std::string url, EnsureLevel(queue, level));
    SB_RETURN_IF_ERROR(SetPolicy(url, policy));
  }
  return Status::Ok();
}

Result<nlohmann::json> SqsQueueLevels::Call(std::string_view action, const nlohmann::json& input) {
  return client_.Call(action, input);
}

Status SqsQueueLevels::ValidateName(std::string_view queue) const {
  return ValidateSqsQueueName(options_.queue_name_prefix, queue, max_levels_);
}
std::string SqsQueueLevels::SqsName(std::string_view queue, int level) const {
  return SqsLevelQueueName(options_.queue_name_prefix + std::string(queue), level);
}
std::string SqsQueueLevels::LaterName(std::string_view queue) const {
  return options_.queue_name_prefix + std::string(queue) + kSqsLaterSuffix;
}

Result<std::string> SqsQueueLevels::EnsureLevel(std::string_view queue, int level) {
  const std::string name = SqsName(queue, level);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = urls_.find(name); it != urls_.end()) return it->second;
  }
  SB_ASSIGN_OR_RETURN(nlohmann::json created, Call("CreateQueue", {{"QueueName", name}}));
  if (!created.is_object() || !created.contains("QueueUrl") || !created["QueueUrl"].is_string()) {
    return Internal("CreateQueue: no QueueUrl for " + name);
  }
  const std::string url = created["QueueUrl"].get<std::string>();
  if (level > 0) {
    SB_ASSIGN_OR_RETURN(SqsQueueInfo policy, Policy(queue));
    if (!policy.raw_policy.empty()) SB_RETURN_IF_ERROR(SetPolicy(url, policy.raw_policy));
  }
  std::lock_guard<std::mutex> lock(mu_);
  urls_[name] = url;
  SqsQueueInfo& info = queues_[std::string(queue)];
  if (std::find(info.levels.begin(), info.levels.end(), level) == info.levels.end()) {
    info.levels.push_back(level);
    std::sort(info.levels.rbegin(), info.levels.rend());
  }
  return url;
}

Status SqsQueueLevels::SetPolicy(const std::string& url, const std::string& policy) {
  return Call("SetQueueAttributes",
              {{"QueueUrl", url}, {"Attributes", {{"RedrivePolicy", policy}}}})
      .status();
}

Result<std::vector<int>> SqsQueueLevels::Levels(std::string_view queue, bool force) {
  const int64_t now = clock_.NowUnixMillis();
  {
    std::lock_guard<std::mutex> lock(mu_);
    SqsQueueInfo& info = queues_[std::string(queue)];
    if (!force && info.levels_read_at != INT64_MIN &&
        now - info.levels_read_at < options_.level_refresh_millis) {
      return info.levels;
    }
  }
  const std::string base = SqsName(queue, 0);
  SB_ASSIGN_OR_RETURN(nlohmann::json listed, Call("ListQueues", {{"QueueNamePrefix", base}}));
  std::vector<int> levels;
  std::map<std::string, std::string> found;
  if (listed.is_object() && listed.contains("QueueUrls") && listed["QueueUrls"].is_array()) {
    for (const nlohmann::json& u : listed["QueueUrls"]) {
      if (!u.is_string() || u.get_ref<const std::string&>().size() > 2048) continue;
      const std::string& url = u.get_ref<const std::string&>();
      const std::string name = QueueNameOfUrl(url);
      if (auto level = SqsLevelOfQueueName(base, name, max_levels_)) {
        levels.push_back(*level);
        found[name] = url;
      } else if (name == base + kSqsLaterSuffix) {
        found[name] = url;
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, url] : found) urls_[name] = url;
  SqsQueueInfo& info = queues_[std::string(queue)];
  // ListQueues is eventually consistent: a level this instance made (its URL is cached)
  // stays until a ReceiveMessage finds it gone (ForgetLevel).
  for (int level : info.levels) {
    if (std::find(levels.begin(), levels.end(), level) == levels.end() &&
        urls_.count(SqsName(queue, level)) > 0) {
      levels.push_back(level);
    }
  }
  std::sort(levels.rbegin(), levels.rend());
  info.levels = levels;
  info.levels_read_at = now;
  return levels;
}

void SqsQueueLevels::ForgetLevel(std::string_view queue, int level) {
  std::lock_guard<std::mutex> lock(mu_);
  urls_.erase(SqsName(queue, level));
  std::vector<int>& levels = queues_[std::string(queue)].levels;
  levels.erase(std::remove(levels.begin(), levels.end(), level), levels.end());
}

Result<SqsQueueInfo> SqsQueueLevels::Policy(std::string_view queue) {
  const int64_t now = clock_.NowUnixMillis();
  {
    std::lock_guard<std::mutex> lock(mu_);
    SqsQueueInfo& info = queues_[std::string(queue)];
    if (info.policy_known && now - info.policy_read_at < options_.level_refresh_millis) {
      return info;
    }
  }
  SqsQueueInfo read;
  read.dead_letter = std::string(queue) + "-dlq";
  const std::string base = SqsName(queue, 0);
  auto url = Call("GetQueueUrl", {{"QueueName", base}});
  if (!url.ok() && url.status().code() != StatusCode::kNotFound) return url.status();
  if (url.ok() && url->is_object() && url->contains("QueueUrl") && (*url)["QueueUrl"].is_string()) {
    SB_ASSIGN_OR_RETURN(nlohmann::json attrs,
                        Call("GetQueueAttributes", {{"QueueUrl", (*url)["QueueUrl"]},
                                                    {"AttributeNames", {"RedrivePolicy"}}}));
    if (attrs.is_object() && attrs.contains("Attributes") && attrs["Attributes"].is_object() &&
        attrs["Attributes"].contains("RedrivePolicy") &&
        attrs["Attributes"]["RedrivePolicy"].is_string()) {
      const std::string& raw = attrs["Attributes"]["RedrivePolicy"].get_ref<const std::string&>();
      if (auto p = ParseSqsRedrivePolicy(raw)) {
        read.raw_policy = raw;
        // Configure writes max_receives + 1 (at most 1000): see the header.
        read.max_receives =
            p->max_receive_count >= 1000 ? 1000 : std::max(1, p->max_receive_count - 1);
        std::string dlq = p->dead_letter_queue;
        if (dlq.rfind(options_.queue_name_prefix, 0) == 0) {
          dlq = dlq.substr(options_.queue_name_prefix.size());
        }
        if (!dlq.empty() && ValidateName(dlq).ok()) read.dead_letter = dlq;
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  SqsQueueInfo& info = queues_[std::string(queue)];
  info.policy_known = true;
  info.policy_read_at = now;
  info.max_receives = read.max_receives;
  info.dead_letter = read.dead_letter;
  info.raw_policy = read.raw_policy;
  return info;
}

Result<std::string> SqsQueueLevels::EnsureLater(std::string_view queue) {
  const std::string name = LaterName(queue);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = urls_.find(name); it != urls_.end()) return it->second;
  }
  SB_ASSIGN_OR_RETURN(nlohmann::json created, Call("CreateQueue", {{"QueueName", name}}));
  if (!created.is_object() || !created.contains("QueueUrl") || !created["QueueUrl"].is_string()) {
    return Internal("CreateQueue: no QueueUrl for " + name);
  }
  std::lock_guard<std::mutex> lock(mu_);
  return urls_[name] = created["QueueUrl"].get<std::string>();
}

std::string SqsQueueLevels::KnownUrl(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = urls_.find(name);
  return it == urls_.end() ? "" : it->second;
}

void SqsQueueLevels::ForgetUrl(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  urls_.erase(name);
}

Result<std::string> SqsQueueLevels::LookUp(const std::string& name) {
  if (std::string known = KnownUrl(name); !known.empty()) return known;
  SB_ASSIGN_OR_RETURN(nlohmann::json url, Call("GetQueueUrl", {{"QueueName", name}}));
  if (!url.is_object() || !url.contains("QueueUrl") || !url["QueueUrl"].is_string()) {
    return Internal("GetQueueUrl: no QueueUrl for " + name);
  }
  std::lock_guard<std::mutex> lock(mu_);
  return urls_[name] = url["QueueUrl"].get<std::string>();
}

}  // namespace spotbatch
