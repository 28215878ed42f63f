// The IMDSv2 adapter of InstanceMetadata: the session-token flow of EC2's instance metadata
// service, over plain HTTP.
//
// A token is fetched with PUT /latest/api/token (TTL header) and sent on every GET; it is
// renewed before it expires, and at once when the service answers 401. Every request has
// short connect and read timeouts, so a slow service costs a bounded wait and a failed poll.
// The endpoint comes from the caller: the real 169.254.169.254 only on EC2; everywhere else a
// local server on loopback.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "spotbatch/clock.h"
#include "spotbatch/instance_metadata.h"

namespace spotbatch {

struct ImdsOptions {
  std::string endpoint;               // "http://127.0.0.1:PORT" (no trailing slash)
  int64_t token_ttl_seconds = 21600;  // what the token is asked for (1..21600)
  int64_t timeout_millis = 1000;      // per request: connect, and each read or write
};

// The address of EC2's instance metadata service, for workers told they run on EC2.
inline constexpr const char* kEc2MetadataEndpoint = "http://169.254.169.254";

// kInvalidArgument when the endpoint is not an http://host[:port] URL.
Result<std::unique_ptr<InstanceMetadata>> NewImdsClient(const ImdsOptions& options, Clock& clock);

}  // namespace spotbatch
