#include "adapters/local/trace_file.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace spotbatch
