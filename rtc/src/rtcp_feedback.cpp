#include "rtc/rtcp_feedback.hpp"

#include "rtcp_common.hpp"

namespace convox::rtc {

namespace {

using detail::kFeedbackCommonBytes;

constexpr size_t kNackPairBytes = 4;
constexpr size_t kFirEntryBytes = 8;
constexpr size_t kRembFixedBytes = 8;             // "REMB", num SSRC, exponent and mantissa
constexpr uint32_t kRembIdentifier = 0x52454d42;  // "REMB"
constexpr uint32_t kRembMaxMantissa = 0x3ffff;    // 18 bits

// Emits PID/BLP pairs in one forward pass: a number within 16 after the
// current PID joins its mask (uint16_t arithmetic handles the wrap), any
// other number starts a new pair.
template <typename Emit>
void packNackPairs(std::span<const uint16_t> lost, Emit&& emit) {
  NackPair current{lost[0], 0};
  for (size_t i = 1; i < lost.size(); ++i) {
    const auto distance = static_cast<uint16_t>(lost[i] - current.pid);
    if (distance == 0) continue;
    if (distance <= 16) {
      current.blp = static_cast<uint16_t>(current.blp | (1u << (distance - 1)));
      continue;
    }
    emit(current);
    current = NackPair{lost[i], 0};
  }
  emit(current);
}

}  // namespace

ParseResult<NackView, RtcpError> NackView::parse(const RtcpPacketView& packet) {
  const RtcpError e =
      detail::checkFeedback(packet, RtcpType::Rtpfb, rtpfb::kNack, kFeedbackCommonBytes + kNackPairBytes);
  if (e != RtcpError::Ok) return e;
  NackView view;
  view.body_ = packet.body();
  view.pairCount_ = (view.body_.size() - kFeedbackCommonBytes) / kNackPairBytes;
  return view;
}

uint32_t NackView::senderSsrc() const { return loadBe32(body_.data()); }
uint32_t NackView::mediaSsrc() const { return loadBe32(body_.data() + 4); }

NackPair NackView::pair(size_t index) const {
  const uint8_t* p = body_.data() + kFeedbackCommonBytes + index * kNackPairBytes;
  return NackPair{loadBe16(p), loadBe16(p + 2)};
}

size_t NackView::lostSequenceNumbers(std::span<uint16_t> out) const {
  size_t written = 0;
  forEachLost([&](uint16_t seq) {
    if (written < out.size()) out[written++] = seq;
  });
  return written;
}

ParseResult<PliView, RtcpError> PliView::parse(const RtcpPacketView& packet) {
  const RtcpError e = detail::checkFeedback(packet, RtcpType::Psfb, psfb::kPli, kFeedbackCommonBytes);
  if (e != RtcpError::Ok) return e;
  PliView view;
  view.body_ = packet.body();
  return view;
}

uint32_t PliView::senderSsrc() const { return loadBe32(body_.data()); }
uint32_t PliView::mediaSsrc() const { return loadBe32(body_.data() + 4); }

ParseResult<FirView, RtcpError> FirView::parse(const RtcpPacketView& packet) {
  // RFC 5104 §4.3.1.2: the FCI holds one or more entries.
  const RtcpError e = detail::checkFeedback(packet, RtcpType::Psfb, psfb::kFir, kFeedbackCommonBytes + kFirEntryBytes);
  if (e != RtcpError::Ok) return e;
  const auto body = packet.body();
  if ((body.size() - kFeedbackCommonBytes) % kFirEntryBytes != 0) return RtcpError::CountOverrun;
  FirView view;
  view.body_ = body;
  view.entryCount_ = (body.size() - kFeedbackCommonBytes) / kFirEntryBytes;
  return view;
}

uint32_t FirView::senderSsrc() const { return loadBe32(body_.data()); }

FirEntry FirView::entry(size_t index) const {
  const uint8_t* p = body_.data() + kFeedbackCommonBytes + index * kFirEntryBytes;
  return FirEntry{loadBe32(p), p[4]};
}

ParseResult<RembView, RtcpError> RembView::parse(const RtcpPacketView& packet) {
  const RtcpError e = detail::checkFeedback(packet, RtcpType::Psfb, psfb::kAfb, kFeedbackCommonBytes);
  if (e != RtcpError::Ok) return e;
  const auto body = packet.body();
  if (body.size() < kFeedbackCommonBytes + 4 || loadBe32(&body[8]) != kRembIdentifier) return RtcpError::NotRemb;
  if (body.size() < kFeedbackCommonBytes + kRembFixedBytes) return RtcpError::BodyTooShort;
  const size_t ssrcCount = body[12];
  if (kFeedbackCommonBytes + kRembFixedBytes + 4 * ssrcCount > body.size()) return RtcpError::CountOverrun;
  const unsigned exponent = body[13] >> 2;
  const uint64_t mantissa = (uint64_t{body[13] & 0x3u} << 16) | loadBe16(&body[14]);
  const uint64_t bitrate = mantissa << exponent;
  if ((bitrate >> exponent) != mantissa) return RtcpError::RembOverflow;
  RembView view;
  view.body_ = body;
  view.bitrate_ = bitrate;
  view.ssrcCount_ = ssrcCount;
  return view;
}

uint32_t RembView::senderSsrc() const { return loadBe32(body_.data()); }

uint32_t RembView::ssrc(size_t index) const {
  return loadBe32(body_.data() + kFeedbackCommonBytes + kRembFixedBytes + 4 * index);
}

ParseResult<size_t, RtcpError> buildNack(uint32_t senderSsrc, uint32_t mediaSsrc, std::span<const uint16_t> lost,
                                         std::span<uint8_t> out) {
  if (lost.empty()) return RtcpError::InvalidArgument;
  size_t pairCount = 0;
  packNackPairs(lost, [&](const NackPair&) { ++pairCount; });
  const size_t size = RtcpPacketView::kHeaderSize + kFeedbackCommonBytes + pairCount * kNackPairBytes;
  if (const auto e = detail::checkBuildSize(size, out.size()); e != RtcpError::Ok) return e;
  detail::writeFeedbackCommon(out.data(), rtpfb::kNack, RtcpType::Rtpfb, size, senderSsrc, mediaSsrc);
  uint8_t* p = out.data() + RtcpPacketView::kHeaderSize + kFeedbackCommonBytes;
  packNackPairs(lost, [&](const NackPair& pair) {
    storeBe16(p, pair.pid);
    storeBe16(p + 2, pair.blp);
    p += kNackPairBytes;
  });
  return size;
}

ParseResult<size_t, RtcpError> buildNack(uint32_t senderSsrc, uint32_t mediaSsrc, std::span<const NackPair> pairs,
                                         std::span<uint8_t> out) {
  if (pairs.empty()) return RtcpError::InvalidArgument;
  const size_t size = RtcpPacketView::kHeaderSize + kFeedbackCommonBytes + pairs.size() * kNackPairBytes;
  if (const auto e = detail::checkBuildSize(size, out.size()); e != RtcpError::Ok) return e;
  detail::writeFeedbackCommon(out.data(), rtpfb::kNack, RtcpType::Rtpfb, size, senderSsrc, mediaSsrc);
  uint8_t* p = out.data() + RtcpPacketView::kHeaderSize + kFeedbackCommonBytes;
  for (const NackPair& pair : pairs) {
    storeBe16(p, pair.pid);
    storeBe16(p + 2, pair.blp);
    p += kNackPairBytes;
  }
  return size;
}

ParseResult<size_t, RtcpError> buildPli(uint32_t senderSsrc, uint32_t mediaSsrc, std::span<uint8_t> out) {
  const size_t size = RtcpPacketView::kHeaderSize + kFeedbackCommonBytes;
  if (const auto e = detail::checkBuildSize(size, out.size()); e != RtcpError::Ok) return e;
  detail::writeFeedbackCommon(out.data(), psfb::kPli, RtcpType::Psfb, size, senderSsrc, mediaSsrc);
  return size;
}

ParseResult<size_t, RtcpError> buildFir(uint32_t senderSsrc, std::span<const FirEntry> entries,
                                        std::span<uint8_t> out) {
  if (entries.empty()) return RtcpError::InvalidArgument;
  const size_t size = RtcpPacketView::kHeaderSize + kFeedbackCommonBytes + entries.size() * kFirEntryBytes;
  if (const auto e = detail::checkBuildSize(size, out.size()); e != RtcpError::Ok) return e;
  // RFC 5104 §4.3.1.2: the media source SSRC is unused and set to 0.
  detail::writeFeedbackCommon(out.data(), psfb::kFir, RtcpType::Psfb, size, senderSsrc, 0);
  uint8_t* p = out.data() + RtcpPacketView::kHeaderSize + kFeedbackCommonBytes;
  for (const FirEntry& entry : entries) {
    storeBe32(p, entry.ssrc);
    p[4] = entry.sequenceNumber;
    p[5] = p[6] = p[7] = 0;
    p += kFirEntryBytes;
  }
  return size;
}

ParseResult<size_t, RtcpError> buildRemb(uint32_t senderSsrc, uint64_t bitrateBps, std::span<const uint32_t> ssrcs,
                                         std::span<uint8_t> out) {
  if (ssrcs.size() > 255) return RtcpError::InvalidArgument;
  const size_t size = RtcpPacketView::kHeaderSize + kFeedbackCommonBytes + kRembFixedBytes + 4 * ssrcs.size();
  if (const auto e = detail::checkBuildSize(size, out.size()); e != RtcpError::Ok) return e;
  unsigned exponent = 0;
  while ((bitrateBps >> exponent) > kRembMaxMantissa) ++exponent;
  const auto mantissa = static_cast<uint32_t>(bitrateBps >> exponent);
  uint8_t* p = out.data();
  detail::writeFeedbackCommon(p, psfb::kAfb, RtcpType::Psfb, size, senderSsrc, 0);
  storeBe32(p + 12, kRembIdentifier);
  p[16] = static_cast<uint8_t>(ssrcs.size());
  p[17] = static_cast<uint8_t>((exponent << 2) | (mantissa >> 16));
  storeBe16(p + 18, static_cast<uint16_t>(mantissa));
  p += 20;
  for (const uint32_t ssrc : ssrcs) {
    storeBe32(p, ssrc);
    p += 4;
  }
  return size;
}

}  // namespace convox::rtc
