// RTCP compound iteration, SR/RR/SDES/BYE and the RFC 4585/5104/REMB feedback
// messages. Packets are written out byte by byte from the RFC layouts;
// builders are checked against the parsers. TWCC is in rtcp_twcc_test.cpp.
#include "rtc/rtcp_packet.hpp"
#include "rtc/rtcp_feedback.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace {

using namespace convox::rtc;

RtcpPacketView first(std::span<uint8_t> bytes) {
  const auto packet = RtcpPacketView::parse(bytes);
  EXPECT_TRUE(packet) << describe(packet.error());
  return *packet;
}

TEST(RtcpPacketTest, ParsesSenderReport) {
  std::vector<uint8_t> bytes = {
      0x81, 0xC8, 0x00, 0x0C,  // V=2 P=0 RC=1 | PT=200 | length 12 (52 bytes)
      0x11, 0x22, 0x33, 0x44,  // SSRC of sender
      0xE5, 0x4B, 0x1B, 0x00,  // NTP timestamp, most significant word
      0x80, 0x00, 0x00, 0x00,  // NTP timestamp, least significant word (0.5 s)
      0x00, 0x00, 0x03, 0xE8,  // RTP timestamp 1000
      0x00, 0x00, 0x00, 0x0A,  // sender's packet count 10
      0x00, 0x00, 0x06, 0x40,  // sender's octet count 1600
      0x55, 0x66, 0x77, 0x88,  // report block: SSRC_1
      0x40, 0xFF, 0xFF, 0xFE,  // fraction lost 64/256 | cumulative lost -2
      0x00, 0x01, 0x00, 0x05,  // extended highest sequence number: cycle 1, seq 5
      0x00, 0x00, 0x00, 0x20,  // interarrival jitter 32
      0x4B, 0x1B, 0x00, 0x00,  // last SR (middle 32 bits of its NTP time)
      0x00, 0x01, 0x00, 0x00,  // delay since last SR: 1 s in 1/65536 s
  };
  const RtcpPacketView packet = first(bytes);
  EXPECT_EQ(packet.type(), RtcpType::Sr);
  EXPECT_EQ(packet.count(), 1);
  EXPECT_EQ(packet.size(), 52u);
  EXPECT_EQ(packet.body().size(), 48u);
  const auto sr = SenderReportView::parse(packet);
  ASSERT_TRUE(sr) << describe(sr.error());
  EXPECT_EQ(sr->senderSsrc(), 0x11223344u);
  const SenderInfo info = sr->senderInfo();
  EXPECT_EQ(info.ntpTimestamp, 0xE54B1B0080000000ull);
  EXPECT_EQ(info.rtpTimestamp, 1000u);
  EXPECT_EQ(info.packetCount, 10u);
  EXPECT_EQ(info.octetCount, 1600u);
  ASSERT_EQ(sr->reportCount(), 1u);
  const ReportBlock b = sr->reportBlock(0);
  EXPECT_EQ(b.ssrc, 0x55667788u);
  EXPECT_EQ(b.fractionLost, 64);
  EXPECT_EQ(b.cumulativeLost, -2);
  EXPECT_EQ(b.extendedHighestSequence, 0x00010005u);
  EXPECT_EQ(b.jitter, 32u);
  EXPECT_EQ(b.lastSr, 0x4B1B0000u);
  EXPECT_EQ(b.delaySinceLastSr, 65536u);
  EXPECT_EQ(ReceiverReportView::parse(packet).error(), RtcpError::WrongType);

  std::array<uint8_t, 64> out{};
  const auto size = buildSenderReport(sr->senderSsrc(), info, std::span(&b, 1), out);
  ASSERT_TRUE(size);
  ASSERT_EQ(*size, bytes.size());
  EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), out.begin()));
}

// A compound packet as browsers send it: RR then SDES with a CNAME.
std::vector<uint8_t> rrSdesCompound() {
  return {
      0x81, 0xC9, 0x00, 0x07,  // RR, RC=1, length 7 (32 bytes)
      0x01, 0x02, 0x03, 0x04,  // SSRC of packet sender
      0x0A, 0x0B, 0x0C, 0x0D,  // report block: SSRC_1
      0x00, 0x7F, 0xFF, 0xFF,  // fraction lost 0 | cumulative lost 0x7FFFFF (max)
      0x00, 0x00, 0xFF, 0xFF,  // extended highest sequence 65535
      0x00, 0x00, 0x00, 0x01,  // jitter 1
      0x00, 0x00, 0x00, 0x00,  // LSR: no SR received yet
      0x00, 0x00, 0x00, 0x00,  // DLSR
      0x81, 0xCA, 0x00, 0x04,  // SDES, SC=1, length 4 (20 bytes)
      0x01, 0x02, 0x03, 0x04,  // chunk: SSRC
      0x01, 0x08, 'a',  'b',   // CNAME, length 8
      'c',  'd',  'e',  'f',   //
      'g',  'h',  0x00, 0x00,  // null terminator, padding to 32 bits
  };
}

TEST(RtcpPacketTest, IteratesCompoundRrAndSdes) {
  auto bytes = rrSdesCompound();
  RtcpCompoundIterator it(bytes);
  RtcpPacketView packet;
  ASSERT_TRUE(it.next(packet));
  const auto rr = ReceiverReportView::parse(packet);
  ASSERT_TRUE(rr);
  EXPECT_EQ(rr->senderSsrc(), 0x01020304u);
  ASSERT_EQ(rr->reportCount(), 1u);
  EXPECT_EQ(rr->reportBlock(0).ssrc, 0x0A0B0C0Du);
  EXPECT_EQ(rr->reportBlock(0).cumulativeLost, 0x7FFFFF);
  EXPECT_EQ(rr->reportBlock(0).extendedHighestSequence, 65535u);

  ASSERT_TRUE(it.next(packet));
  EXPECT_EQ(packet.type(), RtcpType::Sdes);
  const auto sdes = SdesView::parse(packet);
  ASSERT_TRUE(sdes) << describe(sdes.error());
  ASSERT_EQ(sdes->chunkCount(), 1u);
  SdesChunkIterator chunks = sdes->chunks();
  SdesChunk chunk;
  ASSERT_TRUE(chunks.next(chunk));
  EXPECT_EQ(chunk.ssrc, 0x01020304u);
  EXPECT_EQ(chunk.cname(), "abcdefgh");
  EXPECT_FALSE(chunks.next(chunk));

  EXPECT_FALSE(it.next(packet));
  EXPECT_EQ(it.error(), RtcpError::Ok);
  EXPECT_EQ(validateCompound(bytes), RtcpError::Ok);
}

TEST(RtcpPacketTest, BuildsCompoundRrAndSdes) {
  ReportBlock block;
  block.ssrc = 0x0A0B0C0D;
  block.cumulativeLost = 0x7FFFFF;
  block.extendedHighestSequence = 65535;
  block.jitter = 1;
  std::array<uint8_t, 64> out{};
  const auto rr = buildReceiverReport(0x01020304, std::span(&block, 1), out);
  ASSERT_TRUE(rr);
  const auto sdes = buildSdesCname(0x01020304, "abcdefgh", std::span(out).subspan(*rr));
  ASSERT_TRUE(sdes);
  const auto expected = rrSdesCompound();
  ASSERT_EQ(*rr + *sdes, expected.size());
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), out.begin()));
}

TEST(RtcpPacketTest, ClampsCumulativeLossWhenBuilding) {
  ReportBlock block;
  block.cumulativeLost = -10'000'000;
  std::array<uint8_t, 32> out{};
  ASSERT_TRUE(buildReceiverReport(1, std::span(&block, 1), out));
  EXPECT_EQ(ReceiverReportView::parse(first(out))->reportBlock(0).cumulativeLost, -0x800000);
}

TEST(RtcpPacketTest, ParsesSdesWithSeveralChunksAndItems) {
  std::vector<uint8_t> bytes = {
      0x82, 0xCA, 0x00, 0x06,  // SDES, SC=2, length 6 (28 bytes)
      0x00, 0x00, 0x00, 0x01,  // chunk 1: SSRC 1
      0x02, 0x01, 'n',  0x01,  // NAME "n", CNAME ...
      0x03, 'x',  'y',  'z',   // ... "xyz"
      0x00, 0x00, 0x00, 0x00,  // terminator + padding (items ended on a boundary)
      0x00, 0x00, 0x00, 0x02,  // chunk 2: SSRC 2
      0x00, 0x00, 0x00, 0x00,  // no items: four null octets
  };
  const auto sdes = SdesView::parse(first(bytes));
  ASSERT_TRUE(sdes) << describe(sdes.error());
  SdesChunkIterator chunks = sdes->chunks();
  SdesChunk chunk;
  ASSERT_TRUE(chunks.next(chunk));
  EXPECT_EQ(chunk.ssrc, 1u);
  SdesItemIterator items = chunk.itemIterator();
  SdesItem item;
  ASSERT_TRUE(items.next(item));
  EXPECT_EQ(item.type, sdes::kName);
  EXPECT_EQ(item.text, "n");
  ASSERT_TRUE(items.next(item));
  EXPECT_EQ(item.type, sdes::kCname);
  EXPECT_EQ(item.text, "xyz");
  EXPECT_FALSE(items.next(item));
  ASSERT_TRUE(chunks.next(chunk));
  EXPECT_EQ(chunk.ssrc, 2u);
  EXPECT_FALSE(chunk.cname());
  EXPECT_FALSE(chunks.next(chunk));

  const std::array<SdesItem, 2> items1 = {{{sdes::kName, "n"}, {sdes::kCname, "xyz"}}};
  const std::array<SdesChunkSpec, 2> specs = {{{1, items1}, {2, {}}}};
  std::array<uint8_t, 64> out{};
  const auto size = buildSdes(specs, out);
  ASSERT_TRUE(size);
  ASSERT_EQ(*size, bytes.size());
  EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), out.begin()));
}

TEST(RtcpPacketTest, ParsesAndBuildsBye) {
  std::vector<uint8_t> bytes = {
      0x82, 0xCB, 0x00, 0x04,  // BYE, SC=2, length 4 (20 bytes)
      0x00, 0x00, 0x00, 0x07,  // SSRC 7
      0x00, 0x00, 0x00, 0x08,  // SSRC 8
      0x05, 'b',  'y',  'e',   // reason length 5
      '!',  '!',  0x00, 0x00,  // padding
  };
  const auto bye = ByeView::parse(first(bytes));
  ASSERT_TRUE(bye);
  ASSERT_EQ(bye->ssrcCount(), 2u);
  EXPECT_EQ(bye->ssrc(0), 7u);
  EXPECT_EQ(bye->ssrc(1), 8u);
  EXPECT_EQ(bye->reason(), "bye!!");

  const std::array<uint32_t, 2> ssrcs = {7, 8};
  std::array<uint8_t, 32> out{};
  const auto size = buildBye(ssrcs, "bye!!", out);
  ASSERT_TRUE(size);
  ASSERT_EQ(*size, bytes.size());
  EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), out.begin()));

  const auto bare = buildBye(std::span(ssrcs).first(1), std::nullopt, out);
  ASSERT_TRUE(bare);
  EXPECT_EQ(*bare, 8u);
  const auto parsed = ByeView::parse(first(out));
  ASSERT_TRUE(parsed);
  EXPECT_FALSE(parsed->reason());
}

TEST(RtcpPacketTest, RejectsMalformedHeaders) {
  auto good = rrSdesCompound();

  std::vector<uint8_t> truncated = {0x80, 0xC9, 0x00};
  EXPECT_EQ(RtcpPacketView::parse(truncated).error(), RtcpError::TruncatedHeader);
  EXPECT_EQ(validateCompound(truncated), RtcpError::TruncatedHeader);

  auto badVersion = good;
  badVersion[0] = 0x41;  // V=1
  EXPECT_EQ(validateCompound(badVersion), RtcpError::BadVersion);

  auto overrun = good;
  overrun[35] = 0x05;  // SDES claims 24 bytes, 20 remain
  EXPECT_EQ(validateCompound(overrun), RtcpError::LengthOverrun);

  std::vector<uint8_t> empty;
  EXPECT_EQ(validateCompound(empty), RtcpError::EmptyCompound);

  // Trailing bytes that cannot hold a header after a good packet.
  auto trailing = good;
  trailing.push_back(0x80);
  RtcpCompoundIterator it(trailing);
  RtcpPacketView packet;
  EXPECT_TRUE(it.next(packet));
  EXPECT_TRUE(it.next(packet));
  EXPECT_FALSE(it.next(packet));
  EXPECT_EQ(it.error(), RtcpError::TruncatedHeader);
  EXPECT_FALSE(it.next(packet));  // stays stopped

  // RR with P=1, length 1: SSRC 0 whose last octet (the padding count) is 0.
  std::vector<uint8_t> zeroPadding = {0xA0, 0xC9, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(validateCompound(zeroPadding), RtcpError::BadPadding);
  // Padding count 5, but only 4 bytes follow the header.
  std::vector<uint8_t> bigPadding = {0xA0, 0xC9, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05};
  EXPECT_EQ(validateCompound(bigPadding), RtcpError::BadPadding);
  std::vector<uint8_t> okPadding = {
      0xA0, 0xC9, 0x00, 0x02,  // RR, P=1, RC=0, length 2
      0x00, 0x00, 0x00, 0x01,  // SSRC 1
      0x00, 0x00, 0x00, 0x04,  // 4 bytes of padding
  };
  EXPECT_EQ(first(okPadding).body().size(), 4u);
}

TEST(RtcpPacketTest, ZeroLengthItems) {
  // RFC 3550 §6.4.1 makes length 0 (a header-only packet) valid to walk, so
  // the iterator accepts it; every typed parser that needs fields rejects it,
  // and padding on it cannot be counted.
  std::vector<uint8_t> headerOnlyRr = {0x80, 0xC9, 0x00, 0x00};
  EXPECT_EQ(validateCompound(headerOnlyRr), RtcpError::Ok);
  EXPECT_EQ(ReceiverReportView::parse(first(headerOnlyRr)).error(), RtcpError::BodyTooShort);
  std::vector<uint8_t> headerOnlySr = {0x80, 0xC8, 0x00, 0x00};
  EXPECT_EQ(SenderReportView::parse(first(headerOnlySr)).error(), RtcpError::BodyTooShort);
  std::vector<uint8_t> headerOnlyPli = {0x81, 0xCE, 0x00, 0x00};
  EXPECT_EQ(PliView::parse(first(headerOnlyPli)).error(), RtcpError::BodyTooShort);
  std::vector<uint8_t> paddedEmpty = {0xA0, 0xC9, 0x00, 0x00};
  EXPECT_EQ(validateCompound(paddedEmpty), RtcpError::BadPadding);
  std::vector<uint8_t> emptyBye = {0x80, 0xCB, 0x00, 0x00};  // SC=0: valid, useless
  ASSERT_TRUE(ByeView::parse(first(emptyBye)));
}

TEST(RtcpPacketTest, RejectsMalformedBodies) {
  // RR, RC=2, length 7: 28 bytes of body, two blocks need 4 + 48.
  std::vector<uint8_t> rrCount(32, 0);
  rrCount[0] = 0x82;
  rrCount[1] = 0xC9;
  rrCount[3] = 0x07;
  EXPECT_EQ(ReceiverReportView::parse(first(rrCount)).error(), RtcpError::CountOverrun);

  // SR, RC=2, length 12: room for the sender info and one block only.
  std::vector<uint8_t> srCount(52, 0);
  srCount[0] = 0x82;
  srCount[1] = 0xC8;
  srCount[3] = 0x0C;
  EXPECT_EQ(SenderReportView::parse(first(srCount)).error(), RtcpError::CountOverrun);

  std::vector<uint8_t> sdesItem = {
      0x81, 0xCA, 0x00, 0x02,  // SDES, SC=1, length 2
      0x00, 0x00, 0x00, 0x01,  // chunk SSRC 1
      0x01, 0x09, 'a',  'b',   // CNAME claims 9 bytes, 2 follow
  };
  EXPECT_EQ(SdesView::parse(first(sdesItem)).error(), RtcpError::SdesItemOverrun);
  std::vector<uint8_t> sdesNoTerminator = {
      0x81, 0xCA, 0x00, 0x02,  // SDES, SC=1, length 2
      0x00, 0x00, 0x00, 0x01,  // chunk SSRC 1
      0x01, 0x02, 'a',  'b',   // CNAME "ab" fills the packet: no null octet
  };
  EXPECT_EQ(SdesView::parse(first(sdesNoTerminator)).error(), RtcpError::SdesItemOverrun);
  std::vector<uint8_t> sdesChunks = {
      0x82, 0xCA, 0x00, 0x02,  // SDES, SC=2, length 2
      0x00, 0x00, 0x00, 0x01,  // chunk SSRC 1
      0x00, 0x00, 0x00, 0x00,  // no items; then no room for chunk 2
  };
  EXPECT_EQ(SdesView::parse(first(sdesChunks)).error(), RtcpError::CountOverrun);

  std::vector<uint8_t> byeCount = {
      0x83, 0xCB, 0x00, 0x01,  // BYE, SC=3, length 1
      0x00, 0x00, 0x00, 0x01,  // one SSRC
  };
  EXPECT_EQ(ByeView::parse(first(byeCount)).error(), RtcpError::CountOverrun);
  std::vector<uint8_t> byeReason = {
      0x81, 0xCB, 0x00, 0x02,  // BYE, SC=1, length 2
      0x00, 0x00, 0x00, 0x01,  // SSRC 1
      0x09, 'x',  0x00, 0x00,  // reason claims 9 bytes, 3 follow
  };
  EXPECT_EQ(ByeView::parse(first(byeReason)).error(), RtcpError::ReasonOverrun);
}

TEST(RtcpPacketTest, BuildersCheckTheirInput) {
  std::array<uint8_t, 16> small{};
  EXPECT_EQ(buildReceiverReport(1, {}, std::span(small).first(7)).error(), RtcpError::BufferTooSmall);
  std::array<ReportBlock, 32> blocks{};
  std::array<uint8_t, 1024> big{};
  EXPECT_EQ(buildReceiverReport(1, blocks, big).error(), RtcpError::InvalidArgument);
  const std::string longText(256, 'x');
  EXPECT_EQ(buildSdesCname(1, longText, big).error(), RtcpError::InvalidArgument);
  EXPECT_EQ(buildBye({}, longText, big).error(), RtcpError::InvalidArgument);
  const std::array<SdesItem, 1> terminator = {{{0, "x"}}};
  const std::array<SdesChunkSpec, 1> specs = {{{1, terminator}}};
  EXPECT_EQ(buildSdes(specs, big).error(), RtcpError::InvalidArgument);
}

TEST(RtcpFeedbackTest, ParsesNackWithWrapAround) {
  std::vector<uint8_t> bytes = {
      0x81, 0xCD, 0x00, 0x04,  // V=2 FMT=1 | PT=205 RTPFB | length 4 (20 bytes)
      0x00, 0x00, 0x00, 0x01,  // SSRC of packet sender
      0x00, 0x00, 0x00, 0x02,  // SSRC of media source
      0xFF, 0xFF, 0x80, 0x01,  // PID 65535, BLP bits 0 and 15: 0 and 15 after the wrap
      0x00, 0x64, 0x00, 0x00,  // PID 100, no BLP
  };
  const auto nack = NackView::parse(first(bytes));
  ASSERT_TRUE(nack) << describe(nack.error());
  EXPECT_EQ(nack->senderSsrc(), 1u);
  EXPECT_EQ(nack->mediaSsrc(), 2u);
  ASSERT_EQ(nack->pairCount(), 2u);
  EXPECT_EQ(nack->pair(0), (NackPair{65535, 0x8001}));
  std::array<uint16_t, 8> lost{};
  ASSERT_EQ(nack->lostSequenceNumbers(lost), 4u);
  EXPECT_EQ(lost[0], 65535);
  EXPECT_EQ(lost[1], 0);
  EXPECT_EQ(lost[2], 15);
  EXPECT_EQ(lost[3], 100);
  std::array<uint16_t, 2> truncated{};
  EXPECT_EQ(nack->lostSequenceNumbers(truncated), 2u);
  EXPECT_EQ(PliView::parse(first(bytes)).error(), RtcpError::WrongType);

  std::vector<uint8_t> noFci(bytes.begin(), bytes.begin() + 12);
  noFci[3] = 0x02;
  EXPECT_EQ(NackView::parse(first(noFci)).error(), RtcpError::BodyTooShort);
}

TEST(RtcpFeedbackTest, BuildsNackPairsAcrossTheWrap) {
  const std::array<uint16_t, 7> lost = {65534, 65535, 0, 5, 5, 17, 40};
  std::array<uint8_t, 64> out{};
  const auto size = buildNack(0xAAAA, 0xBBBB, lost, out);
  ASSERT_TRUE(size) << describe(size.error());
  EXPECT_EQ(*size, 12u + 3 * 4u);
  const auto nack = NackView::parse(first(out));
  ASSERT_TRUE(nack);
  EXPECT_EQ(nack->mediaSsrc(), 0xBBBBu);
  ASSERT_EQ(nack->pairCount(), 3u);
  // 65535, 0 and 5 are 1, 2 and 7 after 65534: BLP bits 0, 1 and 6.
  EXPECT_EQ(nack->pair(0), (NackPair{65534, 0x0043}));
  EXPECT_EQ(nack->pair(1), (NackPair{17, 0}));
  EXPECT_EQ(nack->pair(2), (NackPair{40, 0}));
  std::vector<uint16_t> roundTrip;
  nack->forEachLost([&](uint16_t seq) { roundTrip.push_back(seq); });
  EXPECT_EQ(roundTrip, (std::vector<uint16_t>{65534, 65535, 0, 5, 17, 40}));

  const std::array<uint16_t, 2> edge = {1000, 1016};  // exactly 16 apart: bit 15
  ASSERT_TRUE(buildNack(1, 2, edge, out));
  EXPECT_EQ(NackView::parse(first(out))->pair(0), (NackPair{1000, 0x8000}));
  EXPECT_EQ(buildNack(1, 2, std::span<const uint16_t>{}, out).error(), RtcpError::InvalidArgument);
  EXPECT_EQ(buildNack(1, 2, edge, std::span(out).first(15)).error(), RtcpError::BufferTooSmall);
}

TEST(RtcpFeedbackTest, ParsesAndBuildsPli) {
  std::vector<uint8_t> bytes = {
      0x81, 0xCE, 0x00, 0x02,  // FMT=1 | PT=206 PSFB | length 2
      0x00, 0x00, 0x00, 0x03,  // SSRC of packet sender
      0x12, 0x34, 0x56, 0x78,  // SSRC of media source
  };
  const auto pli = PliView::parse(first(bytes));
  ASSERT_TRUE(pli);
  EXPECT_EQ(pli->senderSsrc(), 3u);
  EXPECT_EQ(pli->mediaSsrc(), 0x12345678u);
  std::array<uint8_t, 12> out{};
  ASSERT_TRUE(buildPli(3, 0x12345678, out));
  EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), out.begin()));
  EXPECT_EQ(FirView::parse(first(bytes)).error(), RtcpError::WrongType);
}

TEST(RtcpFeedbackTest, ParsesAndBuildsFir) {
  std::vector<uint8_t> bytes = {
      0x84, 0xCE, 0x00, 0x06,  // FMT=4 | PT=206 | length 6 (28 bytes)
      0x00, 0x00, 0x00, 0x09,  // SSRC of packet sender
      0x00, 0x00, 0x00, 0x00,  // SSRC of media source: unused, 0
      0x00, 0x00, 0x00, 0x21,  // FCI 1: SSRC 0x21
      0x07, 0x00, 0x00, 0x00,  //        seq nr 7, reserved
      0x00, 0x00, 0x00, 0x22,  // FCI 2: SSRC 0x22
      0xFF, 0x00, 0x00, 0x00,  //        seq nr 255, reserved
  };
  const auto fir = FirView::parse(first(bytes));
  ASSERT_TRUE(fir) << describe(fir.error());
  EXPECT_EQ(fir->senderSsrc(), 9u);
  ASSERT_EQ(fir->entryCount(), 2u);
  EXPECT_EQ(fir->entry(0), (FirEntry{0x21, 7}));
  EXPECT_EQ(fir->entry(1), (FirEntry{0x22, 255}));
  const std::array<FirEntry, 2> entries = {fir->entry(0), fir->entry(1)};
  std::array<uint8_t, 32> out{};
  const auto size = buildFir(9, entries, out);
  ASSERT_TRUE(size);
  ASSERT_EQ(*size, bytes.size());
  EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), out.begin()));

  std::vector<uint8_t> half(bytes.begin(), bytes.begin() + 24);
  half[3] = 0x05;  // one entry and a half
  EXPECT_EQ(FirView::parse(first(half)).error(), RtcpError::CountOverrun);
}

TEST(RtcpFeedbackTest, ParsesAndBuildsRemb) {
  std::vector<uint8_t> bytes = {
      0x8F, 0xCE, 0x00, 0x06,  // FMT=15 | PT=206 | length 6 (28 bytes)
      0x00, 0x00, 0x00, 0x01,  // SSRC of packet sender
      0x00, 0x00, 0x00, 0x00,  // SSRC of media source: 0
      'R',  'E',  'M',  'B',   // unique identifier
      0x02, 0x0E, 0x1A, 0x80,  // num SSRC 2 | BR Exp 3 | BR Mantissa 0x21A80 (137856)
      0x00, 0x00, 0x00, 0x0A,  // SSRC feedback 1
      0x00, 0x00, 0x00, 0x0B,  // SSRC feedback 2
  };
  const auto remb = RembView::parse(first(bytes));
  ASSERT_TRUE(remb) << describe(remb.error());
  EXPECT_EQ(remb->senderSsrc(), 1u);
  EXPECT_EQ(remb->bitrateBps(), 137856u << 3);
  ASSERT_EQ(remb->ssrcCount(), 2u);
  EXPECT_EQ(remb->ssrc(0), 10u);
  EXPECT_EQ(remb->ssrc(1), 11u);
  const std::array<uint32_t, 2> ssrcs = {10, 11};
  std::array<uint8_t, 32> out{};
  const auto size = buildRemb(1, 137856u << 3, ssrcs, out);
  ASSERT_TRUE(size);
  ASSERT_EQ(*size, bytes.size());
  EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), out.begin()));

  ASSERT_TRUE(buildRemb(1, 1'000'001, {}, out));  // rounds down to 18 significant bits
  EXPECT_EQ(RembView::parse(first(out))->bitrateBps(), 1'000'001u >> 2 << 2);
  ASSERT_TRUE(buildRemb(1, UINT64_MAX, {}, out));
  EXPECT_EQ(RembView::parse(first(out))->bitrateBps(), uint64_t{0x3FFFF} << 46);

  auto notRemb = bytes;
  notRemb[15] = 'X';
  EXPECT_EQ(RembView::parse(first(notRemb)).error(), RtcpError::NotRemb);
  auto tooMany = bytes;
  tooMany[16] = 3;
  EXPECT_EQ(RembView::parse(first(tooMany)).error(), RtcpError::CountOverrun);
  auto overflow = bytes;
  overflow[17] = 0xFF;  // exponent 63 with a large mantissa
  EXPECT_EQ(RembView::parse(first(overflow)).error(), RtcpError::RembOverflow);
}

}  // namespace
