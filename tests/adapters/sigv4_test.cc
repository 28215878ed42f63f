// The SigV4 signer against the AWS signing test suite (testdata/sigv4, from aws-c-auth):
// every case, header signing and query presigning, each stage checked on its own so that a
// failure names the stage. Then what the suite has no case of: the signing-key cache, S3
// (its path rules, x-amz-content-sha256, UNSIGNED-PAYLOAD), session tokens, refusals.
#include "adapters/aws/sigv4.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "adapters/aws/sigv4_canonical.h"
#include "adapters/aws/uri_encode.h"
#include "common/fake_clock.h"
#include "common/ids.h"
#include "common/time_format.h"

namespace spotbatch {
namespace {

namespace fs = std::filesystem;

const fs::path kSuiteDir = fs::path(SPOTBATCH_TESTDATA_DIR) / "sigv4" / "v4";
// The suite's case count when it was carried in: fewer means a folder went missing.
constexpr size_t kSuiteCases = 38;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> SuiteCases() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kSuiteDir, ec)) {
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// A raw HTTP/1.1 request as the suite writes it: "METHOD path?query HTTP/1.1", header lines
// "Name:value" (a line starting with a space or tab continues the previous value, kept with
// its line break: folding is the signer's to undo), an empty line, the body. The path keeps
// its bytes as written (the suite's has raw spaces and UTF-8); the query is decoded.
HttpRequest ParseRawRequest(std::string_view text) {
  HttpRequest request;
  const size_t head_end = text.find("\n\n");
  if (head_end != std::string_view::npos) request.body = std::string(text.substr(head_end + 2));
  std::string_view head = text.substr(0, head_end);
  bool first = true;
  HeaderMap::iterator last = request.headers.end();
  while (!head.empty()) {
    const size_t eol = std::min(head.find('\n'), head.size());
    const std::string_view line = head.substr(0, eol);
    head.remove_prefix(std::min(eol + 1, head.size()));
    if (first) {
      first = false;
      const size_t sp1 = line.find(' ');
      const size_t sp2 = line.rfind(' ');
      request.method = std::string(line.substr(0, sp1));
      const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
      const size_t q = target.find('?');
      request.path = std::string(target.substr(0, q));
      if (q == std::string_view::npos) continue;
      std::string_view query = target.substr(q + 1);
      while (!query.empty()) {
        const size_t amp = std::min(query.find('&'), query.size());
        const std::string_view param = query.substr(0, amp);
        query.remove_prefix(std::min(amp + 1, query.size()));
        const size_t eq = std::min(param.find('='), param.size());
        request.query.emplace_back(PercentDecode(param.substr(0, eq)),
                                   PercentDecode(param.substr(std::min(eq + 1, param.size()))));
      }
    } else if ((line.front() == ' ' || line.front() == '\t') && last != request.headers.end()) {
      last->second.append("\n").append(line);
    } else {
      const size_t colon = line.find(':');
      last = request.headers.emplace(std::string(line.substr(0, colon)),
                                     std::string(line.substr(colon + 1)));
    }
  }
  return request;
}

struct SuiteCase {
  std::string name;
  fs::path dir;
  HttpRequest request;
  AwsCredentials credentials;
  SigV4Options options;
  int64_t unix_millis = 0;
  int64_t expires_seconds = 0;

  std::string Expected(const std::string& file) const { return ReadFile(dir / file); }
};

SuiteCase LoadCase(const std::string& name) {
  SuiteCase c;
  c.name = name;
  c.dir = kSuiteDir / name;
  c.request = ParseRawRequest(ReadFile(c.dir / "request.txt"));
  const auto context = nlohmann::json::parse(ReadFile(c.dir / "context.json"));
  const auto& creds = context.at("credentials");
  c.credentials.access_key_id = creds.at("access_key_id");
  c.credentials.secret_access_key = creds.at("secret_access_key");
  c.credentials.session_token = creds.value("token", "");
  c.options = SigV4Options::Service(context.at("region"), context.at("service"));
  c.options.normalize_path = context.at("normalize");
  c.options.content_sha256_header = context.at("sign_body");
  c.options.sign_session_token = !context.value("omit_session_token", false);
  c.unix_millis = ParseUtcTimestamp(context.at("timestamp").get<std::string>()).value();
  c.expires_seconds = context.at("expiration_in_seconds");
  return c;
}

const std::string* FindHeader(const HttpRequest& request, const std::string& name) {
  const auto it = request.headers.find(name);
  return it == request.headers.end() ? nullptr : &it->second;
}

TEST(SigV4SuiteData, EveryCaseIsThere) {
  EXPECT_GE(SuiteCases().size(), kSuiteCases) << "in " << kSuiteDir;
}

class SigV4Suite : public testing::TestWithParam<std::string> {};

TEST_P(SigV4Suite, HeaderSigning) {
  const SuiteCase c = LoadCase(GetParam());
  FakeClock clock(c.unix_millis);
  SigV4Signer signer(c.credentials, c.options, clock);
  HttpRequest request = c.request;
  const auto signing = signer.SignHeaders(request);
  ASSERT_TRUE(signing.ok()) << c.name << ": " << signing.status().ToString();
  EXPECT_EQ(signing->canonical_request, c.Expected("header-canonical-request.txt")) << c.name;
  EXPECT_EQ(signing->string_to_sign, c.Expected("header-string-to-sign.txt")) << c.name;
  EXPECT_EQ(signing->signature, c.Expected("header-signature.txt")) << c.name;
  const HttpRequest expected = ParseRawRequest(c.Expected("header-signed-request.txt"));
  const std::string* authorization = FindHeader(request, "Authorization");
  ASSERT_NE(authorization, nullptr) << c.name;
  EXPECT_EQ(*authorization, *FindHeader(expected, "Authorization")) << c.name;
  // The other headers the signing adds (X-Amz-Date, the token, x-amz-content-sha256), and
  // nothing else touched.
  EXPECT_EQ(request.headers, expected.headers) << c.name;
  EXPECT_EQ(request.query, c.request.query) << c.name;
}

TEST_P(SigV4Suite, QuerySigning) {
  const SuiteCase c = LoadCase(GetParam());
  if (!fs::exists(c.dir / "query-canonical-request.txt")) GTEST_SKIP() << "no query files";
  FakeClock clock(c.unix_millis);
  SigV4Signer signer(c.credentials, c.options, clock);
  HttpRequest request = c.request;
  const auto signing = signer.Presign(request, c.expires_seconds);
  ASSERT_TRUE(signing.ok()) << c.name << ": " << signing.status().ToString();
  EXPECT_EQ(signing->canonical_request, c.Expected("query-canonical-request.txt")) << c.name;
  EXPECT_EQ(signing->string_to_sign, c.Expected("query-string-to-sign.txt")) << c.name;
  EXPECT_EQ(signing->signature, c.Expected("query-signature.txt")) << c.name;
  // The presigned query: the request's own parameters, then the X-Amz-* ones in the suite's
  // order; the headers are left alone.
  const HttpRequest expected = ParseRawRequest(c.Expected("query-signed-request.txt"));
  EXPECT_EQ(request.query, expected.query) << c.name;
  EXPECT_EQ(request.headers, expected.headers) << c.name;
}

std::string CaseName(const testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(Aws, SigV4Suite, testing::ValuesIn(SuiteCases()), CaseName);

// --- What the suite has no case of.

constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

AwsCredentials ExampleCredentials(std::string token = "") {
  return {"AKIDEXAMPLE", std::string(kSecret), std::move(token), std::nullopt};
}

HttpRequest ExampleGet(std::string path = "/") {
  HttpRequest request;
  request.path = std::move(path);
  request.headers.emplace("Host", "example.amazonaws.com");
  return request;
}

int64_t At(const char* utc) { return ParseUtcTimestamp(utc).value(); }

// The example of AWS's documentation ("Create a signing key"), an IAM key of 2012-02-15.
TEST(SigV4, SigningKeyOfTheDocumentation) {
  EXPECT_EQ(HexDigest(DeriveSigningKey(kSecret, "20120215", "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4, SigningKeyIsDerivedOncePerDay) {
  FakeClock clock(At("2015-08-30T00:00:00Z"));
  SigV4Signer signer(ExampleCredentials(), SigV4Options::Service("us-east-1", "service"), clock);
  const Sha256Digest day1 = signer.SigningKey().value();
  EXPECT_EQ(day1, DeriveSigningKey(kSecret, "20150830", "us-east-1", "service"));
  for (int i = 0; i < 3; ++i) {
    HttpRequest request = ExampleGet();
    ASSERT_TRUE(signer.SignHeaders(request).ok());
    clock.Advance(8 * 3600 * 1000 - 1);  // the last one at 23:59:59.997
  }
  EXPECT_EQ(signer.SigningKey().value(), day1);
  EXPECT_EQ(signer.key_derivations(), 1);

  clock.Advance(3);  // 2015-08-31T00:00:00Z
  const Sha256Digest day2 = signer.SigningKey().value();
  EXPECT_EQ(day2, DeriveSigningKey(kSecret, "20150831", "us-east-1", "service"));
  EXPECT_EQ(signer.key_derivations(), 2);

  // Refreshed credentials: a new key at once, even the same day.
  AwsCredentials fresh = ExampleCredentials();
  fresh.secret_access_key = "another secret";
  signer.SetCredentials(fresh);
  EXPECT_EQ(signer.SigningKey().value(),
            DeriveSigningKey("another secret", "20150831", "us-east-1", "service"));
  EXPECT_EQ(signer.key_derivations(), 3);
}

// AWS's S3 documentation, "Example: GET Object" (header signing, a Range header).
TEST(SigV4, S3GetObjectOfTheDocumentation) {
  FakeClock clock(At("2013-05-24T00:00:00Z"));
  SigV4Signer signer({"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "", {}},
                     SigV4Options::S3("us-east-1"), clock);
  HttpRequest request;
  request.path = "/test.txt";
  request.headers.emplace("Host", "examplebucket.s3.amazonaws.com");
  request.headers.emplace("Range", "bytes=0-9");
  const auto signing = signer.SignHeaders(request);
  ASSERT_TRUE(signing.ok()) << signing.status().ToString();
  EXPECT_EQ(signing->signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(*FindHeader(request, "x-amz-content-sha256"), Sha256Hex(""));
}

TEST(SigV4, S3SignsUnsignedPayloadAndThePathAsSent) {
  FakeClock clock(At("2015-08-30T12:36:00Z"));
  SigV4Signer signer(ExampleCredentials(), SigV4Options::S3("us-east-1"), clock);
  // A key with a space, "//" and "..": encoded once, never normalized.
  HttpRequest request = ExampleGet(UriEncodePath("/bucket/a b//../c"));
  EXPECT_EQ(request.path, "/bucket/a%20b//../c");
  request.method = "PUT";
  request.body = "ignored: the hash is the caller's";
  request.payload_hash = std::string(kUnsignedPayload);
  const auto signing = signer.SignHeaders(request);
  ASSERT_TRUE(signing.ok()) << signing.status().ToString();
  EXPECT_EQ(*FindHeader(request, "x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
  EXPECT_TRUE(signing->canonical_request.starts_with("PUT\n/bucket/a%20b//../c\n\n"))
      << signing->canonical_request;
  EXPECT_TRUE(signing->canonical_request.ends_with(
      "x-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:20150830T123600Z\n\n"
      "host;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD"))
      << signing->canonical_request;

  // A body in the request is hashed, into the header and the canonical request alike.
  HttpRequest put = ExampleGet("/bucket/key");
  put.method = "PUT";
  put.body = "hello";
  const auto hashed = signer.SignHeaders(put);
  ASSERT_TRUE(hashed.ok());
  EXPECT_EQ(*FindHeader(put, "x-amz-content-sha256"), Sha256Hex("hello"));
  EXPECT_TRUE(hashed->canonical_request.ends_with("\n" + Sha256Hex("hello")));

  // S3 signs the wire path as is, so one that is not in canonical form is refused.
  for (const char* bad : {"/bucket/a b", "/bucket/%2f", "/bucket/a+b", "/bucket/\xE1\x88\xB4"}) {
    HttpRequest r = ExampleGet(bad);
    const auto refused = signer.SignHeaders(r);
    EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(FindHeader(r, "Authorization"), nullptr) << bad;
  }
}

TEST(SigV4, OtherServicesEncodeThePathTwice) {
  EXPECT_EQ(CanonicalUri("/a%20b/", true, true).value(), "/a%2520b/");
  EXPECT_EQ(CanonicalUri("", true, true).value(), "/");
  EXPECT_EQ(CanonicalUri("//a/./b/../c//", true, true).value(), "/a/c/");
  EXPECT_EQ(CanonicalUri("relative", true, true).status().code(), StatusCode::kInvalidArgument);
}

TEST(SigV4, SessionTokenPlacement) {
  FakeClock clock(At("2015-08-30T12:36:00Z"));
  SigV4Options options = SigV4Options::Service("us-east-1", "sqs");
  SigV4Signer signer(ExampleCredentials("TOKEN/+="), options, clock);
  HttpRequest signed_token = ExampleGet();
  ASSERT_TRUE(signer.SignHeaders(signed_token).ok());
  EXPECT_EQ(*FindHeader(signed_token, "X-Amz-Security-Token"), "TOKEN/+=");
  EXPECT_NE(FindHeader(signed_token, "Authorization")->find("x-amz-security-token"),
            std::string::npos);

  options.sign_session_token = false;
  SigV4Signer unsigned_signer(ExampleCredentials("TOKEN/+="), options, clock);
  HttpRequest unsigned_token = ExampleGet();
  ASSERT_TRUE(unsigned_signer.SignHeaders(unsigned_token).ok());
  EXPECT_EQ(*FindHeader(unsigned_token, "X-Amz-Security-Token"), "TOKEN/+=");
  EXPECT_EQ(FindHeader(unsigned_token, "Authorization")->find("x-amz-security-token"),
            std::string::npos);

  // Presigned: a query parameter before the signature, encoded on the wire.
  HttpRequest presigned = ExampleGet();
  ASSERT_TRUE(signer.Presign(presigned, 60).ok());
  ASSERT_GE(presigned.query.size(), 2u);
  EXPECT_EQ(presigned.query[presigned.query.size() - 2],
            (std::pair<std::string, std::string>("X-Amz-Security-Token", "TOKEN/+=")));
  EXPECT_NE(UriEncodeQuery(presigned.query).find("X-Amz-Security-Token=TOKEN%2F%2B%3D&"),
            std::string::npos);
  EXPECT_EQ(FindHeader(presigned, "X-Amz-Security-Token"), nullptr);

  // No token: neither a header nor a parameter.
  SigV4Signer long_lived(ExampleCredentials(), options, clock);
  HttpRequest plain = ExampleGet();
  ASSERT_TRUE(long_lived.SignHeaders(plain).ok());
  EXPECT_EQ(FindHeader(plain, "X-Amz-Security-Token"), nullptr);
}

// A retry signs the same request again: the earlier signature's headers are replaced.
TEST(SigV4, SigningAgainReplacesTheSignature) {
  FakeClock clock(At("2015-08-30T12:36:00Z"));
  SigV4Signer signer(ExampleCredentials("T"), SigV4Options::S3("us-east-1"), clock);
  HttpRequest request = ExampleGet("/b/k");
  ASSERT_TRUE(signer.SignHeaders(request).ok());
  clock.Advance(1000);
  const auto again = signer.SignHeaders(request);
  ASSERT_TRUE(again.ok());
  for (const char* name :
       {"Authorization", "X-Amz-Date", "X-Amz-Security-Token", "x-amz-content-sha256"}) {
    EXPECT_EQ(request.headers.count(name), 1u) << name;
  }
  EXPECT_EQ(*FindHeader(request, "X-Amz-Date"), "20150830T123601Z");
  EXPECT_EQ(request.headers.size(), 5u);  // with Host

  ASSERT_TRUE(signer.Presign(request, 60).ok());
  ASSERT_TRUE(signer.Presign(request, 60).ok());
  EXPECT_EQ(request.query.size(), 7u);
}

TEST(SigV4, HeadersThatAreNeverSigned) {
  FakeClock clock(At("2015-08-30T12:36:00Z"));
  SigV4Signer signer(ExampleCredentials(), SigV4Options::Service("us-east-1", "sqs"), clock);
  HttpRequest request = ExampleGet();
  request.headers.emplace("User-Agent", "spotbatch/0.1");
  request.headers.emplace("Expect", "100-continue");
  request.headers.emplace("X-Amzn-Trace-Id", "Root=1");
  const auto signing = signer.SignHeaders(request);
  ASSERT_TRUE(signing.ok());
  EXPECT_NE(FindHeader(request, "Authorization")->find("SignedHeaders=host;x-amz-date,"),
            std::string::npos)
      << *FindHeader(request, "Authorization");
}

TEST(SigV4, RefusesMalformedRequestsNamingWhatIsWrong) {
  FakeClock clock(At("2015-08-30T12:36:00Z"));
  SigV4Signer signer(ExampleCredentials(), SigV4Options::Service("us-east-1", "sqs"), clock);
  const auto refusal = [&](HttpRequest request) {
    const auto signing = signer.SignHeaders(request);
    EXPECT_EQ(signing.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(FindHeader(request, "X-Amz-Date"), nullptr) << "left in the request";
    return signing.status().message();
  };
  HttpRequest no_host = ExampleGet();
  no_host.headers.clear();
  EXPECT_NE(refusal(no_host).find("Host"), std::string::npos);
  HttpRequest bad_name = ExampleGet();
  bad_name.headers.emplace("My Header", "x");
  EXPECT_NE(refusal(bad_name).find("My Header"), std::string::npos);
  HttpRequest injected = ExampleGet();
  injected.headers.emplace("My-Header", "x\r\nEvil: y");
  EXPECT_NE(refusal(injected).find("My-Header"), std::string::npos);
  HttpRequest bad_hash = ExampleGet();
  bad_hash.payload_hash = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
  EXPECT_NE(refusal(bad_hash).find("payload hash"), std::string::npos);
  HttpRequest bad_method = ExampleGet();
  bad_method.method = "get me";
  EXPECT_NE(refusal(bad_method).find("method"), std::string::npos);

  HttpRequest request = ExampleGet();
  EXPECT_EQ(signer.Presign(request, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(signer.Presign(request, kMaxPresignSeconds + 1).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(request.query.empty());
}

TEST(SigV4, ExpiredCredentialsAreNotUsed) {
  FakeClock clock(At("2015-08-30T12:36:00Z"));
  AwsCredentials temporary = ExampleCredentials("T");
  temporary.expires_unix_millis = At("2015-08-30T12:36:01Z");
  SigV4Signer signer(temporary, SigV4Options::Service("us-east-1", "sqs"), clock);
  HttpRequest request = ExampleGet();
  EXPECT_TRUE(signer.SignHeaders(request).ok());
  clock.Advance(1000);
  const auto expired = signer.SignHeaders(request);
  EXPECT_EQ(expired.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(expired.status().message().find("2015-08-30T12:36:01Z"), std::string::npos)
      << expired.status().message();
  SigV4Signer keyless({}, SigV4Options::Service("us-east-1", "sqs"), clock);
  EXPECT_EQ(keyless.SignHeaders(request).status().code(), StatusCode::kInvalidArgument);
}

TEST(SigV4, AmzDateIsTheUtcSecond) {
  EXPECT_EQ(FormatAmzDate(At("2015-08-30T12:36:00Z") + 999), "20150830T123600Z");
  EXPECT_EQ(FormatAmzDate(-1), "19691231T235959Z");
}

}  // namespace
}  // namespace spotbatch
