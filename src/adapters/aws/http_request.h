// An HTTP request as the AWS adapters build it and the HTTP layer sends it: what the SigV4
// signer reads, and where it adds its headers or query parameters.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spotbatch {

// Orders header names regardless of ASCII case (HTTP names are case-insensitive), so that a
// HeaderMap iterates in SigV4's canonical order (lowercase names, byte order) and keeps the
// values of a repeated name in the order they were added.
struct HeaderNameLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const {
    const size_t n = a.size() < b.size() ? a.size() : b.size();
    for (size_t i = 0; i < n; ++i) {
      const unsigned char x = Lower(a[i]);
      const unsigned char y = Lower(b[i]);
      if (x != y) return x < y;
    }
    return a.size() < b.size();
  }
  static unsigned char Lower(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 'A' && u <= 'Z' ? static_cast<unsigned char>(u + ('a' - 'A')) : u;
  }
};
using HeaderMap = std::multimap<std::string, std::string, HeaderNameLess>;

// Decoded names and values in the order they are sent; UriEncodeQuery writes them.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  // The path as it goes on the wire: starts with '/', already percent-encoded (an S3 key is
  // written with UriEncodePath), without the query.
  std::string path = "/";
  QueryParams query;
  HeaderMap headers;  // Host is required: the signature covers it
  std::string body;
  // For a body that is not in `body` (streamed from a file): its lowercase hex SHA-256, or
  // kUnsignedPayload (S3 only). Empty: the signer hashes `body`.
  std::string payload_hash;
};

}  // namespace spotbatch
