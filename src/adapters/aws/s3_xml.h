// The XML (and the few header values) of S3's answers, read for the S3 object store
// (s3_object_store.h): listings of objects, of multipart uploads and of their parts, the
// results of CreateMultipartUpload, CopyObject, UploadPartCopy and CompleteMultipartUpload, and
// S3's <Error> document. Also the one document S3 is sent (CompleteMultipartUpload's).
//
// Answers are untrusted input: a body longer than kMaxS3XmlBytes is refused, every field is
// bounded and type-checked, and a failure is kInternal with a message that quotes at most
// about 100 bytes of what was wrong, never the whole body. No parser here ever crashes or
// throws on any input (fuzz/s3_xml_fuzzer.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spotbatch/status.h"

namespace spotbatch {

// A listing page is at most 1000 entries of ~1.3 KB: 8 MiB is more than any real answer.
inline constexpr size_t kMaxS3XmlBytes = 8 << 20;
inline constexpr size_t kMaxS3ETagBytes = 128;
inline constexpr size_t kMaxS3TokenBytes = 4096;  // continuation tokens, upload ids, markers
inline constexpr int kMaxS3PartNumber = 10'000;
inline constexpr size_t kMaxRefusalBytes = 400;  // a refusal's message, S3's words included

// S3's <Error><Code>..</Code><Message>..</Message></Error>, bounded (code 128 bytes, message
// 300) and cleaned (control bytes replaced by '?'): it ends up in logs.
struct S3Error {
  std::string code;
  std::string message;
};
// The error in `body`, or nullopt when `body` is not an <Error> document (an answer to HEAD
// has no body; a 200 answer to CopyObject or CompleteMultipartUpload may be one).
std::optional<S3Error> ParseS3Error(std::string_view body);

struct S3ListedObject {
  std::string key;  // the object's key within its bucket, as S3 listed it
  uint64_t size = 0;
  std::string etag;  // unquoted
  int64_t modified_unix_millis = 0;
};
struct S3ObjectPage {
  std::vector<S3ListedObject> objects;
  bool truncated = false;
  std::string next_token;  // NextContinuationToken; non-empty when truncated
};
// A ListObjectsV2 answer (ListBucketResult). kInternal for anything else, an entry without a
// key of 1..1024 bytes, a size that is not a number, an ETag that is not printable ASCII of at
// most kMaxS3ETagBytes, a date that is not ISO 8601, or a truncated page without a token.
Result<S3ObjectPage> ParseListObjectsV2(std::string_view body);

struct S3Part {
  int number = 0;  // 1..kMaxS3PartNumber
  uint64_t size = 0;
  std::string etag;  // unquoted
};
struct S3PartPage {
  std::vector<S3Part> parts;
  bool truncated = false;
  int next_marker = 0;  // NextPartNumberMarker; the next page's part-number-marker
};
// A ListParts answer (ListPartsResult); kInternal as ParseListObjectsV2, and for a part
// number outside 1..kMaxS3PartNumber or a truncated page without a marker.
Result<S3PartPage> ParseListParts(std::string_view body);

struct S3Upload {
  std::string key;
  std::string upload_id;
  int64_t initiated_unix_millis = 0;  // 0 when the answer gave no date
};
struct S3UploadPage {
  std::vector<S3Upload> uploads;
  bool truncated = false;
  std::string next_key_marker;
  std::string next_upload_id_marker;
};
// A ListMultipartUploads answer (ListMultipartUploadsResult); kInternal as above, and for an
// upload without a key or an id of 1..kMaxS3TokenBytes printable bytes.
Result<S3UploadPage> ParseListMultipartUploads(std::string_view body);

// The UploadId of a CreateMultipartUpload answer (InitiateMultipartUploadResult).
Result<std::string> ParseInitiateMultipartUpload(std::string_view body);

// The unquoted ETag of a CopyObjectResult, CopyPartResult or CompleteMultipartUploadResult
// (`root` names which). An <Error> document is kUnavailable when its code says S3 failed
// inside (InternalError, SlowDown, ServiceUnavailable: retry), else kInternal with its code;
// a missing or bad ETag is kInternal.
Result<std::string> ParseETagResult(std::string_view body, std::string_view root);

// CompleteMultipartUpload's body: <CompleteMultipartUpload> with one <Part> per (number,
// unquoted ETag), in the order given (S3 wants ascending part numbers).
std::string CompleteMultipartUploadXml(const std::vector<S3Part>& parts);

// An ETag as S3 writes it ("\"5d41...\""), unquoted; "" when it is not printable ASCII of
// 1..kMaxS3ETagBytes bytes (W/ weak prefixes are not S3's and are refused too).
std::string UnquoteETag(std::string_view etag);

// An HTTP date (RFC 9110's IMF-fixdate, "Wed, 12 Oct 2009 17:50:00 GMT", as S3 writes
// Last-Modified) in unix milliseconds; nullopt for anything else.
std::optional<int64_t> ParseHttpDate(std::string_view text);

// "bytes 0-99/1234" (Content-Range of a 206 answer, or "bytes */1234" of a 416): the total
// size; nullopt for anything else.
std::optional<uint64_t> ParseContentRangeTotal(std::string_view text);

}  // namespace spotbatch
