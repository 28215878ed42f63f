// What the fuzz targets assert with: a violated property prints what broke and traps, so that
// libFuzzer reports a crash and saves the input (fuzz/README.md: how to make it a seed).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "common/control_bytes.h"

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
using ::spotbatch::HasControlByte;

}  // namespace spotbatch::fuzz
