#include "testing/fault_injector.h"

#include <gtest/gtest.h>

#include "adapters/local/dir_object_store.h"
#include "test_util.h"
#include "testing/faulty_ports.h"

namespace spotbatch {
namespace {

TEST(FaultInjectorTest, NthMatchingCallFailsOnce) {
  FaultInjector f;
  f.Add({.method = "Put", .nth = 2, .status = InjectedNoSpace()});
  EXPECT_FALSE(f.Check("Put", "a").fails());
  EXPECT_FALSE(f.Check("Get", "a").fails()) << "another method does not count";
  const Fault second = f.Check("Put", "b");
  EXPECT_TRUE(second.fails());
  EXPECT_NE(second.status.message().find("ENOSPC"), std::string::npos);
  EXPECT_FALSE(f.Check("Put", "c").fails());
  EXPECT_EQ(f.calls("Put"), 3);
  EXPECT_EQ(f.calls(), 4);
  EXPECT_EQ(f.failures(), 1);
}

TEST(FaultInjectorTest, ShareIsSeededAndRoughlyRight) {
  auto count = [](uint64_t seed) {
    FaultInjector f(seed);
    f.Add({.share = 0.3});
    int n = 0;
    for (int i = 0; i < 10'000; ++i) n += f.Check("Lease", "q").fails();
    return n;
  };
  EXPECT_EQ(count(7), count(7)) << "the same seed fails the same calls";
  EXPECT_NEAR(count(7), 3'000, 200);
}

TEST(FaultInjectorTest, SubjectPredicateAndLimit) {
  FaultInjector f;
  f.Add({.subject_part = "out/", .max_failures = 2, .status = InjectedDataLoss()});
  f.Add({.predicate = [](const FaultCall& c) { return c.method == "Delete"; }});
  EXPECT_FALSE(f.Check("Put", "in/a").fails());
  EXPECT_EQ(f.Check("Put", "out/a").status.code(), StatusCode::kDataLoss);
  EXPECT_EQ(f.Check("Copy", "out/b").status.code(), StatusCode::kDataLoss);
  EXPECT_FALSE(f.Check("Copy", "out/c").fails()) << "limit reached";
  EXPECT_EQ(f.Check("Delete", "in/a").status.code(), StatusCode::kUnavailable);
}

TEST(FaultyPortsTest, FailureBeforeTheCallChangesNothingAfterEffectDoes) {
  testing::TempDir dir;
  auto base = *OpenDirObjectStore(dir / "store");
  FaultInjector f;
  FaultyObjectStore store(*base, f);
  f.Add({.method = "Put", .nth = 1});
  f.Add({.method = "Put", .nth = 2, .after_effect = true});
  EXPECT_EQ(store.Put("b/one", "1").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(base->Stat("b/one").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store.Put("b/two", "2").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(*base->Get("b/two"), "2") << "the write landed; only its reply was lost";
  EXPECT_TRUE(store.Put("b/three", "3").ok());
}

}  // namespace
}  // namespace spotbatch
