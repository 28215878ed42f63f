#include "adapters/aws/s3_object_store.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <random>
#include <thread>

#include "adapters/aws/uri_encode.h"
#include "common/control_bytes.h"
#include "common/file_io.h"
#include "common/ids.h"
#include "core/aws_names.h"
#include "core/object_key.h"

namespace spotbatch {
namespace {

constexpr std::string_view kOwnBucket = "_spotbatch";
constexpr size_t kQuoteBytes = 200;
constexpr int kMaxDownloadRestarts = 3;
constexpr int kMaxListPages = 1'000'000;  // 10^9 keys: a service answering forever is stopped

std::string Quote(std::string_view text) {
  std::string out(text.substr(0, kQuoteBytes));
  for (char& c : out) {
    if (IsControlByte(c)) c = '?';
  }
  if (text.size() > kQuoteBytes) out += "...";
  return "\"" + out + "\"";
}

std::string Base64(const unsigned char* data, size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  const int len =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<size_t>(len));
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The 16 bytes of a lowercase hex MD5 (which Md5 writes).
std::string Md5Bytes(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(HexValue(hex[i]) * 16 + HexValue(hex[i + 1]));
  }
  return out;
}

std::string Md5Hex(std::string_view data) {
  Md5 md5;
  md5.Update(data.data(), data.size());
  return md5.FinishHex();
}

std::string ContentMd5(std::string_view md5_hex) {
  const std::string bytes = Md5Bytes(md5_hex);
  return Base64(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

// S3's ETag of a multipart object: the MD5 of the parts' binary MD5s, "-", the part count.
std::string MultipartETag(const std::vector<S3Part>& parts) {
  Md5 md5;
  for (const S3Part& p : parts) {
    const std::string bytes = Md5Bytes(p.etag);
    md5.Update(bytes.data(), bytes.size());
  }
  return md5.FinishHex() + "-" + std::to_string(parts.size());
}

bool OneOf(std::string_view code, std::initializer_list<std::string_view> codes) {
  for (std::string_view c : codes) {
    if (code == c) return true;
  }
  return false;
}

// The bucket is not there (a listing of it then has nothing), rather than another NotFound.
bool IsNoSuchBucket(const Status& s) {
  return s.code() == StatusCode::kNotFound && s.message().find("NoSuchBucket") != std::string::npos;
}

bool Retryable(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded;
}

std::optional<uint64_t> Number(std::string_view text) {
  uint64_t v = 0;
  if (text.empty() || text.size() > 20) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// The Status of an S3 answer that is not a success: its <Error> code and message when it
// has one (a HEAD answer has none).
Status ErrorStatus(const HttpResponse& r, std::string_view what) {
  const std::optional<S3Error> e = ParseS3Error(r.body);
  const std::string code = e ? e->code : "";
  std::string m(what);
  m += ": " + (code.empty() ? "HTTP " + std::to_string(r.status) : code);
  if (e && !e->message.empty()) m += ": " + e->message;
  return Status(StatusCodeOfS3Error(r.status, code), std::move(m));
}

// Reads exactly `n` bytes at `offset` of `fd` into `out`.
Status ReadRange(int fd, const std::string& path, uint64_t offset, uint64_t n, std::string& out) {
  out.resize(n);
  uint64_t done = 0;
  while (done < n) {
    const ssize_t got = ::pread(fd, out.data() + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      return IoError("read", path, errno);
    }
    if (got == 0) return Internal("read " + path + ": the file got shorter while uploading it");
    done += static_cast<uint64_t>(got);
  }
  return Status::Ok();
}

Status WriteAllTo(int fd, const std::string& path, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// The Range header of [offset, offset + length), length > 0, clamped at 2^64 - 1.
std::string RangeHeader(uint64_t offset, uint64_t length) {
  const uint64_t last = length > UINT64_MAX - offset ? UINT64_MAX : offset + length - 1;
  return "bytes=" + std::to_string(offset) + "-" + std::to_string(last);
}

}  // namespace

StatusCode StatusCodeOfS3Error(int http_status, std::string_view code) {
  if (OneOf(code, {"SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout",
                   "RequestTimeTooSkewed", "ExpiredToken", "TokenRefreshRequired",
                   "OperationAborted", "BadDigest", "IncompleteBody", "Throttling",
                   "ThrottlingException", "RequestThrottled"})) {
    // BadDigest/IncompleteBody: the body was damaged on the way; sending it again may pass.
    // OperationAborted: a conflicting operation on the bucket is under way.
    return StatusCode::kUnavailable;
  }
  if (OneOf(code, {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch",
                   "AllAccessDisabled", "AccountProblem", "InvalidToken", "InvalidObjectState",
                   "NotSignedUp", "InvalidSecurity", "MissingSecurityHeader"})) {
    return StatusCode::kFailedPrecondition;
  }
  if (OneOf(code, {"NoSuchKey", "NoSuchBucket", "NoSuchUpload", "NoSuchVersion",
                   "NoSuchLifecycleConfiguration", "NoSuchTagSet"})) {
    return StatusCode::kNotFound;
  }
  if (OneOf(code, {"BucketNotEmpty"})) return StatusCode::kFailedPrecondition;
  if (OneOf(code, {"PreconditionFailed"})) return StatusCode::kAborted;
  if (OneOf(code, {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"})) {
    return StatusCode::kAlreadyExists;
  }
  if (OneOf(code, {"InvalidArgument", "InvalidRequest", "InvalidPart", "InvalidPartOrder",
                   "EntityTooSmall", "EntityTooLarge", "InvalidBucketName", "KeyTooLongError",
                   "MalformedXML", "InvalidDigest", "InvalidRange", "MetadataTooLarge",
                   "InvalidURI", "MissingContentLength"})) {
    return StatusCode::kInvalidArgument;
  }
  return StatusOfHttp(http_status, "").code();
}

Result<std::unique_ptr<S3ObjectStore>> S3ObjectStore::New(S3Options options,
                                                          CredentialsProvider& credentials,
                                                          Clock& clock) {
  if (options.region.empty() || HasControlByte(options.region)) {
    return InvalidArgument("S3 needs a region");
  }
  if (options.endpoint.empty())
    options.endpoint = "https://s3." + options.region + ".amazonaws.com";
  if (!options.work_bucket.empty()) SB_RETURN_IF_ERROR(ValidateS3BucketName(options.work_bucket));
  if (options.min_part_size == 0 || options.part_size < options.min_part_size ||
      options.part_size > kS3MaxPartBytes) {
    return InvalidArgument("S3 part size " + std::to_string(options.part_size) +
                           " is outside [min_part_size, 5 GiB]");
  }
  if (options.parallelism < 1 || options.parallelism > 64) {
    return InvalidArgument("S3 parallelism must be 1..64");
  }
  if (options.list_page_size < 1 || options.list_page_size > 1000) {
    return InvalidArgument("S3 list page size must be 1..1000");
  }
  // Checks the endpoint's form (http[s]://host[:port]).
  auto client = HttpClient::New(options.endpoint, options.http);
  if (!client.ok()) return client.status();
  std::unique_ptr<S3ObjectStore> store(new S3ObjectStore(std::move(options), credentials, clock));
  store->clients_[store->host_] = std::move(*client);
  return store;
}

S3ObjectStore::S3ObjectStore(S3Options options, CredentialsProvider& credentials, Clock& clock)
    : options_(std::move(options)),
      scheme_(options_.endpoint.substr(0, options_.endpoint.find("://") + 3)),
      host_(options_.endpoint.substr(scheme_.size())),
      signer_(credentials, SigV4Options::S3(options_.region), clock),
      clock_(clock) {}

S3ObjectStore::~S3ObjectStore() = default;

Result<std::unique_ptr<ObjectStore>> NewS3ObjectStore(S3Options options,
                                                      CredentialsProvider& credentials,
                                                      Clock& clock) {
  auto store = S3ObjectStore::New(std::move(options), credentials, clock);
  if (!store.ok()) return store.status();
  return std::unique_ptr<ObjectStore>(std::move(*store));
}

int64_t S3ObjectStore::requests_sent() const { return requests_.load(); }

Result<S3ObjectStore::Target> S3ObjectStore::Resolve(std::string_view key) const {
  SB_RETURN_IF_ERROR(ValidateInternalKey(key));
  const size_t slash = key.find('/');
  if (slash == std::string_view::npos) {
    return InvalidArgument("S3 key " + Quote(key) + " names a bucket but no object in it");
  }
  const std::string_view bucket = key.substr(0, slash);
  if (bucket == kOwnBucket) {
    if (options_.work_bucket.empty()) {
      return FailedPrecondition("S3 key " + Quote(key) +
                                " is spotbatch's own, and no work bucket is configured");
    }
    return Target{options_.work_bucket, std::string(key)};
  }
  if (Status s = ValidateS3BucketName(bucket); !s.ok()) {
    return InvalidArgument("S3 key " + Quote(key) + ": " + s.message());
  }
  return Target{std::string(bucket), std::string(key.substr(slash + 1))};
}

bool S3ObjectStore::VirtualHost(const std::string& bucket) const {
  return options_.addressing == S3Addressing::kVirtualHost && !bucket.empty() &&
         bucket.find('.') == std::string::npos;
}

HttpRequest S3ObjectStore::Request(std::string method, const Target& t, QueryParams query) const {
  HttpRequest r;
  r.method = std::move(method);
  const bool vh = VirtualHost(t.bucket);
  r.headers.emplace("Host", vh ? t.bucket + "." + host_ : host_);
  std::string decoded = "/";
  if (!vh) decoded += t.bucket + (t.object.empty() ? "" : "/");
  decoded += t.object;
  r.path = UriEncodePath(decoded);
  r.query = std::move(query);
  return r;
}

Result<HttpClient*> S3ObjectStore::ClientFor(const std::string& bucket) {
  const std::string host = VirtualHost(bucket) ? bucket + "." + host_ : host_;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = clients_.find(host);
  if (it != clients_.end()) return it->second.get();
  auto client = HttpClient::New(scheme_ + host, options_.http);
  if (!client.ok()) return client.status();
  HttpClient* raw = client->get();
  clients_.emplace(host, std::move(*client));
  return raw;
}

Result<HttpResponse> S3ObjectStore::Send(const Target& t, HttpRequest request,
                                         std::string_view what, const ClassifyResponse& classify) {
  SB_ASSIGN_OR_RETURN(HttpClient * client, ClientFor(t.bucket));
  if (request.payload_hash.empty()) request.payload_hash = Sha256Hex(request.body);
  const std::string label = std::string(what) + " " + Quote(t.bucket + "/" + t.object);
  auto by_default = [&](const HttpResponse& r) -> Status {
    if (r.status >= 200 && r.status < 300) return Status::Ok();
    return ErrorStatus(r, label);
  };
  return SendWithRetries(
      *client, std::move(request),
      [&](HttpRequest& r) {
        requests_.fetch_add(1);
        return signer_.SignHeaders(r).status();
      },
      classify ? classify : ClassifyResponse(by_default), options_.retry, clock_, JitterDraw);
}

Result<ObjectInfo> S3ObjectStore::Put(std::string_view key, std::string_view data) {
  SB_ASSIGN_OR_RETURN(Target t, Resolve(key));
  HttpRequest r = Request("PUT", t);
  const std::string md5 = Md5Hex(data);
  r.headers.emplace("Content-MD5", ContentMd5(md5));
  r.headers.emplace("Content-Type", "application/octet-stream");
  r.body = std::string(data);
  SB_ASSIGN_OR_RETURN(HttpResponse response, Send(t, std::move(r), "PutObject"));
  // S3 checked the body against Content-MD5. Its ETag is the MD5 too, except under SSE-KMS
  // (then it is some other version tag): reported as S3 gives it.
  std::string etag = UnquoteETag(response.Header("ETag"));
  if (etag.empty()) etag = md5;
  return ObjectInfo{std::string(key), data.size(), std::move(etag), clock_.NowUnixMillis()};
}

Result<ObjectInfo> S3ObjectStore::PutFile(std::string_view key, const std::string& path) {
  ResumableUpload upload;
  return PutFileResumable(key, path, upload);
}

Result<ObjectInfo> S3ObjectStore::PutFileResumable(std::string_view key, const std::string& path,
                                                   ResumableUpload& upload) {
  SB_ASSIGN_OR_RETURN(Target t, Resolve(key));
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return NotFound("no file " + path + " to upload");
    return IoError("stat", path, errno);
  }
  if (static_cast<uint64_t>(st.st_size) > options_.multipart_threshold || !upload.id.empty()) {
    return PutMultipart(key, t, path, upload);
  }
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return NotFound("no file " + path + " to upload");
    return IoError("open", path, errno);
  }
  if (::fstat(fd.get(), &st) != 0) return IoError("stat", path, errno);
  std::string data;
  SB_RETURN_IF_ERROR(ReadRange(fd.get(), path, 0, static_cast<uint64_t>(st.st_size), data));
  return Put(key, data);
}

Result<ObjectInfo> S3ObjectStore::PutFileMultipart(std::string_view key, const std::string& path,
                                                   ResumableUpload& upload) {
  SB_ASSIGN_OR_RETURN(Target t, Resolve(key));
  return PutMultipart(key, t, path, upload);
}

Result<std::string> S3ObjectStore::CreateUpload(const Target& t) {
  HttpRequest r = Request("POST", t, {{"uploads", ""}});
  r.headers.emplace("Content-Type", "application/octet-stream");
  SB_ASSIGN_OR_RETURN(HttpResponse response, Send(t, std::move(r), "CreateMultipartUpload"));
  return ParseInitiateMultipartUpload(response.body);
}

Result<std::vector<S3Upload>> S3ObjectStore::ListUploads(std::string_view key) {
  SB_ASSIGN_OR_RETURN(Target t, Resolve(key));
  return ListUploadsOf(t);
}

Result<int> S3ObjectStore::AbortUploadsIn(std::string_view bucket) {
  SB_RETURN_IF_ERROR(ValidateS3BucketName(bucket));
  auto uploads = ListUploadsOf(Target{std::string(bucket), ""}, false);
  if (!uploads.ok()) {
    return IsNoSuchBucket(uploads.status()) ? Result<int>(0) : uploads.status();
  }
  for (const S3Upload& u : *uploads) {
    SB_RETURN_IF_ERROR(AbortUploadOf(Target{std::string(bucket), u.key}, u.upload_id));
  }
  return static_cast<int>(uploads->size());
}

Result<std::vector<S3Upload>> S3ObjectStore::ListUploadsOf(const Target& t, bool exact) {
  std::vector<S3Upload> out;
  const Target bucket{t.bucket, ""};
  std::string key_marker, id_marker;
  for (int page = 0; page < kMaxListPages; ++page) {
    QueryParams q = {{"uploads", ""}, {"prefix", t.object}};
    if (!key_marker.empty()) q.emplace_back("key-marker", key_marker);
    if (!id_marker.empty()) q.emplace_back("upload-id-marker", id_marker);
    SB_ASSIGN_OR_RETURN(HttpResponse response,
                        Send(bucket, Request("GET", bucket, std::move(q)), "ListMultipartUploads"));
    SB_ASSIGN_OR_RETURN(S3UploadPage p, ParseListMultipartUploads(response.body));
    for (S3Upload& u : p.uploads) {
      // The prefix matches longer keys too.
      if (!exact || u.key == t.object) out.push_back(std::move(u));
    }
    if (!p.truncated) break;
    if (p.next_key_marker == key_marker && p.next_upload_id_marker == id_marker) {
      return Internal("S3 ListMultipartUploads: a truncated page that does not move on");
    }
    key_marker = std::move(p.next_key_marker);
    id_marker = std::move(p.next_upload_id_marker);
  }
  std::stable_sort(out.begin(), out.end(), [](const S3Upload& a, const S3Upload& b) {
    return a.initiated_unix_millis < b.initiated_unix_millis;
  });
  return out;
}

Result<std::vector<S3Part>> S3ObjectStore::ListParts(std::string_view key,
                                                     const std::string& upload_id) {
  SB_ASSIGN_OR_RETURN(Target t, Resolve(key));
  return ListPartsOf(t, upload_id);
}

Result<std::vector<S3Part>> S3ObjectStore::ListPartsOf(const Target& t,
                                                       const std::string& upload_id) {
  std::vector<S3Part> out;
  int marker = 0;
  while (true) {
    QueryParams q = {{"uploadId", upload_id}};
    if (marker > 0) q.emplace_back("part-number-marker", std::to_string(marker));
    SB_ASSIGN_OR_RETURN(HttpResponse response,
                        Send(t, Request("GET", t, std::move(q)), "ListParts"));
    SB_ASSIGN_OR_RETURN(S3PartPage p, ParseListParts(response.body));
    for (S3Part& part : p.parts) out.push_back(std::move(part));
    if (!p.truncated) break;
    if (p.next_marker <= marker)
      return Internal("S3 ListParts: a truncated page that does not move on");
    marker = p.next_marker;
  }
  return out;
}

Status S3ObjectStore::AbandonUpload(std::string_view key, const std::string& upload_id) {
  SB_ASSIGN_OR_RETURN(Target t, Resolve(key));
  return AbortUploadOf(t, upload_id);
}

Status S3ObjectStore::AbortUploadOf(const Target& t, const std::string& upload_id) {
  auto response = Send(t, Request("DELETE", t, {{"uploadId", upload_id}}), "AbortMultipartUpload");
  if (!response.ok() && response.status().code() != StatusCode::kNotFound) return response.status();
  return Status::Ok();
}

void S3ObjectStore::AbortQuietly(const Target& t, const std::string& upload_id) {
  // The failure that made us abort is what the caller hears of; an abort that failed too
  // leaves an upload for the bucket's AbortIncompleteMultipartUpload rule.
  (void)AbortUploadOf(t, upload_id);
}

Result<std::string> S3ObjectStore::CompleteUpload(const Target& t, const std::string& upload_id,
                                                  const std::vector<S3Part>& parts) {
  HttpRequest r = Request("POST", t, {{"uploadId", upload_id}});
  r.headers.emplace("Content-Type", "application/xml");
  r.body = CompleteMultipartUploadXml(parts);
  const std::string label = "CompleteMultipartUpload " + Quote(t.bucket + "/" + t.object);
  std::string etag;
  // S3 may answer 200 and fail later in the body: an <Error> there is the answer.
  auto classify = [&](const HttpResponse& response) -> Status {
    if (response.status < 200 || response.status >= 300) return ErrorStatus(response, label);
    auto got = ParseETagResult(response.body, "CompleteMultipartUploadResult");
    if (!got.ok()) return Status(got.status().code(), label + ": " + got.status().message());
    etag = std::move(*got);
    return Status::Ok();
  };
  SB_RETURN_IF_ERROR(Send(t, std::move(r), "CompleteMultipartUpload", classify).status());
  return etag;
}

Result<ObjectInfo> S3ObjectStore::PutMultipart(std::string_view key, const Target& t,
                                               const std::string& path, ResumableUpload& upload) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return NotFound("no file " + path + " to upload");
    return IoError("open", path, errno);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return IoError("stat", path, errno);
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size > kS3MaxObjectBytes) {
    return InvalidArgument("file " + path + " is over S3's 5 TiB object limit");
  }
  upload.resumed = false;
  upload.parts_reused = upload.parts_uploaded = 0;

  // The upload to continue: the caller's, else the newest in progress for this key.
  std::string id = upload.id;
  if (id.empty() && !no_upload_listing_.load()) {
    auto uploads = ListUploadsOf(t);
    if (uploads.ok()) {
      if (!uploads->empty()) id = uploads->back().upload_id;
    } else if (uploads.status().message().find("NotImplemented") != std::string::npos) {
      no_upload_listing_ = true;  // nothing to look up: start anew (what resuming needs is an id)
    } else {
      return uploads.status();
    }
  }
  std::vector<S3Part> existing;
  if (!id.empty()) {
    auto parts = ListPartsOf(t, id);
    if (parts.ok()) {
      existing = std::move(*parts);
      upload.resumed = true;
    } else if (parts.status().code() == StatusCode::kNotFound) {
      id.clear();  // completed or aborted meanwhile: start anew
    } else {
      return parts.status();
    }
  }

  // The part size: the upload's own when it fits this file, else the options'.
  auto fits = [&](uint64_t ps) {
    return ps >= options_.min_part_size && ps <= kS3MaxPartBytes &&
           (size + ps - 1) / ps <= static_cast<uint64_t>(kS3MaxParts);
  };
  uint64_t ps = 0;
  if (upload.resumed && upload.part_size > 0 && fits(upload.part_size)) ps = upload.part_size;
  if (ps == 0 && upload.resumed) {
    for (const S3Part& p : existing) {
      if (p.number == 1 && fits(p.size)) ps = p.size;
    }
  }
  if (ps == 0) {
    ps = std::max(options_.part_size, (size + kS3MaxParts - 1) / kS3MaxParts);
  }
  const int total = size == 0 ? 1 : static_cast<int>((size + ps - 1) / ps);
  auto part_bytes = [&](int number) -> uint64_t {
    return number < total ? ps : size - static_cast<uint64_t>(total - 1) * ps;
  };

  if (id.empty()) {
    SB_ASSIGN_OR_RETURN(id, CreateUpload(t));
  }
  upload.id = id;
  upload.part_size = ps;
  upload.parts_total = total;
  if (upload.on_started) upload.on_started(upload);

  // Parts already there with this file's bytes are kept; every other one is sent (again).
  std::vector<S3Part> parts(static_cast<size_t>(total));
  std::vector<bool> have(static_cast<size_t>(total), false);
  bool md5_etags = true;  // every part's ETag is the MD5 of its bytes (not so under SSE-KMS)
  {
    std::string buf;
    for (const S3Part& p : existing) {
      if (p.number > total || have[p.number - 1] || p.size != part_bytes(p.number)) continue;
      SB_RETURN_IF_ERROR(
          ReadRange(fd.get(), path, static_cast<uint64_t>(p.number - 1) * ps, p.size, buf));
      if (Md5Hex(buf) != p.etag) continue;
      parts[p.number - 1] = p;
      have[p.number - 1] = true;
      ++upload.parts_reused;
    }
  }
  std::vector<int> todo;
  for (int n = 1; n <= total; ++n) {
    if (!have[n - 1]) todo.push_back(n);
  }

  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::atomic<int> uploaded{0};
  std::mutex mu;
  Status failure = Status::Ok();  // guarded by mu: the first failure
  bool part_etags_md5 = true;     // guarded by mu
  auto work = [&] {
    std::string buf;  // one part in memory per thread
    while (!stop.load()) {
      const size_t i = next.fetch_add(1);
      if (i >= todo.size()) return;
      const int n = todo[i];
      Status s = ReadRange(fd.get(), path, static_cast<uint64_t>(n - 1) * ps, part_bytes(n), buf);
      std::string etag;
      std::string md5;
      if (s.ok()) {
        md5 = Md5Hex(buf);
        HttpRequest r = Request("PUT", t, {{"partNumber", std::to_string(n)}, {"uploadId", id}});
        r.headers.emplace("Content-MD5", ContentMd5(md5));
        r.payload_hash = Sha256Hex(buf);
        r.body = std::move(buf);
        auto response = Send(t, std::move(r), "UploadPart " + std::to_string(n));
        buf = std::string();
        if (!response.ok()) {
          s = response.status();
        } else {
          etag = UnquoteETag(response->Header("ETag"));
          if (etag.empty()) s = Internal("S3 UploadPart answered without an ETag");
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      if (!s.ok()) {
        if (failure.ok()) failure = s;
        stop = true;
        return;
      }
      part_etags_md5 = part_etags_md5 && etag == md5;
      parts[n - 1] = S3Part{n, part_bytes(n), std::move(etag)};
      uploaded.fetch_add(1);
      if (upload.keep_going && !upload.keep_going()) {
        if (failure.ok()) {
          failure = Unavailable("multipart upload of " + Quote(std::string(key)) +
                                " stopped by its caller; it can be resumed");
        }
        stop = true;
        return;
      }
    }
  };
  const int threads =
      static_cast<int>(std::min<size_t>(static_cast<size_t>(options_.parallelism), todo.size()));
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back(work);
  if (threads > 0) work();
  for (std::thread& th : pool) th.join();
  upload.parts_uploaded = uploaded.load();
  md5_etags = part_etags_md5;
  if (!failure.ok()) {
    // A retryable failure leaves the upload to be resumed; any other ends it.
    if (!Retryable(failure)) AbortQuietly(t, id);
    return failure;
  }

  auto etag = CompleteUpload(t, id, parts);
  const std::string expected = MultipartETag(parts);
  if (!etag.ok() && etag.status().code() == StatusCode::kNotFound) {
    // NoSuchUpload after a retried Complete: the first one may have completed it.
    auto info = HeadObject(key, t);
    if (info.ok() && info->size == size && md5_etags && info->etag == expected) return *info;
  }
  if (!etag.ok()) {
    if (!Retryable(etag.status())) AbortQuietly(t, id);
    return etag.status();
  }
  if (md5_etags && etag->find('-') != std::string::npos && *etag != expected) {
    return DataLoss("S3 completed " + Quote(std::string(key)) + " with ETag " + Quote(*etag) +
                    ", not the one of the parts sent (" + expected + ")");
  }
  return ObjectInfo{std::string(key), size, std::move(*etag), clock_.NowUnixMillis()};
}

Result<std::string> S3ObjectStore::Get(std::string_view key) {
  SB_ASSIGN_OR_RETURN(Target t, Resolve(key));
  SB_ASSIGN_OR_RETURN(HttpResponse response, Send(t, Request("GET", t), "GetObject"));
  return std::move(response.body);
}

Result<std::string> S3ObjectStore::GetRange(std::string_view key, uint64_t offset,
                                            uint64_t length) {
  SB_ASSIGN_OR_RETURN(Target t, Resolve(key));
  if (length == 0) {
    SB_RETURN_IF_ERROR(HeadObject(key, t).status());
    return std::string();
  }
  HttpRequest r = Request("GET", t);
  r.headers.emplace("Range", RangeHeader(offset, length));
  const std::string label = "GetObject " + Quote(key);
  auto classify = [&](const HttpResponse& response) -> Status {
    if (response.status == 416) return Status::Ok();  // InvalidRange: at or after the end
    if (response.status >= 200 && response.status < 300) return Status::Ok();
    return ErrorStatus(response, label);
  };
  SB_ASSIGN_OR_RETURN(HttpResponse response, Send(t, std::move(r), "GetObject", classify));
  if (response.status == 416) return std::string();
  if (response.status == 200) {  // the whole object (a server that ignores Range)
    if (offset >= response.body.size()) return std::string();
    return response.body.substr(offset, length);
  }
  if (response.body.size() > length) {
    return Internal(label + ": S3 answered " + std::to_string(response.body.size()) +
                    " bytes to a range of " + std::to_string(length));
  }
  return std::move(response.body);
}

Status S3ObjectStore::GetToFile(std::string_view key, const std::string& path) {
  SB_ASSIGN_OR_RETURN(Target t, Resolve(key));
  const std::string label = "GetObject " + Quote(key);
  const uint64_t ps = options_.part_size;
  auto get = [&](uint64_t offset, const std::string& if_match) -> Result<HttpResponse> {
    HttpRequest r = Request("GET", t);
    r.headers.emplace("Range", RangeHeader(offset, ps));
    if (!if_match.empty()) r.headers.emplace("If-Match", "\"" + if_match + "\"");
    return Send(t, std::move(r), "GetObject", [&](const HttpResponse& response) -> Status {
      if (response.status == 416 || (response.status >= 200 && response.status < 300)) {
        return Status::Ok();
      }
      return ErrorStatus(response, label);
    });
  };
  if (options_.head_before_download) {
    SB_ASSIGN_OR_RETURN(ObjectInfo info, HeadObject(key, t));
    if (info.size == 0) {
      const std::string temp = path + ".s3-" + RandomHex(6) + ".tmp";
      {
        Fd out(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (!out.valid()) return IoError("create", temp, errno);
      }
      if (::rename(temp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(temp.c_str());
        return IoError("rename", path, err);
      }
      return Status::Ok();
    }
  }
  for (int restart = 0;; ++restart) {
    // The first range says whether the object exists, its size and its version; nothing is
    // created before.
    SB_ASSIGN_OR_RETURN(HttpResponse first, get(0, ""));
    uint64_t total = 0;
    if (first.status == 206) {
      const std::optional<uint64_t> t_size = ParseContentRangeTotal(first.Header("Content-Range"));
      if (!t_size) return Internal(label + ": a partial answer without a Content-Range total");
      total = *t_size;
    } else if (first.status == 200) {
      total = first.body.size();
    } else if (first.status == 416) {
      first.body.clear();  // an empty object: no byte 0 to give
    } else {
      return Internal(label + ": HTTP " + std::to_string(first.status));
    }
    if (first.body.size() > total) return Internal(label + ": more bytes than the object has");
    const std::string etag = UnquoteETag(first.Header("ETag"));
    const std::string temp = path + ".s3-" + RandomHex(6) + ".tmp";
    Fd out(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!out.valid()) return IoError("create", temp, errno);
    Status s = WriteAllTo(out.get(), temp, first.body);
    uint64_t done = first.body.size();
    first.body = std::string();
    bool changed = false;
    while (s.ok() && done < total) {
      auto part = get(done, etag);
      if (!part.ok()) {
        changed = part.status().code() == StatusCode::kAborted;  // If-Match failed: replaced
        s = part.status();
        break;
      }
      const uint64_t want = std::min(ps, total - done);
      if (part->status != 206 || part->body.size() != want) {
        s = Internal(label + ": a range of " + std::to_string(want) + " bytes came back as " +
                     std::to_string(part->body.size()) + " (HTTP " + std::to_string(part->status) +
                     ")");
        break;
      }
      s = WriteAllTo(out.get(), temp, part->body);
      done += want;
    }
    if (s.ok() && ::rename(temp.c_str(), path.c_str()) != 0) s = IoError("rename", path, errno);
    if (s.ok()) return s;
    ::unlink(temp.c_str());
    if (!changed) return s;
    if (restart + 1 >= kMaxDownloadRestarts) {
      return Unavailable(label + ": the object was replaced during each of " +
                         std::to_string(kMaxDownloadRestarts) + " downloads");
    }
  }
}

Result<ObjectInfo> S3ObjectStore::HeadObject(std::string_view key, const Target& t) {
  SB_ASSIGN_OR_RETURN(HttpResponse response, Send(t, Request("HEAD", t), "HeadObject"));
  const std::string label = "HeadObject " + Quote(key);
  ObjectInfo info;
  info.key = std::string(key);
  const std::optional<uint64_t> size = Number(response.Header("Content-Length"));
  if (!size) return Internal(label + ": no Content-Length");
  info.size = *size;
  info.etag = UnquoteETag(response.Header("ETag"));
  if (info.etag.empty()) return Internal(label + ": no ETag, or a bad one");
  const std::optional<int64_t> modified = ParseHttpDate(response.Header("Last-Modified"));
  if (!modified) return Internal(label + ": no Last-Modified, or a bad one");
  info.modified_unix_millis = *modified;
  return info;
}

Result<ObjectInfo> S3ObjectStore::Stat(std::string_view key) {
  SB_ASSIGN_OR_RETURN(Target t, Resolve(key));
  return HeadObject(key, t);
}

Result<std::vector<ObjectInfo>> S3ObjectStore::List(std::string_view prefix) {
  SB_RETURN_IF_ERROR(ValidateKeyPrefix(prefix));
  const size_t slash = prefix.find('/');
  if (slash == std::string_view::npos) {
    return InvalidArgument("S3 lists within one bucket: the prefix " + Quote(prefix) +
                           " must name one (\"bucket/...\")");
  }
  const std::string_view bucket = prefix.substr(0, slash);
  const bool own = bucket == kOwnBucket;
  Target t;
  if (own) {
    if (options_.work_bucket.empty()) {
      return FailedPrecondition("S3 prefix " + Quote(prefix) +
                                " is spotbatch's own, and no work bucket is configured");
    }
    t = Target{options_.work_bucket, std::string(prefix)};
  } else {
    if (Status s = ValidateS3BucketName(bucket); !s.ok()) {
      return InvalidArgument("S3 prefix " + Quote(prefix) + ": " + s.message());
    }
    t = Target{std::string(bucket), std::string(prefix.substr(slash + 1))};
  }
  const Target bucket_target{t.bucket, ""};
  std::vector<ObjectInfo> out;
  std::string token;
  for (int page = 0;; ++page) {
    if (page == kMaxListPages) return Internal("S3 ListObjectsV2: too many pages");
    QueryParams q = {{"list-type", "2"}, {"prefix", t.object}};
    if (options_.list_page_size != 1000) {
      q.emplace_back("max-keys", std::to_string(options_.list_page_size));
    }
    if (!token.empty()) q.emplace_back("continuation-token", token);
    auto response =
        Send(bucket_target, Request("GET", bucket_target, std::move(q)), "ListObjectsV2");
    if (!response.ok()) {
      // No bucket, no objects under the prefix (as the port says); every other failure is one.
      if (IsNoSuchBucket(response.status())) return out;
      return response.status();
    }
    SB_ASSIGN_OR_RETURN(S3ObjectPage p, ParseListObjectsV2(response->body));
    for (S3ListedObject& o : p.objects) {
      if (!o.key.starts_with(t.object)) {
        return Internal("S3 ListObjectsV2 of " + Quote(prefix) + " listed " + Quote(o.key) +
                        ", which is not under it");
      }
      std::string port_key = own ? std::move(o.key) : t.bucket + "/" + o.key;
      // Keys the port cannot hold (other tools may make them) are left out.
      if (!ValidateInternalKey(port_key).ok()) continue;
      out.push_back(
          ObjectInfo{std::move(port_key), o.size, std::move(o.etag), o.modified_unix_millis});
    }
    if (!p.truncated) break;
    if (p.next_token == token) return Internal("S3 ListObjectsV2: a page that does not move on");
    token = std::move(p.next_token);
  }
  // S3's pages are in key order and never repeat a key; s3rver's repeat the keys before a
  // page boundary. Sorted and without repeats, the listing is right on both.
  std::stable_sort(out.begin(), out.end(),
                   [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const ObjectInfo& a, const ObjectInfo& b) { return a.key == b.key; }),
            out.end());
  return out;
}

Status S3ObjectStore::Copy(std::string_view src, std::string_view dst) {
  SB_ASSIGN_OR_RETURN(Target from, Resolve(src));
  SB_ASSIGN_OR_RETURN(Target to, Resolve(dst));
  HttpRequest r = Request("PUT", to);
  r.headers.emplace("x-amz-copy-source", UriEncodePath("/" + from.bucket + "/" + from.object));
  const std::string label = "CopyObject " + Quote(src) + " to " + Quote(dst);
  bool too_large = false;
  auto classify = [&](const HttpResponse& response) -> Status {
    if (response.status < 200 || response.status >= 300) {
      const std::optional<S3Error> e = ParseS3Error(response.body);
      // "The specified copy source is larger than the maximum allowable size for a copy
      // source: 5368709120"
      if (e && e->code == "InvalidRequest" &&
          e->message.find("copy source is larger") != std::string::npos) {
        too_large = true;
      }
      return ErrorStatus(response, label);
    }
    // A 200 whose body is an <Error>: the copy failed after S3 answered.
    auto etag = ParseETagResult(response.body, "CopyObjectResult");
    if (!etag.ok()) return Status(etag.status().code(), label + ": " + etag.status().message());
    return Status::Ok();
  };
  auto response = Send(to, std::move(r), "CopyObject", classify);
  if (!response.ok() && too_large) return CopyMultipart(src, dst);
  return response.status();
}

Status S3ObjectStore::CopyMultipart(std::string_view src, std::string_view dst) {
  SB_ASSIGN_OR_RETURN(Target from, Resolve(src));
  SB_ASSIGN_OR_RETURN(Target to, Resolve(dst));
  SB_ASSIGN_OR_RETURN(ObjectInfo source, HeadObject(src, from));
  const uint64_t ps = std::max(options_.part_size, (source.size + kS3MaxParts - 1) / kS3MaxParts);
  const int total = source.size == 0 ? 1 : static_cast<int>((source.size + ps - 1) / ps);
  SB_ASSIGN_OR_RETURN(std::string id, CreateUpload(to));
  const std::string copy_source = UriEncodePath("/" + from.bucket + "/" + from.object);
  std::vector<S3Part> parts;
  for (int n = 1; n <= total; ++n) {
    const uint64_t offset = static_cast<uint64_t>(n - 1) * ps;
    const uint64_t bytes = std::min(ps, source.size - offset);
    HttpRequest r = Request("PUT", to, {{"partNumber", std::to_string(n)}, {"uploadId", id}});
    r.headers.emplace("x-amz-copy-source", copy_source);
    // Every range of the same version of the source (else 412: kAborted).
    r.headers.emplace("x-amz-copy-source-if-match", "\"" + source.etag + "\"");
    if (source.size > 0) r.headers.emplace("x-amz-copy-source-range", RangeHeader(offset, bytes));
    const std::string label = "UploadPartCopy " + std::to_string(n) + " of " + Quote(src);
    std::string etag;
    auto classify = [&](const HttpResponse& response) -> Status {
      if (response.status < 200 || response.status >= 300) return ErrorStatus(response, label);
      auto got = ParseETagResult(response.body, "CopyPartResult");
      if (!got.ok()) return Status(got.status().code(), label + ": " + got.status().message());
      etag = std::move(*got);
      return Status::Ok();
    };
    Status s = Send(to, std::move(r), "UploadPartCopy", classify).status();
    if (!s.ok()) {
      AbortQuietly(to, id);  // a copy is not resumed: the next one starts over
      if (s.code() == StatusCode::kAborted) {
        return Unavailable(label + ": the source was replaced during the copy");
      }
      return s;
    }
    parts.push_back(S3Part{n, bytes, std::move(etag)});
  }
  auto etag = CompleteUpload(to, id, parts);
  if (!etag.ok()) {
    AbortQuietly(to, id);
    return etag.status();
  }
  return Status::Ok();
}

Status S3ObjectStore::Delete(std::string_view key) {
  SB_ASSIGN_OR_RETURN(Target t, Resolve(key));
  auto response = Send(t, Request("DELETE", t), "DeleteObject");
  if (response.ok()) return Status::Ok();
  // S3 answers 204 for a missing key; an emulator may say NoSuchKey instead.
  if (response.status().code() == StatusCode::kNotFound &&
      response.status().message().find("NoSuchKey") != std::string::npos) {
    return Status::Ok();
  }
  return response.status();
}

Status S3ObjectStore::CreateBucket(std::string_view bucket) {
  SB_RETURN_IF_ERROR(ValidateS3BucketName(bucket));
  const Target t{std::string(bucket), ""};
  HttpRequest r = Request("PUT", t);
  if (options_.region != "us-east-1") {
    r.headers.emplace("Content-Type", "application/xml");
    r.body =
        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<LocationConstraint>" +
        options_.region +
        "</LocationConstraint>"
        "</CreateBucketConfiguration>";
  }
  auto response = Send(t, std::move(r), "CreateBucket");
  if (!response.ok() &&
      response.status().message().find("BucketAlreadyOwnedByYou") != std::string::npos) {
    return Status::Ok();
  }
  return response.status();
}

Result<bool> S3ObjectStore::BucketExists(std::string_view bucket) {
  SB_RETURN_IF_ERROR(ValidateS3BucketName(bucket));
  const Target t{std::string(bucket), ""};
  bool exists = true;
  auto classify = [&](const HttpResponse& r) -> Status {
    if (r.status == 404) {
      exists = false;
      return Status::Ok();
    }
    if (r.status == 403) {
      return FailedPrecondition("HeadBucket " + Quote(t.bucket) +
                                ": 403: the bucket is another account's, or this one may not "
                                "read it");
    }
    if (r.status >= 200 && r.status < 300) return Status::Ok();
    return ErrorStatus(r, "HeadBucket " + Quote(t.bucket));
  };
  SB_RETURN_IF_ERROR(Send(t, Request("HEAD", t), "HeadBucket", classify).status());
  return exists;
}

Status S3ObjectStore::DeleteBucket(std::string_view bucket) {
  SB_RETURN_IF_ERROR(ValidateS3BucketName(bucket));
  const Target t{std::string(bucket), ""};
  auto response = Send(t, Request("DELETE", t), "DeleteBucket");
  if (!response.ok() && response.status().code() == StatusCode::kNotFound) return Status::Ok();
  return response.status();
}

Status S3ObjectStore::PutBucketConfig(std::string_view bucket, std::string_view subresource,
                                      std::string_view xml) {
  SB_RETURN_IF_ERROR(ValidateS3BucketName(bucket));
  const Target t{std::string(bucket), ""};
  HttpRequest r = Request("PUT", t, {{std::string(subresource), ""}});
  r.headers.emplace("Content-MD5", ContentMd5(Md5Hex(xml)));
  r.headers.emplace("Content-Type", "application/xml");
  r.body = std::string(xml);
  return Send(t, std::move(r), "PutBucket " + std::string(subresource)).status();
}

Result<std::string> S3ObjectStore::GetBucketConfig(std::string_view bucket,
                                                   std::string_view subresource) {
  SB_RETURN_IF_ERROR(ValidateS3BucketName(bucket));
  const Target t{std::string(bucket), ""};
  SB_ASSIGN_OR_RETURN(HttpResponse response,
                      Send(t, Request("GET", t, {{std::string(subresource), ""}}),
                           "GetBucket " + std::string(subresource)));
  return std::move(response.body);
}

Status S3ObjectStore::DeleteBucketConfig(std::string_view bucket, std::string_view subresource) {
  SB_RETURN_IF_ERROR(ValidateS3BucketName(bucket));
  const Target t{std::string(bucket), ""};
  return Send(t, Request("DELETE", t, {{std::string(subresource), ""}}),
              "DeleteBucket " + std::string(subresource))
      .status();
}

}  // namespace spotbatch
