// `spotbatch lambda` through the real binary, against a local fake of the Lambda Runtime API:
// the reference architecture's Lambda function turning an upload into a job that a later
// `run` processes.
#include <signal.h>

#include "aws/fake_lambda_runtime.h"
#include "integration/pipeline_fixture.h"

namespace spotbatch {
namespace {

class LambdaTest : public testing::PipelineFixture {
 protected:
  pid_t StartLambda(const std::string& api) {
    return testing::StartCli({"lambda", "-c", config()}, dir_ / "lambda.out", dir_ / "lambda.err",
                             "", {{"AWS_LAMBDA_RUNTIME_API", api}});
  }
};

std::string S3Event(const std::string& key) {
  return nlohmann::json{{"Records",
                         {{{"eventSource", "aws:s3"},
                           {"eventName", "ObjectCreated:Put"},
                           {"s3", {{"bucket", {{"name", "in"}}}, {"object", {{"key", key}}}}}}}}}
      .dump();
}

TEST_F(LambdaTest, AnInvocationStartsTheJobThatRunThenProcesses) {
  WriteConfig(testing::kShaCommand, 1);
  testing::WriteFile(dir_ / "data/in/claim 1.txt", "hello\n");
  testing::FakeLambdaRuntime runtime;
  const pid_t lambda = StartLambda(runtime.api());
  runtime.Invoke("inv-1", S3Event("claim+1.txt"));
  runtime.Invoke("inv-2", R"({"not": "an event"})");
  auto first = runtime.AnswerTo("inv-1");
  auto second = runtime.AnswerTo("inv-2");
  ::kill(lambda, SIGTERM);
  EXPECT_EQ(testing::WaitExit(lambda), 128 + SIGTERM) << "a signal ends the runtime at once";
  ASSERT_TRUE(first.has_value()) << testing::ReadFile(dir_ / "lambda.err");
  EXPECT_TRUE(first->ok) << first->body;
  EXPECT_EQ(nlohmann::json::parse(first->body)["created_jobs"], 1) << first->body;
  ASSERT_TRUE(second.has_value());
  EXPECT_FALSE(second->ok);
  EXPECT_EQ(second->error_type_header, "spotbatch.NotANotification");

  auto jobs = Jobs();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0]["input"], "in/claim 1.txt");
  EXPECT_EQ(Json({"run"})["succeeded"], 1);
  auto got = Cli({"get", "out/claim 1.txt/sum.txt", "-"});
  EXPECT_EQ(got.out, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  -\n");
}

TEST_F(LambdaTest, WithoutTheRuntimeApiItSaysWhatItIs) {
  WriteConfig(testing::kShaCommand, 1);
  auto r = testing::RunCli({"lambda", "-c", config()}, "", {{"AWS_LAMBDA_RUNTIME_API", std::nullopt}});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("AWS_LAMBDA_RUNTIME_API is not set"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace spotbatch
