// ObjectStore on Amazon S3 (or an S3-compatible service: moto, s3rver, MinIO).
//
// Keys: the port's first key segment is the bucket, the rest the object key ("in/a b.jpg" is
// object "a b.jpg" of bucket "in", sent URI-encoded: any UTF-8, spaces, '+' and '%' are taken
// literally). spotbatch's own keys ("_spotbatch/staging/...", "_spotbatch/checkpoints/...",
// core/pipeline_keys.h) start with "_spotbatch", which is no S3 bucket name: they live in
// S3Options::work_bucket under the same key, "_spotbatch/x" being object "_spotbatch/x" of the
// work bucket, and List("_spotbatch/...") gives the port's keys ("_spotbatch/...") back. (The
// same objects are also reachable as "<work_bucket>/_spotbatch/x", and listed so under
// "<work_bucket>/".) Every other bucket must be a valid S3 bucket name (3-63 bytes of
// lowercase letters, digits, '.' and '-', starting and ending with a letter or digit, no "..",
// not an IPv4 address): anything else is kInvalidArgument naming the key, before any request.
//
// Each method, what it sends, and where it differs from the port (docs/adapters.md, "S3 object
// store", has the request counts):
// - Put: one PUT with Content-MD5 (which S3 checks) and the signed x-amz-content-sha256; the
//   ETag returned is S3's (the MD5 of the data, except under SSE-KMS, where S3's ETag is some
//   other version tag).
// - PutFile: files up to multipart_threshold are one Put; larger ones a multipart upload
//   (below), which resumes an interrupted upload of the same key. The ETag of a multipart
//   object is S3's "<hex>-<parts>", not the MD5 of the content: it identifies the version (as
//   spotbatch uses ETags) but is not the port's "hex MD5" for such objects.
// - Get: one GET; the object must fit HttpClientOptions::max_response_bytes (else
//   kResourceExhausted: read big objects with GetToFile or GetRange).
// - GetRange: one GET with Range; past the end (S3's 416 InvalidRange) is "" as the port says.
//   A length of 0 is a HEAD (the object must exist).
// - GetToFile: ranged GETs of part_size each, the later ones If-Match the first one's ETag
//   (an object replaced meanwhile starts the download over, at most 3 times, then
//   kUnavailable), written to a temporary file next to `path` that is renamed onto it: memory
//   stays at one part whatever the size; nothing is created for a missing object.
// - Stat: HEAD; 404 is kNotFound.
// - List: ListObjectsV2 pages (1000 keys each) followed by their continuation tokens, in S3's
//   order (UTF-8 byte order, the port's lexicographic order). The prefix must name a bucket:
//   "b/" or "b/a" list within bucket "b"; a prefix without '/' (or empty) is kInvalidArgument,
//   as S3 lists within one bucket only (listing every bucket would need ListBuckets and
//   s3:ListAllMyBuckets, which spotbatch never needs). Objects whose keys the port cannot
//   hold (made by other tools: "a//b", control bytes) are left out of the listing. A missing
//   bucket lists nothing (as the port says: no object has the prefix).
// - Copy: CopyObject, atomic as S3's is; a 200 answer carrying an <Error> is read as that
//   error (S3 may fail a copy after it answered 200). A source over 5 GiB, which CopyObject
//   refuses, is copied by CopyMultipart (UploadPartCopy of ranges, If-Match the source's
//   ETag, then CompleteMultipartUpload: atomic too).
// - Delete: DeleteObject; a missing object succeeds (S3 answers 204), a missing bucket is
//   kNotFound.
//
// Multipart uploads (PutFile above the threshold, PutFileResumable): part size is
// part_size, raised so that there are at most 10,000 parts, within [min_part_size, 5 GiB];
// `parallelism` threads upload parts, each holding one part in memory (so at most
// parallelism x part size), each part with Content-MD5 and its ETag checked; then
// CompleteMultipartUpload naming every part's ETag, whose answer (which may be a 200 with an
// <Error>) must give the ETag S3 computes from those parts. A failure that retrying will not
// cure (access denied, a local read error, a part S3 refused) aborts the upload
// (AbortMultipartUpload); a retryable one (kUnavailable, kDeadlineExceeded, the process
// killed) leaves it for the next attempt to resume. Resuming: the upload to continue is the
// one the caller names (PutFileResumable), else the newest in-progress upload of exactly this
// key (ListMultipartUploads). Its parts are listed (ListParts) and a part is reused only if
// its size is the size that part has for the local file and its ETag is the MD5 of the same
// byte range of the local file: whatever the file now holds, the object completed is exactly
// the file. Uploads left by a killed process are aborted by nothing here: give the work
// bucket a lifecycle rule AbortIncompleteMultipartUpload (spotbatch aws deploy's job).
//
// Addressing: virtual-host ("https://<bucket>.s3.<region>.amazonaws.com/<key>", AWS's
// default) or path-style ("https://s3.<region>.amazonaws.com/<bucket>/<key>", what emulators
// want). In virtual-host mode a bucket with a '.' is addressed path-style (a TLS certificate
// for *.s3.<region>.amazonaws.com does not cover it), as the AWS SDKs do.
//
// Thread-safe; each method blocks until done.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/aws/credentials_chain.h"
#include "adapters/aws/http_client.h"
#include "adapters/aws/http_retry.h"
#include "adapters/aws/provided_signer.h"
#include "adapters/aws/s3_xml.h"
#include "spotbatch/clock.h"
#include "spotbatch/object_store.h"

namespace spotbatch {

inline constexpr uint64_t kMiB = 1024 * 1024;
inline constexpr uint64_t kS3MinPartBytes = 5 * kMiB;
inline constexpr uint64_t kS3MaxPartBytes = 5 * 1024 * kMiB;
inline constexpr uint64_t kS3MaxObjectBytes = 5 * 1024 * 1024 * kMiB;  // 5 TiB
inline constexpr int kS3MaxParts = 10'000;

enum class S3Addressing { kVirtualHost, kPathStyle };

struct S3Options {
  std::string region = "us-east-1";
  // "http[s]://host[:port]"; empty: "https://s3.<region>.amazonaws.com". In virtual-host mode
  // a bucket's requests go to "<scheme>://<bucket>.<host>[:port]" (with an emulator on
  // "http://localhost:PORT": "http://<bucket>.localhost:PORT", which curl resolves to
  // loopback itself).
  std::string endpoint;
  S3Addressing addressing = S3Addressing::kVirtualHost;
  // The bucket of spotbatch's own "_spotbatch/..." keys; empty: such keys are
  // kFailedPrecondition.
  std::string work_bucket;
  // PutFile of more bytes than this is a multipart upload.
  uint64_t multipart_threshold = 16 * kMiB;
  uint64_t part_size = 16 * kMiB;  // also GetToFile's range size
  // S3's minimum part (all but the last). Lower only for an emulator that allows it (moto
  // with S3_UPLOAD_PART_MIN_SIZE), to test multipart on small files.
  uint64_t min_part_size = kS3MinPartBytes;
  int parallelism = 4;        // threads of one multipart upload
  int list_page_size = 1000;  // keys per ListObjectsV2 page (S3's maximum; lower in tests)
  // GetToFile sends HeadObject first and writes an empty object without a ranged GET: for
  // servers that answer a range of an empty object wrongly (s3rver 3.7.1 announces one byte
  // and sends none). One more request per download; S3 does not need it.
  bool head_before_download = false;
  HttpRetryPolicy retry;
  HttpClientOptions http;
};

class S3ObjectStore : public ObjectStore {
 public:
  // kInvalidArgument for an endpoint HttpClient refuses, an empty region, a work bucket that
  // is not a valid bucket name, a part size outside [min_part_size, 5 GiB], a parallelism
  // outside 1..64, a list page size outside 1..1000. `credentials` and `clock` must outlive the
  // store.
  static Result<std::unique_ptr<S3ObjectStore>> New(S3Options options,
                                                    CredentialsProvider& credentials, Clock& clock);
  ~S3ObjectStore() override;

  Result<ObjectInfo> Put(std::string_view key, std::string_view data) override;
  Result<ObjectInfo> PutFile(std::string_view key, const std::string& path) override;
  Result<std::string> Get(std::string_view key) override;
  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override;
  Status GetToFile(std::string_view key, const std::string& path) override;
  Result<ObjectInfo> Stat(std::string_view key) override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override;
  Status Copy(std::string_view src, std::string_view dst) override;
  Status Delete(std::string_view key) override;

  // A file over multipart_threshold (or any file when `upload.id` names an upload) goes as
  // PutFileMultipart; a smaller one is one PutObject, with `upload` untouched.
  Result<ObjectInfo> PutFileResumable(std::string_view key, const std::string& path,
                                      ResumableUpload& upload) override;
  // AbortMultipartUpload; an upload S3 no longer knows succeeds.
  Status AbandonUpload(std::string_view key, const std::string& upload_id) override;
  // PutFile as a multipart upload whatever the size (an empty file is one empty part),
  // continuing `upload` as ResumableUpload says. Fails as PutFile does; on a retryable
  // failure `upload` names the upload to continue.
  Result<ObjectInfo> PutFileMultipart(std::string_view key, const std::string& path,
                                      ResumableUpload& upload);
  // Copy by UploadPartCopy of part-size ranges (what Copy does for sources over 5 GiB).
  Status CopyMultipart(std::string_view src, std::string_view dst);
  // The in-progress multipart uploads of exactly `key` (ListMultipartUploads), oldest first.
  Result<std::vector<S3Upload>> ListUploads(std::string_view key);

  // The parts uploaded so far (ListParts, every page).
  Result<std::vector<S3Part>> ListParts(std::string_view key, const std::string& upload_id);
  // Creates `bucket` in the region (CreateBucket); one that exists and is ours succeeds.
  // For tests and `spotbatch aws deploy`.
  Status CreateBucket(std::string_view bucket);
  // HeadBucket: true when it exists and is ours, false when it does not exist;
  // kFailedPrecondition when it is someone else's (403).
  Result<bool> BucketExists(std::string_view bucket);
  // DeleteBucket: OK when gone (or never there); kFailedPrecondition (BucketNotEmpty) when it
  // holds objects.
  Status DeleteBucket(std::string_view bucket);
  // Aborts every in-progress multipart upload of `bucket`, whatever its key, and returns how
  // many: what must go before the bucket, or their parts stay billed (and some S3-compatible
  // stores refuse to delete it). A bucket that does not exist has none.
  Result<int> AbortUploadsIn(std::string_view bucket);
  // A bucket's configuration `subresource` ("notification", "lifecycle", "tagging"): PUT
  // sends `xml` (with its Content-MD5, which S3 requires of some); GET returns the document,
  // kNotFound where S3 says there is none (NoSuchLifecycleConfiguration, NoSuchTagSet).
  Status PutBucketConfig(std::string_view bucket, std::string_view subresource,
                         std::string_view xml);
  Result<std::string> GetBucketConfig(std::string_view bucket, std::string_view subresource);
  Status DeleteBucketConfig(std::string_view bucket, std::string_view subresource);

  // Requests sent so far (each attempt counted), to measure requests per operation.
  int64_t requests_sent() const;
  const S3Options& options() const { return options_; }

 private:
  // Where a port key lives: a bucket and the object key in it.
  struct Target {
    std::string bucket;
    std::string object;
  };
  S3ObjectStore(S3Options options, CredentialsProvider& credentials, Clock& clock);

  Result<Target> Resolve(std::string_view key) const;
  std::string PortKey(const std::string& bucket, std::string_view object) const;
  // A request for `object` ("" for the bucket itself) of `bucket`: Host and path.
  HttpRequest Request(std::string method, const Target& target, QueryParams query = {}) const;
  // Signs and sends with retries; `classify` reads the answer (S3Classify when empty).
  Result<HttpResponse> Send(const Target& target, HttpRequest request, std::string_view what,
                            const ClassifyResponse& classify = nullptr);
  Result<HttpClient*> ClientFor(const std::string& bucket);
  bool VirtualHost(const std::string& bucket) const;

  Result<ObjectInfo> PutMultipart(std::string_view key, const Target& target,
                                  const std::string& path, ResumableUpload& upload);
  Result<std::string> CreateUpload(const Target& target);
  // Of exactly target.object, or (`exact` false) of every key it prefixes.
  Result<std::vector<S3Upload>> ListUploadsOf(const Target& target, bool exact = true);
  Result<std::vector<S3Part>> ListPartsOf(const Target& target, const std::string& upload_id);
  Status AbortUploadOf(const Target& target, const std::string& upload_id);
  void AbortQuietly(const Target& target, const std::string& upload_id);
  Result<std::string> CompleteUpload(const Target& target, const std::string& upload_id,
                                     const std::vector<S3Part>& parts);
  Result<ObjectInfo> HeadObject(std::string_view key, const Target& target);

  const S3Options options_;
  std::string scheme_;  // "https://"
  std::string host_;    // "s3.us-east-1.amazonaws.com", "localhost:9000"
  ProvidedSigner signer_;
  Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<HttpClient>> clients_;  // by host; guarded by mu_
  std::atomic<int64_t> requests_{0};
  // The service answered ListMultipartUploads with NotImplemented (s3rver): uploads of a key
  // cannot be looked up there, only continued by id.
  std::atomic<bool> no_upload_listing_{false};
};

// The port's factory: S3ObjectStore::New as an ObjectStore.
Result<std::unique_ptr<ObjectStore>> NewS3ObjectStore(S3Options options,
                                                      CredentialsProvider& credentials,
                                                      Clock& clock);

// What an S3 error answer means for the caller: throttling and S3's internal failures
// kUnavailable (retry), access kFailedPrecondition, NoSuchKey/NoSuchBucket/NoSuchUpload
// kNotFound, PreconditionFailed kAborted, BucketAlreadyOwnedByYou kAlreadyExists, request
// errors kInvalidArgument, other codes by the HTTP status (StatusOfHttp). For tests.
StatusCode StatusCodeOfS3Error(int http_status, std::string_view code);

}  // namespace spotbatch
