#include "adapters/aws/sigv4_canonical.h"

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "adapters/aws/uri_encode.h"

namespace spotbatch {
namespace {

bool IsUpperHex(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }

// RFC 9110's tchar.
bool IsTokenChar(unsigned char c) {
  if (IsUriUnreserved(c)) return true;
  static constexpr std::string_view kOthers = "!#$%&'*+^`|";
  return kOthers.find(static_cast<char>(c)) != std::string_view::npos;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// A few bytes of caller text for a message, with control bytes escaped.
std::string Quote(std::string_view s) {
  std::string out;
  for (const char ch : s.substr(0, 64)) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out.push_back(ch);
    }
  }
  if (s.size() > 64) out += "...";
  return out;
}

// "." and ".." resolved, empty segments dropped, the trailing '/' kept.
std::string NormalizePath(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t end = std::min(path.find('/', start), path.size());
    const std::string_view segment = path.substr(start, end - start);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    start = end + 1;
  }
  std::string out;
  out.reserve(path.size() + 1);
  for (const std::string_view segment : segments) {
    out.push_back('/');
    out.append(segment);
  }
  if (out.empty() || path.back() == '/') out.push_back('/');
  return out;
}

// S3's wire path is signed as it is, so it must be what S3 rebuilds from the key it decodes.
Status CheckEncodedPath(std::string_view path) {
  for (size_t i = 0; i < path.size(); ++i) {
    const auto c = static_cast<unsigned char>(path[i]);
    if (IsUriUnreserved(c) || c == '/') continue;
    if (c == '%' && i + 2 < path.size() && IsUpperHex(path[i + 1]) && IsUpperHex(path[i + 2])) {
      i += 2;
      continue;
    }
    return InvalidArgument("the path \"" + Quote(path) + "\" is not URI-encoded at byte " +
                           std::to_string(i) + " (write it with UriEncodePath)");
  }
  return Status::Ok();
}

// The header's value as SigV4 signs it (see CanonicalizeHeaders), appended to `out`.
Status AppendCanonicalValue(std::string_view name, std::string_view value, std::string& out) {
  bool space_pending = false;
  bool started = false;
  for (size_t i = 0; i < value.size(); ++i) {
    const char ch = value[i];
    const auto c = static_cast<unsigned char>(ch);
    const char next = i + 1 < value.size() ? value[i + 1] : '\0';
    const bool fold_ok =
        (ch == '\r' && next == '\n') || (ch == '\n' && (next == ' ' || next == '\t'));
    if ((c < 0x20 && ch != '\t' && !fold_ok) || c == 0x7F) {
      return InvalidArgument("header " + Quote(name) + " has a control byte in its value \"" +
                             Quote(value) + "\"");
    }
    if (IsSpace(ch)) {
      space_pending = started;
      continue;
    }
    if (space_pending) out.push_back(' ');
    space_pending = false;
    started = true;
    out.push_back(ch);
  }
  return Status::Ok();
}

constexpr std::array<std::string_view, 6> kUnsignedHeaders = {
    "authorization", "connection", "expect", "transfer-encoding", "user-agent", "x-amzn-trace-id"};

}  // namespace

Result<std::string> CanonicalUri(std::string_view path, bool normalize, bool encode) {
  if (path.empty()) path = "/";
  if (path.front() != '/') {
    return InvalidArgument("the path \"" + Quote(path) + "\" does not start with '/'");
  }
  if (!encode) {
    // S3: neither normalized nor encoded (a key may hold "//" or "..").
    SB_RETURN_IF_ERROR(CheckEncodedPath(path));
    return std::string(path);
  }
  std::string out;
  out.reserve(path.size() + 16);
  if (normalize) {
    AppendUriEncoded(NormalizePath(path), /*keep_slash=*/true, out);
  } else {
    AppendUriEncoded(path, /*keep_slash=*/true, out);
  }
  return out;
}

std::string CanonicalQuery(const QueryParams& params) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(params.size());
  size_t size = 0;
  for (const auto& [name, value] : params) {
    encoded.emplace_back(UriEncode(name), UriEncode(value));
    size += encoded.back().first.size() + encoded.back().second.size() + 2;
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  out.reserve(size);
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

Result<CanonicalHeaders> CanonicalizeHeaders(const HeaderMap& headers) {
  CanonicalHeaders out;
  bool has_host = false;
  for (auto it = headers.begin(); it != headers.end();) {
    const std::string& name = it->first;
    const auto same_name_end = headers.upper_bound(name);
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
          return IsTokenChar(static_cast<unsigned char>(c));
        })) {
      return InvalidArgument("header name \"" + Quote(name) + "\" is not an HTTP token");
    }
    std::string lower(name.size(), '\0');
    std::transform(name.begin(), name.end(), lower.begin(), HeaderNameLess::Lower);
    if (std::find(kUnsignedHeaders.begin(), kUnsignedHeaders.end(), lower) !=
        kUnsignedHeaders.end()) {
      it = same_name_end;
      continue;
    }
    has_host = has_host || lower == "host";
    if (!out.signed_headers.empty()) out.signed_headers.push_back(';');
    out.signed_headers += lower;
    out.text += lower;
    out.text.push_back(':');
    for (bool first = true; it != same_name_end; ++it, first = false) {
      if (!first) out.text.push_back(',');
      SB_RETURN_IF_ERROR(AppendCanonicalValue(name, it->second, out.text));
    }
    out.text.push_back('\n');
  }
  if (!has_host) return InvalidArgument("the request has no Host header (the signature covers it)");
  return out;
}

std::string CanonicalRequest(std::string_view method, std::string_view uri, std::string_view query,
                             const CanonicalHeaders& headers, std::string_view payload_hash) {
  std::string out;
  out.reserve(method.size() + uri.size() + query.size() + headers.text.size() +
              headers.signed_headers.size() + payload_hash.size() + 5);
  out.append(method).push_back('\n');
  out.append(uri).push_back('\n');
  out.append(query).push_back('\n');
  out.append(headers.text).push_back('\n');
  out.append(headers.signed_headers).push_back('\n');
  out.append(payload_hash);
  return out;
}

}  // namespace spotbatch
