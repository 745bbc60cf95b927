#include "rtc/rtcp_packet.hpp"

#include "rtcp_common.hpp"

#include <algorithm>

namespace convox::rtc {

namespace {

constexpr size_t kSsrcBytes = 4;
constexpr size_t kSenderInfoBytes = 20;
constexpr size_t kReportBlockBytes = 24;
constexpr int32_t kMaxCumulativeLost = 0x7fffff;
constexpr int32_t kMinCumulativeLost = -0x800000;

ReportBlock readReportBlock(const uint8_t* p) {
  ReportBlock b;
  b.ssrc = loadBe32(p);
  b.fractionLost = p[4];
  b.cumulativeLost = loadBe24Signed(p + 5);
  b.extendedHighestSequence = loadBe32(p + 8);
  b.jitter = loadBe32(p + 12);
  b.lastSr = loadBe32(p + 16);
  b.delaySinceLastSr = loadBe32(p + 20);
  return b;
}

uint8_t* writeReportBlocks(uint8_t* p, std::span<const ReportBlock> blocks) {
  for (const ReportBlock& b : blocks) {
    storeBe32(p, b.ssrc);
    p[4] = b.fractionLost;
    // RFC 3550 A.3: clamp rather than wrap a loss count that overflows 24 bits.
    const int32_t lost = std::clamp(b.cumulativeLost, kMinCumulativeLost, kMaxCumulativeLost);
    storeBe24(p + 5, static_cast<uint32_t>(lost) & 0xffffff);
    storeBe32(p + 8, b.extendedHighestSequence);
    storeBe32(p + 12, b.jitter);
    storeBe32(p + 16, b.lastSr);
    storeBe32(p + 20, b.delaySinceLastSr);
    p += kReportBlockBytes;
  }
  return p;
}

}  // namespace

std::string_view describe(RtcpError error) {
  switch (error) {
    case RtcpError::Ok:
      return "ok";
    case RtcpError::TruncatedHeader:
      return "truncated common header";
    case RtcpError::BadVersion:
      return "version is not 2";
    case RtcpError::LengthOverrun:
      return "length field runs past the buffer";
    case RtcpError::BadPadding:
      return "bad padding";
    case RtcpError::EmptyCompound:
      return "empty compound packet";
    case RtcpError::WrongType:
      return "wrong packet type or format";
    case RtcpError::BodyTooShort:
      return "fixed fields do not fit";
    case RtcpError::CountOverrun:
      return "items run past the end";
    case RtcpError::SdesItemOverrun:
      return "SDES item runs past the end";
    case RtcpError::ReasonOverrun:
      return "BYE reason runs past the end";
    case RtcpError::NotRemb:
      return "not a REMB message";
    case RtcpError::RembOverflow:
      return "REMB bitrate overflows";
    case RtcpError::TwccEmpty:
      return "TWCC packet status count is 0";
    case RtcpError::TwccChunksShort:
      return "TWCC chunks do not cover the status count";
    case RtcpError::TwccDeltasShort:
      return "TWCC receive deltas run past the end";
    case RtcpError::TwccReservedSymbol:
      return "TWCC reserved status symbol";
    case RtcpError::BufferTooSmall:
      return "output buffer too small";
    case RtcpError::InvalidArgument:
      return "builder argument out of range";
    case RtcpError::DeltaOutOfRange:
      return "TWCC receive delta out of range";
  }
  return "unknown";
}

ParseResult<RtcpPacketView, RtcpError> RtcpPacketView::parse(std::span<uint8_t> buffer) {
  if (buffer.size() < kHeaderSize) return RtcpError::TruncatedHeader;
  if ((buffer[0] >> 6) != 2) return RtcpError::BadVersion;
  const size_t size = 4 * (size_t{loadBe16(&buffer[2])} + 1);
  if (size > buffer.size()) return RtcpError::LengthOverrun;
  size_t padding = 0;
  if ((buffer[0] & 0x20) != 0) {
    // The last octet counts the padding including itself (RFC 3550 §6.4.1).
    if (size == kHeaderSize) return RtcpError::BadPadding;
    padding = buffer[size - 1];
    if (padding == 0 || padding > size - kHeaderSize) return RtcpError::BadPadding;
  }
  RtcpPacketView view;
  view.data_ = buffer.first(size);
  view.bodySize_ = size - kHeaderSize - padding;
  return view;
}

bool RtcpCompoundIterator::next(RtcpPacketView& out) {
  if (error_ != RtcpError::Ok) return false;
  if (rest_.empty()) {
    if (!seenPacket_) error_ = RtcpError::EmptyCompound;
    return false;
  }
  const auto packet = RtcpPacketView::parse(rest_);
  if (!packet) {
    error_ = packet.error();
    rest_ = {};
    return false;
  }
  out = *packet;
  rest_ = rest_.subspan(out.size());
  seenPacket_ = true;
  return true;
}

RtcpError validateCompound(std::span<uint8_t> buffer) {
  RtcpCompoundIterator it(buffer);
  RtcpPacketView packet;
  while (it.next(packet)) {
  }
  return it.error();
}

ParseResult<SenderReportView, RtcpError> SenderReportView::parse(const RtcpPacketView& packet) {
  if (packet.type() != RtcpType::Sr) return RtcpError::WrongType;
  const auto body = packet.body();
  if (body.size() < kSsrcBytes + kSenderInfoBytes) return RtcpError::BodyTooShort;
  // Profile-specific extensions may follow the blocks; they are ignored.
  if (kSsrcBytes + kSenderInfoBytes + packet.count() * kReportBlockBytes > body.size()) {
    return RtcpError::CountOverrun;
  }
  SenderReportView view;
  view.body_ = body;
  view.count_ = packet.count();
  return view;
}

uint32_t SenderReportView::senderSsrc() const { return loadBe32(body_.data()); }

SenderInfo SenderReportView::senderInfo() const {
  const uint8_t* p = body_.data() + kSsrcBytes;
  return SenderInfo{loadBe64(p), loadBe32(p + 8), loadBe32(p + 12), loadBe32(p + 16)};
}

ReportBlock SenderReportView::reportBlock(size_t index) const {
  return readReportBlock(body_.data() + kSsrcBytes + kSenderInfoBytes + index * kReportBlockBytes);
}

ParseResult<ReceiverReportView, RtcpError> ReceiverReportView::parse(const RtcpPacketView& packet) {
  if (packet.type() != RtcpType::Rr) return RtcpError::WrongType;
  const auto body = packet.body();
  if (body.size() < kSsrcBytes) return RtcpError::BodyTooShort;
  if (kSsrcBytes + packet.count() * kReportBlockBytes > body.size()) return RtcpError::CountOverrun;
  ReceiverReportView view;
  view.body_ = body;
  view.count_ = packet.count();
  return view;
}

uint32_t ReceiverReportView::senderSsrc() const { return loadBe32(body_.data()); }

ReportBlock ReceiverReportView::reportBlock(size_t index) const {
  return readReportBlock(body_.data() + kSsrcBytes + index * kReportBlockBytes);
}

ParseResult<ByeView, RtcpError> ByeView::parse(const RtcpPacketView& packet) {
  if (packet.type() != RtcpType::Bye) return RtcpError::WrongType;
  const auto body = packet.body();
  const size_t ssrcBytes = packet.count() * kSsrcBytes;
  if (ssrcBytes > body.size()) return RtcpError::CountOverrun;
  ByeView view;
  view.body_ = body;
  view.count_ = packet.count();
  if (ssrcBytes < body.size()) {
    const size_t length = body[ssrcBytes];
    if (ssrcBytes + 1 + length > body.size()) return RtcpError::ReasonOverrun;
    view.reason_ = std::string_view(reinterpret_cast<const char*>(&body[ssrcBytes + 1]), length);
  }
  return view;
}

uint32_t ByeView::ssrc(size_t index) const { return loadBe32(body_.data() + index * kSsrcBytes); }

ParseResult<size_t, RtcpError> buildSenderReport(uint32_t senderSsrc, const SenderInfo& info,
                                                 std::span<const ReportBlock> blocks, std::span<uint8_t> out) {
  if (blocks.size() > kMaxReportBlocks) return RtcpError::InvalidArgument;
  const size_t size = RtcpPacketView::kHeaderSize + kSsrcBytes + kSenderInfoBytes + blocks.size() * kReportBlockBytes;
  if (const auto e = detail::checkBuildSize(size, out.size()); e != RtcpError::Ok) return e;
  uint8_t* p = out.data();
  detail::writeHeader(p, static_cast<uint8_t>(blocks.size()), RtcpType::Sr, size);
  storeBe32(p + 4, senderSsrc);
  storeBe64(p + 8, info.ntpTimestamp);
  storeBe32(p + 16, info.rtpTimestamp);
  storeBe32(p + 20, info.packetCount);
  storeBe32(p + 24, info.octetCount);
  writeReportBlocks(p + 28, blocks);
  return size;
}

ParseResult<size_t, RtcpError> buildReceiverReport(uint32_t senderSsrc, std::span<const ReportBlock> blocks,
                                                   std::span<uint8_t> out) {
  if (blocks.size() > kMaxReportBlocks) return RtcpError::InvalidArgument;
  const size_t size = RtcpPacketView::kHeaderSize + kSsrcBytes + blocks.size() * kReportBlockBytes;
  if (const auto e = detail::checkBuildSize(size, out.size()); e != RtcpError::Ok) return e;
  uint8_t* p = out.data();
  detail::writeHeader(p, static_cast<uint8_t>(blocks.size()), RtcpType::Rr, size);
  storeBe32(p + 4, senderSsrc);
  writeReportBlocks(p + 8, blocks);
  return size;
}

ParseResult<size_t, RtcpError> buildBye(std::span<const uint32_t> ssrcs, std::optional<std::string_view> reason,
                                        std::span<uint8_t> out) {
  if (ssrcs.size() > 31 || (reason && reason->size() > 255)) return RtcpError::InvalidArgument;
  const size_t reasonBytes = reason ? detail::padTo4(1 + reason->size()) : 0;
  const size_t size = RtcpPacketView::kHeaderSize + ssrcs.size() * kSsrcBytes + reasonBytes;
  if (const auto e = detail::checkBuildSize(size, out.size()); e != RtcpError::Ok) return e;
  uint8_t* p = out.data();
  detail::writeHeader(p, static_cast<uint8_t>(ssrcs.size()), RtcpType::Bye, size);
  p += RtcpPacketView::kHeaderSize;
  for (const uint32_t ssrc : ssrcs) {
    storeBe32(p, ssrc);
    p += kSsrcBytes;
  }
  if (reason) {
    *p++ = static_cast<uint8_t>(reason->size());
    p = std::copy(reason->begin(), reason->end(), p);
    std::fill(p, out.data() + size, uint8_t{0});
  }
  return size;
}

}  // namespace convox::rtc
