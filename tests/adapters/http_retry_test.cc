// The retry rules on scripted answers (a fake HttpClient: this is the logic; the real
// exchange is http_client_test.cc's) and a fake clock, so no test waits for a backoff.
#include "adapters/aws/http_retry.h"

#include <gtest/gtest.h>

#include <deque>

#include "common/fake_clock.h"

namespace spotbatch {
namespace {

class ScriptedClient final : public HttpClient {
 public:
  std::deque<Result<HttpResponse>> answers;
  int sent = 0;
  Result<HttpResponse> Send(const HttpRequest&) override {
    ++sent;
    Result<HttpResponse> next = std::move(answers.front());
    answers.pop_front();
    return next;
  }
  int64_t connections_opened() const override { return 1; }
};

HttpResponse Answer(int status, std::string retry_after = "") {
  HttpResponse r;
  r.status = status;
  if (!retry_after.empty()) r.headers.emplace("Retry-After", retry_after);
  return r;
}

Status Classify(const HttpResponse& r) { return StatusOfHttp(r.status, "test"); }
Status NoSigning(HttpRequest&) { return Status::Ok(); }

TEST(HttpRetry, FullJitterStaysUnderTheCappedExponential) {
  const HttpRetryPolicy p{.max_attempts = 10, .base_delay_millis = 50, .max_delay_millis = 1000};
  EXPECT_EQ(BackoffMillis(p, 0, 0.0), 0);
  EXPECT_EQ(BackoffMillis(p, 0, 0.999999), 49);
  EXPECT_EQ(BackoffMillis(p, 3, 0.5), 200);   // half of 400
  EXPECT_EQ(BackoffMillis(p, 10, 0.5), 500);  // half of the 1000 cap
  EXPECT_EQ(BackoffMillis(p, 60, 0.999999), 999) << "no overflow far out";
}

TEST(HttpRetry, StatusesSayWhetherToRetry) {
  for (int s : {408, 429, 500, 502, 503, 504}) EXPECT_TRUE(StatusOfHttp(s, "x").retryable()) << s;
  EXPECT_TRUE(StatusOfHttp(200, "x").ok());
  EXPECT_TRUE(StatusOfHttp(204, "x").ok());
  EXPECT_EQ(StatusOfHttp(403, "x").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatusOfHttp(404, "x").code(), StatusCode::kNotFound);
  EXPECT_EQ(StatusOfHttp(412, "x").code(), StatusCode::kAborted);
  EXPECT_EQ(StatusOfHttp(400, "x").code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(StatusOfHttp(501, "x").retryable());
}

TEST(HttpRetry, AccessDeniedIsNotRetried) {
  ScriptedClient client;
  client.answers = {Answer(403), Answer(200)};
  FakeClock clock;
  auto r = SendWithRetries(client, {}, NoSigning, Classify, {}, clock, [] { return 0.5; });
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(client.sent, 1);
}

TEST(HttpRetry, BrokenConnectionsAndServerErrorsAreRetriedWithBackoff) {
  ScriptedClient client;
  client.answers = {Unavailable("reset"), Answer(500), Answer(200)};
  FakeClock clock;
  const int64_t start = clock.NowUnixMillis();
  auto r = SendWithRetries(client, {}, NoSigning, Classify,
                           {.max_attempts = 5, .base_delay_millis = 100, .max_delay_millis = 1000},
                           clock, [] { return 0.5; });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(client.sent, 3);
  EXPECT_EQ(clock.NowUnixMillis() - start, 50 + 100) << "half of 100, then half of 200";
}

TEST(HttpRetry, RetryAfterIsHonouredUpToTheCap) {
  ScriptedClient client;
  client.answers = {Answer(503, "2"), Answer(429, "999999"), Answer(200)};
  FakeClock clock;
  const int64_t start = clock.NowUnixMillis();
  auto r = SendWithRetries(client, {}, NoSigning, Classify,
                           {.max_attempts = 3, .base_delay_millis = 10, .max_delay_millis = 5000},
                           clock, [] { return 0.0; });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(clock.NowUnixMillis() - start, 2000 + 5000);
}

TEST(HttpRetry, GivesUpAfterItsAttemptsWithTheLastFailure) {
  ScriptedClient client;
  client.answers = {Answer(503), Answer(503), Answer(503)};
  FakeClock clock;
  auto r = SendWithRetries(client, {}, NoSigning, Classify, {.max_attempts = 3}, clock,
                           [] { return 0.5; });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("after 3 attempts"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(client.sent, 3);
}

TEST(HttpRetry, AFailedSigningEndsIt) {
  ScriptedClient client;
  FakeClock clock;
  auto r = SendWithRetries(
      client, {}, [](HttpRequest&) { return FailedPrecondition("credentials expired"); }, Classify,
      {}, clock, [] { return 0.5; });
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(client.sent, 0);
}

}  // namespace
}  // namespace spotbatch
