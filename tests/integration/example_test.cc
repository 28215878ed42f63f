// The shipped example (what scripts/demo runs) works end to end, on a few photos.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "integration/cli_util.h"

namespace spotbatch {
namespace {

// 80 photos: enough status output (over a pipe buffer's first chunk) that piping it into
// `head` under pipefail killed the script before its last lines (regression).
TEST(ExampleTest, ThumbnailsPipelineProducesAThumbnailPerPhoto) {
  constexpr int kPhotos = 80;
  testing::TempDir dir;
  const std::string cmd = "SPOTBATCH='" + testing::SpotbatchBin() + "' WORK_DIR='" + dir / "work" +
                          "' '" SPOTBATCH_SOURCE_DIR "/examples/thumbnails/run.sh' " +
                          std::to_string(kPhotos) + " > '" + dir / "log" + "' 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << testing::ReadFile(dir / "log");
  auto summary = nlohmann::json::parse(testing::ReadFile(dir / "work/summary.json"));
  EXPECT_EQ(summary["succeeded"], kPhotos);
  const std::string log = testing::ReadFile(dir / "log");
  EXPECT_NE(log.find("(80 jobs in "), std::string::npos) << log;
  EXPECT_NE(log.find("thumbnails are in "), std::string::npos) << log;
  // It ran on the spot pools and ends with the bill against on demand.
  EXPECT_EQ(summary["pools"].size(), 3u);
  EXPECT_GT(summary["cost_usd"].get<double>(), 0);
  EXPECT_LT(summary["cost_usd"].get<double>(), summary["on_demand_cost_usd"].get<double>());
  EXPECT_NE(log.find("the same instance time on demand $"), std::string::npos) << log;
  EXPECT_NE(log.find("% saved"), std::string::npos) << log;
  for (int i = 1; i <= kPhotos; ++i) {
    const std::string out = dir / ("work/data/out/photo-" + std::to_string(i) + ".jpg/");
    const std::string thumb = testing::ReadFile(out + "thumb.jpg");
    ASSERT_GT(thumb.size(), 100u);
    EXPECT_EQ(thumb.substr(0, 2), "\xFF\xD8") << "not a JPEG";
    EXPECT_EQ(testing::ReadFile(out + "info.txt").substr(0, 13), "640 480 JPEG ");
  }
}

}  // namespace
}  // namespace spotbatch
