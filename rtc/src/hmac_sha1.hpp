#pragma once

// HMAC-SHA1 (RFC 2104) with the keyed inner and outer states computed once,
// so a tag costs two SHA-1 state copies and no allocation. OpenSSL 3.0's
// EVP_MAC re-initialisation duplicates its digest context on the heap (two
// allocations per packet, measured in bench/srtp_bench.cpp); its SHA-1
// block functions are the same assembly either way.

#include <openssl/sha.h>

#include <cstddef>
#include <cstdint>
#include <span>

namespace convox::rtc::detail {

class HmacSha1 {
 public:
  static constexpr size_t kDigestLength = 20;

  HmacSha1() = default;
  HmacSha1(const HmacSha1&) = delete;
  HmacSha1& operator=(const HmacSha1&) = delete;
  ~HmacSha1();  // the keyed states are as good as the key: wiped

  void setKey(std::span<const uint8_t> key);
  // HMAC(key, first || second), all 20 bytes.
  void digest(std::span<const uint8_t> first, std::span<const uint8_t> second, uint8_t* out) const;

 private:
  SHA_CTX inner_{};
  SHA_CTX outer_{};
};

}  // namespace convox::rtc::detail
