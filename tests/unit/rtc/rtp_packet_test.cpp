// RTP views, extensions, in-place rewrites, the header builder and the
// RFC 7983 / RFC 5761 demultiplexing helpers. Packets are written out byte by
// byte from the RFC 3550 §5.1 and RFC 8285 §4 layouts.
#include "rtc/rtp_packet.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace {

using namespace convox::rtc;

// Opus-like packet with three one-byte extensions.
std::vector<uint8_t> oneBytePacket() {
  return {
      0x90, 0xE0, 0x12, 0x34,  // V=2 P=0 X=1 CC=0 | M=1 PT=96 | seq 0x1234
      0x00, 0x01, 0xE2, 0x40,  // timestamp 123456
      0xDE, 0xAD, 0xBE, 0xEF,  // SSRC
      0xBE, 0xDE, 0x00, 0x03,  // RFC 8285 one-byte profile, 3 words follow
      0x10, 0x85,              // id 1, L=0 (1 byte): audio level V=1, level 5
      0x22, 0x12, 0x34, 0x56,  // id 2, L=2 (3 bytes): abs-send-time 0x123456
      0x31, 0x00, 0x2A,        // id 3, L=1 (2 bytes): transport-wide seq 42
      0x00, 0x00, 0x00,        // padding to the 32-bit boundary
      0xAA, 0xBB, 0xCC, 0xDD,  // payload
  };
}

TEST(RtpPacketTest, ParsesFixedHeaderCsrcsAndPadding) {
  std::vector<uint8_t> bytes = {
      0xA2, 0x6F, 0xFF, 0xFF,  // V=2 P=1 X=0 CC=2 | M=0 PT=111 | seq 65535
      0xFF, 0xFF, 0xFF, 0xFE,  // timestamp 0xFFFFFFFE
      0x01, 0x02, 0x03, 0x04,  // SSRC
      0x00, 0x00, 0x00, 0x0A,  // CSRC 10
      0x00, 0x00, 0x00, 0x0B,  // CSRC 11
      0x11, 0x22, 0x33,        // payload
      0x00, 0x00, 0x03,        // 3 bytes of padding, the last one counts them
  };
  const auto parsed = RtpPacketView::parse(bytes);
  ASSERT_TRUE(parsed) << describe(parsed.error());
  const RtpPacketView& p = *parsed;
  EXPECT_TRUE(p.hasPadding());
  EXPECT_FALSE(p.hasExtension());
  EXPECT_EQ(p.csrcCount(), 2);
  EXPECT_FALSE(p.marker());
  EXPECT_EQ(p.payloadType(), 111);
  EXPECT_EQ(p.sequenceNumber(), 65535);
  EXPECT_EQ(p.timestamp(), 0xFFFFFFFEu);
  EXPECT_EQ(p.ssrc(), 0x01020304u);
  EXPECT_EQ(p.csrc(0), 10u);
  EXPECT_EQ(p.csrc(1), 11u);
  EXPECT_EQ(p.headerSize(), 20u);
  EXPECT_EQ(p.payloadSize(), 3u);
  EXPECT_EQ(p.paddingSize(), 3u);
  EXPECT_EQ(p.payload()[0], 0x11);
  EXPECT_EQ(p.payload()[2], 0x33);
  EXPECT_EQ(p.extensionForm(), RtpExtensionForm::None);
  EXPECT_EQ(p.extensionProfile(), 0);
  EXPECT_FALSE(p.findExtension(1));
}

TEST(RtpPacketTest, ReadsOneByteExtensions) {
  auto bytes = oneBytePacket();
  const auto parsed = RtpPacketView::parse(bytes);
  ASSERT_TRUE(parsed);
  const RtpPacketView& p = *parsed;
  EXPECT_TRUE(p.marker());
  EXPECT_EQ(p.payloadType(), 96);
  EXPECT_EQ(p.sequenceNumber(), 0x1234);
  EXPECT_EQ(p.timestamp(), 123456u);
  EXPECT_EQ(p.ssrc(), 0xDEADBEEFu);
  EXPECT_EQ(p.extensionForm(), RtpExtensionForm::OneByte);
  EXPECT_EQ(p.extensionProfile(), 0xBEDE);
  EXPECT_EQ(p.extensionBlock().size(), 12u);
  EXPECT_EQ(p.headerSize(), 28u);
  EXPECT_EQ(p.payloadSize(), 4u);
  EXPECT_EQ(p.paddingSize(), 0u);

  const auto level = p.audioLevel(1);
  ASSERT_TRUE(level);
  EXPECT_TRUE(level->voiceActivity);
  EXPECT_EQ(level->level, 5);
  EXPECT_EQ(p.absSendTime(2), 0x123456u);
  EXPECT_EQ(p.transportSequenceNumber(3), 42);
  EXPECT_FALSE(p.findExtension(4));
  EXPECT_FALSE(p.absSendTime(1));  // wrong size for abs-send-time

  RtpExtensionIterator it = p.extensions();
  RtpExtension e;
  std::vector<uint8_t> ids;
  while (it.next(e)) ids.push_back(e.id);
  EXPECT_FALSE(it.malformed());
  EXPECT_EQ(ids, (std::vector<uint8_t>{1, 2, 3}));
}

TEST(RtpPacketTest, ReadsTwoByteExtensionsWithEmptyValuesAndPadding) {
  std::vector<uint8_t> bytes = {
      0x90, 0x60, 0x00, 0x01,       // V=2 X=1 | PT=96 | seq 1
      0x00, 0x00, 0x00, 0x02,       // timestamp
      0x00, 0x00, 0x00, 0x03,       // SSRC
      0x10, 0x05, 0x00, 0x03,       // two-byte profile 0x100 with appbits 5, 3 words
      0x10, 0x00,                   // id 16, L=0 (empty value)
      0x00,                         // padding byte between elements
      0xC8, 0x03, 'a',  'b',  'c',  // id 200, L=3: "abc" (e.g. mid)
      0x04, 0x01, 0x07,             // id 4, L=1: 0x07
      0x00,                         // padding
  };
  const auto parsed = RtpPacketView::parse(bytes);
  ASSERT_TRUE(parsed);
  const RtpPacketView& p = *parsed;
  EXPECT_EQ(p.extensionForm(), RtpExtensionForm::TwoByte);
  EXPECT_EQ(p.extensionProfile(), 0x1005);
  const auto empty = p.findExtension(16);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  EXPECT_EQ(p.mid(200), "abc");
  const auto four = p.findExtension(4);
  ASSERT_TRUE(four);
  ASSERT_EQ(four->size(), 1u);
  EXPECT_EQ((*four)[0], 0x07);
  EXPECT_EQ(p.payloadSize(), 0u);
}

TEST(RtpPacketTest, StringExtensionsStopAtNul) {
  const std::array<uint8_t, 4> rid = {'h', 'i', 0, 0};
  EXPECT_EQ(parseStringExtension(rid), "hi");
  const std::array<uint8_t, 2> empty = {0, 'x'};
  EXPECT_FALSE(parseStringExtension(empty));
}

TEST(RtpPacketTest, OneByteIdFifteenStopsProcessing) {
  std::vector<uint8_t> bytes = {
      0x90, 0x60, 0x00, 0x01,  // V=2 X=1 | PT=96 | seq 1
      0x00, 0x00, 0x00, 0x02,  // timestamp 2
      0x00, 0x00, 0x00, 0x03,  // SSRC 3
      0xBE, 0xDE, 0x00, 0x01,  // one-byte profile, one word
      0xF0,                    // id 15: reserved, stop here
      0x10, 0x01,              // id 1 after it must not be seen
      0x00,                    // padding
  };
  const auto parsed = RtpPacketView::parse(bytes);
  ASSERT_TRUE(parsed);
  EXPECT_FALSE(parsed->findExtension(1));
  RtpExtensionIterator it = parsed->extensions();
  RtpExtension e;
  EXPECT_FALSE(it.next(e));
  EXPECT_FALSE(it.malformed());
}

TEST(RtpPacketTest, ElementPastTheBlockIsMalformed) {
  std::vector<uint8_t> bytes = {
      0x90, 0x60, 0x00, 0x01,  // V=2 X=1 | PT=96 | seq 1
      0x00, 0x00, 0x00, 0x02,  // timestamp 2
      0x00, 0x00, 0x00, 0x03,  // SSRC 3
      0xBE, 0xDE, 0x00, 0x01,  // one-byte profile, one word
      0x10, 0x05,              // id 1, L=0
      0x23, 0x00,              // id 2, L=3: needs 4 bytes, only 1 left in the block
      0x99,                    // payload
  };
  const auto parsed = RtpPacketView::parse(bytes);
  ASSERT_TRUE(parsed);
  RtpExtensionIterator it = parsed->extensions();
  RtpExtension e;
  ASSERT_TRUE(it.next(e));
  EXPECT_EQ(e.id, 1);
  EXPECT_FALSE(it.next(e));
  EXPECT_TRUE(it.malformed());
  EXPECT_FALSE(parsed->findExtension(2));
  EXPECT_EQ(parsed->payloadSize(), 1u);
}

TEST(RtpPacketTest, RewritesHeaderFieldsInPlace) {
  auto bytes = oneBytePacket();
  auto parsed = RtpPacketView::parse(bytes);
  ASSERT_TRUE(parsed);
  RtpPacketView& p = *parsed;
  p.setSsrc(0x01020304);
  p.setSequenceNumber(0xFFFF);
  p.setTimestamp(0x89ABCDEF);
  p.setPayloadType(111);
  p.setMarker(false);
  EXPECT_EQ(bytes[0], 0x90);  // V/P/X/CC untouched
  EXPECT_EQ(bytes[1], 111);
  EXPECT_EQ(bytes[2], 0xFF);
  EXPECT_EQ(bytes[3], 0xFF);
  EXPECT_EQ(bytes[4], 0x89);
  EXPECT_EQ(bytes[7], 0xEF);
  EXPECT_EQ(bytes[8], 0x01);
  EXPECT_EQ(bytes[11], 0x04);
  const auto again = RtpPacketView::parse(bytes);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->ssrc(), 0x01020304u);
  EXPECT_EQ(again->sequenceNumber(), 0xFFFF);
  EXPECT_EQ(again->timestamp(), 0x89ABCDEFu);
  EXPECT_EQ(again->payloadType(), 111);
  EXPECT_FALSE(again->marker());
  EXPECT_EQ(again->payload()[0], 0xAA);
  p.setMarker(true);
  p.setPayloadType(0xFF);  // only the low 7 bits are kept
  EXPECT_EQ(bytes[1], 0xFF);
}

TEST(RtpPacketTest, RewritesExtensionsInPlace) {
  auto bytes = oneBytePacket();
  auto parsed = RtpPacketView::parse(bytes);
  ASSERT_TRUE(parsed);
  RtpPacketView& p = *parsed;
  EXPECT_EQ(p.setAbsSendTime(2, 0xABCDEF), RtpError::Ok);
  EXPECT_EQ(p.absSendTime(2), 0xABCDEFu);
  EXPECT_EQ(p.setTransportSequenceNumber(3, 65535), RtpError::Ok);
  EXPECT_EQ(p.transportSequenceNumber(3), 65535);
  const std::array<uint8_t, 2> two = {1, 2};
  EXPECT_EQ(p.setExtensionValue(2, two), RtpError::ExtensionSizeMismatch);
  EXPECT_EQ(p.setExtensionValue(9, two), RtpError::ExtensionNotFound);
  const std::array<uint8_t, 1> quiet = {0x7F};
  EXPECT_EQ(p.setExtensionValue(1, quiet), RtpError::Ok);
  EXPECT_EQ(p.audioLevel(1)->level, 127);
  EXPECT_FALSE(p.audioLevel(1)->voiceActivity);

  // Renumber 3 -> 14: the length nibble stays, the payload is untouched.
  EXPECT_EQ(p.setExtensionId(3, 14), RtpError::Ok);
  EXPECT_EQ(bytes[22], 0xE1);
  EXPECT_FALSE(p.findExtension(3));
  EXPECT_EQ(p.transportSequenceNumber(14), 65535);
  EXPECT_EQ(p.setExtensionId(14, 15), RtpError::BadExtensionId);
  EXPECT_EQ(p.setExtensionId(14, 0), RtpError::BadExtensionId);
  EXPECT_EQ(p.setExtensionId(3, 4), RtpError::ExtensionNotFound);
  EXPECT_EQ(p.payload()[3], 0xDD);
}

TEST(RtpPacketTest, RenumbersTwoByteIds) {
  std::vector<uint8_t> bytes = {
      0x90, 0x60, 0x00, 0x01,  // V=2 X=1 | PT=96 | seq 1
      0x00, 0x00, 0x00, 0x02,  // timestamp 2
      0x00, 0x00, 0x00, 0x03,  // SSRC 3
      0x10, 0x00, 0x00, 0x01,  // two-byte profile, one word
      0x05, 0x01, 0x09, 0x00,  // id 5, L=1: 0x09; padding
  };
  auto parsed = RtpPacketView::parse(bytes);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->setExtensionId(5, 250), RtpError::Ok);
  EXPECT_EQ(bytes[16], 250);
  ASSERT_TRUE(parsed->findExtension(250));
  EXPECT_EQ((*parsed->findExtension(250))[0], 0x09);
}

TEST(RtpPacketTest, RenumberNeedsAnRfc8285Block) {
  std::vector<uint8_t> bytes = {
      0x90, 0x60, 0x00, 0x01,  // V=2 X=1 | PT=96 | seq 1
      0x00, 0x00, 0x00, 0x02,  // timestamp 2
      0x00, 0x00, 0x00, 0x03,  // SSRC 3
      0x12, 0x34, 0x00, 0x00,  // some other profile, no data
  };
  auto parsed = RtpPacketView::parse(bytes);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->extensionForm(), RtpExtensionForm::Other);
  EXPECT_EQ(parsed->extensionProfile(), 0x1234);
  EXPECT_EQ(parsed->setExtensionId(1, 2), RtpError::ExtensionUnsupported);
  EXPECT_FALSE(parsed->findExtension(1));
}

TEST(RtpPacketTest, BuilderRoundTrip) {
  const std::array<uint32_t, 2> csrcs = {0x11111111, 0x22222222};
  const std::array<uint8_t, 1> level = {0x85};
  const std::array<uint8_t, 3> abs = {0x12, 0x34, 0x56};
  const std::array<uint8_t, 2> twcc = {0x00, 0x2A};
  const std::array<RtpExtensionEntry, 3> exts = {{{1, level}, {2, abs}, {3, twcc}}};
  RtpHeader h;
  h.marker = true;
  h.payloadType = 111;
  h.sequenceNumber = 65000;
  h.timestamp = 0xCAFEBABE;
  h.ssrc = 0x12345678;
  h.csrcs = csrcs;
  std::array<uint8_t, 64> out{};
  const auto size = buildRtpHeader(h, exts, out);
  ASSERT_TRUE(size) << describe(size.error());
  EXPECT_EQ(*size, 12u + 8u + 4u + 12u);
  out[*size] = 0x42;  // one byte of payload
  const auto parsed = RtpPacketView::parse(std::span(out).first(*size + 1));
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->marker());
  EXPECT_EQ(parsed->payloadType(), 111);
  EXPECT_EQ(parsed->sequenceNumber(), 65000);
  EXPECT_EQ(parsed->timestamp(), 0xCAFEBABEu);
  EXPECT_EQ(parsed->ssrc(), 0x12345678u);
  EXPECT_EQ(parsed->csrcCount(), 2);
  EXPECT_EQ(parsed->csrc(1), 0x22222222u);
  EXPECT_EQ(parsed->audioLevel(1)->level, 5);
  EXPECT_EQ(parsed->absSendTime(2), 0x123456u);
  EXPECT_EQ(parsed->transportSequenceNumber(3), 42);
  EXPECT_EQ(parsed->headerSize(), *size);
  EXPECT_EQ(parsed->payloadSize(), 1u);

  h.csrcs = {};
  const auto bare = buildRtpHeader(h, {}, out);
  ASSERT_TRUE(bare);
  EXPECT_EQ(*bare, 12u);
  EXPECT_EQ(out[0], 0x80);
}

TEST(RtpPacketTest, BuilderRejectsBadInput) {
  std::array<uint8_t, 64> out{};
  RtpHeader h;
  const std::array<uint8_t, 17> tooLong{};
  const std::array<uint8_t, 1> one = {1};
  const std::array<RtpExtensionEntry, 1> badId = {{{15, one}}};
  const std::array<RtpExtensionEntry, 1> zeroId = {{{0, one}}};
  const std::array<RtpExtensionEntry, 1> badSize = {{{1, tooLong}}};
  const std::array<RtpExtensionEntry, 1> emptyValue = {{{1, {}}}};
  EXPECT_EQ(buildRtpHeader(h, badId, out).error(), RtpError::BadExtensionId);
  EXPECT_EQ(buildRtpHeader(h, zeroId, out).error(), RtpError::BadExtensionId);
  EXPECT_EQ(buildRtpHeader(h, badSize, out).error(), RtpError::BadExtensionSize);
  EXPECT_EQ(buildRtpHeader(h, emptyValue, out).error(), RtpError::BadExtensionSize);
  EXPECT_EQ(buildRtpHeader(h, {}, std::span(out).first(11)).error(), RtpError::BufferTooSmall);
  h.payloadType = 128;
  EXPECT_EQ(buildRtpHeader(h, {}, out).error(), RtpError::BadField);
}

TEST(RtpPacketTest, RejectsMalformedPackets) {
  auto good = oneBytePacket();

  std::vector<uint8_t> truncated(good.begin(), good.begin() + 11);
  EXPECT_EQ(RtpPacketView::parse(truncated).error(), RtpError::TooShort);

  auto badVersion = good;
  badVersion[0] = 0x50;  // V=1
  EXPECT_EQ(RtpPacketView::parse(badVersion).error(), RtpError::BadVersion);

  std::vector<uint8_t> csrc(good.begin(), good.begin() + 16);
  csrc[0] = 0x82;  // CC=2 needs 20 bytes
  EXPECT_EQ(RtpPacketView::parse(csrc).error(), RtpError::CsrcOverrun);

  std::vector<uint8_t> extHeader(good.begin(), good.begin() + 14);  // X=1, half an extension header
  EXPECT_EQ(RtpPacketView::parse(extHeader).error(), RtpError::ExtensionOverrun);

  auto extLength = good;
  extLength[15] = 0x05;  // 5 words = 20 bytes, only 16 follow
  EXPECT_EQ(RtpPacketView::parse(extLength).error(), RtpError::ExtensionOverrun);

  auto zeroPadding = good;
  zeroPadding[0] |= 0x20;
  zeroPadding.back() = 0;
  EXPECT_EQ(RtpPacketView::parse(zeroPadding).error(), RtpError::BadPadding);

  auto bigPadding = good;
  bigPadding[0] |= 0x20;
  bigPadding.back() = 5;  // only 4 bytes after the header
  EXPECT_EQ(RtpPacketView::parse(bigPadding).error(), RtpError::BadPadding);

  auto allPadding = good;
  allPadding[0] |= 0x20;
  allPadding.back() = 4;  // the whole payload is padding: allowed
  ASSERT_TRUE(RtpPacketView::parse(allPadding));
  EXPECT_EQ(RtpPacketView::parse(allPadding)->payloadSize(), 0u);

  std::vector<uint8_t> noRoomForCount(good.begin(), good.begin() + 28);
  noRoomForCount[0] |= 0x20;  // P=1 but the header fills the packet
  EXPECT_EQ(RtpPacketView::parse(noRoomForCount).error(), RtpError::BadPadding);
}

TEST(RtpDemuxTest, ClassifiesByFirstByte) {
  const auto cls = [](uint8_t b) { return classifyPacket(std::span<const uint8_t>(&b, 1)); };
  EXPECT_EQ(cls(0), PacketClass::Stun);
  EXPECT_EQ(cls(1), PacketClass::Stun);  // binding success response starts 0x01
  EXPECT_EQ(cls(3), PacketClass::Stun);
  EXPECT_EQ(cls(4), PacketClass::Drop);
  EXPECT_EQ(cls(16), PacketClass::Drop);  // ZRTP
  EXPECT_EQ(cls(20), PacketClass::Dtls);
  EXPECT_EQ(cls(22), PacketClass::Dtls);  // handshake
  EXPECT_EQ(cls(63), PacketClass::Dtls);
  EXPECT_EQ(cls(64), PacketClass::Drop);  // TURN channel
  EXPECT_EQ(cls(127), PacketClass::Drop);
  EXPECT_EQ(cls(128), PacketClass::RtpOrRtcp);
  EXPECT_EQ(cls(0x90), PacketClass::RtpOrRtcp);
  EXPECT_EQ(cls(191), PacketClass::RtpOrRtcp);
  EXPECT_EQ(cls(192), PacketClass::Drop);
  EXPECT_EQ(classifyPacket({}), PacketClass::Drop);
}

TEST(RtpDemuxTest, TellsRtcpFromRtp) {
  const std::array<uint8_t, 2> sr = {0x80, 200};
  const std::array<uint8_t, 2> psfb = {0x81, 206};
  const std::array<uint8_t, 2> top = {0x80, 223};
  const std::array<uint8_t, 2> opus = {0x80, 111};
  const std::array<uint8_t, 2> opusMarker = {0x80, 0x80 | 111};  // 239
  const std::array<uint8_t, 2> pt63Marker = {0x80, 0x80 | 63};   // 191
  EXPECT_TRUE(isRtcp(sr));
  EXPECT_TRUE(isRtcp(psfb));
  EXPECT_TRUE(isRtcp(top));
  EXPECT_FALSE(isRtcp(opus));
  EXPECT_FALSE(isRtcp(opusMarker));
  EXPECT_FALSE(isRtcp(pt63Marker));
  EXPECT_FALSE(isRtcp(std::span(sr).first(1)));
}

}  // namespace
