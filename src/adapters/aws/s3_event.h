// S3 event notifications, parsed: what a bucket sends to an SQS queue (directly or through an
// SNS topic) or to a Lambda function when objects are created. Pure functions (no I/O), kept
// apart from whatever receives the events so that they can be tested and fuzzed on their own:
// an event is untrusted input (anyone who may write to the queue can send one).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "spotbatch/status.h"

namespace spotbatch {

// SQS bodies are at most 256 KiB and Lambda's events 6 MB; an SNS envelope around an S3
// event at most doubles it. Anything larger is refused before parsing.
inline constexpr size_t kMaxS3EventBytes = 8 * 1024 * 1024;
// An S3 key is at most 1,024 bytes of UTF-8; its encoded form at most three times that.
inline constexpr size_t kMaxS3KeyBytes = 1024;

// One object the event says was created (ObjectCreated:Put, :Post, :Copy,
// :CompleteMultipartUpload, ...). `key` is decoded, and "bucket/key" is a key the object store
// can hold (core/object_key.h); the other fields are as the event gives them (size 0 and ""
// where it omits them, as some emulators do).
struct S3CreatedObject {
  std::string bucket;
  std::string key;
  uint64_t size = 0;
  std::string etag;
  std::string sequencer;  // orders the events of one key (hex, compared by length then value)
  int64_t event_unix_millis = 0;  // eventTime; 0 when absent or not a UTC timestamp
};

struct S3Event {
  std::vector<S3CreatedObject> created;
  bool test_event = false;  // the s3:TestEvent a bucket sends when notifications are set up
  int ignored = 0;          // records of other kinds (ObjectRemoved, ...): nothing to start
  // Records that were not what S3 sends, each with why (at most 200 bytes of it): dropped
  // without harming the rest of the event.
  std::vector<std::string> malformed;
};

// Parses the body of an S3 event notification: {"Records": [...]}, the same wrapped in an SNS
// notification ({"Type": "Notification", "Message": "<the event as a string>"}), or the
// s3:TestEvent. kInvalidArgument (quoting at most 200 bytes) for a body that is none of them
// or over kMaxS3EventBytes; a record that is malformed lands in S3Event::malformed instead.
Result<S3Event> ParseS3Event(std::string_view body);

// Decodes an object key as S3 writes it into events: form-URL-encoded, so "+" is a space and
// "%XX" a byte ("%2F" a slash, UTF-8 sequences byte by byte). kInvalidArgument for a broken
// escape or a decoded key that is empty or over kMaxS3KeyBytes (what the bytes may be is the
// object store's rule, checked by ParseS3Event).
Result<std::string> DecodeS3EventKey(std::string_view encoded);

}  // namespace spotbatch
