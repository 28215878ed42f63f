// The AWS adapters' HTTP: one exchange at a time over libcurl, with connections kept alive
// between requests, connect and total timeouts, and a bound on what a response may take.
// Retrying, and what an HTTP status means to a service, are http_retry.h's.
//
// Thread-safe: each exchange takes an idle curl handle (its connections stay open for the
// next exchange that takes it) or makes one, and gives it back.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "adapters/aws/http_request.h"
#include "spotbatch/status.h"

namespace spotbatch {

struct HttpResponse {
  int status = 0;  // 200, 404, ...
  HeaderMap headers;
  std::string body;

  // The value of header `name` (any case), or "" when absent.
  std::string Header(std::string_view name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

struct HttpClientOptions {
  int64_t connect_timeout_millis = 3'000;
  int64_t timeout_millis = 60'000;  // the whole exchange, body included
  // What a response body may hold; a longer one fails the exchange (a service answer is
  // kilobytes; an S3 GET reads a range of at most a part).
  size_t max_response_bytes = 64 << 20;
  size_t max_idle_handles = 16;  // curl handles (and their open connections) kept for reuse
};

class HttpClient {
 public:
  // `endpoint`: "http://host[:port]" or "https://host[:port]", where every request goes.
  // kInvalidArgument for anything else, or for options that are not positive.
  static Result<std::unique_ptr<HttpClient>> New(std::string endpoint,
                                                 HttpClientOptions options = {});
  virtual ~HttpClient() = default;

  // Sends `request` (its path and query on the endpoint, its headers and body as they are).
  // Success: the response, whatever its HTTP status (http_retry.h says what it means).
  // Failure, with nothing of a partial response:
  // - kInvalidArgument: a method, header name or value with a control character (a CR or LF
  //   would let a value add headers of its own), or a path that does not start with '/';
  // - kDeadlineExceeded: the connect or total timeout passed;
  // - kUnavailable: the connection failed or broke (refused, reset, closed early);
  // - kResourceExhausted: the body was longer than max_response_bytes;
  // - kInternal: anything else curl reports.
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
  // Connections opened so far, reused ones not counted again (to check keep-alive).
  virtual int64_t connections_opened() const = 0;
};

}  // namespace spotbatch
