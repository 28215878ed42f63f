#include "core/object_key.h"

#include <gtest/gtest.h>

#include "core/pipeline_keys.h"

namespace spotbatch {
namespace {

TEST(ObjectKey, AcceptsSpacesPlusUnicodeAndDeepPrefixes) {
  for (const std::string& key :
       std::vector<std::string>{"in/a b.txt", "in/a+b.txt", "in/%2B.txt", "in/ünïcødé/日本.txt",
                                "in/a/b/c/d/e/f/g/h/i/j/k.txt", "in/.hidden", "in/_x"}) {
    EXPECT_TRUE(ValidateObjectKey(key).ok()) << key;
  }
}

TEST(ObjectKey, RefusesTraversalNulControlAndOverlong) {
  const std::string nul("in/a\0b", 6);
  for (const std::string& key : std::vector<std::string>{
           std::string("in/../etc"), std::string("../x"), std::string("in/./a"),
           std::string("in//a"), std::string("/in/a"), std::string("in/a/"), std::string(""), nul,
           std::string("in/a\nb"), std::string("in/\x7f"), std::string("in/\xff\xfe"),
           std::string("in/") + std::string(1022, 'x'), std::string(".tmp/x"),
           std::string("_spotbatch/x")}) {
    const Status s = ValidateObjectKey(key);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << key;
    EXPECT_FALSE(s.message().empty());
  }
  EXPECT_TRUE(ValidateObjectKey(std::string("in/") + std::string(1021, 'x')).ok());
}

TEST(ObjectKey, MessagesNameTheProblem) {
  EXPECT_NE(ValidateObjectKey("in/../x").message().find("\"..\" segment"), std::string::npos);
  EXPECT_NE(ValidateObjectKey(std::string("in/a\0", 5)).message().find("NUL"), std::string::npos);
  EXPECT_NE(ValidateObjectKey(std::string(2000, 'a')).message().find("1024"), std::string::npos);
}

TEST(ObjectKey, InternalKeysMayUseUnderscoreBucket) {
  EXPECT_TRUE(ValidateInternalKey("_spotbatch/staging/t/x").ok());
  EXPECT_FALSE(ValidateInternalKey(".meta/x").ok());
  EXPECT_TRUE(ValidateKeyPrefix("in/").ok());
  EXPECT_TRUE(ValidateKeyPrefix("in/pho").ok());
  EXPECT_TRUE(ValidateKeyPrefix("").ok());
  EXPECT_FALSE(ValidateKeyPrefix("in/../").ok());
}

// Found by fuzz/object_key_fuzzer: this refusal quoted the bucket whole (up to 1 KiB) while
// every other one quotes the key cut short at 80 bytes.
TEST(ObjectKey, ReservedBucketRefusalQuotesTheBucketCutShort) {
  const Status s = ValidateObjectKey("_" + std::string(1000, 'a'));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("reserved bucket"), std::string::npos);
  EXPECT_LT(s.message().size(), 300u) << s.message();
}

TEST(PipelineKeys, MapsInputToDeterministicOutputKeys) {
  auto rel = RelativeInputKey("in/", "in/a/b c.txt");
  ASSERT_TRUE(rel.ok());
  EXPECT_EQ(*rel, "a/b c.txt");
  auto out = OutputKey("out/", *rel, "sub/sum.txt");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "out/a/b c.txt/sub/sum.txt");
  EXPECT_FALSE(RelativeInputKey("in/", "other/x").ok());
  EXPECT_FALSE(RelativeInputKey("in/", "in/").ok());
  EXPECT_FALSE(OutputKey("out/", "a", "../../x").ok());
  EXPECT_EQ(StagingKey("tok", 3), "_spotbatch/staging/tok.3");
  EXPECT_EQ(StagingKey("tok", 3).rfind(StagingPrefix("tok"), 0), 0u);
  EXPECT_EQ(KeyName("in/a/b.txt"), "b.txt");
}

// With the work bucket the output bucket (S3's default), "out/_spotbatch/..." is where the
// staging, checkpoints and bills live, and the janitor deletes there: an input must not
// publish into it. Deeper down, or in another segment, the name is an ordinary one.
TEST(PipelineKeys, AnInputWhoseOutputsWouldLandInSpotbatchsOwnAreaIsRefused) {
  for (const char* rel : {"_spotbatch/x.txt", "_spotbatch/checkpoints/t/tok.1"}) {
    auto folder = OutputFolder("out/", rel);
    ASSERT_FALSE(folder.ok()) << rel;
    EXPECT_EQ(folder.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(folder.status().message().find("out/_spotbatch/"), std::string::npos)
        << folder.status().message();
    EXPECT_FALSE(OutputKey("out/", rel, "sum.txt").ok()) << rel;
  }
  EXPECT_FALSE(OutputFolder("out/_spot", "batch/x").ok()) << "the prefix and the key together";
  EXPECT_EQ(*OutputFolder("out/results/", "_spotbatch/x"), "out/results/_spotbatch/x/");
  EXPECT_EQ(*OutputFolder("out/", "a/_spotbatch/x"), "out/a/_spotbatch/x/");
  EXPECT_EQ(*OutputFolder("out/", "_spotbatchy/x"), "out/_spotbatchy/x/");
}

}  // namespace
}  // namespace spotbatch
