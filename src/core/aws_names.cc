#include "core/aws_names.h"

#include <string>

namespace spotbatch {
namespace {

bool Lower(char c) { return c >= 'a' && c <= 'z'; }
bool Digit(char c) { return c >= '0' && c <= '9'; }
bool Alnum(char c) { return Lower(c) || Digit(c) || (c >= 'A' && c <= 'Z'); }

std::string Quoted(std::string_view name) {
  return "\"" + std::string(name.substr(0, 100)) + (name.size() > 100 ? "...\"" : "\"");
}

bool LooksLikeIpv4(std::string_view name) {
  int dots = 0;
  for (char c : name) {
    if (c == '.') {
      ++dots;
    } else if (!Digit(c)) {
      return false;
    }
  }
  return dots == 3;
}

}  // namespace

Status ValidateS3BucketName(std::string_view name) {
  const std::string q = Quoted(name);
  if (name.size() < 3 || name.size() > 63) {
    return InvalidArgument(q + " cannot be an S3 bucket: bucket names have 3 to 63 characters");
  }
  for (char c : name) {
    if (!Lower(c) && !Digit(c) && c != '.' && c != '-') {
      return InvalidArgument(q + " cannot be an S3 bucket: bucket names hold only lowercase " +
                             "letters, digits, '.' and '-'");
    }
  }
  if (!(Lower(name.front()) || Digit(name.front())) || !(Lower(name.back()) || Digit(name.back()))) {
    return InvalidArgument(q + " cannot be an S3 bucket: a bucket name begins and ends with a " +
                           "letter or digit");
  }
  if (name.find("..") != std::string_view::npos || LooksLikeIpv4(name)) {
    return InvalidArgument(q + " cannot be an S3 bucket: no \"..\" and no IP address");
  }
  if (name.starts_with("xn--") || name.starts_with("sthree-") || name.ends_with("-s3alias") ||
      name.ends_with("--ol-s3")) {
    return InvalidArgument(q + " cannot be an S3 bucket: it uses a prefix or suffix S3 reserves");
  }
  return Status::Ok();
}

Status ValidateSqsQueueName(std::string_view name) {
  if (name.empty() || name.size() > 80) {
    return InvalidArgument(Quoted(name) + " cannot be an SQS queue: names have 1 to 80 characters");
  }
  for (char c : name) {
    if (!Alnum(c) && c != '-' && c != '_') {
      return InvalidArgument(Quoted(name) +
                             " cannot be an SQS queue: names hold only letters, digits, '-' and "
                             "'_' (FIFO queues are not used)");
    }
  }
  return Status::Ok();
}

Status ValidateDynamoDbTableName(std::string_view name) {
  if (name.size() < 3 || name.size() > 255) {
    return InvalidArgument(Quoted(name) +
                           " cannot be a DynamoDB table: names have 3 to 255 characters");
  }
  for (char c : name) {
    if (!Alnum(c) && c != '-' && c != '_' && c != '.') {
      return InvalidArgument(Quoted(name) +
                             " cannot be a DynamoDB table: names hold only letters, digits, "
                             "'_', '-' and '.'");
    }
  }
  return Status::Ok();
}

Status ValidateAwsRegion(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 32 && Lower(name.front());
  for (char c : name) ok = ok && (Lower(c) || Digit(c) || c == '-');
  if (!ok) {
    return InvalidArgument(Quoted(name) +
                           " is not an AWS region (lowercase letters, digits and '-', like "
                           "\"us-east-1\")");
  }
  return Status::Ok();
}

}  // namespace spotbatch
