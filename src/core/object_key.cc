#include "core/object_key.h"

#include <string>

namespace spotbatch {
namespace {

// Length of the UTF-8 sequence starting at s[i], or 0 when it is not valid UTF-8.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n;
  uint32_t cp;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  const bool overlong = (n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
  if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

std::string Printable(std::string_view key) {
  std::string out;
  for (char ch : key.substr(0, 80)) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) {
      static const char* kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  if (key.size() > 80) out += "...";
  return out;
}

Status Validate(std::string_view key, bool allow_trailing_slash, bool internal) {
  const std::string what = allow_trailing_slash ? "prefix" : "key";
  if (key.size() > kMaxKeyBytes) {
    return InvalidArgument("object " + what + " is " + std::to_string(key.size()) +
                           " bytes; the limit is 1024: \"" + Printable(key) + "\"");
  }
  if (key.empty()) return InvalidArgument("object " + what + " is empty");
  for (size_t i = 0; i < key.size();) {
    const auto c = static_cast<unsigned char>(key[i]);
    if (c == 0)
      return InvalidArgument("object " + what + " contains a NUL byte: \"" + Printable(key) + "\"");
    if (c < 0x20 || c == 0x7F) {
      return InvalidArgument("object " + what + " contains a control character: \"" +
                             Printable(key) + "\"");
    }
    const size_t n = Utf8SequenceLength(key, i);
    if (n == 0)
      return InvalidArgument("object " + what + " is not valid UTF-8: \"" + Printable(key) + "\"");
    i += n;
  }
  if (key.front() == '/')
    return InvalidArgument("object " + what + " starts with '/': \"" + Printable(key) + "\"");
  std::string_view rest = key;
  if (allow_trailing_slash && rest.back() == '/') rest.remove_suffix(1);
  bool first = true;
  while (true) {
    const size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    if (segment.empty()) {
      return InvalidArgument("object " + what +
                             " has an empty segment (\"//\" or a trailing '/'): \"" +
                             Printable(key) + "\"");
    }
    if (segment == "." || segment == "..") {
      return InvalidArgument("object " + what + " has a \"" + std::string(segment) +
                             "\" segment: \"" + Printable(key) + "\"");
    }
    if (first && (segment.front() == '.' || (!internal && segment.front() == '_'))) {
      return InvalidArgument("object " + what + " names a reserved bucket \"" + Printable(segment) +
                             "\" (buckets starting with '.' or '_' belong to spotbatch)");
    }
    first = false;
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return Status::Ok();
}

}  // namespace

Status ValidateObjectKey(std::string_view key) { return Validate(key, false, false); }
Status ValidateInternalKey(std::string_view key) { return Validate(key, false, true); }
Status ValidateKeyPrefix(std::string_view prefix) {
  if (prefix.empty()) return Status::Ok();
  return Validate(prefix, true, true);
}

}  // namespace spotbatch
