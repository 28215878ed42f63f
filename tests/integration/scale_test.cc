// 1,000 inputs through 4 workers, every output byte-for-byte equal to running the same command
// serially on the same inputs.
#include "integration/pipeline_fixture.h"

namespace spotbatch {
namespace {

using testing::PipelineFixture;

class ScaleTest : public PipelineFixture {};

// Names and contents that exercise keys: spaces, '+', unicode, deep prefixes, empty files.
std::string InputName(int i) {
  switch (i % 5) {
    case 0:
      return "plain-" + std::to_string(i) + ".txt";
    case 1:
      return "with space " + std::to_string(i) + ".txt";
    case 2:
      return "a+b/c+" + std::to_string(i);
    case 3:
      return "ünï/cødé/" + std::to_string(i) + ".dat";
    default:
      return "d/e/e/p/" + std::to_string(i);
  }
}

std::string InputData(int i) {
  if (i % 97 == 0) return "";
  std::string s;
  for (int k = 0; k < 1 + i % 300; ++k) s += std::to_string(i * 7919 + k) + (k % 9 ? " " : "\n");
  return s;
}

TEST_F(ScaleTest, ThousandInputsFourWorkersMatchSerialRun) {
  constexpr int kInputs = 1000;
  const std::string command =
      R"(["sh", "-c", "wc -lwc < \"$1\" > \"$2/counts.txt\" && sort \"$1\" > \"$2/sorted.txt\"", "_", "{input}", "{output_dir}"])";
  WriteConfig(command, 4);
  for (int i = 0; i < kInputs; ++i)
    testing::WriteFile(dir_ / ("inputs/" + InputName(i)), InputData(i));
  auto put = Cli({"put", dir_ / "inputs"});
  ASSERT_EQ(put.exit_code, 0) << put.err;

  auto r = Cli({"run", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["jobs"], kInputs);
  EXPECT_EQ(summary["succeeded"], kInputs);
  EXPECT_EQ(summary["attempts"], kInputs) << "no task ran twice";

  // The serial reference: the same command, one input at a time, in one shell loop.
  const std::string serial = dir_ / "serial";
  const std::string script =
      "cd \"$1\" && find . -type f | while IFS= read -r f; do o=\"$2/$f\"; mkdir -p \"$o\"; "
      "wc -lwc < \"$f\" > \"$o/counts.txt\" && sort \"$f\" > \"$o/sorted.txt\"; done";
  ASSERT_EQ(
      std::system(("sh -c '" + script + "' _ '" + dir_ / "inputs" + "' '" + serial + "'").c_str()),
      0);

  int compared = 0;
  for (int i = 0; i < kInputs; ++i) {
    for (const char* file : {"counts.txt", "sorted.txt"}) {
      const std::string rel = InputName(i) + "/" + file;
      // Regression (issue 9): a missing output read as empty, equal to an empty input's sort.
      ASSERT_TRUE(std::filesystem::is_regular_file(dir_ / ("data/out/" + rel))) << rel;
      ASSERT_TRUE(std::filesystem::is_regular_file(serial + "/./" + rel)) << rel;
      const std::string got = testing::ReadFile(dir_ / ("data/out/" + rel));
      const std::string want = testing::ReadFile(serial + "/./" + rel);
      ASSERT_EQ(got, want) << rel;
      ++compared;
    }
  }
  EXPECT_EQ(compared, 2 * kInputs);
  for (const auto& j : Jobs()) ASSERT_EQ(j["attempts"], 1) << j.dump();
  std::error_code ec;
  EXPECT_TRUE(!std::filesystem::exists(dir_ / "data/_spotbatch/staging", ec) ||
              std::filesystem::is_empty(dir_ / "data/_spotbatch/staging", ec))
      << "staging left behind";
}

}  // namespace
}  // namespace spotbatch
