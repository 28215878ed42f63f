// SigV4's canonical request: the one text that both the client and AWS build from a request
// and hash, so that the signature checks out only if they agree on every byte. Pure string
// work on the request's values (no keys, no clock); sigv4.h signs what this builds.
#pragma once

#include <string>
#include <string_view>

#include "adapters/aws/http_request.h"
#include "spotbatch/status.h"

namespace spotbatch {

// The canonical URI of a wire path (HttpRequest::path; "" counts as "/").
// - `normalize` (every service but S3): "." and ".." segments resolved and empty segments
//   dropped, a trailing '/' kept ("//a/./b/../" is "/a/").
// - `encode` (every service but S3): every byte but the unreserved ones and '/' encoded once
//   more. The wire path is already encoded once, so this is the "encode twice" of the SigV4
//   documentation ("/a%20b" signs as "/a%2520b"). S3 signs the wire path as it is: then it must
//   already be in canonical form (UriEncodePath writes it), and kInvalidArgument names the
//   first byte that is not: a space, a raw non-ASCII byte, a reserved character, a '%' not
//   followed by two uppercase hex digits.
Result<std::string> CanonicalUri(std::string_view path, bool normalize, bool encode);

// "A=1&b=&b=2": names and values encoded (uri_encode.h), sorted by encoded name, then value.
std::string CanonicalQuery(const QueryParams& params);

struct CanonicalHeaders {
  std::string text;            // "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n"
  std::string signed_headers;  // "host;x-amz-date"
};

// The canonical headers of every header that is signed: lowercase names in byte order; values
// trimmed, each inner run of spaces, tabs and line folds made one space; the values of a
// repeated name joined with ',' in the order they were added. Not signed (a proxy or the HTTP
// library may add, drop or rewrite them on the way, which would break the signature):
// Authorization, Connection, Expect, Transfer-Encoding, User-Agent, X-Amzn-Trace-Id.
// kInvalidArgument, naming the header: no Host header; a name that is not an HTTP token; a
// value with a control byte other than a tab or a line fold (CRLF or LF, then a space or tab).
Result<CanonicalHeaders> CanonicalizeHeaders(const HeaderMap& headers);

// The six lines: method, URI, query, headers (their own lines, then an empty one), signed
// headers, payload hash.
std::string CanonicalRequest(std::string_view method, std::string_view uri, std::string_view query,
                             const CanonicalHeaders& headers, std::string_view payload_hash);

}  // namespace spotbatch
