// The IMDS answers parsed on their own (no HTTP): what EC2 writes, and what it must not.
#include "adapters/aws/imds_parse.h"

#include <gtest/gtest.h>

#include "common/time_format.h"

namespace spotbatch {
namespace {

TEST(ImdsParse, InstanceActionAsEc2WritesIt) {
  auto a = ParseInstanceAction(R"({"action": "stop", "time": "2017-09-18T08:22:00Z"})");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->action, SpotAction::kStop);
  EXPECT_EQ(a->time_unix_millis, *ParseUtcTimestamp("2017-09-18T08:22:00Z"));
  EXPECT_FALSE(ParseInstanceAction(R"({"action": "reboot", "time": "2017-09-18T08:22:00Z"})").ok());
  EXPECT_FALSE(ParseInstanceAction(R"({"action": "stop", "time": "2017-09-18 08:22:00"})").ok());
  EXPECT_FALSE(ParseInstanceAction("not json").ok());
}

TEST(ImdsParse, TimesOfTheLegacyNoticeAndTheRebalance) {
  EXPECT_EQ(ParseTerminationTime("2015-01-05T18:02:00Z\n").value(),
            *ParseUtcTimestamp("2015-01-05T18:02:00Z"));
  EXPECT_FALSE(ParseTerminationTime("2015-01-05T18:02:00+01:00").ok());
  EXPECT_EQ(ParseRebalanceRecommendation(R"({"noticeTime": "2020-10-27T08:22:00Z"})").value(),
            *ParseUtcTimestamp("2020-10-27T08:22:00Z"));
  EXPECT_FALSE(ParseRebalanceRecommendation(R"({"noticeTime": 5})").ok());
}

TEST(ImdsParse, LifecycleStateIsShortAndPrintable) {
  EXPECT_EQ(ParseLifecycleState("InService\r\n").value(), "InService");
  EXPECT_FALSE(ParseLifecycleState(std::string(65, 'a')).ok());
  EXPECT_FALSE(ParseLifecycleState("In\x1bService").ok());
}

// The token goes back in a request header: nothing that could end or split the header line.
TEST(ImdsParse, TokenHasNoWhitespaceOrControlByte) {
  EXPECT_EQ(ParseImdsToken("AQAEAPj3RQ9u==\n").value(), "AQAEAPj3RQ9u==");
  for (const std::string& bad :
       {std::string(""), std::string("a b"), std::string("a\tb"), std::string("a\rb"),
        std::string("a\x01"
                    "b"),
        std::string("a\0b", 3), std::string(1025, 'a')}) {
    EXPECT_FALSE(ParseImdsToken(bad).ok()) << bad;
  }
}

TEST(ImdsParse, RefusalsQuoteTheBodyOnlyInPart) {
  const std::string body = "{\"action\": \"" + std::string(10'000, 'x') + "\"}";
  auto a = ParseInstanceAction(body);
  ASSERT_FALSE(a.ok());
  EXPECT_LT(a.status().message().size(), 300u);
}

TEST(ImdsParse, IdentityValuesAreNamesThatGoIntoCallsAsTheyAre) {
  EXPECT_EQ(ParseIdentityValue("instance-id", "i-0123456789abcdef0\n").value(),
            "i-0123456789abcdef0");
  EXPECT_EQ(ParseIdentityValue("placement/region", "us-east-1").value(), "us-east-1");
  for (const std::string& bad :
       std::vector<std::string>{"", "I-ABC", "i-1 2", "i-1&x=2", std::string(65, 'a'), "i-\x01"}) {
    auto r = ParseIdentityValue("instance-id", bad);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    if (!bad.empty()) {
      EXPECT_NE(r.status().message().find("instance-id"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace spotbatch
