#include "adapters/aws/aws_json_client.h"

#include <gtest/gtest.h>

#include "aws/moto_server.h"
#include "aws/static_credentials.h"

namespace spotbatch {
namespace {

AwsServiceError Parse(int status, std::string body, std::string query_error = "") {
  return ParseAwsJsonError(status, query_error, body);
}

TEST(ParseAwsJsonError, ReadsTheCodeAfterTheNamespaceAndTheMessage) {
  auto e =
      Parse(400, R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",)"
                 R"("message":"The conditional request failed"})");
  EXPECT_EQ(e.http_status, 400);
  EXPECT_EQ(e.code, "ConditionalCheckFailedException");
  EXPECT_EQ(e.message, "The conditional request failed");
  EXPECT_EQ(StatusCodeOfAwsError(e), StatusCode::kAborted);
}

TEST(ParseAwsJsonError, PrefersSqsQueryErrorHeaderAndDropsACodeSuffix) {
  auto e = Parse(400, R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist"})",
                 "AWS.SimpleQueueService.NonExistentQueue;Sender");
  EXPECT_EQ(e.code, "AWS.SimpleQueueService.NonExistentQueue");
  EXPECT_EQ(StatusCodeOfAwsError(e), StatusCode::kNotFound);
  auto suffixed = Parse(400, R"({"__type":"Foo#Bar:http://internal/"})");
  EXPECT_EQ(suffixed.code, "Bar");
}

TEST(ParseAwsJsonError, BoundsAndCleansWhatItQuotes) {
  const std::string long_message(5000, 'x');
  auto e = Parse(500, R"({"__type":"A\u0001B","Message":")" + long_message + R"(\n"})");
  EXPECT_EQ(e.code, "A?B");
  EXPECT_EQ(e.message.size(), 300u);
  auto junk = Parse(503, "<html>not json</html>");
  EXPECT_EQ(junk.code, "");
  EXPECT_EQ(StatusCodeOfAwsError(junk), StatusCode::kUnavailable);  // by the HTTP status
}

TEST(ParseAwsJsonError, ReadsAnXmlErrorOfTheQueryProtocol) {
  auto e = Parse(403,
                 "<?xml version=\"1.0\"?><ErrorResponse><Errors><Error><Code>AccessDenied</Code>"
                 "<Message>User: arn:aws:iam::1:user/w is not authorized to perform: "
                 "dynamodb:CreateTable &amp; more</Message></Error></Errors></ErrorResponse>");
  EXPECT_EQ(e.code, "AccessDenied");
  EXPECT_EQ(
      e.message,
      "User: arn:aws:iam::1:user/w is not authorized to perform: dynamodb:CreateTable & more");
  EXPECT_EQ(StatusCodeOfAwsError(e), StatusCode::kFailedPrecondition);
  auto header_first = Parse(403, "<Error><Code>Other</Code></Error>", "AccessDenied;Sender");
  EXPECT_EQ(header_first.code, "AccessDenied");
  auto broken = Parse(403, "<Error><Code>AccessDen");
  EXPECT_EQ(broken.code, "");
  EXPECT_EQ(broken.message, "");
}

// EC2's error document (<Response><Errors><Error>), and moto's shape of its access denials
// (<ErrorResponse>), as AwsQueryClient reads them.
TEST(ParseAwsJsonError, ReadsEc2sErrorDocuments) {
  auto e =
      Parse(503,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>"
            "<Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error>"
            "</Errors><RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>");
  EXPECT_EQ(e.code, "RequestLimitExceeded");
  EXPECT_EQ(e.message, "Request limit exceeded.");
  auto denied = Parse(403,
                      "<ErrorResponse><Errors><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                      "<Message>not authorized</Message></Error></Errors></ErrorResponse>");
  EXPECT_EQ(denied.code, "AccessDenied");
  EXPECT_EQ(Parse(400, "<Response></Response>").code, "");
  EXPECT_EQ(Parse(400, "").code, "");
  auto long_message =
      Parse(400, "<Response><Errors><Error><Code>X</Code><Message>" + std::string(1000, 'm') +
                     "</Message></Error></Errors></Response>");
  EXPECT_EQ(long_message.message.size(), 300u);
}

TEST(AwsErrorMessage, NamesTheActionTheCodeAndTheMessage) {
  EXPECT_EQ(AwsErrorMessage("PutItem", {.http_status = 400, .code = "C", .message = "m"}),
            "PutItem: C: m");
  EXPECT_EQ(AwsErrorMessage("PutItem", {.http_status = 503}), "PutItem: HTTP 503");
}

TEST(StatusCodeOfAwsError, SaysWhetherToRetry) {
  auto of = [](std::string code, int http = 400) {
    return StatusCodeOfAwsError({.http_status = http, .code = std::move(code)});
  };
  EXPECT_EQ(of("ProvisionedThroughputExceededException"), StatusCode::kUnavailable);
  EXPECT_EQ(of("ThrottlingException"), StatusCode::kUnavailable);
  EXPECT_EQ(of("ExpiredTokenException"), StatusCode::kUnavailable);
  EXPECT_EQ(of("AccessDeniedException"), StatusCode::kFailedPrecondition);
  EXPECT_EQ(of("UnrecognizedClientException"), StatusCode::kFailedPrecondition);
  EXPECT_EQ(of("UnauthorizedOperation", 403), StatusCode::kFailedPrecondition);  // EC2's
  EXPECT_EQ(of("RequestLimitExceeded", 503), StatusCode::kUnavailable);          // EC2's
  EXPECT_EQ(of("TransactionCanceledException"), StatusCode::kAborted);
  EXPECT_EQ(of("ResourceInUseException"), StatusCode::kAlreadyExists);
  EXPECT_EQ(of("ValidationException"), StatusCode::kInvalidArgument);
  EXPECT_EQ(of("SomethingNew", 500), StatusCode::kUnavailable);
  EXPECT_EQ(of("SomethingNew", 400), StatusCode::kInvalidArgument);
}

// Against moto: real calls, real errors.
class AwsJsonClientOnMoto : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(moto_.endpoint().empty()) << moto_.log(); }
  std::unique_ptr<AwsJsonClient> Client(std::string signing_name, std::string prefix) {
    auto c = AwsJsonClient::New({.endpoint = moto_.endpoint(),
                                 .region = "us-east-1",
                                 .signing_name = std::move(signing_name),
                                 .target_prefix = std::move(prefix),
                                 .retry = {.max_attempts = 2, .base_delay_millis = 1}},
                                credentials_, SystemClock());
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }
  testing::MotoServer moto_;
  testing::StaticCredentials credentials_;
};

TEST_F(AwsJsonClientOnMoto, SqsCallsSucceedAndAMissingQueueIsNotFound) {
  auto sqs = Client("sqs", "AmazonSQS");
  auto created = sqs->Call("CreateQueue", {{"QueueName", "jobs"}});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_NE((*created)["QueueUrl"].get<std::string>().find("/jobs"), std::string::npos);
  auto missing = sqs->Call("GetQueueUrl", {{"QueueName", "nope"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().ToString();
  EXPECT_NE(missing.status().message().find("GetQueueUrl: "), std::string::npos);
}

TEST_F(AwsJsonClientOnMoto, AFailedDynamoDbConditionIsAbortedWithItsDocument) {
  auto ddb = Client("dynamodb", "DynamoDB_20120810");
  ASSERT_TRUE(
      ddb->Call("CreateTable",
                {{"TableName", "t"},
                 {"BillingMode", "PAY_PER_REQUEST"},
                 {"AttributeDefinitions", {{{"AttributeName", "pk"}, {"AttributeType", "S"}}}},
                 {"KeySchema", {{{"AttributeName", "pk"}, {"KeyType", "HASH"}}}}})
          .ok());
  const nlohmann::json put = {{"TableName", "t"},
                              {"Item", {{"pk", {{"S", "a"}}}}},
                              {"ConditionExpression", "attribute_not_exists(pk)"}};
  ASSERT_TRUE(ddb->Call("PutItem", put).ok());
  nlohmann::json error;
  auto again = ddb->Call("PutItem", put, &error);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAborted) << again.status().ToString();
  EXPECT_TRUE(error.is_object()) << error.dump();
  EXPECT_NE(error.value("__type", "").find("ConditionalCheckFailed"), std::string::npos);
}

TEST(AwsJsonClient, RefusesIncompleteOptions) {
  testing::StaticCredentials credentials;
  EXPECT_EQ(AwsJsonClient::New({.endpoint = "http://127.0.0.1:1", .region = "us-east-1"},
                               credentials, SystemClock())
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(AwsJsonClient::New({.endpoint = "ftp://x",
                                .region = "r",
                                .signing_name = "sqs",
                                .target_prefix = "AmazonSQS"},
                               credentials, SystemClock())
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spotbatch
