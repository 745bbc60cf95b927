#pragma once

// Shared by the RTCP parsers and builders; not part of the public API.

#include "rtc/byte_io.hpp"
#include "rtc/rtcp_packet.hpp"

#include <cstddef>
#include <cstdint>

namespace convox::rtc::detail {

// The length field counts 32-bit words minus one in 16 bits.
inline constexpr size_t kMaxRtcpPacketBytes = 4 * (size_t{0xffff} + 1);
// RTPFB and PSFB: SSRC of packet sender + SSRC of media source (RFC 4585 §6.1).
inline constexpr size_t kFeedbackCommonBytes = 8;

inline size_t padTo4(size_t n) { return (n + 3) & ~size_t{3}; }

// A builder's packet of `size` bytes (a multiple of 4) must fit both the
// output and the length field.
inline RtcpError checkBuildSize(size_t size, size_t capacity) {
  if (size > kMaxRtcpPacketBytes) return RtcpError::InvalidArgument;
  if (size > capacity) return RtcpError::BufferTooSmall;
  return RtcpError::Ok;
}

inline void writeHeader(uint8_t* p, uint8_t count, RtcpType type, size_t size, bool padding = false) {
  p[0] = static_cast<uint8_t>(0x80 | (padding ? 0x20 : 0) | (count & 0x1f));
  p[1] = static_cast<uint8_t>(type);
  storeBe16(p + 2, static_cast<uint16_t>(size / 4 - 1));
}

// Type, FMT and the common feedback fields of an RTPFB/PSFB packet.
inline RtcpError checkFeedback(const RtcpPacketView& packet, RtcpType type, uint8_t format, size_t minBody) {
  if (packet.type() != type || packet.format() != format) return RtcpError::WrongType;
  if (packet.body().size() < minBody) return RtcpError::BodyTooShort;
  return RtcpError::Ok;
}

inline void writeFeedbackCommon(uint8_t* p, uint8_t format, RtcpType type, size_t size, uint32_t senderSsrc,
                                uint32_t mediaSsrc) {
  writeHeader(p, format, type, size);
  storeBe32(p + 4, senderSsrc);
  storeBe32(p + 8, mediaSsrc);
}

}  // namespace convox::rtc::detail
