#include "adapters/memory/memory_task_queue.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

namespace spotbatch {
namespace {

// A queue nobody configured never dead-letters on its own, as in the SQLite queue.
constexpr int kUnconfiguredMaxReceives = 1'000'000;

Status LeaseLost(std::string_view receipt) {
  return FailedPrecondition("lease lost: receipt " + std::string(receipt) +
                            " is not current (expired and redelivered, or settled)");
}

struct NamedQueue;

struct Message {
  int64_t id = 0;
  NamedQueue* queue = nullptr;
  std::string body;
  int priority = 0;
  int64_t visible_at = 0;  // deliverable from then on; while leased, when the lease expires
  int64_t sent_at = 0;
  int receive_count = 0;
  uint64_t lease = 0;        // n of the current receipt "<id>.<n>"; 0: not leased
  bool deliverable = false;  // in NamedQueue::deliverable (else in NamedQueue::waiting)
};

// Deliverable messages, best first: higher priority, then sent earlier (ids grow).
struct DeliveryOrder {
  int priority;
  int64_t id;
  bool operator<(const DeliveryOrder& o) const {
    return priority != o.priority ? priority > o.priority : id < o.id;
  }
};

struct NamedQueue {
  int max_receives = kUnconfiguredMaxReceives;
  std::string dead_letter_queue;
  std::set<DeliveryOrder> deliverable;
  std::set<std::pair<int64_t, int64_t>> waiting;  // (visible_at, id): delayed or leased
  int64_t leased_waiting = 0;                     // of `waiting`, the leased ones
};

// Parses "<id>.<n>"; false for anything else (a receipt of another adapter, garbage).
bool ParseReceipt(std::string_view receipt, int64_t* id, uint64_t* lease) {
  const size_t dot = receipt.find('.');
  if (dot == std::string_view::npos) return false;
  const char* end = receipt.data() + receipt.size();
  auto a = std::from_chars(receipt.data(), receipt.data() + dot, *id);
  auto b = std::from_chars(receipt.data() + dot + 1, end, *lease);
  return a.ec == std::errc() && a.ptr == receipt.data() + dot && b.ec == std::errc() &&
         b.ptr == end;
}

}  // namespace

struct MemoryTaskQueue::Queues {
  explicit Queues(Clock& c) : clock(c) {}

  // The queue named `name`, created unconfigured if needed. References stay valid (std::map).
  NamedQueue& QueueNamed(std::string_view name) {
    auto it = by_name.find(name);
    if (it != by_name.end()) return it->second;
    NamedQueue& q = by_name[std::string(name)];
    q.dead_letter_queue = std::string(name) + "-dlq";
    return q;
  }
  NamedQueue* FindQueue(std::string_view name) {
    auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : &it->second;
  }

  // Files `m` in its queue's index for the time `now`.
  void Place(Message& m, int64_t now) {
    NamedQueue& q = *m.queue;
    m.deliverable = m.visible_at <= now;
    if (m.deliverable) {
      q.deliverable.insert({m.priority, m.id});
    } else {
      q.waiting.emplace(m.visible_at, m.id);
      if (m.lease != 0) ++q.leased_waiting;
    }
  }
  void Unplace(Message& m) {
    NamedQueue& q = *m.queue;
    if (m.deliverable) {
      q.deliverable.erase({m.priority, m.id});
    } else {
      q.waiting.erase({m.visible_at, m.id});
      if (m.lease != 0) --q.leased_waiting;
    }
  }
  // Moves the messages of `q` whose time has come to its deliverable index.
  void Promote(NamedQueue& q, int64_t now) {
    while (!q.waiting.empty() && q.waiting.begin()->first <= now) {
      Message& m = messages.at(q.waiting.begin()->second);
      q.waiting.erase(q.waiting.begin());
      if (m.lease != 0) --q.leased_waiting;
      m.deliverable = true;
      q.deliverable.insert({m.priority, m.id});
    }
  }
  // The message that `receipt` currently leases, or null.
  Message* Leased(std::string_view receipt) {
    int64_t id = 0;
    uint64_t lease = 0;
    if (!ParseReceipt(receipt, &id, &lease) || lease == 0) return nullptr;
    auto it = messages.find(id);
    return it != messages.end() && it->second.lease == lease ? &it->second : nullptr;
  }
  // Moves `m` to its queue's dead-letter queue, deliverable now, its count started afresh.
  void MoveToDeadLetterQueue(Message& m, int64_t now) {
    Unplace(m);
    m.queue = &QueueNamed(m.queue->dead_letter_queue);
    m.lease = 0;
    m.receive_count = 0;
    m.visible_at = now;
    Place(m, now);
  }

  Clock& clock;
  std::mutex mu;
  std::map<std::string, NamedQueue, std::less<>> by_name;
  std::unordered_map<int64_t, Message> messages;
  int64_t last_id = 0;
  uint64_t last_lease = 0;
};

MemoryTaskQueue::MemoryTaskQueue(Clock& clock) : queues_(std::make_shared<Queues>(clock)) {}
MemoryTaskQueue::MemoryTaskQueue(std::shared_ptr<Queues> queues) : queues_(std::move(queues)) {}
MemoryTaskQueue::~MemoryTaskQueue() = default;

std::unique_ptr<MemoryTaskQueue> MemoryTaskQueue::Connect() const {
  return std::unique_ptr<MemoryTaskQueue>(new MemoryTaskQueue(queues_));
}

Status MemoryTaskQueue::Configure(std::string_view queue, const QueueOptions& options) {
  if (queue.empty()) return InvalidArgument("queue name is empty");
  if (options.max_receives < 1) return InvalidArgument("max_receives must be at least 1");
  if (options.dead_letter_queue == queue) {
    return InvalidArgument("queue " + std::string(queue) + " cannot be its own dead-letter queue");
  }
  std::lock_guard<std::mutex> lock(queues_->mu);
  NamedQueue& q = queues_->QueueNamed(queue);
  q.max_receives = options.max_receives;
  q.dead_letter_queue =
      options.dead_letter_queue.empty() ? std::string(queue) + "-dlq" : options.dead_letter_queue;
  return Status::Ok();
}

Result<std::string> MemoryTaskQueue::Send(std::string_view queue, std::string_view body,
                                          int priority, int64_t delay_millis) {
  if (queue.empty()) return InvalidArgument("queue name is empty");
  std::string copy(body);  // outside the lock
  std::lock_guard<std::mutex> lock(queues_->mu);
  const int64_t now = queues_->clock.NowUnixMillis();
  const int64_t id = ++queues_->last_id;
  Message& m = queues_->messages[id];
  m.id = id;
  m.queue = &queues_->QueueNamed(queue);
  m.body = std::move(copy);
  m.priority = priority;
  m.visible_at = now + std::max<int64_t>(0, delay_millis);
  m.sent_at = now;
  queues_->Place(m, now);
  return std::to_string(id);
}

Result<std::optional<QueueMessage>> MemoryTaskQueue::Lease(std::string_view queue,
                                                           int64_t visibility_millis) {
  std::lock_guard<std::mutex> lock(queues_->mu);
  NamedQueue* q = queues_->FindQueue(queue);
  if (q == nullptr) return std::optional<QueueMessage>();
  const int64_t now = queues_->clock.NowUnixMillis();
  queues_->Promote(*q, now);
  while (!q->deliverable.empty()) {
    Message& m = queues_->messages.at(q->deliverable.begin()->id);
    if (m.receive_count >= q->max_receives) {
      queues_->MoveToDeadLetterQueue(m, now);
      continue;
    }
    queues_->Unplace(m);
    ++m.receive_count;
    m.lease = ++queues_->last_lease;
    m.visible_at = now + visibility_millis;
    queues_->Place(m, now);
    QueueMessage out;
    out.id = std::to_string(m.id);
    out.body = m.body;
    out.receipt = out.id + "." + std::to_string(m.lease);
    out.receive_count = m.receive_count;
    out.sent_unix_millis = m.sent_at;
    return std::optional<QueueMessage>(std::move(out));
  }
  return std::optional<QueueMessage>();
}

Status MemoryTaskQueue::Extend(std::string_view receipt, int64_t visibility_millis) {
  std::lock_guard<std::mutex> lock(queues_->mu);
  Message* m = queues_->Leased(receipt);
  if (m == nullptr) return LeaseLost(receipt);
  const int64_t now = queues_->clock.NowUnixMillis();
  queues_->Unplace(*m);
  m->visible_at = now + visibility_millis;
  queues_->Place(*m, now);
  return Status::Ok();
}

Status MemoryTaskQueue::Release(std::string_view receipt, int64_t delay_millis) {
  std::lock_guard<std::mutex> lock(queues_->mu);
  Message* m = queues_->Leased(receipt);
  if (m == nullptr) return LeaseLost(receipt);
  const int64_t now = queues_->clock.NowUnixMillis();
  queues_->Unplace(*m);
  m->lease = 0;
  m->visible_at = now + std::max<int64_t>(0, delay_millis);
  queues_->Place(*m, now);
  return Status::Ok();
}

Status MemoryTaskQueue::Delete(std::string_view receipt) {
  std::lock_guard<std::mutex> lock(queues_->mu);
  Message* m = queues_->Leased(receipt);
  if (m == nullptr) return LeaseLost(receipt);
  queues_->Unplace(*m);
  const int64_t id = m->id;  // not a reference into the node being erased
  queues_->messages.erase(id);
  return Status::Ok();
}

Status MemoryTaskQueue::DeleteBatch(const std::vector<std::string>& receipts) {
  std::lock_guard<std::mutex> lock(queues_->mu);
  for (const std::string& receipt : receipts) {
    Message* m = queues_->Leased(receipt);
    if (m == nullptr) continue;  // stale: someone else's now
    queues_->Unplace(*m);
    const int64_t id = m->id;
    queues_->messages.erase(id);
  }
  return Status::Ok();
}

Status MemoryTaskQueue::DeadLetter(std::string_view receipt) {
  std::lock_guard<std::mutex> lock(queues_->mu);
  Message* m = queues_->Leased(receipt);
  if (m == nullptr) return LeaseLost(receipt);
  queues_->MoveToDeadLetterQueue(*m, queues_->clock.NowUnixMillis());
  return Status::Ok();
}

Result<QueueDepth> MemoryTaskQueue::Depth(std::string_view queue) {
  std::lock_guard<std::mutex> lock(queues_->mu);
  QueueDepth d;
  NamedQueue* q = queues_->FindQueue(queue);
  if (q == nullptr) return d;
  queues_->Promote(*q, queues_->clock.NowUnixMillis());
  d.visible = static_cast<int64_t>(q->deliverable.size());
  d.in_flight = q->leased_waiting;
  d.delayed = static_cast<int64_t>(q->waiting.size()) - q->leased_waiting;
  return d;
}

}  // namespace spotbatch
