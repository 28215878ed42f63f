#include "core/command_template.h"

#include <gtest/gtest.h>

namespace spotbatch {
namespace {

PlaceholderValues Values() {
  PlaceholderValues v;
  v[Placeholder::kInput] = "/w/input/x";
  v[Placeholder::kOutputDir] = "/w/output";
  v[Placeholder::kCheckpointDir] = "/w/checkpoint";
  v[Placeholder::kKey] = "in/x";
  v[Placeholder::kName] = "x";
  v[Placeholder::kConfigDir] = "/cfg";
  return v;
}

std::vector<std::string> Expand(const std::vector<std::string>& argv, PlaceholderValues v) {
  auto t = CommandTemplate::Parse(argv);
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? t->Expand(v) : std::vector<std::string>{};
}

TEST(CommandTemplateTest, ReplacesEveryPlaceholder) {
  EXPECT_EQ(Expand({"prog", "{input}", "{output_dir}/o", "{checkpoint_dir}", "k={key}",
                    "{name}{name}", "{config_dir}/s.sh"},
                   Values()),
            (std::vector<std::string>{"prog", "/w/input/x", "/w/output/o", "/w/checkpoint",
                                      "k=in/x", "xx", "/cfg/s.sh"}));
}

// Regression: placeholders were replaced one after another over the whole argv, so a key
// holding "{name}" had it replaced again ("in/{name}.txt" became "in/{name}.txt.txt").
TEST(CommandTemplateTest, KeyTextIsExpandedAgain) {
  PlaceholderValues v = Values();
  v[Placeholder::kKey] = "in/{name}.txt";
  v[Placeholder::kName] = "{output_dir}.txt";
  EXPECT_EQ(Expand({"prog", "{key}", "{name}"}, v),
            (std::vector<std::string>{"prog", "in/{name}.txt", "{output_dir}.txt"}));
}

TEST(CommandTemplateTest, UnknownPlaceholderIsRefusedNamingIt) {
  auto t = CommandTemplate::Parse({"prog", "a", "{nmae}"});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find("[2]"), std::string::npos) << t.status().message();
  EXPECT_NE(t.status().message().find("{nmae}"), std::string::npos) << t.status().message();
  EXPECT_NE(t.status().message().find("{input}"), std::string::npos) << t.status().message();
}

TEST(CommandTemplateTest, ShellAndAwkBracesAreLiteral) {
  EXPECT_EQ(
      Expand({"sh", "-c", "awk '{print $1}' \"$1\"; echo ${HOME} {} { x } {1}"}, Values()),
      (std::vector<std::string>{"sh", "-c", "awk '{print $1}' \"$1\"; echo ${HOME} {} { x } {1}"}));
}

TEST(CommandTemplateTest, DoubledBracesAreTheLiteralPlaceholderText) {
  EXPECT_EQ(Expand({"echo", "{{input}}={input}", "{{nope}}", "{{", "}}"}, Values()),
            (std::vector<std::string>{"echo", "{input}=/w/input/x", "{nope}", "{{", "}}"}));
}

TEST(CommandTemplateTest, UnclosedAndEdgeBraces) {
  EXPECT_EQ(
      Expand({"p", "{input", "input}", "{", "}", "{input}}", "{{input}"}, Values()),
      (std::vector<std::string>{"p", "{input", "input}", "{", "}", "/w/input/x}", "{/w/input/x"}));
}

TEST(CommandTemplateTest, EmptyArgumentsStay) {
  EXPECT_EQ(Expand({"p", "", "{name}"}, PlaceholderValues{}),
            (std::vector<std::string>{"p", "", ""}));
}

TEST(CommandTemplateTest, EmptyCommandOrProgramIsRefused) {
  EXPECT_FALSE(CommandTemplate::Parse({}).ok());
  EXPECT_FALSE(CommandTemplate::Parse({""}).ok());
}

}  // namespace
}  // namespace spotbatch
