#include "adapters/aws/s3_xml.h"

#include <gtest/gtest.h>

namespace spotbatch {
namespace {

// As S3 writes them (docs.aws.amazon.com/AmazonS3/latest/API), namespaces and all.
constexpr char kListPage[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <Contents><Key>p/a &amp; b</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>
    <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><Size>434234</Size>
    <StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key>p/ünï</Key><LastModified>2009-10-12T17:50:31Z</LastModified>
    <ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag><Size>0</Size></Contents>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
</ListBucketResult>)";

TEST(ParseListObjectsV2, ReadsEntriesAndTheToken) {
  auto page = ParseListObjectsV2(kListPage);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "p/a & b");
  EXPECT_EQ(page->objects[0].etag, "fba9dede5f27731c9771645a39863328");
  EXPECT_EQ(page->objects[0].size, 434234u);
  EXPECT_EQ(page->objects[0].modified_unix_millis, 1255369830000);
  EXPECT_EQ(page->objects[1].key, "p/ünï");
  EXPECT_EQ(page->objects[1].etag, "3858f62230ac3c915f300c664312c11f-9");
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
  auto last =
      ParseListObjectsV2("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>");
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(last->objects.empty());
  EXPECT_FALSE(last->truncated);
}

TEST(ParseListObjectsV2, RefusesMalformedAnswersWithBoundedMessages) {
  const std::string long_key(5000, 'k');
  for (const std::string& body : {
           std::string("not xml <"),
           std::string("<Other/>"),
           std::string("<ListBucketResult><Contents><Size>1</Size><ETag>\"a\"</ETag>"
                       "<LastModified>2009-10-12T17:50:30Z</LastModified></Contents>"
                       "</ListBucketResult>"),
           "<ListBucketResult><Contents><Key>" + long_key + "</Key></Contents></ListBucketResult>",
           std::string("<ListBucketResult><Contents><Key>k</Key><Size>-1</Size><ETag>\"a\"</ETag>"
                       "<LastModified>2009-10-12T17:50:30Z</LastModified></Contents>"
                       "</ListBucketResult>"),
           std::string(
               "<ListBucketResult><Contents><Key>k</Key><Size>1</Size><ETag>\"a\x01\"</ETag>"
               "<LastModified>2009-10-12T17:50:30Z</LastModified></Contents>"
               "</ListBucketResult>"),
           std::string("<ListBucketResult><Contents><Key>k</Key><Size>1</Size><ETag>a</ETag>"
                       "<LastModified>yesterday</LastModified></Contents></ListBucketResult>"),
           std::string("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>"),
           std::string("<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>"),
       }) {
    auto page = ParseListObjectsV2(body);
    ASSERT_FALSE(page.ok()) << body.substr(0, 100);
    EXPECT_EQ(page.status().code(), StatusCode::kInternal);
    EXPECT_LE(page.status().message().size(), 200u) << page.status().message();
  }
  EXPECT_FALSE(ParseListObjectsV2(std::string(kMaxS3XmlBytes + 1, ' ')).ok());
}

TEST(ParseListParts, ReadsPartsAndTheMarker) {
  auto page = ParseListParts(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>b</Bucket><Key>k</Key><UploadId>XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA</UploadId>
  <PartNumberMarker>1</PartNumberMarker><NextPartNumberMarker>3</NextPartNumberMarker>
  <MaxParts>2</MaxParts><IsTruncated>true</IsTruncated>
  <Part><PartNumber>2</PartNumber><LastModified>2010-11-10T20:48:34.000Z</LastModified>
    <ETag>"7778aef83f66abc1fa1e8477f296d394"</ETag><Size>10485760</Size></Part>
  <Part><PartNumber>3</PartNumber><ETag>"aaaa18db4cc2f85cedef654fccc4a4x8"</ETag><Size>7</Size></Part>
</ListPartsResult>)");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->parts.size(), 2u);
  EXPECT_EQ(page->parts[0].number, 2);
  EXPECT_EQ(page->parts[0].size, 10485760u);
  EXPECT_EQ(page->parts[0].etag, "7778aef83f66abc1fa1e8477f296d394");
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_marker, 3);
  for (const char* bad : {"<ListPartsResult><Part><PartNumber>0</PartNumber><Size>1</Size>"
                          "<ETag>a</ETag></Part></ListPartsResult>",
                          "<ListPartsResult><Part><PartNumber>10001</PartNumber><Size>1</Size>"
                          "<ETag>a</ETag></Part></ListPartsResult>",
                          "<ListPartsResult><IsTruncated>true</IsTruncated></ListPartsResult>"}) {
    EXPECT_EQ(ParseListParts(bad).status().code(), StatusCode::kInternal) << bad;
  }
}

TEST(ParseListMultipartUploads, ReadsUploadsAndMarkers) {
  auto page = ParseListMultipartUploads(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>b</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>
  <NextKeyMarker>my-movie.m2ts</NextKeyMarker><NextUploadIdMarker>YW55IGlkZWEgd2h5</NextUploadIdMarker>
  <MaxUploads>3</MaxUploads><IsTruncated>true</IsTruncated>
  <Upload><Key>my-divisor</Key><UploadId>XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw</UploadId>
    <Initiator><ID>arn:aws:iam::111122223333:user/user1</ID></Initiator>
    <StorageClass>STANDARD</StorageClass><Initiated>2010-11-10T20:48:33.000Z</Initiated></Upload>
</ListMultipartUploadsResult>)");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->uploads.size(), 1u);
  EXPECT_EQ(page->uploads[0].key, "my-divisor");
  EXPECT_EQ(page->uploads[0].upload_id, "XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw");
  EXPECT_EQ(page->uploads[0].initiated_unix_millis, 1289422113000);
  EXPECT_EQ(page->next_key_marker, "my-movie.m2ts");
  EXPECT_EQ(page->next_upload_id_marker, "YW55IGlkZWEgd2h5");
  EXPECT_EQ(ParseListMultipartUploads("<ListMultipartUploadsResult><Upload><Key>k</Key>"
                                      "</Upload></ListMultipartUploadsResult>")
                .status()
                .code(),
            StatusCode::kInternal);
}

TEST(ParseS3Error, ReadsCodeAndMessageBoundedAndCleaned) {
  auto e = ParseS3Error(R"(<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchKey</Code><Message>The resource you requested does not exist</Message>
<Resource>/mybucket/myfoto.jpg</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>)");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, "NoSuchKey");
  EXPECT_EQ(e->message, "The resource you requested does not exist");
  auto dirty = ParseS3Error("<Error><Code>A&#x1;B</Code><Message>" + std::string(1000, 'm') +
                            "</Message></Error>");
  ASSERT_TRUE(dirty.has_value());
  EXPECT_EQ(dirty->code, "A?B");
  EXPECT_EQ(dirty->message.size(), 300u);
  EXPECT_FALSE(ParseS3Error("").has_value());
  EXPECT_FALSE(ParseS3Error("<CopyObjectResult/>").has_value());
  EXPECT_FALSE(ParseS3Error("garbage").has_value());
}

// CopyObject and CompleteMultipartUpload may answer 200 and then fail: the body says so.
TEST(ParseETagResult, ReadsTheETagOrTheErrorInA200Answer) {
  auto ok =
      ParseETagResult(R"(<CopyObjectResult><LastModified>2009-10-12T17:50:30.000Z</LastModified>
<ETag>"9b2cf535f27731c974343645a3985328"</ETag></CopyObjectResult>)",
                      "CopyObjectResult");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(*ok, "9b2cf535f27731c974343645a3985328");
  auto internal = ParseETagResult(
      "<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try "
      "again.</Message></Error>",
      "CompleteMultipartUploadResult");
  EXPECT_EQ(internal.status().code(), StatusCode::kUnavailable) << "retried";
  EXPECT_NE(internal.status().message().find("InternalError"), std::string::npos);
  auto denied = ParseETagResult("<Error><Code>AccessDenied</Code></Error>", "CopyObjectResult");
  EXPECT_EQ(denied.status().code(), StatusCode::kInternal);
  EXPECT_EQ(ParseETagResult("<CopyObjectResult/>", "CopyObjectResult").status().code(),
            StatusCode::kInternal);
  EXPECT_EQ(
      ParseETagResult("<CopyPartResult><ETag>\"x\"</ETag></CopyPartResult>", "CopyObjectResult")
          .status()
          .code(),
      StatusCode::kInternal)
      << "the wrong document";
}

TEST(ParseInitiateMultipartUpload, ReadsTheUploadId) {
  auto id = ParseInitiateMultipartUpload(
      "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
      "<UploadId>VXBsb2FkIElE</UploadId></InitiateMultipartUploadResult>");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "VXBsb2FkIElE");
  EXPECT_FALSE(ParseInitiateMultipartUpload("<InitiateMultipartUploadResult/>").ok());
}

TEST(CompleteMultipartUploadXml, ListsPartsInOrderWithQuotedETags) {
  const std::string xml = CompleteMultipartUploadXml({{1, 5, "aa"}, {2, 3, "b&b"}});
  EXPECT_EQ(xml,
            "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Part><PartNumber>1</PartNumber><ETag>\"aa\"</ETag></Part>"
            "<Part><PartNumber>2</PartNumber><ETag>\"b&amp;b\"</ETag></Part>"
            "</CompleteMultipartUpload>");
}

TEST(UnquoteETag, TakesS3sQuotesOffAndRefusesOddOnes) {
  EXPECT_EQ(UnquoteETag("\"abc\""), "abc");
  EXPECT_EQ(UnquoteETag("abc-3"), "abc-3");
  EXPECT_EQ(UnquoteETag("\"\""), "");
  EXPECT_EQ(UnquoteETag("\"a\"b\""), "");
  EXPECT_EQ(UnquoteETag("a\nb"), "");
  EXPECT_EQ(UnquoteETag(std::string(200, 'a')), "");
}

TEST(ParseHttpDate, ReadsImfFixdateOnly) {
  EXPECT_EQ(ParseHttpDate("Mon, 12 Oct 2009 17:50:00 GMT"), 1255369800000);
  EXPECT_EQ(ParseHttpDate("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
  EXPECT_EQ(ParseHttpDate("Mon, 30 Feb 2009 17:50:00 GMT"), std::nullopt);
  EXPECT_EQ(ParseHttpDate("Mon, 12 Oct 2009 17:50:00 UTC"), std::nullopt);
  EXPECT_EQ(ParseHttpDate("Monday, 12-Oct-09 17:50:00 GMT"), std::nullopt);
  EXPECT_EQ(ParseHttpDate(""), std::nullopt);
}

TEST(ParseContentRangeTotal, ReadsTheTotal) {
  EXPECT_EQ(ParseContentRangeTotal("bytes 0-99/1234"), 1234u);
  EXPECT_EQ(ParseContentRangeTotal("bytes */0"), 0u);
  EXPECT_EQ(ParseContentRangeTotal("bytes 0-99/*"), std::nullopt);
  EXPECT_EQ(ParseContentRangeTotal("items 0-1/2"), std::nullopt);
}

}  // namespace
}  // namespace spotbatch
