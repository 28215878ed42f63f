// Percent-encoding as SigV4 and S3 define it (RFC 3986): every byte but the unreserved
// A-Z a-z 0-9 - _ . ~ is written %XY with uppercase hex. Not form encoding: a space is %20,
// never '+', and '+' itself is %2B.
#pragma once

#include <string>
#include <string_view>

#include "adapters/aws/http_request.h"

namespace spotbatch {

// A-Z a-z 0-9 - _ . ~: the bytes that are never encoded.
inline bool IsUriUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}
// Appends `text` encoded to `out`; with `keep_slash`, '/' stays as is (paths).
void AppendUriEncoded(std::string_view text, bool keep_slash, std::string& out);
// `text` encoded, '/' included.
std::string UriEncode(std::string_view text);
// A decoded path ("/bucket/my key") written for HttpRequest::path ("/bucket/my%20key"): every
// byte but '/' encoded, so an S3 key's slashes stay separators and its "//" or "." stay too.
std::string UriEncodePath(std::string_view decoded_path);
// "a=1&b=x%20y": the parameters encoded, in their order (empty when there are none).
std::string UriEncodeQuery(const QueryParams& params);

}  // namespace spotbatch
