// AWS Signature Version 4: signs the requests of the AWS adapters (S3, SQS, DynamoDB, ...)
// with the credentials it is given, at the time its clock tells.
//
// A signing is four stages, each a function here so that each can be checked on its own
// against the AWS signing test suite (tests/adapters/testdata/sigv4): the canonical request
// (sigv4_canonical.h), the string to sign, the signing key (derived from the secret, the day,
// the region and the service) and the signature. SigV4Signer runs them, either into headers
// (Authorization, X-Amz-Date, X-Amz-Security-Token, S3's x-amz-content-sha256) or into the
// query string (a presigned URL: X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires,
// X-Amz-SignedHeaders, X-Amz-Security-Token, X-Amz-Signature).
//
// Not built: S3's chunked signing of a streamed body (STREAMING-AWS4-HMAC-SHA256-PAYLOAD,
// which the suite has no case of); a streamed body is sent with kUnsignedPayload instead.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "adapters/aws/aws_credentials.h"
#include "adapters/aws/hmac_sha256.h"
#include "adapters/aws/http_request.h"
#include "spotbatch/clock.h"
#include "spotbatch/status.h"

namespace spotbatch {

inline constexpr std::string_view kSigV4Algorithm = "AWS4-HMAC-SHA256";
// S3's payload hash of a body that is not hashed (streamed, or sent over TLS as is).
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// What a presigned URL may live for at most (7 days, SigV4's limit).
inline constexpr int64_t kMaxPresignSeconds = 7 * 24 * 3600;

struct SigV4Options {
  std::string region;   // "us-east-1"
  std::string service;  // the signing name: "s3", "sqs", "dynamodb"
  // The path rules of sigv4_canonical.h's CanonicalUri; both false for S3 only.
  bool normalize_path = true;
  bool encode_path = true;
  // S3 wants the payload hash in a signed x-amz-content-sha256 header as well.
  bool content_sha256_header = false;
  // false: the session token is added after signing, outside the signature (what a few
  // services expect; the suite's omit_session_token).
  bool sign_session_token = true;

  // Every service but S3.
  static SigV4Options Service(std::string region, std::string service);
  // S3: the path as sent (neither normalized nor encoded twice), x-amz-content-sha256.
  static SigV4Options S3(std::string region);
};

// Every stage of one signing: what AWS's SignatureDoesNotMatch answer is compared with, and
// what the test suite checks stage by stage.
struct SigV4Signing {
  std::string amz_date;  // "20150830T123600Z"
  std::string scope;     // "20150830/us-east-1/service/aws4_request"
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // lowercase hex
};

// "20150830T123600Z": the UTC second of `unix_millis`, as X-Amz-Date writes it.
std::string FormatAmzDate(int64_t unix_millis);
// "AWS4-HMAC-SHA256\n<amz date>\n<scope>\n<hex SHA-256 of the canonical request>".
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);
// HMAC chain "AWS4" + secret -> date ("20150830") -> region -> service -> "aws4_request".
Sha256Digest DeriveSigningKey(std::string_view secret_access_key, std::string_view date,
                              std::string_view region, std::string_view service);
// Lowercase hex HMAC-SHA256 of the string to sign under the signing key.
std::string SignatureHex(const Sha256Digest& signing_key, std::string_view string_to_sign);

// Signs requests for one region and service. Thread-safe: the HTTP layer signs from several
// threads (parallel parts of a multipart upload) with one signer.
class SigV4Signer {
 public:
  // `clock` must outlive the signer.
  SigV4Signer(AwsCredentials credentials, SigV4Options options, Clock& clock);

  // Replaces the credentials (refreshed ones of a role); signings under way finish with the
  // old ones, the next one derives its signing key anew.
  void SetCredentials(AwsCredentials credentials);

  // Signs `request` into its headers at the clock's current second: sets X-Amz-Date,
  // X-Amz-Security-Token (with a session token), x-amz-content-sha256 (S3) and Authorization,
  // replacing those of an earlier signing (a retry signs again). The payload hash is
  // request.payload_hash, or the SHA-256 of request.body when that is empty.
  // On success returns the stages. On failure `request` is as it was, less the headers of an
  // earlier signing:
  // - kInvalidArgument naming what is wrong: an empty method, region or service; the path
  //   (CanonicalUri), a header (CanonicalizeHeaders); a payload_hash that is neither 64
  //   lowercase hex digits nor kUnsignedPayload; an empty access key id or secret.
  // - kFailedPrecondition: the credentials expired (expires_unix_millis is past); the
  //   credentials chain must refresh them first.
  Result<SigV4Signing> SignHeaders(HttpRequest& request);

  // Presigns `request` into its query string, valid for `expires_seconds`: appends the
  // X-Amz-* parameters (after removing those of an earlier presigning); the headers are left
  // as they are and must be sent as signed. Fails as SignHeaders does, and with
  // kInvalidArgument when `expires_seconds` is not in 1..kMaxPresignSeconds.
  Result<SigV4Signing> Presign(HttpRequest& request, int64_t expires_seconds);

  // The signing key of the clock's current UTC day: derived on the first signing of a day
  // and kept until the day or the credentials change. FailedPrecondition as SignHeaders.
  Result<Sha256Digest> SigningKey();
  // How many times a signing key was derived: once a day per signer, not once per request.
  int64_t key_derivations() const;

 private:
  struct DayKey {
    std::shared_ptr<const AwsCredentials> credentials;
    Sha256Digest key;
  };
  // The credentials and the signing key of `amz_date`'s day, derived if not cached.
  Result<DayKey> KeyFor(int64_t now_unix_millis, std::string_view amz_date);
  // Checks the options and the request, and hashes the payload: what both modes start with.
  Result<std::string> PayloadHash(const HttpRequest& request) const;
  // What both modes start with: the payload hash, the canonical path, and the time, scope and
  // signing key of this second.
  struct Start {
    std::string payload_hash;
    std::string uri;
    SigV4Signing signing;  // amz_date and scope filled
    DayKey day;
  };
  Result<Start> Begin(const HttpRequest& request);

  const SigV4Options options_;
  Clock& clock_;
  mutable std::mutex mu_;
  std::shared_ptr<const AwsCredentials> credentials_;  // guarded by mu_
  std::string key_date_;                               // guarded by mu_; "" when none
  Sha256Digest key_{};                                 // guarded by mu_
  int64_t key_derivations_ = 0;                        // guarded by mu_
};

}  // namespace spotbatch
