#include "adapters/sqlite/sqlite_task_queue.h"

#include <mutex>
#include <set>

#include "common/ids.h"

namespace spotbatch {
namespace {

// Leases, extensions, releases and deletions are written without waiting for the disk. A power
// loss that undoes them leaves messages visible (or leased until their timeout) that the state
// store shows finished or not started: at-least-once delivery allows the redelivery, and the
// worker settles it. Sends and dead-letter moves are durable: they are the only record.
constexpr SqliteDb::Commit kLeaseCommit = SqliteDb::Commit::kSoft;

Status LeaseLost(std::string_view receipt) {
  return FailedPrecondition("lease lost: receipt " + std::string(receipt.substr(0, 12)) +
                            "... is not current (expired and redelivered, or deleted)");
}

class SqliteTaskQueue final : public TaskQueue {
 public:
  SqliteTaskQueue(std::shared_ptr<SqliteDb> db, Clock& clock) : db_(std::move(db)), clock_(clock) {}

  Status Configure(std::string_view queue, const QueueOptions& options) override {
    if (queue.empty()) return InvalidArgument("queue name is empty");
    if (options.max_receives < 1) return InvalidArgument("max_receives must be at least 1");
    if (options.dead_letter_queue == queue) {
      return InvalidArgument("queue " + std::string(queue) +
                             " cannot be its own dead-letter queue");
    }
    const std::string dlq =
        options.dead_letter_queue.empty() ? std::string(queue) + "-dlq" : options.dead_letter_queue;
    return db_->Transaction([&] {
      SqliteStatement st(*db_,
                         "INSERT INTO queues(name, max_receives, dead_letter_queue) VALUES(?,?,?) "
                         "ON CONFLICT(name) DO UPDATE SET max_receives=excluded.max_receives, "
                         "dead_letter_queue=excluded.dead_letter_queue");
      return st.Bind(1, queue).Bind(2, int64_t{options.max_receives}).Bind(3, dlq).Run();
    });
  }

  Result<std::string> Send(std::string_view queue, std::string_view body, int priority,
                           int64_t delay_millis) override {
    if (queue.empty()) return InvalidArgument("queue name is empty");
    const int64_t now = clock_.NowUnixMillis();
    int64_t id = 0;
    Status s = db_->Transaction([&] {
      SqliteStatement st(*db_,
                         "INSERT INTO messages(queue, body, priority, visible_at, sent_at) "
                         "VALUES(?,?,?,?,?)");
      SB_RETURN_IF_ERROR(st.Bind(1, queue)
                             .Bind(2, body)
                             .Bind(3, int64_t{priority})
                             .Bind(4, now + std::max<int64_t>(0, delay_millis))
                             .Bind(5, now)
                             .Run());
      id = sqlite3_last_insert_rowid(db_->handle());
      return Status::Ok();
    });
    if (!s.ok()) return s;
    return std::to_string(id);
  }

  Result<std::optional<QueueMessage>> Lease(std::string_view queue,
                                            int64_t visibility_millis) override {
    const int64_t now = clock_.NowUnixMillis();
    // A cheap read first when the queue looked empty last time: idle workers poll, and must
    // not take the write lock to learn that there is nothing to do.
    if (!LastLeaseFound(queue)) {
      const bool any = db_->Read([&] {
        SqliteStatement st(*db_, "SELECT 1 FROM messages WHERE queue=? AND visible_at<=? LIMIT 1");
        return st.Bind(1, queue).Bind(2, now).Step();
      });
      if (!any) return std::optional<QueueMessage>();
    }
    std::optional<QueueMessage> out;
    Status s = db_->Transaction(
        [&]() -> Status {
          while (true) {
            SqliteStatement pick(*db_,
                                 "SELECT m.id, m.body, m.receive_count, m.sent_at, "
                                 "coalesce(q.max_receives, 1000000), "
                                 "coalesce(q.dead_letter_queue, m.queue || '-dlq') "
                                 "FROM messages m LEFT JOIN queues q ON q.name = m.queue "
                                 "WHERE m.queue=? AND m.visible_at<=? "
                                 "ORDER BY m.priority DESC, m.id LIMIT 1");
            if (!pick.Bind(1, queue).Bind(2, now).Step()) return pick.status();
            const int64_t id = pick.Int(0);
            const int receive_count = static_cast<int>(pick.Int(2));
            if (receive_count >= pick.Int(4)) {
              // Its count starts afresh, as DeadLetter's does: a dead-letter queue with a
              // limit of its own delivers it before passing it on.
              SqliteStatement move(*db_,
                                   "UPDATE messages SET queue=?, receipt=NULL, visible_at=?, "
                                   "receive_count=0 WHERE id=?");
              SB_RETURN_IF_ERROR(move.Bind(1, pick.Text(5)).Bind(2, now).Bind(3, id).Run());
              continue;
            }
            QueueMessage m;
            m.id = std::to_string(id);
            m.body = pick.Text(1);
            m.receive_count = receive_count + 1;
            m.sent_unix_millis = pick.Int(3);
            m.receipt = RandomHex(16);
            SqliteStatement lease(*db_,
                                  "UPDATE messages SET receipt=?, visible_at=?, "
                                  "receive_count=receive_count+1 WHERE id=?");
            SB_RETURN_IF_ERROR(
                lease.Bind(1, m.receipt).Bind(2, now + visibility_millis).Bind(3, id).Run());
            out = std::move(m);
            return Status::Ok();
          }
        },
        kLeaseCommit);
    if (!s.ok()) return s;
    SetLastLeaseFound(queue, out.has_value());
    return out;
  }

  Status Extend(std::string_view receipt, int64_t visibility_millis) override {
    return UpdateLeased(receipt, "UPDATE messages SET visible_at=? WHERE receipt=?",
                        clock_.NowUnixMillis() + visibility_millis);
  }

  Status Release(std::string_view receipt, int64_t delay_millis) override {
    return UpdateLeased(receipt, "UPDATE messages SET visible_at=?, receipt=NULL WHERE receipt=?",
                        clock_.NowUnixMillis() + std::max<int64_t>(0, delay_millis));
  }

  Status Delete(std::string_view receipt) override {
    return db_->Transaction(
        [&] {
          SqliteStatement st(*db_, "DELETE FROM messages WHERE receipt=?");
          SB_RETURN_IF_ERROR(st.Bind(1, receipt).Run());
          return st.changes() == 1 ? Status::Ok() : LeaseLost(receipt);
        },
        kLeaseCommit);
  }

  Status DeleteBatch(const std::vector<std::string>& receipts) override {
    if (receipts.empty()) return Status::Ok();
    return db_->Transaction(
        [&]() -> Status {
          SqliteStatement st(*db_, "DELETE FROM messages WHERE receipt=?");
          for (const std::string& r : receipts) {
            SB_RETURN_IF_ERROR(st.Bind(1, r).Run());
            st.Reset();
          }
          return Status::Ok();
        },
        kLeaseCommit);
  }

  Status DeadLetter(std::string_view receipt) override {
    const int64_t now = clock_.NowUnixMillis();
    return db_->Transaction([&] {
      SqliteStatement st(*db_,
                         "UPDATE messages SET queue=coalesce((SELECT dead_letter_queue FROM queues "
                         "WHERE name=messages.queue), queue || '-dlq'), receipt=NULL, "
                         "visible_at=?, receive_count=0 WHERE receipt=?");
      SB_RETURN_IF_ERROR(st.Bind(1, now).Bind(2, receipt).Run());
      return st.changes() == 1 ? Status::Ok() : LeaseLost(receipt);
    });
  }

  Result<QueueDepth> Depth(std::string_view queue) override {
    const int64_t now = clock_.NowUnixMillis();
    QueueDepth d;
    Status s = db_->Read([&] {
      SqliteStatement st(*db_,
                         "SELECT coalesce(sum(visible_at<=?),0), "
                         "coalesce(sum(visible_at>? AND receipt IS NOT NULL),0), "
                         "coalesce(sum(visible_at>? AND receipt IS NULL),0) "
                         "FROM messages WHERE queue=?");
      if (st.Bind(1, now).Bind(2, now).Bind(3, now).Bind(4, queue).Step()) {
        d.visible = st.Int(0);
        d.in_flight = st.Int(1);
        d.delayed = st.Int(2);
      }
      return st.status();
    });
    if (!s.ok()) return s;
    return d;
  }

 private:
  Status UpdateLeased(std::string_view receipt, const char* sql, int64_t visible_at) {
    return db_->Transaction(
        [&] {
          SqliteStatement st(*db_, sql);
          SB_RETURN_IF_ERROR(st.Bind(1, visible_at).Bind(2, receipt).Run());
          return st.changes() == 1 ? Status::Ok() : LeaseLost(receipt);
        },
        kLeaseCommit);
  }

  std::shared_ptr<SqliteDb> db_;
  Clock& clock_;
  bool LastLeaseFound(std::string_view queue) {
    std::lock_guard<std::mutex> lock(found_mu_);
    return found_.count(std::string(queue)) > 0;
  }
  void SetLastLeaseFound(std::string_view queue, bool found) {
    std::lock_guard<std::mutex> lock(found_mu_);
    if (found) {
      found_.emplace(queue);
    } else {
      found_.erase(std::string(queue));
    }
  }
  std::mutex found_mu_;
  std::set<std::string> found_;  // queues whose last lease found a message
};

}  // namespace

std::unique_ptr<TaskQueue> NewSqliteTaskQueue(std::shared_ptr<SqliteDb> db, Clock& clock) {
  return std::make_unique<SqliteTaskQueue>(std::move(db), clock);
}

}  // namespace spotbatch
