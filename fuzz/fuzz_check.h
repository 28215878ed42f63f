// What the fuzz targets assert with: a violated property prints what broke and traps, so that
// libFuzzer reports a crash and saves the input (fuzz/README.md: how to make it a seed).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #cond); \
      __builtin_trap();                                                                  \
    }                                                                                    \
  } while (0)

// The same, with what the input led to (a message, a value) in the report.
#define FUZZ_CHECK_MSG(cond, detail)                                                          \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      std::fprintf(stderr, "%s:%d: property violated: %s\n  %s\n", __FILE__, __LINE__, #cond, \
                   std::string(detail).c_str());                                              \
      __builtin_trap();                                                                       \
    }                                                                                         \
  } while (0)

namespace spotbatch::fuzz {

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// True when `s` holds a byte that would corrupt a terminal or a log line.
inline bool HasControlByte(std::string_view s) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) return true;
  }
  return false;
}

}  // namespace spotbatch::fuzz
