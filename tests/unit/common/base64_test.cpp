#include "common/base64.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace convox::common;

TEST(Base64, StandardRoundTripWithPadding) {
  EXPECT_EQ(base64Encode("hi"), "aGk=");
  EXPECT_EQ(base64Encode(""), "");
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    EXPECT_EQ(base64Decode(base64Encode(s)), s);
  }
}

TEST(Base64, UrlAlphabetWithoutPadding) {
  const std::string bytes("\xfb\xff\xfe", 3);
  EXPECT_EQ(base64UrlEncode(bytes), "-__-");
  EXPECT_EQ(base64UrlDecode("-__-"), bytes);
  EXPECT_EQ(base64UrlEncode("hi"), "aGk");
  EXPECT_EQ(base64UrlDecode("aGk"), "hi");
  EXPECT_EQ(base64UrlDecode("aGk="), "hi");
}

TEST(Base64, RejectsInvalidInput) {
  EXPECT_FALSE(base64Decode("abc"));      // not a multiple of 4
  EXPECT_FALSE(base64Decode("ab!d"));     // bad character
  EXPECT_FALSE(base64UrlDecode("a+b/"));  // standard alphabet in a URL-safe field
  EXPECT_FALSE(base64UrlDecode("a"));     // impossible length
}
