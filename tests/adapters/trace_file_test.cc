#include "adapters/local/trace_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "test_util.h"

namespace spotbatch {
namespace {

TEST(TraceFile, ReadsTheSharedFormat) {
  testing::TempDir dir;
  testing::WriteFile(dir / "t.json", R"({"metadata": {"gap_seconds": 195}, "data": [0, 1, 1]})");
  auto t = LoadCapacityTrace(dir / "t.json");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->gap_millis, 195'000);
  EXPECT_EQ(t->values, (std::vector<int32_t>{0, 1, 1}));
  EXPECT_TRUE(t->binary);
}

TEST(TraceFile, MalformedFilesNameFileAndProblem) {
  testing::TempDir dir;
  EXPECT_EQ(LoadCapacityTrace(dir / "missing.json").status().code(), StatusCode::kNotFound);
  const std::pair<const char*, const char*> cases[] = {
      {"not json", "not valid JSON"},
      {R"({"data": [1]})", "gap_seconds"},
      {R"({"metadata": {"gap_seconds": 0}, "data": [1]})", "gap_seconds must be positive"},
      {R"({"metadata": {"gap_seconds": 60}, "data": []})", "non-empty"},
      {R"({"metadata": {"gap_seconds": 60}, "data": [1, "x"]})", "data[1]"},
      {R"({"metadata": {"gap_seconds": 60}, "data": [1, 0.5]})", "data[1]"},
      {R"({"metadata": {"gap_seconds": 60}, "data": [-1]})", "data[0]"},
  };
  for (const auto& [text, problem] : cases) {
    testing::WriteFile(dir / "bad.json", text);
    auto t = LoadCapacityTrace(dir / "bad.json");
    ASSERT_FALSE(t.ok()) << text;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(t.status().message().find(dir / "bad.json"), std::string::npos);
    EXPECT_NE(t.status().message().find(problem), std::string::npos) << t.status().message();
  }
}

// Found by fuzz/trace_fuzzer: a gap under a millisecond became a tick of 0 ms, and
// `spotbatch simulate` died dividing by it (SIGFPE); `market` called such a pool always
// available.
TEST(TraceFile, SubMillisecondGapIsRefused) {
  auto t = ParseCapacityTrace(R"({"metadata": {"gap_seconds": 0.0001}, "data": [1, 0]})", "t");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find("at least 0.001"), std::string::npos);
  EXPECT_TRUE(ParseCapacityTrace(R"({"metadata": {"gap_seconds": 0.001}, "data": [1]})", "t").ok());
}

// Found by fuzz/trace_fuzzer (a trace written back did not read back the same): truncating
// the binary value of 1.005 s gave 1004 ms.
TEST(TraceFile, GapIsRoundedToWholeMilliseconds) {
  auto t = ParseCapacityTrace(R"({"metadata": {"gap_seconds": 1.005}, "data": [1]})", "t");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->gap_millis, 1005);
}

TEST(TraceFile, DevicesAndPipesAreRefusedNotRead) {
  auto t = LoadCapacityTrace("/dev/zero");  // would never end
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("not a regular file"), std::string::npos);
  testing::TempDir dir;
  const std::string fifo = dir / "fifo.json";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  t = LoadCapacityTrace(fifo);  // opening it would wait for a writer
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("not a regular file"), std::string::npos);
}

}  // namespace
}  // namespace spotbatch
