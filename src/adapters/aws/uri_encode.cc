#include "adapters/aws/uri_encode.h"

namespace spotbatch {
void AppendUriEncoded(std::string_view text, bool keep_slash, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsUriUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      const char escape[3] = {'%', kHex[c >> 4], kHex[c & 0xF]};
      out.append(escape, 3);
    }
  }
}

std::string UriEncode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  AppendUriEncoded(text, /*keep_slash=*/false, out);
  return out;
}

std::string UriEncodePath(std::string_view decoded_path) {
  std::string out;
  out.reserve(decoded_path.size());
  AppendUriEncoded(decoded_path, /*keep_slash=*/true, out);
  return out;
}

std::string UriEncodeQuery(const QueryParams& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out.push_back('&');
    AppendUriEncoded(name, /*keep_slash=*/false, out);
    out.push_back('=');
    AppendUriEncoded(value, /*keep_slash=*/false, out);
  }
  return out;
}

}  // namespace spotbatch
