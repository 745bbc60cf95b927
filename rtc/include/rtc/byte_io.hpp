#pragma once

// Big-endian loads and stores for wire formats. Byte-wise so that they are
// alignment-safe on any pointer into a receive buffer; compilers fold them
// into a single load plus bswap. Callers check bounds first.

#include <cstdint>

namespace convox::rtc {

inline uint16_t loadBe16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

inline uint32_t loadBe24(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 16) | (static_cast<uint32_t>(p[1]) << 8) | p[2];
}

inline uint32_t loadBe32(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | p[3];
}

inline uint64_t loadBe64(const uint8_t* p) { return (static_cast<uint64_t>(loadBe32(p)) << 32) | loadBe32(p + 4); }

// Sign-extends a 24-bit two's complement field (RTCP cumulative loss, TWCC
// reference time).
inline int32_t loadBe24Signed(const uint8_t* p) {
  const uint32_t raw = loadBe24(p);
  return static_cast<int32_t>(raw ^ 0x800000u) - 0x800000;
}

inline void storeBe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

inline void storeBe24(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 16);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v);
}

inline void storeBe32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

inline void storeBe64(uint8_t* p, uint64_t v) {
  storeBe32(p, static_cast<uint32_t>(v >> 32));
  storeBe32(p + 4, static_cast<uint32_t>(v));
}

}  // namespace convox::rtc
