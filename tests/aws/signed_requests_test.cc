// The signer and the HTTP layer against a real AWS emulator that checks signatures and IAM
// permissions (moto with INITIAL_NO_AUTH_ACTION_COUNT), with the AWS CLI as an independent
// client: it creates the IAM user the test signs as, and reads back what the test made.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "adapters/aws/http_client.h"
#include "adapters/aws/http_retry.h"
#include "adapters/aws/sigv4.h"
#include "aws/aws_cli.h"
#include "aws/moto_server.h"

namespace spotbatch {
namespace {

// The CLI's first three requests run before moto checks signatures: any key passes.
std::pair<std::string, bool> Aws(const std::string& endpoint, const std::string& args,
                                 const std::string& key = "setup",
                                 const std::string& secret = "setup") {
  return testing::Aws(endpoint, args, key, secret);
}

class SignedRequestsTest : public ::testing::Test {
 protected:
  // The first three requests (the CLI's, making an IAM user allowed SQS only) pass unchecked;
  // every later one must be signed by a key moto knows, for an action its policy allows.
  void SetUp() override {
    ASSERT_FALSE(moto_.endpoint().empty()) << "moto_server did not start:\n" << moto_.log();
    const std::string& e = moto_.endpoint();
    ASSERT_TRUE(Aws(e, "iam create-user --user-name spotbatch").second);
    ASSERT_TRUE(Aws(e,
                    "iam put-user-policy --user-name spotbatch --policy-name sqs "
                    "--policy-document '{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
                    "\"Allow\",\"Action\":\"sqs:*\",\"Resource\":\"*\"}]}'")
                    .second);
    auto [key_json, ok] = Aws(e, "iam create-access-key --user-name spotbatch");
    ASSERT_TRUE(ok) << key_json;
    const nlohmann::json key = nlohmann::json::parse(key_json)["AccessKey"];
    credentials_.access_key_id = key["AccessKeyId"];
    credentials_.secret_access_key = key["SecretAccessKey"];
    auto client = HttpClient::New(e);
    ASSERT_TRUE(client.ok());
    client_ = std::move(*client);
  }

  // An SQS call of the JSON protocol, as the SQS adapter will make it.
  HttpRequest SqsCall(const std::string& action, const nlohmann::json& input) {
    HttpRequest r;
    r.method = "POST";
    r.path = "/";
    r.headers.emplace("Host", moto_.endpoint().substr(std::string("http://").size()));
    r.headers.emplace("Content-Type", "application/x-amz-json-1.0");
    r.headers.emplace("X-Amz-Target", "AmazonSQS." + action);
    r.body = input.dump();
    return r;
  }
  Result<HttpResponse> Send(HttpRequest request, AwsCredentials credentials,
                            const std::string& service = "sqs") {
    SigV4Signer signer(std::move(credentials), SigV4Options::Service("us-east-1", service),
                       SystemClock());
    return SendWithRetries(
        *client_, std::move(request),
        [&](HttpRequest& r) { return signer.SignHeaders(r).status(); },
        [](const HttpResponse& r) { return StatusOfHttp(r.status, r.body.substr(0, 300)); },
        {.max_attempts = 3, .base_delay_millis = 1, .max_delay_millis = 10}, SystemClock(),
        [] { return 0.5; });
  }

  testing::MotoServer moto_{{.no_auth_actions = 3}};
  AwsCredentials credentials_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(SignedRequestsTest, ASignedRequestIsAcceptedAndItsEffectSeenByTheAwsCli) {
  auto r = Send(SqsCall("CreateQueue", {{"QueueName", "spotbatch-signed"}}), credentials_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(r->body.find("spotbatch-signed"), std::string::npos) << r->body;
  auto [queues, ok] = Aws(moto_.endpoint(), "sqs list-queues", credentials_.access_key_id,
                          credentials_.secret_access_key);
  ASSERT_TRUE(ok) << queues;
  EXPECT_NE(queues.find("spotbatch-signed"), std::string::npos) << queues;
}

TEST_F(SignedRequestsTest, AWronglySignedRequestIsRefusedAndNotRetried) {
  AwsCredentials wrong = credentials_;
  wrong.secret_access_key = "not-the-secret";
  auto r = Send(SqsCall("CreateQueue", {{"QueueName", "never"}}), wrong);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status().ToString();
  EXPECT_NE(r.status().message().find("SignatureDoesNotMatch"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(r.status().message().find("attempts"), std::string::npos) << "tried once";
  auto [queues, ok] = Aws(moto_.endpoint(), "sqs list-queues", credentials_.access_key_id,
                          credentials_.secret_access_key);
  EXPECT_EQ(queues.find("never"), std::string::npos) << queues;
}

TEST_F(SignedRequestsTest, AnActionOutsideThePolicyIsDenied) {
  // Signed right, by a user allowed SQS only: S3's ListBuckets is denied.
  HttpRequest list;
  list.method = "GET";
  list.path = "/";
  list.headers.emplace("Host", moto_.endpoint().substr(std::string("http://").size()));
  SigV4Signer signer(credentials_, SigV4Options::S3("us-east-1"), SystemClock());
  ASSERT_TRUE(signer.SignHeaders(list).ok());
  auto r = client_->Send(list);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_NE(r->body.find("AccessDenied"), std::string::npos) << r->body;
}

}  // namespace
}  // namespace spotbatch
