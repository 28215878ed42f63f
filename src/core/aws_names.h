// The naming rules of the AWS resources a config names, checked before anything is created:
// a name AWS would refuse is refused at config load, saying which rule it breaks.
#pragma once

#include <string_view>

#include "spotbatch/status.h"

namespace spotbatch {

// S3's rules for a bucket: 3 to 63 characters of lowercase letters, digits, '.' and '-',
// beginning and ending with a letter or digit, no "..", not an IPv4 address, none of the
// prefixes and suffixes S3 reserves (xn--, sthree-, -s3alias, --ol-s3).
Status ValidateS3BucketName(std::string_view name);
// SQS's rules for a standard queue: 1 to 80 characters of letters, digits, '-' and '_'.
Status ValidateSqsQueueName(std::string_view name);
// DynamoDB's rules for a table: 3 to 255 characters of letters, digits, '_', '-' and '.'.
Status ValidateDynamoDbTableName(std::string_view name);
// An AWS region as the SDKs accept it: 1 to 32 lowercase letters, digits and '-', beginning
// with a letter ("us-east-1", "eu-central-2"); it goes into hosts and signing scopes.
Status ValidateAwsRegion(std::string_view name);

}  // namespace spotbatch
