// spotbatch's entry in a bucket's notification and lifecycle documents, every other entry
// kept: S3 replaces the whole document on each PUT.
#include "adapters/aws/s3_bucket_config.h"

#include <gtest/gtest.h>

namespace spotbatch {
namespace {

const QueueNotification kOurs{"spotbatch-events", "arn:aws:sqs:us-east-1:1:events", "claims/"};
constexpr char kTheirs[] =
    "<NotificationConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<TopicConfiguration><Id>audit</Id><Topic>arn:aws:sns:us-east-1:1:audit</Topic>"
    "<Event>s3:ObjectRemoved:*</Event></TopicConfiguration></NotificationConfiguration>";

TEST(WithQueueNotification, AddsOursKeepsTheirsAndThenChangesNothing) {
  auto with = WithQueueNotification(kTheirs, kOurs);
  ASSERT_TRUE(with.ok()) << with.status().ToString();
  EXPECT_TRUE(with->changed);
  EXPECT_NE(with->document.find("<Id>audit</Id>"), std::string::npos) << with->document;
  EXPECT_NE(with->document.find("<QueueConfiguration><Id>spotbatch-events</Id><Queue>arn:aws:sqs:"
                                "us-east-1:1:events</Queue><Event>s3:ObjectCreated:*</Event>"
                                "<Filter><S3Key><FilterRule><Name>prefix</Name><Value>claims/"
                                "</Value></FilterRule></S3Key></Filter></QueueConfiguration>"),
            std::string::npos)
      << with->document;
  auto again = WithQueueNotification(with->document, kOurs);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed);
  QueueNotification moved = kOurs;
  moved.prefix = "uploads/";
  auto changed = WithQueueNotification(with->document, moved);
  EXPECT_TRUE(changed->changed);
  EXPECT_EQ(changed->document.find("claims/"), std::string::npos) << "replaced, not added";

  auto without = WithoutQueueNotification(with->document, kOurs.id);
  ASSERT_TRUE(without.ok());
  EXPECT_TRUE(without->changed);
  EXPECT_FALSE(without->empty) << "theirs is left";
  EXPECT_EQ(without->document.find("spotbatch-events"), std::string::npos);
  EXPECT_NE(without->document.find("<Id>audit</Id>"), std::string::npos);
}

TEST(WithQueueNotification, StartsFromNothingAndReadsMotosAnswer) {
  auto fresh = WithQueueNotification("", kOurs);
  ASSERT_TRUE(fresh.ok());
  EXPECT_NE(fresh->document.find(
                "<NotificationConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"),
            std::string::npos)
      << fresh->document;
  auto moto = WithQueueNotification(
      "<?xml version=\"1.0\"?><GetBucketNotificationResponse "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>",
      kOurs);
  ASSERT_TRUE(moto.ok()) << moto.status().ToString();
  EXPECT_NE(moto->document.find("<NotificationConfiguration"), std::string::npos);
  EXPECT_EQ(WithQueueNotification("<Error/>", kOurs).status().code(), StatusCode::kInternal);
  EXPECT_EQ(WithQueueNotification("<not xml", kOurs).status().code(), StatusCode::kInternal);
}

TEST(WithLifecycleRule, AddsOursKeepsTheirsAndEmptiesToNothing) {
  const AbortUploadsRule rule{"spotbatch-abort-uploads", "_spotbatch/", 7};
  const std::string theirs =
      "<LifecycleConfiguration><Rule><ID>logs</ID><Filter><Prefix>logs/</Prefix></Filter>"
      "<Status>Enabled</Status><Expiration><Days>30</Days></Expiration></Rule>"
      "</LifecycleConfiguration>";
  auto with = WithLifecycleRule(theirs, rule);
  ASSERT_TRUE(with.ok());
  EXPECT_TRUE(with->changed);
  EXPECT_NE(with->document.find("<ID>logs</ID>"), std::string::npos);
  EXPECT_NE(with->document.find("<AbortIncompleteMultipartUpload><DaysAfterInitiation>7<"),
            std::string::npos);
  EXPECT_FALSE(WithLifecycleRule(with->document, rule)->changed);
  AbortUploadsRule sooner = rule;
  sooner.days = 3;
  EXPECT_TRUE(WithLifecycleRule(with->document, sooner)->changed);
  auto without = WithoutLifecycleRule(with->document, rule.id);
  EXPECT_TRUE(without->changed);
  EXPECT_FALSE(without->empty);
  auto alone = WithoutLifecycleRule(WithLifecycleRule("", rule)->document, rule.id);
  EXPECT_TRUE(alone->empty) << "no rule left: the document is deleted rather than sent empty";
}

}  // namespace
}  // namespace spotbatch
