#include "adapters/sqlite/sqlite_task_queue.h"

#include "contract/task_queue_contract.h"

namespace spotbatch {
namespace {

std::unique_ptr<TaskQueue> Open(const std::string& dir, Clock& clock) {
  auto db = SqliteDb::Open(dir + "/q.db");
  return db.ok() ? NewSqliteTaskQueue(*db, clock) : nullptr;
}

using contract::TaskQueueContract;
// Another connection is a new SqliteDb on the same file, as another process opens it.
INSTANTIATE_TEST_SUITE_P(Sqlite, TaskQueueContract,
                         ::testing::Values(contract::TaskQueueAdapter{
                             "adapter", Open,
                             [](TaskQueue&, const std::string& dir, Clock& clock) {
                               return Open(dir, clock);
                             }}),
                         contract::AdapterName);

TEST(SqliteTaskQueue, MessagesSurviveReopen) {
  testing::TempDir dir;
  FakeClock clock;
  {
    auto q = Open(dir.path(), clock);
    ASSERT_TRUE(q->Send("q", "durable", 0, 0).ok());
  }
  auto q = Open(dir.path(), clock);
  auto m = q->Lease("q", 1000);
  ASSERT_TRUE(m.ok() && m->has_value());
  EXPECT_EQ((*m)->body, "durable");
}

TEST(SqliteTaskQueue, TwoConnectionsShareOneQueue) {
  testing::TempDir dir;
  FakeClock clock;
  auto a = Open(dir.path(), clock);
  auto b = Open(dir.path(), clock);
  ASSERT_TRUE(a->Send("q", "x", 0, 0).ok());
  auto m = b->Lease("q", 1000);
  ASSERT_TRUE(m.ok() && m->has_value());
  auto none = a->Lease("q", 1000);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_TRUE(a->Delete((*m)->receipt).ok());
}

}  // namespace
}  // namespace spotbatch
