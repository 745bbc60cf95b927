// RFC 4588 RTX packets and plain retransmissions built from a stored packet.
#include "forwarding/rtx_packet.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace {

using convox::rtc::RtpError;
using convox::rtc::RtpPacketView;
using convox::sfu::buildRetransmission;
using convox::sfu::buildRtxPacket;
using convox::sfu::parseRtxPayload;
using convox::sfu::RtxFields;

// VP8-like packet with one CSRC, a one-byte extension block and 2 bytes of padding.
std::vector<uint8_t> storedPacket() {
  return {
      0xB1, 0xE0, 0x12, 0x34,  // V=2 P=1 X=1 CC=1 | M=1 PT=96 | seq 0x1234
      0x00, 0x01, 0xE2, 0x40,  // timestamp
      0xDE, 0xAD, 0xBE, 0xEF,  // SSRC
      0x00, 0x00, 0x00, 0x2A,  // CSRC
      0xBE, 0xDE, 0x00, 0x01,  // one-byte extensions, 1 word
      0x31, 0x00, 0x2A, 0x00,  // id 3 (2 bytes), padding
      0x10, 0x20, 0x30,        // payload
      0x00, 0x02,              // padding, last byte counts it
  };
}

TEST(RtxPacketTest, BuildsRtxWithOsnBeforeThePayload) {
  auto bytes = storedPacket();
  const auto original = RtpPacketView::parse(bytes);
  ASSERT_TRUE(original.ok());
  std::array<uint8_t, 64> out{};
  const RtxFields rtx{0xCAFEBABE, 97, 500, 0x0A0B, 777};
  const auto size = buildRtxPacket(*original, rtx, out);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 24u + 2 + 3);
  const auto parsed = RtpPacketView::parse(std::span(out).first(*size));
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->hasPadding());
  EXPECT_TRUE(parsed->marker());
  EXPECT_EQ(parsed->payloadType(), 97);
  EXPECT_EQ(parsed->sequenceNumber(), 500);
  EXPECT_EQ(parsed->timestamp(), 777u);
  EXPECT_EQ(parsed->ssrc(), 0xCAFEBABEu);
  EXPECT_EQ(parsed->csrc(0), 42u);
  EXPECT_EQ(parsed->transportSequenceNumber(3), 42);
  uint16_t osn = 0;
  std::span<const uint8_t> payload;
  ASSERT_TRUE(parseRtxPayload(parsed->payload(), osn, payload));
  EXPECT_EQ(osn, 0x0A0B);
  EXPECT_EQ(std::vector<uint8_t>(payload.begin(), payload.end()), (std::vector<uint8_t>{0x10, 0x20, 0x30}));
}

TEST(RtxPacketTest, RefusesSmallBuffersAndBadPayloadTypes) {
  auto bytes = storedPacket();
  const auto original = RtpPacketView::parse(bytes);
  ASSERT_TRUE(original.ok());
  std::array<uint8_t, 28> small{};
  EXPECT_EQ(buildRtxPacket(*original, RtxFields{1, 97, 1, 1, 1}, small).error(), RtpError::BufferTooSmall);
  std::array<uint8_t, 64> out{};
  EXPECT_EQ(buildRtxPacket(*original, RtxFields{1, 128, 1, 1, 1}, out).error(), RtpError::BadField);
  uint16_t osn = 0;
  std::span<const uint8_t> payload;
  const std::array<uint8_t, 1> tooShort{0};
  EXPECT_FALSE(parseRtxPayload(tooShort, osn, payload));
}

TEST(RtxPacketTest, PlainRetransmissionIsTheSamePacketRenumbered) {
  auto bytes = storedPacket();
  const auto original = RtpPacketView::parse(bytes);
  ASSERT_TRUE(original.ok());
  std::array<uint8_t, 64> out{};
  const auto size = buildRetransmission(*original, {0x01020304, 100, 9, 90000}, out);
  ASSERT_TRUE(size.ok());
  ASSERT_EQ(*size, bytes.size());
  const auto parsed = RtpPacketView::parse(std::span(out).first(*size));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->ssrc(), 0x01020304u);
  EXPECT_EQ(parsed->payloadType(), 100);
  EXPECT_EQ(parsed->sequenceNumber(), 9);
  EXPECT_EQ(parsed->timestamp(), 90000u);
  EXPECT_TRUE(parsed->marker());
  EXPECT_EQ(parsed->paddingSize(), 2u);
  EXPECT_TRUE(std::equal(bytes.begin() + 12, bytes.end(), out.begin() + 12));
  std::array<uint8_t, 10> small{};
  EXPECT_EQ(buildRetransmission(*original, {}, small).error(), RtpError::BufferTooSmall);
}

}  // namespace
