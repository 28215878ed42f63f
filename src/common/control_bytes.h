// Control bytes (C0 and DEL) in untrusted text: what may not reach a header line, a request
// path or a message unescaped.
#pragma once

#include <algorithm>
#include <string_view>

namespace spotbatch {

inline bool IsControlByte(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  return c < 0x20 || c == 0x7F;
}

inline bool HasControlByte(std::string_view s) {
  return std::any_of(s.begin(), s.end(), IsControlByte);
}

}  // namespace spotbatch
