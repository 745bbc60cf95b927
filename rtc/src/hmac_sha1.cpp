// The low-level SHA-1 calls are deprecated in OpenSSL 3 in favour of EVP,
// whose context copies allocate; see hmac_sha1.hpp.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "hmac_sha1.hpp"

#include <openssl/crypto.h>

#include <array>

namespace convox::rtc::detail {

HmacSha1::~HmacSha1() {
  OPENSSL_cleanse(&inner_, sizeof inner_);
  OPENSSL_cleanse(&outer_, sizeof outer_);
}

void HmacSha1::setKey(std::span<const uint8_t> key) {
  constexpr size_t kBlock = 64;
  std::array<uint8_t, kBlock> block{};
  if (key.size() > kBlock) {
    SHA1(key.data(), key.size(), block.data());
  } else {
    std::copy(key.begin(), key.end(), block.begin());
  }
  std::array<uint8_t, kBlock> pad{};
  for (size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x36;
  SHA1_Init(&inner_);
  SHA1_Update(&inner_, pad.data(), pad.size());
  for (size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x5c;
  SHA1_Init(&outer_);
  SHA1_Update(&outer_, pad.data(), pad.size());
  OPENSSL_cleanse(block.data(), block.size());
  OPENSSL_cleanse(pad.data(), pad.size());
}

void HmacSha1::digest(std::span<const uint8_t> first, std::span<const uint8_t> second, uint8_t* out) const {
  std::array<uint8_t, kDigestLength> innerDigest{};
  SHA_CTX c = inner_;
  SHA1_Update(&c, first.data(), first.size());
  if (!second.empty()) SHA1_Update(&c, second.data(), second.size());
  SHA1_Final(innerDigest.data(), &c);
  c = outer_;
  SHA1_Update(&c, innerDigest.data(), innerDigest.size());
  SHA1_Final(out, &c);
}

}  // namespace convox::rtc::detail
