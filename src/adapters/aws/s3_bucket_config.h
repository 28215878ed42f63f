// A bucket's notification and lifecycle documents with spotbatch's own entry put in or taken
// out and every other entry kept as it was: S3 replaces the whole document on each PUT, so
// deploy reads it, changes its entry alone and sends it back (apps/aws_deploy.h). Each
// function says whether the document changed, so that a deploy that finds its entry as it
// wants it sends nothing.
//
// Documents are S3's (NotificationConfiguration, LifecycleConfiguration), at most 1 MiB; an
// empty one is a bucket without any. kInternal for another document.
#pragma once

#include <string>
#include <string_view>

#include "spotbatch/status.h"

namespace spotbatch {

// A queue that S3 tells of every object created under `prefix`.
struct QueueNotification {
  std::string id;  // the QueueConfiguration's Id
  std::string queue_arn;
  std::string prefix;
};

struct BucketConfigEdit {
  std::string document;  // what to send (an empty NotificationConfiguration or
                         // LifecycleConfiguration when nothing is left)
  bool changed = false;
  bool empty = false;  // no entry left (a lifecycle document without rules is deleted instead)
};

Result<BucketConfigEdit> WithQueueNotification(std::string_view existing,
                                               const QueueNotification& notification);
Result<BucketConfigEdit> WithoutQueueNotification(std::string_view existing, std::string_view id);

// A rule that aborts multipart uploads under `prefix` left unfinished `days` after they began.
struct AbortUploadsRule {
  std::string id;
  std::string prefix;
  int days = 7;
};

Result<BucketConfigEdit> WithLifecycleRule(std::string_view existing, const AbortUploadsRule& rule);
Result<BucketConfigEdit> WithoutLifecycleRule(std::string_view existing, std::string_view id);

}  // namespace spotbatch
