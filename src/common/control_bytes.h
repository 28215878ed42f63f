// Control bytes (C0 and DEL) in untrusted text: what may not reach a header line, a request
// path or a message unescaped.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace spotbatch {

inline bool IsControlByte(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  return c < 0x20 || c == 0x7F;
}

inline bool HasControlByte(std::string_view s) {
  return std::any_of(s.begin(), s.end(), IsControlByte);
}

// Only printable ASCII (0x20-0x7E): what a token or an ETag may hold.
inline bool IsPrintableAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c >= 0x20 && c < 0x7F;
  });
}

// At most `limit` bytes of `s`, each control byte replaced by '?': untrusted text made fit
// for a message or a log line. A cut never splits a UTF-8 character (it ends before one
// whose bytes would not all fit), so valid UTF-8 stays valid.
inline std::string Quotable(std::string_view s, size_t limit) {
  size_t cut = std::min(limit, s.size());
  if (cut < s.size()) {
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  }
  std::string out(s.substr(0, cut));
  std::replace_if(out.begin(), out.end(), IsControlByte, '?');
  return out;
}

}  // namespace spotbatch
