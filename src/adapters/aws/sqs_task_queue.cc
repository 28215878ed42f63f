#include "adapters/aws/sqs_task_queue.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "adapters/aws/aws_json_client.h"
#include "adapters/aws/sqs_queue_levels.h"

namespace spotbatch {
namespace {

constexpr int64_t kMaxVisibilitySeconds = 43'200;  // 12 h
constexpr int64_t kMaxDelaySeconds = 900;          // 15 min
constexpr int kMaxBatch = 10;                      // DeleteMessageBatch entries
constexpr int kMaxMovesPerLease = 32;  // copies sent on (early, or dead-lettered) per Lease
constexpr size_t kMaxLeaseRecords = 100'000;
constexpr int kLater = -1;  // Depth's name for the "-later" queue among the levels
// What a received body may hold: other producers may send up to SQS's own maximum (1 MiB
// since 2025), more than Send takes.
constexpr size_t kMaxReceivedBodyBytes = 1024 * 1024;

int64_t CeilSeconds(int64_t millis) { return millis <= 0 ? 0 : (millis + 999) / 1000; }

Status LeaseLost(const std::string& why) { return FailedPrecondition("lease lost: " + why); }

// SQS's refusal of a receipt handle is a lost lease: we checked every other parameter, so an
// invalid parameter there is the handle (expired, or of a message gone), a missing queue was
// deleted under the lease.
Status OfReceiptCall(const Status& s) {
  if (s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kNotFound) {
    return LeaseLost(s.message());
  }
  return s;
}

std::optional<StatusCode> ClassifySqs(const AwsServiceError& e) {
  const std::string& c = e.code;
  if (c == "OverLimit" || c == "AWS.SimpleQueueService.QueueDeletedRecently" ||
      c == "QueueDeletedRecently" || c == "KmsThrottled" || c == "RequestThrottled") {
    return StatusCode::kUnavailable;
  }
  if (c == "QueueAlreadyExists" || c == "QueueNameExists") return StatusCode::kAlreadyExists;
  if (c == "ReceiptHandleIsInvalid" || c == "MessageNotInflight" ||
      c == "AWS.SimpleQueueService.MessageNotInflight") {
    return StatusCode::kInvalidArgument;  // OfReceiptCall makes it a lost lease
  }
  return std::nullopt;
}

// What the adapter keeps of a lease it gave (or extended) until its deadline.
struct LeaseRecord {
  int64_t deadline = 0;
  bool settled = false;
  bool has_message = false;  // false: only extended through this instance
  std::string id, body;
  int64_t sent_unix_millis = 0;
  int receive_count = 0;
};

struct Copy {  // a message sent (again) by the adapter
  std::string body;
  std::string first_id;  // "" for a first Send
  int64_t sent_unix_millis = 0;
  int64_t earlier_receives = 0;
  int64_t delay_millis = 0;
};

class SqsTaskQueue final : public TaskQueue {
 public:
  SqsTaskQueue(SqsQueueOptions options, std::unique_ptr<AwsJsonClient> client, Clock& clock)
      : options_(std::move(options)),
        client_(std::move(client)),
        clock_(clock),
        levels_(options_, *client_, clock) {}

  Status Configure(std::string_view queue, const QueueOptions& options) override {
    return levels_.Configure(queue, options);
  }

  Result<std::string> Send(std::string_view queue, std::string_view body, int priority,
                           int64_t delay_millis) override {
    SB_RETURN_IF_ERROR(levels_.ValidateName(queue));
    SB_RETURN_IF_ERROR(ValidateSqsBody(body, options_.max_body_bytes));
    const int level = SqsPriorityLevel(priority, options_.pipeline_levels);
    return SendTo(queue, level,
                  Copy{.body = std::string(body),
                       .sent_unix_millis = clock_.NowUnixMillis(),
                       .delay_millis = delay_millis});
  }

  Result<std::optional<QueueMessage>> Lease(std::string_view queue,
                                            int64_t visibility_millis) override {
    return LeaseWaiting(queue, visibility_millis, 0);
  }

  Result<std::optional<QueueMessage>> LeaseWaiting(std::string_view queue,
                                                   int64_t visibility_millis,
                                                   int64_t wait_millis) override {
    SB_ASSIGN_OR_RETURN(std::vector<QueueMessage> got,
                        LeaseUpTo(queue, 1, visibility_millis, wait_millis));
    if (got.empty()) return std::optional<QueueMessage>();
    return std::optional<QueueMessage>(std::move(got[0]));
  }

  Result<std::vector<QueueMessage>> LeaseBatch(std::string_view queue, int max_messages,
                                               int64_t visibility_millis) override {
    SB_RETURN_IF_ERROR(CheckLeaseBatchSize(max_messages));
    return LeaseUpTo(queue, max_messages, visibility_millis, 0);
  }

  Status Extend(std::string_view receipt, int64_t visibility_millis) override {
    SB_ASSIGN_OR_RETURN(Held held, Check(receipt));
    visibility_millis = std::clamp<int64_t>(visibility_millis, 0, kMaxVisibilitySeconds * 1000);
    const int64_t now = clock_.NowUnixMillis();
    SB_ASSIGN_OR_RETURN(const std::string url, LevelUrl(held.receipt));
    SB_RETURN_IF_ERROR(ChangeVisibility(url, held.receipt.handle, visibility_millis));
    std::lock_guard<std::mutex> lock(mu_);
    LeaseRecord& r = leases_[std::string(receipt)];
    r.deadline = now + visibility_millis - SafetyOf(visibility_millis);
    return Status::Ok();
  }

  Status Release(std::string_view receipt, int64_t delay_millis) override {
    SB_ASSIGN_OR_RETURN(Held held, Check(receipt));
    SB_ASSIGN_OR_RETURN(const std::string url, LevelUrl(held.receipt));
    if (delay_millis <= 0 || !held.record.has_message) {
      SB_RETURN_IF_ERROR(
          ChangeVisibility(url, held.receipt.handle,
                           std::clamp<int64_t>(delay_millis, 0, kMaxVisibilitySeconds * 1000)));
    } else {
      SB_RETURN_IF_ERROR(MoveTo(held.receipt.queue, held.receipt.level,
                                Copy{.body = held.record.body,
                                     .first_id = held.record.id,
                                     .sent_unix_millis = held.record.sent_unix_millis,
                                     .earlier_receives = held.record.receive_count,
                                     .delay_millis = delay_millis},
                                url, held.receipt.handle));
    }
    Settle(receipt);
    return Status::Ok();
  }

  Status Delete(std::string_view receipt) override {
    SB_ASSIGN_OR_RETURN(Held held, Check(receipt));
    SB_ASSIGN_OR_RETURN(const std::string url, LevelUrl(held.receipt));
    SB_RETURN_IF_ERROR(OfReceiptCall(
        Call("DeleteMessage", {{"QueueUrl", url}, {"ReceiptHandle", held.receipt.handle}})
            .status()));
    Settle(receipt);
    return Status::Ok();
  }

  Status DeleteBatch(const std::vector<std::string>& receipts) override {
    // The current ones by SQS queue; stale ones are skipped, as the port says.
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> by_url;
    std::set<std::string> seen;
    for (const std::string& receipt : receipts) {
      if (!seen.insert(receipt).second) continue;
      auto held = Check(receipt);
      if (!held.ok()) continue;
      auto url = LevelUrl(held->receipt);
      if (!url.ok()) {
        if (url.status().code() == StatusCode::kFailedPrecondition) continue;
        return url.status();
      }
      by_url[*url].emplace_back(receipt, held->receipt.handle);
    }
    Status first_error;
    for (const auto& [url, entries] : by_url) {
      for (size_t start = 0; start < entries.size(); start += kMaxBatch) {
        const size_t end = std::min(entries.size(), start + kMaxBatch);
        nlohmann::json list = nlohmann::json::array();
        for (size_t i = start; i < end; ++i) {
          list.push_back({{"Id", std::to_string(i - start)}, {"ReceiptHandle", entries[i].second}});
        }
        auto answer = Call("DeleteMessageBatch", {{"QueueUrl", url}, {"Entries", list}});
        if (!answer.ok()) {
          Status s = OfReceiptCall(answer.status());
          if (s.code() == StatusCode::kFailedPrecondition) continue;  // the queue is gone
          if (first_error.ok()) first_error = s;
          continue;
        }
        // Settled unless SQS says otherwise; a sender fault is a stale handle (skipped), any
        // other failure SQS's (retryable).
        std::vector<bool> failed(end - start, false);
        const nlohmann::json* failures =
            answer->is_object() && answer->contains("Failed") ? &(*answer)["Failed"] : nullptr;
        if (failures != nullptr && failures->is_array()) {
          for (const nlohmann::json& f : *failures) {
            if (!f.is_object() || !f.contains("Id") || !f["Id"].is_string()) continue;
            const std::string& id = f["Id"].get_ref<const std::string&>();
            size_t index = 0;
            if (id.empty() || id.size() > 2 ||
                !std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; })) {
              continue;
            }
            index = std::stoul(id);
            if (index >= failed.size()) continue;
            failed[index] = true;
            const bool sender = f.contains("SenderFault") && f["SenderFault"].is_boolean() &&
                                f["SenderFault"].get<bool>();
            if (!sender && first_error.ok()) {
              first_error = Unavailable("DeleteMessageBatch: SQS failed an entry: " +
                                        f.value("Code", std::string("?")).substr(0, 100));
            }
          }
        }
        for (size_t i = start; i < end; ++i) {
          if (!failed[i - start]) Settle(entries[i].first);
        }
      }
    }
    return first_error;
  }

  Status DeadLetter(std::string_view receipt) override {
    SB_ASSIGN_OR_RETURN(Held held, Check(receipt));
    if (!held.record.has_message) {
      return LeaseLost("DeadLetter needs the TaskQueue instance that leased the message");
    }
    SB_ASSIGN_OR_RETURN(const std::string url, LevelUrl(held.receipt));
    SB_ASSIGN_OR_RETURN(SqsQueueInfo policy, levels_.Policy(held.receipt.queue));
    SB_RETURN_IF_ERROR(MoveTo(policy.dead_letter, 0,
                              Copy{.body = held.record.body,
                                   .first_id = held.record.id,
                                   .sent_unix_millis = held.record.sent_unix_millis},
                              url, held.receipt.handle));
    Settle(receipt);
    return Status::Ok();
  }

  Result<QueueDepth> Depth(std::string_view queue) override {
    SB_RETURN_IF_ERROR(levels_.ValidateName(queue));
    SB_RETURN_IF_ERROR(levels_.Levels(queue, /*force=*/false).status());  // finds "-later" too
    SB_RETURN_IF_ERROR(ForwardLater(queue));
    // Again: forwarding may have made a level (the cached list then has it).
    SB_ASSIGN_OR_RETURN(std::vector<int> levels, levels_.Levels(queue, /*force=*/false));
    levels.push_back(kLater);
    QueueDepth d;
    for (int level : levels) {
      const std::string url = levels_.KnownUrl(level == kLater ? levels_.LaterName(queue)
                                                               : levels_.SqsName(queue, level));
      if (url.empty()) continue;
      auto answer = Call("GetQueueAttributes",
                         {{"QueueUrl", url},
                          {"AttributeNames",
                           {"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                            "ApproximateNumberOfMessagesDelayed"}}});
      if (!answer.ok() && answer.status().code() == StatusCode::kNotFound) continue;
      if (!answer.ok()) return answer.status();
      const nlohmann::json* a = answer->is_object() && answer->contains("Attributes")
                                    ? &(*answer)["Attributes"]
                                    : nullptr;
      auto count = [&](const char* name) -> int64_t {
        if (a == nullptr || !a->is_object() || !a->contains(name)) return 0;
        const nlohmann::json& v = (*a)[name];
        if (v.is_number_integer()) return std::max<int64_t>(0, v.get<int64_t>());
        if (!v.is_string()) return 0;
        const std::string& s = v.get_ref<const std::string&>();
        if (s.empty() || s.size() > 12 ||
            !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
          return 0;
        }
        return std::stoll(s);
      };
      if (level == kLater) {  // all waiting for their time, whatever SQS says of them
        d.delayed += count("ApproximateNumberOfMessages") +
                     count("ApproximateNumberOfMessagesNotVisible") +
                     count("ApproximateNumberOfMessagesDelayed");
        continue;
      }
      d.visible += count("ApproximateNumberOfMessages");
      d.in_flight += count("ApproximateNumberOfMessagesNotVisible");
      d.delayed += count("ApproximateNumberOfMessagesDelayed");
    }
    return d;
  }

 private:
  struct Held {
    SqsReceipt receipt;
    LeaseRecord record;  // a copy; has_message false when this instance knows nothing
  };

  Result<nlohmann::json> Call(std::string_view action, const nlohmann::json& input) {
    return client_->Call(action, input);
  }
  int64_t SafetyOf(int64_t visibility_millis) const {
    return std::min(options_.lease_safety_millis, visibility_millis / 2);
  }

  // Sends `c` to `level` of `queue`, or, when its delay is beyond SQS's 15 minutes, to the
  // queue's "-later" queue with the time it is due and the level it is for.
  Result<std::string> SendTo(std::string_view queue, int level, const Copy& c) {
    if (c.delay_millis > kMaxDelaySeconds * 1000) {
      SB_ASSIGN_OR_RETURN(const std::string url, levels_.EnsureLater(queue));
      return SendCopy(url, c, level);
    }
    SB_ASSIGN_OR_RETURN(const std::string url, levels_.EnsureLevel(queue, level));
    return SendCopy(url, c, std::nullopt);
  }

  // Sends on what is in the queue's "-later" queue and has become visible there (its 15
  // minutes of SQS delay passed): to its level when at most 15 minutes are left (delayed
  // there by SQS for what is left), else back to "-later". At most every later_poll_millis
  // per instance, up to 10 messages each time.
  // Every level in priority order, at once, until one has deliverable messages (up to `max`
  // of them); then, when asked to wait, a long poll of the queue itself, where tasks of the
  // default priority go (a message sent meanwhile to another level waits for the next sweep).
  Result<std::vector<QueueMessage>> LeaseUpTo(std::string_view queue, int max,
                                              int64_t visibility_millis, int64_t wait_millis) {
    SB_RETURN_IF_ERROR(levels_.ValidateName(queue));
    visibility_millis = std::clamp<int64_t>(visibility_millis, 0, kMaxVisibilitySeconds * 1000);
    SB_RETURN_IF_ERROR(levels_.Levels(queue, /*force=*/false).status());  // finds "-later" too
    SB_RETURN_IF_ERROR(ForwardLater(queue));
    // Again: forwarding may have made a level (the cached list then has it).
    SB_ASSIGN_OR_RETURN(std::vector<int> levels, levels_.Levels(queue, /*force=*/false));
    int moves = 0;
    for (int level : levels) {
      SB_ASSIGN_OR_RETURN(Received r, ReceiveFrom(queue, level, visibility_millis, 0, max, moves));
      if (!r.messages.empty() || r.out_of_moves) return std::move(r.messages);
    }
    const int wait_seconds = static_cast<int>(std::clamp<int64_t>(wait_millis / 1000, 0, 20));
    if (wait_seconds == 0) return std::vector<QueueMessage>();
    SB_ASSIGN_OR_RETURN(Received r,
                        ReceiveFrom(queue, 0, visibility_millis, wait_seconds, max, moves));
    return std::move(r.messages);
  }

  struct Received {
    std::vector<QueueMessage> messages;
    bool out_of_moves = false;  // sent on kMaxMovesPerLease copies: give up this Lease
  };
  // Receives up to `max` messages from one level until deliverable ones come (a message not
  // yet due is sent on with the rest of its delay, one delivered too often goes to the
  // dead-letter queue) or the level is empty; the first receive waits up to `wait_seconds`
  // (long polling).
  Result<Received> ReceiveFrom(std::string_view queue, int level, int64_t visibility_millis,
                               int wait_seconds, int max, int& moves) {
    const std::string url = levels_.KnownUrl(levels_.SqsName(queue, level));
    if (url.empty()) return Received{};
    Received out;
    while (out.messages.empty() && !out.out_of_moves) {
      auto received =
          Call("ReceiveMessage", {{"QueueUrl", url},
                                  {"MaxNumberOfMessages", max},
                                  {"WaitTimeSeconds", wait_seconds},
                                  {"VisibilityTimeout", CeilSeconds(visibility_millis)},
                                  {"AttributeNames", {"ApproximateReceiveCount", "SentTimestamp"}},
                                  {"MessageAttributeNames", {"All"}}});
      wait_seconds = 0;
      const int64_t now = clock_.NowUnixMillis();
      if (!received.ok() && received.status().code() == StatusCode::kNotFound) {
        levels_.ForgetLevel(queue, level);  // deleted: not asked again until the next listing
        return Received{};
      }
      if (!received.ok()) return received.status();
      const nlohmann::json* messages = nullptr;
      if (received->is_object() && received->contains("Messages")) {
        messages = &(*received)["Messages"];
      }
      if (messages == nullptr || !messages->is_array() || messages->empty()) return out;
      // Messages past the one that ran out of moves stay hidden for their visibility
      // timeout, then come back.
      for (size_t i = 0; i < messages->size() && !out.out_of_moves; ++i) {
        SB_ASSIGN_OR_RETURN(SqsReceived m, ParseSqsMessage((*messages)[i], kMaxReceivedBodyBytes));
        SB_RETURN_IF_ERROR(
            Deliver(queue, level, url, std::move(m), visibility_millis, now, moves, out));
      }
    }
    return out;
  }

  // One received message: into `out.messages` when it is deliverable, else sent on.
  Status Deliver(std::string_view queue, int level, const std::string& url, SqsReceived m,
                 int64_t visibility_millis, int64_t now, int& moves, Received& out) {
    const int64_t earlier = m.earlier_receives.value_or(0);
    const int64_t total = earlier + m.approximate_receive_count;
    Copy copy{.body = std::move(m.body),
              .first_id = m.first_id.value_or(m.message_id),
              .sent_unix_millis = m.first_sent_unix_millis.value_or(m.sent_timestamp),
              .earlier_receives = earlier};
    if (m.not_before_unix_millis && *m.not_before_unix_millis > now) {
      // Not its time yet: sent on with what is left of its delay, this delivery uncounted.
      if (++moves > kMaxMovesPerLease) {
        out.out_of_moves = true;
        return Status::Ok();
      }
      copy.delay_millis = *m.not_before_unix_millis - now;
      return MoveTo(queue, level, copy, url, m.receipt_handle);
    }
    SB_ASSIGN_OR_RETURN(SqsQueueInfo policy, levels_.Policy(queue));
    if (policy.max_receives > 0 && total > policy.max_receives) {
      if (++moves > kMaxMovesPerLease) {
        out.out_of_moves = true;
        return Status::Ok();
      }
      copy.earlier_receives = 0;  // its count starts afresh there
      return MoveTo(policy.dead_letter, 0, copy, url, m.receipt_handle);
    }
    QueueMessage message;
    message.id = copy.first_id;
    message.body = std::move(copy.body);
    message.receive_count = static_cast<int>(std::min<int64_t>(total, INT32_MAX));
    message.sent_unix_millis = copy.sent_unix_millis;
    const int64_t deadline = now + visibility_millis - SafetyOf(visibility_millis);
    message.receipt = EncodeSqsReceipt({.queue = std::string(queue),
                                        .level = level,
                                        .deadline_unix_millis = deadline,
                                        .handle = m.receipt_handle});
    Remember(message, deadline);
    out.messages.push_back(std::move(message));
    return Status::Ok();
  }

  Status ForwardLater(std::string_view queue) {
    const int64_t now = clock_.NowUnixMillis();
    const std::string url = levels_.KnownUrl(levels_.LaterName(queue));
    if (url.empty()) return Status::Ok();
    {
      std::lock_guard<std::mutex> lock(mu_);
      int64_t& last = later_polled_at_[std::string(queue)];
      if (last != 0 && now - last < options_.later_poll_millis) return Status::Ok();
      last = now;
    }
    auto received =
        Call("ReceiveMessage", {{"QueueUrl", url},
                                {"MaxNumberOfMessages", 10},
                                {"WaitTimeSeconds", 0},
                                {"VisibilityTimeout", 60},
                                {"AttributeNames", {"ApproximateReceiveCount", "SentTimestamp"}},
                                {"MessageAttributeNames", {"All"}}});
    if (!received.ok() && received.status().code() == StatusCode::kNotFound) {
      levels_.ForgetUrl(levels_.LaterName(queue));
      return Status::Ok();
    }
    if (!received.ok()) return received.status();
    if (!received->is_object() || !received->contains("Messages") ||
        !(*received)["Messages"].is_array()) {
      return Status::Ok();
    }
    for (const nlohmann::json& one : (*received)["Messages"]) {
      auto m = ParseSqsMessage(one, kMaxReceivedBodyBytes);
      if (!m.ok()) continue;  // hidden for a minute, then tried again
      Copy copy{.body = m->body,
                .first_id = m->first_id.value_or(m->message_id),
                .sent_unix_millis = m->first_sent_unix_millis.value_or(m->sent_timestamp),
                .earlier_receives = m->earlier_receives.value_or(0),
                .delay_millis = std::max<int64_t>(0, m->not_before_unix_millis.value_or(0) - now)};
      const int level =
          static_cast<int>(std::min<int64_t>(m->level.value_or(0), levels_.max_levels() - 1));
      SB_RETURN_IF_ERROR(MoveTo(queue, level, copy, url, m->receipt_handle));
    }
    return Status::Ok();
  }

  Result<std::string> SendCopy(const std::string& url, const Copy& c, std::optional<int> level) {
    const int64_t now = clock_.NowUnixMillis();
    nlohmann::json attributes = {
        {kSqsAttrSent, SqsStringAttribute(std::to_string(c.sent_unix_millis))}};
    if (!c.first_id.empty()) attributes[kSqsAttrId] = SqsStringAttribute(c.first_id);
    if (c.earlier_receives > 0) {
      attributes[kSqsAttrReceives] = SqsStringAttribute(std::to_string(c.earlier_receives));
    }
    const int64_t delay = std::max<int64_t>(0, c.delay_millis);
    if (delay > kMaxDelaySeconds * 1000) {
      attributes[kSqsAttrNotBefore] = SqsStringAttribute(std::to_string(now + delay));
    }
    if (level) attributes[kSqsAttrLevel] = SqsStringAttribute(std::to_string(*level));
    SB_ASSIGN_OR_RETURN(
        nlohmann::json sent,
        Call("SendMessage", {{"QueueUrl", url},
                             {"MessageBody", c.body},
                             {"DelaySeconds", std::min(CeilSeconds(delay), kMaxDelaySeconds)},
                             {"MessageAttributes", attributes}}));
    if (!sent.is_object() || !sent.contains("MessageId") || !sent["MessageId"].is_string()) {
      return Internal("SendMessage: no MessageId in the answer");
    }
    return c.first_id.empty() ? sent["MessageId"].get<std::string>() : c.first_id;
  }

  // Sends `copy` to `level` of `queue` (SendTo) and deletes the leased original (`handle` in
  // `from`). A crash in between leaves both: at-least-once.
  Status MoveTo(std::string_view queue, int level, const Copy& copy, const std::string& from,
                const std::string& handle) {
    SB_RETURN_IF_ERROR(SendTo(queue, level, copy).status());
    return OfReceiptCall(
        Call("DeleteMessage", {{"QueueUrl", from}, {"ReceiptHandle", handle}}).status());
  }

  Status ChangeVisibility(const std::string& url, const std::string& handle, int64_t millis) {
    return OfReceiptCall(
        Call("ChangeMessageVisibility", {{"QueueUrl", url},
                                         {"ReceiptHandle", handle},
                                         {"VisibilityTimeout", CeilSeconds(millis)}})
            .status());
  }

  Result<std::string> LevelUrl(const SqsReceipt& r) {
    if (r.level >= levels_.max_levels() || !levels_.ValidateName(r.queue).ok()) {
      return LeaseLost("receipt names no queue of this TaskQueue");
    }
    auto url = levels_.LookUp(levels_.SqsName(r.queue, r.level));
    if (!url.ok()) return OfReceiptCall(url.status());
    return url;
  }

  // The lease `receipt` names, when it is still this caller's by the fence (see the header).
  Result<Held> Check(std::string_view receipt) {
    SB_ASSIGN_OR_RETURN(SqsReceipt r, DecodeSqsReceipt(receipt));
    Held held{std::move(r), {}};
    int64_t deadline = held.receipt.deadline_unix_millis;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (auto it = leases_.find(receipt); it != leases_.end()) {
        if (it->second.settled) return LeaseLost("the message was settled with this receipt");
        held.record = it->second;
        deadline = it->second.deadline;
      }
    }
    if (clock_.NowUnixMillis() >= deadline) {
      return LeaseLost("the lease ran out (it may have been delivered again)");
    }
    return held;
  }

  void Remember(const QueueMessage& m, int64_t deadline) {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t now = clock_.NowUnixMillis();
    // Records past their deadline are refused by it anyway: drop them now and then.
    if (leases_.size() >= 1024 && ++since_sweep_ >= 256) {
      since_sweep_ = 0;
      for (auto it = leases_.begin(); it != leases_.end();) {
        it = it->second.deadline <= now ? leases_.erase(it) : std::next(it);
      }
    }
    if (leases_.size() >= kMaxLeaseRecords) return;  // fenced by the receipt's deadline only
    LeaseRecord& r = leases_[m.receipt];
    r.deadline = deadline;
    r.has_message = true;
    r.id = m.id;
    r.body = m.body;
    r.sent_unix_millis = m.sent_unix_millis;
    r.receive_count = m.receive_count;
  }

  void Settle(std::string_view receipt) {
    std::lock_guard<std::mutex> lock(mu_);
    LeaseRecord& r = leases_[std::string(receipt)];
    if (r.deadline == 0) {
      auto decoded = DecodeSqsReceipt(receipt);
      r.deadline = decoded.ok() ? decoded->deadline_unix_millis : 0;
    }
    r.settled = true;
    r.body.clear();
    r.body.shrink_to_fit();
  }

  const SqsQueueOptions options_;
  std::unique_ptr<AwsJsonClient> client_;
  Clock& clock_;
  SqsQueueLevels levels_;
  std::mutex mu_;
  std::map<std::string, LeaseRecord, std::less<>> leases_;
  std::map<std::string, int64_t> later_polled_at_;  // spotbatch queue -> last ForwardLater
  int since_sweep_ = 0;
};

}  // namespace

AwsJsonServiceOptions SqsServiceOptions(std::string endpoint, std::string region) {
  return {.endpoint = std::move(endpoint),
          .region = std::move(region),
          .signing_name = "sqs",
          .target_prefix = "AmazonSQS",
          .content_type = "application/x-amz-json-1.0",
          .classify = ClassifySqs};
}

Result<std::unique_ptr<TaskQueue>> NewSqsTaskQueue(SqsQueueOptions options,
                                                   CredentialsProvider& credentials, Clock& clock) {
  if (options.pipeline_levels < 1 || options.pipeline_levels > kSqsMaxPipelineLevels) {
    return InvalidArgument("pipeline_levels must be 1.." + std::to_string(kSqsMaxPipelineLevels));
  }
  if (options.level_refresh_millis < 0 || options.lease_safety_millis < 0 ||
      options.later_poll_millis < 0 || options.max_body_bytes == 0 ||
      options.max_body_bytes > 1024 * 1024) {
    return InvalidArgument("SQS queue options out of range");
  }
  if (!options.queue_name_prefix.empty()) {
    // The prefix itself must be made of SQS's name bytes; ValidateSqsQueueName checks it with
    // each queue name.
    SB_RETURN_IF_ERROR(ValidateSqsQueueName("", options.queue_name_prefix + "x", 1));
  }
  AwsJsonServiceOptions json = SqsServiceOptions(options.endpoint, options.region);
  json.retry = options.retry;
  json.http = options.http;
  SB_ASSIGN_OR_RETURN(std::unique_ptr<AwsJsonClient> client,
                      AwsJsonClient::New(std::move(json), credentials, clock));
  return std::unique_ptr<TaskQueue>(new SqsTaskQueue(std::move(options), std::move(client), clock));
}

}  // namespace spotbatch
