// The Runtime API client and loop against a local fake of the Runtime API.
#include "adapters/aws/lambda_runtime.h"

#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "aws/fake_lambda_runtime.h"

namespace spotbatch {
namespace {

TEST(LambdaRuntime, TheLoopAnswersEachInvocationWithItsHandlersOutcome) {
  testing::FakeLambdaRuntime runtime;
  auto client = LambdaRuntimeClient::New(runtime.api());
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  runtime.Invoke("req-1", R"({"n": 1})");
  runtime.Invoke("req-2", R"({"n": 2})");
  std::vector<LambdaInvocation> seen;
  int handled = 0;
  Status ended = RunLambdaLoop(
      **client,
      [&](const LambdaInvocation& inv) {
        seen.push_back(inv);
        if (inv.request_id == "req-1") return LambdaOutcome{.ok = true, .body = R"({"done":1})"};
        return LambdaOutcome{
            .ok = false, .error_type = "spotbatch.Unavailable", .error_message = "try again"};
      },
      [&] { return handled++ < 2; });
  ASSERT_TRUE(ended.ok()) << ended.ToString();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].event, R"({"n": 1})");
  EXPECT_EQ(seen[0].deadline_unix_millis, 1764584430000);
  EXPECT_EQ(seen[0].function_arn, "arn:aws:lambda:us-east-1:123456789012:function:ingest");
  auto first = runtime.AnswerTo("req-1");
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->ok);
  EXPECT_EQ(first->body, R"({"done":1})");
  auto second = runtime.AnswerTo("req-2");
  ASSERT_TRUE(second.has_value());
  EXPECT_FALSE(second->ok);
  EXPECT_EQ(second->error_type_header, "spotbatch.Unavailable");
  const nlohmann::json error = nlohmann::json::parse(second->body);
  EXPECT_EQ(error["errorType"], "spotbatch.Unavailable");
  EXPECT_EQ(error["errorMessage"], "try again");
}

TEST(LambdaRuntime, ARequestIdThatCouldMoveThePathIsRefused) {
  testing::FakeLambdaRuntime runtime;
  auto client = LambdaRuntimeClient::New(runtime.api());
  ASSERT_TRUE(client.ok());
  runtime.Invoke("../../init/error", "{}");
  auto next = (*client)->Next();
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().code(), StatusCode::kInternal);
  EXPECT_TRUE(runtime.init_errors().empty());
  EXPECT_EQ((*client)->Respond("a/b", {.ok = true}).code(), StatusCode::kInvalidArgument);
}

TEST(LambdaRuntime, InitErrorsAreReported) {
  testing::FakeLambdaRuntime runtime;
  auto client = LambdaRuntimeClient::New(runtime.api());
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->InitError("spotbatch.InitError", "no table").ok());
  ASSERT_EQ(runtime.init_errors().size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(runtime.init_errors()[0])["errorMessage"], "no table");
}

TEST(LambdaRuntime, AnUnreachableRuntimeApiEndsTheLoopRetryably) {
  auto client = LambdaRuntimeClient::New("127.0.0.1:1");
  ASSERT_TRUE(client.ok());
  Status ended = RunLambdaLoop(
      **client, [](const LambdaInvocation&) { return LambdaOutcome{}; }, [] { return true; });
  EXPECT_TRUE(ended.retryable()) << ended.ToString();
  EXPECT_EQ(LambdaRuntimeClient::New("host/path").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spotbatch
