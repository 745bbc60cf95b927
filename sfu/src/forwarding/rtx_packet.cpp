#include "forwarding/rtx_packet.hpp"

#include "rtc/byte_io.hpp"

#include <algorithm>

namespace convox::sfu {

namespace {

constexpr size_t kOsnSize = 2;

void rewriteHeader(uint8_t* header, uint8_t payloadType, uint16_t sequenceNumber, uint32_t timestamp, uint32_t ssrc) {
  header[1] = static_cast<uint8_t>((header[1] & 0x80) | (payloadType & 0x7f));
  rtc::storeBe16(header + 2, sequenceNumber);
  rtc::storeBe32(header + 4, timestamp);
  rtc::storeBe32(header + 8, ssrc);
}

}  // namespace

rtc::ParseResult<size_t, rtc::RtpError> buildRtxPacket(const rtc::RtpPacketView& original, const RtxFields& rtx,
                                                       std::span<uint8_t> out) {
  const size_t headerSize = original.headerSize();
  const size_t size = headerSize + kOsnSize + original.payloadSize();
  if (out.size() < size) return rtc::RtpError::BufferTooSmall;
  if (rtx.payloadType > 127) return rtc::RtpError::BadField;
  const std::span<const uint8_t> bytes = original.data();
  std::copy_n(bytes.begin(), headerSize, out.begin());
  out[0] = static_cast<uint8_t>(out[0] & ~0x20);  // the padding is not carried over
  rewriteHeader(out.data(), rtx.payloadType, rtx.sequenceNumber, rtx.timestamp, rtx.ssrc);
  rtc::storeBe16(out.data() + headerSize, rtx.originalSequenceNumber);
  const std::span<const uint8_t> payload = original.payload();
  std::copy(payload.begin(), payload.end(), out.begin() + static_cast<std::ptrdiff_t>(headerSize + kOsnSize));
  return size;
}

rtc::ParseResult<size_t, rtc::RtpError> buildRetransmission(const rtc::RtpPacketView& original,
                                                            const RetransmissionFields& fields,
                                                            std::span<uint8_t> out) {
  const std::span<const uint8_t> bytes = original.data();
  if (out.size() < bytes.size()) return rtc::RtpError::BufferTooSmall;
  if (fields.payloadType > 127) return rtc::RtpError::BadField;
  std::copy(bytes.begin(), bytes.end(), out.begin());
  rewriteHeader(out.data(), fields.payloadType, fields.sequenceNumber, fields.timestamp, fields.ssrc);
  return bytes.size();
}

bool parseRtxPayload(std::span<const uint8_t> rtxPayload, uint16_t& originalSequenceNumber,
                     std::span<const uint8_t>& originalPayload) {
  if (rtxPayload.size() < kOsnSize) return false;
  originalSequenceNumber = rtc::loadBe16(rtxPayload.data());
  originalPayload = rtxPayload.subspan(kOsnSize);
  return true;
}

}  // namespace convox::sfu
