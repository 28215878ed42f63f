// The shipped example (what scripts/demo runs) works end to end, on a few photos.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "integration/cli_util.h"

namespace spotbatch {
namespace {

TEST(ExampleTest, ThumbnailsPipelineProducesAThumbnailPerPhoto) {
  testing::TempDir dir;
  const std::string cmd = "SPOTBATCH='" + testing::SpotbatchBin() + "' WORK_DIR='" + dir / "work" +
                          "' '" SPOTBATCH_SOURCE_DIR "/examples/thumbnails/run.sh' 6 > '" +
                          dir / "log" + "' 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << testing::ReadFile(dir / "log");
  auto summary = nlohmann::json::parse(testing::ReadFile(dir / "work/summary.json"));
  EXPECT_EQ(summary["succeeded"], 6);
  for (int i = 1; i <= 6; ++i) {
    const std::string out = dir / ("work/data/out/photo-" + std::to_string(i) + ".jpg/");
    const std::string thumb = testing::ReadFile(out + "thumb.jpg");
    ASSERT_GT(thumb.size(), 100u);
    EXPECT_EQ(thumb.substr(0, 2), "\xFF\xD8") << "not a JPEG";
    EXPECT_EQ(testing::ReadFile(out + "info.txt").substr(0, 13), "640 480 JPEG ");
  }
}

}  // namespace
}  // namespace spotbatch
