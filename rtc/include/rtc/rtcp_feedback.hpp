#pragma once

// RFC 4585 feedback messages: generic NACK (RTPFB FMT 1), PLI (PSFB FMT 1),
// FIR (RFC 5104, PSFB FMT 4) and REMB (draft-alvestrand-rmcat-remb, PSFB
// FMT 15). Transport-wide CC feedback is in rtcp_twcc.hpp.

#include "rtc/rtcp_packet.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace convox::rtc {

namespace rtpfb {
inline constexpr uint8_t kNack = 1;
inline constexpr uint8_t kTransportCc = 15;
}  // namespace rtpfb

namespace psfb {
inline constexpr uint8_t kPli = 1;
inline constexpr uint8_t kFir = 4;
inline constexpr uint8_t kAfb = 15;  // application layer feedback: REMB
}  // namespace psfb

// PID plus a bitmask of the 16 following sequence numbers (bit i: PID + i + 1).
struct NackPair {
  uint16_t pid = 0;
  uint16_t blp = 0;
  bool operator==(const NackPair&) const = default;
};

class NackView {
 public:
  static ParseResult<NackView, RtcpError> parse(const RtcpPacketView& packet);
  uint32_t senderSsrc() const;
  uint32_t mediaSsrc() const;
  size_t pairCount() const { return pairCount_; }
  NackPair pair(size_t index) const;  // index < pairCount()

  // Calls fn(uint16_t sequenceNumber) for every lost packet, in wire order;
  // sequence numbers wrap modulo 2^16.
  template <typename Fn>
  void forEachLost(Fn&& fn) const {
    for (size_t i = 0; i < pairCount_; ++i) {
      const NackPair p = pair(i);
      fn(p.pid);
      for (unsigned bit = 0; bit < 16; ++bit) {
        if ((p.blp >> bit) & 1u) fn(static_cast<uint16_t>(p.pid + bit + 1));
      }
    }
  }
  // Writes up to out.size() lost sequence numbers; returns how many it wrote.
  size_t lostSequenceNumbers(std::span<uint16_t> out) const;

 private:
  std::span<const uint8_t> body_;
  size_t pairCount_ = 0;
};

class PliView {
 public:
  static ParseResult<PliView, RtcpError> parse(const RtcpPacketView& packet);
  uint32_t senderSsrc() const;
  uint32_t mediaSsrc() const;

 private:
  std::span<const uint8_t> body_;
};

struct FirEntry {
  uint32_t ssrc = 0;
  uint8_t sequenceNumber = 0;  // command sequence number, incremented per new request
  bool operator==(const FirEntry&) const = default;
};

class FirView {
 public:
  static ParseResult<FirView, RtcpError> parse(const RtcpPacketView& packet);
  uint32_t senderSsrc() const;
  size_t entryCount() const { return entryCount_; }
  FirEntry entry(size_t index) const;  // index < entryCount()

 private:
  std::span<const uint8_t> body_;
  size_t entryCount_ = 0;
};

class RembView {
 public:
  static ParseResult<RembView, RtcpError> parse(const RtcpPacketView& packet);
  uint32_t senderSsrc() const;
  uint64_t bitrateBps() const { return bitrate_; }
  size_t ssrcCount() const { return ssrcCount_; }
  uint32_t ssrc(size_t index) const;  // index < ssrcCount()

 private:
  std::span<const uint8_t> body_;
  uint64_t bitrate_ = 0;
  size_t ssrcCount_ = 0;
};

// Packs lost sequence numbers into as few PID/BLP pairs as a single forward
// pass allows: sorted input (in RTP order, so 65535 may precede 0) packs
// tightly; any other order still reports every number.
ParseResult<size_t, RtcpError> buildNack(uint32_t senderSsrc, uint32_t mediaSsrc, std::span<const uint16_t> lost,
                                         std::span<uint8_t> out);
ParseResult<size_t, RtcpError> buildNack(uint32_t senderSsrc, uint32_t mediaSsrc, std::span<const NackPair> pairs,
                                         std::span<uint8_t> out);
ParseResult<size_t, RtcpError> buildPli(uint32_t senderSsrc, uint32_t mediaSsrc, std::span<uint8_t> out);
ParseResult<size_t, RtcpError> buildFir(uint32_t senderSsrc, std::span<const FirEntry> entries, std::span<uint8_t> out);
// The bitrate is rounded down to 18 significant bits.
ParseResult<size_t, RtcpError> buildRemb(uint32_t senderSsrc, uint64_t bitrateBps, std::span<const uint32_t> ssrcs,
                                         std::span<uint8_t> out);

}  // namespace convox::rtc
