#include "adapters/memory/memory_object_store.h"

#include "common/fake_clock.h"
#include "contract/object_store_contract.h"

namespace spotbatch {
namespace {

FakeClock& TestClock() {
  static FakeClock clock;
  return clock;
}

// The directory is ignored: nothing is stored on disk. Another connection is another handle
// on the same objects.
const contract::ObjectStoreAdapter kMemory{
    "adapter", [](const std::string&) { return std::make_unique<MemoryObjectStore>(TestClock()); },
    [](ObjectStore& first, const std::string&) -> std::unique_ptr<ObjectStore> {
      return static_cast<MemoryObjectStore&>(first).Connect();
    }};

using contract::ObjectStoreContract;
INSTANTIATE_TEST_SUITE_P(Memory, ObjectStoreContract, ::testing::Values(kMemory),
                         contract::AdapterName);

TEST(MemoryObjectStore, ModificationTimesComeFromTheClock) {
  FakeClock clock(5'000);
  MemoryObjectStore store(clock);
  EXPECT_EQ(store.Put("b/k", "x")->modified_unix_millis, 5'000);
  clock.Advance(250);
  ASSERT_TRUE(store.Copy("b/k", "b/copy").ok());
  EXPECT_EQ(store.Stat("b/copy")->modified_unix_millis, 5'250);
  EXPECT_EQ(store.Stat("b/k")->modified_unix_millis, 5'000);
}

TEST(MemoryObjectStore, KeyAndItsPrefixCanBothBeObjectsAsOnS3) {
  FakeClock clock;
  MemoryObjectStore store(clock);
  ASSERT_TRUE(store.Put("b/a/c", "x").ok());
  ASSERT_TRUE(store.Put("b/a", "y").ok());
  EXPECT_EQ(*store.Get("b/a"), "y");
  EXPECT_EQ(*store.Get("b/a/c"), "x");
}

TEST(MemoryObjectStore, HandlesShareObjectsThatOutliveTheFirst) {
  FakeClock clock;
  auto first = std::make_unique<MemoryObjectStore>(clock);
  auto second = first->Connect();
  ASSERT_TRUE(first->Put("b/k", "shared").ok());
  first.reset();
  EXPECT_EQ(*second->Get("b/k"), "shared");
}

}  // namespace
}  // namespace spotbatch
