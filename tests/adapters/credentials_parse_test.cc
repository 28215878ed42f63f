// The parsers of the credentials chain's untrusted input: the shared files' INI format
// (ini_parse.h) and the instance role's credentials from the metadata service (imds_parse.h).
#include <gtest/gtest.h>

#include <vector>

#include "adapters/aws/imds_parse.h"
#include "adapters/aws/ini_parse.h"
#include "common/time_format.h"

namespace spotbatch {
namespace {

constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

IniSections Parse(std::string_view text) {
  Result<IniSections> r = ParseIni(text);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : IniSections{};
}

TEST(IniParseTest, SectionsKeysCommentsAndBlanks) {
  const IniSections s = Parse(
      "# a comment\n"
      "; another\n"
      "\n"
      "[default]\n"
      "  aws_access_key_id = AKID\n"  // indented, but no key before it to continue
      "aws_secret_access_key=SECRET  \n"
      "\t# indented comment\n"
      "[ profile  dev ]   # after the name\n"
      "region = us-west-2 ; why\n");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s.at("default").at("aws_access_key_id"), "AKID");
  EXPECT_EQ(s.at("default").at("aws_secret_access_key"), "SECRET");
  EXPECT_EQ(s.at("profile  dev").at("region"), "us-west-2");
}

TEST(IniParseTest, CrlfCaseAndEqualsInValues) {
  const IniSections s =
      Parse("[Prod]\r\nAWS_Session_Token = IQoJb3JpZ2luX2VjE==\r\nurl = a#b;c=d\r\n");
  EXPECT_EQ(s.at("Prod").at("aws_session_token"), "IQoJb3JpZ2luX2VjE==");  // keys lowercased
  EXPECT_EQ(s.at("Prod").at("url"), "a#b;c=d");  // '#' and ';' not after a blank stay
  EXPECT_EQ(s.count("prod"), 0u);                // section names keep their case
}

TEST(IniParseTest, DuplicatesMergeAndTheLastValueWins) {
  const IniSections s = Parse("[a]\nk = 1\nx = y\n[b]\nk = 2\n[a]\nk = 3\n");
  EXPECT_EQ(s.at("a").at("k"), "3");
  EXPECT_EQ(s.at("a").at("x"), "y");
  EXPECT_EQ(s.at("b").at("k"), "2");
}

TEST(IniParseTest, IndentedLinesContinueAValue) {
  const IniSections s = Parse("[default]\ns3 =\n  max_concurrent_requests = 20\nregion = eu\n");
  EXPECT_EQ(s.at("default").at("s3"), "\nmax_concurrent_requests = 20");
  EXPECT_EQ(s.at("default").at("region"), "eu");
  // So an indented key after another one is part of its value, as for the AWS CLI (the
  // chain then refuses the access key id, which holds a newline).
  EXPECT_EQ(Parse("[a]\nk = 1\n  j = 2\n").at("a").at("k"), "1\nj = 2");
}

TEST(IniParseTest, RefusalsNameTheLineButNeverQuoteIt) {
  const struct {
    std::string text;
    std::string message;
  } cases[] = {
      {"k = v\n", "line 1: a key before any [section]"},
      {"[a]\naws_secret_access_key " + std::string(kSecret) + "\n",
       "line 2: neither a [section] nor a key = value line"},
      {"[a\n", "line 1: a section name without ']'"},
      {"[a] b\n", "line 1: text after the section name's ']'"},
      {"[ ]\n", "line 1: an empty section name"},
      {"[a]\n = " + std::string(kSecret) + "\n", "line 2: an empty key"},
      {std::string("[a]\nk = v\0w\n", 12), "line 0: the file holds a NUL byte"},
      {"[a]\n" + std::string(kMaxIniBytes, '#'), "line 0: the file is over 1 MiB"},
  };
  for (const auto& c : cases) {
    Result<IniSections> r = ParseIni(c.text);
    ASSERT_FALSE(r.ok()) << c.text.substr(0, 40);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), c.message);
    EXPECT_EQ(r.status().message().find(kSecret), std::string::npos);
  }
}

TEST(IniParseTest, FormatReadsBackEqual) {
  const IniSections s =
      Parse("[default]\naws_access_key_id = AKID\ns3 =\n  a = 1\n  b = 2\n[profile x]\nempty =\n");
  EXPECT_EQ(Parse(FormatIni(s)), s);
}

std::string RoleJson(const std::string& code = "Success",
                     const std::string& expiration = "2026-01-01T06:00:00Z") {
  return R"({"Code": ")" + code +
         R"(", "LastUpdated": "2026-01-01T00:00:00Z", "Type": "AWS-HMAC",
             "AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": ")" +
         kSecret + R"(", "Token": "IQoJb3JpZ2luX2VjE==", "Expiration": ")" + expiration + "\"}";
}

TEST(RoleCredentialsParseTest, EveryFieldAsEc2WritesIt) {
  Result<AwsCredentials> c = ParseRoleCredentials(RoleJson());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "ASIAEXAMPLE");
  EXPECT_EQ(c->secret_access_key, kSecret);
  EXPECT_EQ(c->session_token, "IQoJb3JpZ2luX2VjE==");
  EXPECT_EQ(c->expires_unix_millis, ParseUtcTimestamp("2026-01-01T06:00:00Z"));
}

TEST(RoleCredentialsParseTest, RefusalsNeverQuoteTheSecret) {
  std::string missing_token = RoleJson();
  missing_token.replace(missing_token.find("\"Token\""), 7, "\"Tokn\"");
  std::string spaced_secret = RoleJson();
  spaced_secret.replace(spaced_secret.find(kSecret), 4, "wJ l");
  const struct {
    std::string body;
    std::string message;
  } cases[] = {
      {"not json " + std::string(kSecret), "instance role credentials are not a JSON object"},
      {RoleJson("AssumeRoleUnauthorizedAccess"),
       "instance role credentials have Code \"AssumeRoleUnauthorizedAccess\", not Success"},
      {missing_token, "instance role credentials have no string Token"},
      {RoleJson("Success", "tomorrow"), "instance role credentials have a malformed Expiration"},
      {spaced_secret, "SecretAccessKey holds a space, a control byte or a non-ASCII byte"},
  };
  for (const auto& c : cases) {
    Result<AwsCredentials> r = ParseRoleCredentials(c.body);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), c.message);
    EXPECT_EQ(r.status().message().find("EXAMPLEKEY"), std::string::npos);
  }
}

TEST(RoleNameParseTest, FirstLineOfIamCharacters) {
  EXPECT_EQ(ParseRoleName("spotbatch-worker\n").value(), "spotbatch-worker");
  EXPECT_EQ(ParseRoleName("a+=,.@_-9\nsecond").value(), "a+=,.@_-9");
  const std::vector<std::string> bad_names = {
      "",    "\n",  "../../x", "..",    ".",
      "a/b", "a?b", "a b",     "r\x01", std::string(kMaxRoleName + 1, 'r')};
  for (const std::string& bad : bad_names) {
    EXPECT_EQ(ParseRoleName(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace spotbatch
