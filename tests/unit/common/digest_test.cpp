#include "common/digest.hpp"

#include <gtest/gtest.h>

using convox::common::hexEncode;
using convox::common::hmacSha256;
using convox::common::sha256;

TEST(Digest, Sha256OfAbc) {
  EXPECT_EQ(hexEncode(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Digest, HmacSha256Rfc4231Case2) {
  EXPECT_EQ(hexEncode(hmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Digest, HexIsLowercaseTwoDigitsPerByte) {
  EXPECT_EQ(hexEncode(std::string("\x00\x0f\xf0\xff", 4)), "000ff0ff");
  EXPECT_EQ(hexEncode(""), "");
}
