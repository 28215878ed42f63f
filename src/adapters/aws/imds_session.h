// The session-token flow of EC2's instance metadata service (IMDSv2), over plain HTTP: what
// every reader of instance metadata (the notices of imds_client.h, the role credentials of
// instance_role_credentials.h) sends its GETs through.
//
// A token is fetched with PUT /latest/api/token (TTL header) and sent on every GET; it is
// renewed before it expires, and at once when the service answers 401. Every request has
// short connect and read timeouts, so a slow service costs a bounded wait and a failed call.
// The endpoint comes from the caller: the real 169.254.169.254 only on EC2; everywhere else a
// local server on loopback.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "spotbatch/clock.h"
#include "spotbatch/status.h"

namespace spotbatch {

struct ImdsOptions {
  std::string endpoint;               // "http://127.0.0.1:PORT" (no trailing slash)
  int64_t token_ttl_seconds = 21600;  // what the token is asked for (1..21600)
  int64_t timeout_millis = 1000;      // per request: connect, and each read or write
};

// The address of EC2's instance metadata service, for workers told they run on EC2.
inline constexpr const char* kEc2MetadataEndpoint = "http://169.254.169.254";

// An answer of the service: its HTTP status and body (at most kMaxImdsBody bytes).
struct ImdsAnswer {
  int status = 0;
  std::string body;
};

class ImdsSession {
 public:
  // kInvalidArgument when the endpoint is not an http://host[:port] URL, the TTL is not
  // 1..21600 or the timeout is not positive. `clock` must outlive the session.
  static Result<std::unique_ptr<ImdsSession>> Create(const ImdsOptions& options, Clock& clock);
  virtual ~ImdsSession() = default;

  // GETs `path` with a live token (fetched or renewed first when needed; a 401 renews it and
  // tries once more). Thread-safe: requests of several callers are sent one at a time.
  // On success, the answer whatever its status (404 is the service's "none"). Fails with
  // kUnavailable when the service cannot be reached, times out, refuses the token twice or
  // answers the token request with other than 200; kInvalidArgument when an answer is over
  // kMaxImdsBody or the token is malformed.
  virtual Result<ImdsAnswer> Get(std::string_view path) = 0;
};

// The kUnavailable of an answer with an HTTP status the caller did not expect.
Status UnexpectedImdsAnswer(std::string_view path, int http_status);

}  // namespace spotbatch
