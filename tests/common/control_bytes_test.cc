#include "common/control_bytes.h"

#include <gtest/gtest.h>

namespace spotbatch {
namespace {

TEST(Quotable, ReplacesControlBytesAndCutsAtTheLimit) {
  EXPECT_EQ(Quotable("a\nb\x7f"
                     "c",
                     100),
            "a?b?c");
  EXPECT_EQ(Quotable("abcdef", 3), "abc");
  EXPECT_EQ(Quotable("abc", 3), "abc");
  EXPECT_EQ(Quotable("", 3), "");
}

// "é" is two bytes and "寀" three: a cut inside either ends before it.
TEST(Quotable, NeverSplitsAUtf8Character) {
  EXPECT_EQ(Quotable("ab\xc3\xa9", 3), "ab");
  EXPECT_EQ(Quotable("ab\xc3\xa9", 4), "ab\xc3\xa9");
  EXPECT_EQ(Quotable("a\xe5\xaf\x80z", 2), "a");
  EXPECT_EQ(Quotable("a\xe5\xaf\x80z", 3), "a");
  EXPECT_EQ(Quotable("a\xe5\xaf\x80z", 4), "a\xe5\xaf\x80");
  EXPECT_EQ(Quotable("\xe5\xaf\x80", 2), "");
}

}  // namespace
}  // namespace spotbatch
