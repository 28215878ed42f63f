#include "adapters/aws/sigv4.h"

#include <algorithm>
#include <ctime>
#include <utility>

#include "adapters/aws/sigv4_canonical.h"
#include "common/ids.h"
#include "common/time_format.h"

namespace spotbatch {
namespace {

// SHA-256 of nothing: the payload hash of every GET, without hashing.
constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::string_view kTerminator = "aws4_request";

// What a signing writes into a request; removed before it is signed again.
constexpr std::string_view kDateHeader = "X-Amz-Date";
constexpr std::string_view kTokenHeader = "X-Amz-Security-Token";
constexpr std::string_view kContentSha256Header = "x-amz-content-sha256";
constexpr std::string_view kAuthorizationHeader = "Authorization";
constexpr std::string_view kPresignParams[] = {
    "X-Amz-Algorithm", "X-Amz-Credential",     "X-Amz-Date",     "X-Amz-SignedHeaders",
    "X-Amz-Expires",   "X-Amz-Security-Token", "X-Amz-Signature"};

bool IsLowerHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// x-amz-content-sha256 only when the signer writes it: elsewhere it is the caller's.
void StripSignatureHeaders(HeaderMap& headers, bool content_sha256) {
  for (const std::string_view name : {kDateHeader, kTokenHeader, kAuthorizationHeader}) {
    headers.erase(std::string(name));
  }
  if (content_sha256) headers.erase(std::string(kContentSha256Header));
}

void StripPresignParams(QueryParams& query) {
  std::erase_if(query, [](const auto& param) {
    return std::find(std::begin(kPresignParams), std::end(kPresignParams), param.first) !=
           std::end(kPresignParams);
  });
}

std::string Scope(std::string_view amz_date, const SigV4Options& options) {
  std::string out;
  out.reserve(8 + options.region.size() + options.service.size() + kTerminator.size() + 3);
  out.append(amz_date.substr(0, 8)).push_back('/');
  out.append(options.region).push_back('/');
  out.append(options.service).push_back('/');
  out.append(kTerminator);
  return out;
}

}  // namespace

SigV4Options SigV4Options::Service(std::string region, std::string service) {
  SigV4Options o;
  o.region = std::move(region);
  o.service = std::move(service);
  return o;
}

SigV4Options SigV4Options::S3(std::string region) {
  SigV4Options o = Service(std::move(region), "s3");
  o.normalize_path = false;
  o.encode_path = false;
  o.content_sha256_header = true;
  return o;
}

std::string FormatAmzDate(int64_t unix_millis) {
  // Floor division: a time before 1970 still names the second it falls in.
  const int64_t seconds = unix_millis / 1000 - (unix_millis % 1000 < 0 ? 1 : 0);
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  const size_t n = std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return std::string(buf, n);
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out;
  out.reserve(kSigV4Algorithm.size() + amz_date.size() + scope.size() + 64 + 3);
  out.append(kSigV4Algorithm).push_back('\n');
  out.append(amz_date).push_back('\n');
  out.append(scope).push_back('\n');
  out.append(Sha256Hex(canonical_request));
  return out;
}

Sha256Digest DeriveSigningKey(std::string_view secret_access_key, std::string_view date,
                              std::string_view region, std::string_view service) {
  std::string secret;
  secret.reserve(4 + secret_access_key.size());
  secret.append("AWS4").append(secret_access_key);
  const Sha256Digest k_date = HmacSha256(secret, date);
  const Sha256Digest k_region = HmacSha256(k_date, region);
  const Sha256Digest k_service = HmacSha256(k_region, service);
  return HmacSha256(k_service, kTerminator);
}

std::string SignatureHex(const Sha256Digest& signing_key, std::string_view string_to_sign) {
  return HexDigest(HmacSha256(signing_key, string_to_sign));
}

SigV4Signer::SigV4Signer(AwsCredentials credentials, SigV4Options options, Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      credentials_(std::make_shared<const AwsCredentials>(std::move(credentials))) {}

void SigV4Signer::SetCredentials(AwsCredentials credentials) {
  auto fresh = std::make_shared<const AwsCredentials>(std::move(credentials));
  std::lock_guard<std::mutex> lock(mu_);
  credentials_ = std::move(fresh);
  key_date_.clear();
}

int64_t SigV4Signer::key_derivations() const {
  std::lock_guard<std::mutex> lock(mu_);
  return key_derivations_;
}

Result<SigV4Signer::DayKey> SigV4Signer::KeyFor(int64_t now_unix_millis,
                                                std::string_view amz_date) {
  std::lock_guard<std::mutex> lock(mu_);
  const AwsCredentials& c = *credentials_;
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return InvalidArgument("the AWS credentials have no access key id or no secret key");
  }
  if (c.expires_unix_millis && now_unix_millis >= *c.expires_unix_millis) {
    return FailedPrecondition("the AWS credentials of " + c.access_key_id + " expired at " +
                              FormatUtcTimestamp(*c.expires_unix_millis));
  }
  const std::string_view date = amz_date.substr(0, 8);
  if (key_date_ != date) {
    key_ = DeriveSigningKey(c.secret_access_key, date, options_.region, options_.service);
    key_date_ = date;
    ++key_derivations_;
  }
  return DayKey{credentials_, key_};
}

Result<Sha256Digest> SigV4Signer::SigningKey() {
  const int64_t now = clock_.NowUnixMillis();
  SB_ASSIGN_OR_RETURN(DayKey day, KeyFor(now, FormatAmzDate(now)));
  return day.key;
}

Result<std::string> SigV4Signer::PayloadHash(const HttpRequest& request) const {
  if (options_.region.empty() || options_.service.empty()) {
    return InvalidArgument("the signer has no region or no service");
  }
  if (request.method.empty() || !std::all_of(request.method.begin(), request.method.end(),
                                             [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return InvalidArgument("the method \"" + request.method.substr(0, 32) +
                           "\" is not an uppercase HTTP method");
  }
  if (request.payload_hash.empty()) {
    return request.body.empty() ? std::string(kEmptySha256) : Sha256Hex(request.body);
  }
  if (request.payload_hash != kUnsignedPayload && !IsLowerHex64(request.payload_hash)) {
    return InvalidArgument("the payload hash \"" + request.payload_hash.substr(0, 80) +
                           "\" is neither a lowercase hex SHA-256 nor UNSIGNED-PAYLOAD");
  }
  return request.payload_hash;
}

Result<SigV4Signer::Start> SigV4Signer::Begin(const HttpRequest& request) {
  Start start;
  SB_ASSIGN_OR_RETURN(start.payload_hash, PayloadHash(request));
  SB_ASSIGN_OR_RETURN(start.uri,
                      CanonicalUri(request.path, options_.normalize_path, options_.encode_path));
  const int64_t now = clock_.NowUnixMillis();
  start.signing.amz_date = FormatAmzDate(now);
  SB_ASSIGN_OR_RETURN(start.day, KeyFor(now, start.signing.amz_date));
  start.signing.scope = Scope(start.signing.amz_date, options_);
  return start;
}

Result<SigV4Signing> SigV4Signer::SignHeaders(HttpRequest& request) {
  StripSignatureHeaders(request.headers, options_.content_sha256_header);
  SB_ASSIGN_OR_RETURN(Start start, Begin(request));
  const std::string &payload_hash = start.payload_hash, &uri = start.uri;
  SigV4Signing& s = start.signing;
  const DayKey& day = start.day;
  const std::string& token = day.credentials->session_token;

  request.headers.emplace(kDateHeader, s.amz_date);
  if (!token.empty() && options_.sign_session_token) request.headers.emplace(kTokenHeader, token);
  if (options_.content_sha256_header) request.headers.emplace(kContentSha256Header, payload_hash);
  Result<CanonicalHeaders> headers = CanonicalizeHeaders(request.headers);
  if (!headers.ok()) {
    StripSignatureHeaders(request.headers, options_.content_sha256_header);
    return headers.status();
  }
  s.canonical_request =
      CanonicalRequest(request.method, uri, CanonicalQuery(request.query), *headers, payload_hash);
  s.string_to_sign = StringToSign(s.amz_date, s.scope, s.canonical_request);
  s.signature = SignatureHex(day.key, s.string_to_sign);

  if (!token.empty() && !options_.sign_session_token) {
    request.headers.emplace(kTokenHeader, token);
  }
  std::string authorization;
  authorization.reserve(kSigV4Algorithm.size() + day.credentials->access_key_id.size() +
                        s.scope.size() + headers->signed_headers.size() + 64 + 48);
  authorization.append(kSigV4Algorithm)
      .append(" Credential=")
      .append(day.credentials->access_key_id)
      .append("/")
      .append(s.scope)
      .append(", SignedHeaders=")
      .append(headers->signed_headers)
      .append(", Signature=")
      .append(s.signature);
  request.headers.emplace(kAuthorizationHeader, std::move(authorization));
  return std::move(s);
}

Result<SigV4Signing> SigV4Signer::Presign(HttpRequest& request, int64_t expires_seconds) {
  if (expires_seconds < 1 || expires_seconds > kMaxPresignSeconds) {
    return InvalidArgument("a presigned request expires after 1 to " +
                           std::to_string(kMaxPresignSeconds) + " seconds, not " +
                           std::to_string(expires_seconds));
  }
  SB_ASSIGN_OR_RETURN(Start start, Begin(request));
  SB_ASSIGN_OR_RETURN(const CanonicalHeaders headers, CanonicalizeHeaders(request.headers));
  const std::string &payload_hash = start.payload_hash, &uri = start.uri;
  SigV4Signing& s = start.signing;
  const DayKey& day = start.day;
  const std::string& token = day.credentials->session_token;

  // In the order the AWS SDKs write them (the order does not change the signature).
  QueryParams& query = request.query;
  StripPresignParams(query);
  query.emplace_back(kPresignParams[0], kSigV4Algorithm);
  query.emplace_back(kPresignParams[1], day.credentials->access_key_id + "/" + s.scope);
  query.emplace_back(kPresignParams[2], s.amz_date);
  query.emplace_back(kPresignParams[3], headers.signed_headers);
  query.emplace_back(kPresignParams[4], std::to_string(expires_seconds));
  if (!token.empty() && options_.sign_session_token) query.emplace_back(kPresignParams[5], token);
  s.canonical_request =
      CanonicalRequest(request.method, uri, CanonicalQuery(query), headers, payload_hash);
  s.string_to_sign = StringToSign(s.amz_date, s.scope, s.canonical_request);
  s.signature = SignatureHex(day.key, s.string_to_sign);
  if (!token.empty() && !options_.sign_session_token) query.emplace_back(kPresignParams[5], token);
  query.emplace_back(kPresignParams[6], s.signature);
  return std::move(s);
}

}  // namespace spotbatch
