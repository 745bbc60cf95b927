#pragma once

// Zero-copy RTCP (RFC 3550 §6): a compound-packet iterator that validates
// every common header against the buffer, and typed views for SR, RR, SDES
// and BYE. Feedback messages are in rtcp_feedback.hpp and rtcp_twcc.hpp.
//
// Views keep spans into the caller's buffer; typed views read their fields
// on demand. Builders write one packet into a caller-provided buffer with a
// correct length field and 32-bit alignment, so that a compound packet is
// several builder calls at increasing offsets. Nothing here allocates,
// throws or logs.

#include "rtc/parse_result.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace convox::rtc {

enum class RtcpError : uint8_t {
  Ok = 0,
  TruncatedHeader,     // fewer than 4 bytes where a common header should start
  BadVersion,          // V != 2
  LengthOverrun,       // length field runs past the buffer
  BadPadding,          // padding bit on an empty packet, count 0 or past the packet
  EmptyCompound,       // a compound packet with no packet in it
  WrongType,           // typed parser given another packet type or FMT
  BodyTooShort,        // fixed fields do not fit in the packet
  CountOverrun,        // report blocks, SSRCs, chunks or FCI entries run past the end
  SdesItemOverrun,     // an SDES item or its terminator runs past the end
  ReasonOverrun,       // a BYE reason runs past the end
  NotRemb,             // PSFB FMT 15 without the "REMB" identifier
  RembOverflow,        // mantissa << exponent does not fit 64 bits
  TwccEmpty,           // packet status count of 0
  TwccChunksShort,     // chunks end before the packet status count is covered
  TwccDeltasShort,     // receive deltas end before every received packet has one
  TwccReservedSymbol,  // status symbol 0b11
  BufferTooSmall,      // builder output does not fit
  InvalidArgument,     // builder input out of range (too many items, empty list, unsorted)
  DeltaOutOfRange,     // TWCC builder: a receive delta does not fit 16 bits signed
};

std::string_view describe(RtcpError error);

enum class RtcpType : uint8_t {
  Sr = 200,
  Rr = 201,
  Sdes = 202,
  Bye = 203,
  App = 204,
  Rtpfb = 205,  // RFC 4585 transport-layer feedback
  Psfb = 206,   // RFC 4585 payload-specific feedback
  Xr = 207,
};

// One packet of a compound packet.
class RtcpPacketView {
 public:
  static constexpr size_t kHeaderSize = 4;

  // Parses the packet at the start of `buffer`, which may hold more after it.
  static ParseResult<RtcpPacketView, RtcpError> parse(std::span<uint8_t> buffer);

  RtcpPacketView() = default;

  bool hasPadding() const { return (data_[0] & 0x20) != 0; }
  uint8_t count() const { return data_[0] & 0x1f; }  // RC, SC or FMT
  uint8_t format() const { return count(); }
  RtcpType type() const { return static_cast<RtcpType>(data_[1]); }
  std::span<uint8_t> data() const { return data_; }  // header to padding
  size_t size() const { return data_.size(); }
  std::span<uint8_t> body() const { return data_.subspan(kHeaderSize, bodySize_); }  // without padding

 private:
  // Passed by argument: the caller's buffer.
  std::span<uint8_t> data_;
  // Others.
  size_t bodySize_ = 0;
};

// Walks a compound packet. next() returns false at the end or on the first
// malformed header; error() then says which (Ok after a clean end).
class RtcpCompoundIterator {
 public:
  explicit RtcpCompoundIterator(std::span<uint8_t> buffer) : rest_(buffer) {}

  bool next(RtcpPacketView& out);
  RtcpError error() const { return error_; }

 private:
  std::span<uint8_t> rest_;
  RtcpError error_ = RtcpError::Ok;
  bool seenPacket_ = false;
};

// Validates every header of a compound packet.
RtcpError validateCompound(std::span<uint8_t> buffer);

struct ReportBlock {
  uint32_t ssrc = 0;
  uint8_t fractionLost = 0;    // fixed point, /256
  int32_t cumulativeLost = 0;  // 24-bit signed on the wire; the builder clamps
  uint32_t extendedHighestSequence = 0;
  uint32_t jitter = 0;
  uint32_t lastSr = 0;
  uint32_t delaySinceLastSr = 0;  // 1/65536 s
  bool operator==(const ReportBlock&) const = default;
};

// RFC 3550 NTP time for RTCP (SR timestamps, LSR/DLSR round trips):
// seconds since 1900 in the high 32 bits, the fraction in the low.
inline uint64_t ntpNow() {
  constexpr uint64_t kUnixToNtpSeconds = 2208988800ULL;
  const auto since = std::chrono::system_clock::now().time_since_epoch();
  const auto micros = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(since).count());
  return ((micros / 1'000'000 + kUnixToNtpSeconds) << 32) | (((micros % 1'000'000) << 32) / 1'000'000);
}

struct SenderInfo {
  uint64_t ntpTimestamp = 0;
  uint32_t rtpTimestamp = 0;
  uint32_t packetCount = 0;
  uint32_t octetCount = 0;
  bool operator==(const SenderInfo&) const = default;
};

inline constexpr size_t kMaxReportBlocks = 31;  // 5-bit RC

class SenderReportView {
 public:
  static ParseResult<SenderReportView, RtcpError> parse(const RtcpPacketView& packet);
  uint32_t senderSsrc() const;
  SenderInfo senderInfo() const;
  size_t reportCount() const { return count_; }
  ReportBlock reportBlock(size_t index) const;  // index < reportCount()

 private:
  std::span<const uint8_t> body_;
  uint8_t count_ = 0;
};

class ReceiverReportView {
 public:
  static ParseResult<ReceiverReportView, RtcpError> parse(const RtcpPacketView& packet);
  uint32_t senderSsrc() const;
  size_t reportCount() const { return count_; }
  ReportBlock reportBlock(size_t index) const;  // index < reportCount()

 private:
  std::span<const uint8_t> body_;
  uint8_t count_ = 0;
};

namespace sdes {
inline constexpr uint8_t kCname = 1;
inline constexpr uint8_t kName = 2;
inline constexpr uint8_t kTool = 6;
inline constexpr uint8_t kPriv = 8;
}  // namespace sdes

struct SdesItem {
  uint8_t type = 0;  // never 0: that is the chunk terminator
  std::string_view text;
};

// Items of one chunk; only constructed over items SdesView::parse validated.
class SdesItemIterator {
 public:
  explicit SdesItemIterator(std::span<const uint8_t> items) : items_(items) {}
  bool next(SdesItem& out);

 private:
  std::span<const uint8_t> items_;
  size_t offset_ = 0;
};

struct SdesChunk {
  uint32_t ssrc = 0;
  std::span<const uint8_t> items;  // up to the terminator
  SdesItemIterator itemIterator() const { return SdesItemIterator(items); }
  std::optional<std::string_view> find(uint8_t type) const;
  std::optional<std::string_view> cname() const { return find(sdes::kCname); }
};

class SdesChunkIterator {
 public:
  SdesChunkIterator(std::span<const uint8_t> body, size_t count) : body_(body), remaining_(count) {}
  bool next(SdesChunk& out);

 private:
  std::span<const uint8_t> body_;
  size_t offset_ = 0;
  size_t remaining_ = 0;
};

class SdesView {
 public:
  // Validates every chunk and item, so the iterators need no error path.
  static ParseResult<SdesView, RtcpError> parse(const RtcpPacketView& packet);
  size_t chunkCount() const { return count_; }
  SdesChunkIterator chunks() const { return {body_, count_}; }

 private:
  std::span<const uint8_t> body_;
  uint8_t count_ = 0;
};

class ByeView {
 public:
  static ParseResult<ByeView, RtcpError> parse(const RtcpPacketView& packet);
  size_t ssrcCount() const { return count_; }
  uint32_t ssrc(size_t index) const;  // index < ssrcCount()
  std::optional<std::string_view> reason() const { return reason_; }

 private:
  std::span<const uint8_t> body_;
  std::optional<std::string_view> reason_;
  uint8_t count_ = 0;
};

// Builders: each writes one packet at the start of `out` and returns its size.
ParseResult<size_t, RtcpError> buildSenderReport(uint32_t senderSsrc, const SenderInfo& info,
                                                 std::span<const ReportBlock> blocks, std::span<uint8_t> out);
ParseResult<size_t, RtcpError> buildReceiverReport(uint32_t senderSsrc, std::span<const ReportBlock> blocks,
                                                   std::span<uint8_t> out);

struct SdesChunkSpec {
  uint32_t ssrc = 0;
  std::span<const SdesItem> items;  // types 1..255, texts up to 255 bytes
};
ParseResult<size_t, RtcpError> buildSdes(std::span<const SdesChunkSpec> chunks, std::span<uint8_t> out);
ParseResult<size_t, RtcpError> buildSdesCname(uint32_t ssrc, std::string_view cname, std::span<uint8_t> out);

ParseResult<size_t, RtcpError> buildBye(std::span<const uint32_t> ssrcs, std::optional<std::string_view> reason,
                                        std::span<uint8_t> out);

}  // namespace convox::rtc
