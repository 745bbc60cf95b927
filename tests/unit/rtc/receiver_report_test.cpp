// The compound Receiver Report we send publishers, checked byte by byte
// against the fields of RFC 3550 §6.4.2 and §6.5, and read back by rtc/.
#include "rtc/receiver_report.hpp"

#include "rtc/rtcp_packet.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace {

using convox::rtc::ReportBlock;

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

TEST(ReceiverReportTest, ByteLayoutFollowsRfc3550) {
  const std::array<ReportBlock, 2> blocks = {{
      {0x11223344, 25, 10, 0x00010005, 480, 0x7e808000, 32768},
      {0x55667788, 0, -3, 99, 0, 0, 0},
  }};
  std::array<uint8_t, 256> out{};
  const auto size = convox::rtc::buildReceiverReportCompound(1, "convox", blocks, out);
  ASSERT_TRUE(size.ok());
  // RR: header + sender SSRC + 2 × 24-byte blocks = 56 bytes; SDES: 4 + 4 +
  // (2 + 6 + 1 terminator, padded to 12) = 20 bytes.
  ASSERT_EQ(*size, 76u);
  const uint8_t* p = out.data();
  EXPECT_EQ(p[0], 0x82);  // V=2, P=0, RC=2
  EXPECT_EQ(p[1], 201);   // PT=RR
  EXPECT_EQ((p[2] << 8) | p[3], 56 / 4 - 1);
  EXPECT_EQ(be32(p + 4), 1u);  // SSRC of packet sender
  const uint8_t* b = p + 8;
  EXPECT_EQ(be32(b), 0x11223344u);                   // SSRC_1
  EXPECT_EQ(b[4], 25);                               // fraction lost
  EXPECT_EQ((b[5] << 16) | (b[6] << 8) | b[7], 10);  // cumulative lost, 24 bits
  EXPECT_EQ(be32(b + 8), 0x00010005u);               // extended highest sequence number
  EXPECT_EQ(be32(b + 12), 480u);                     // interarrival jitter
  EXPECT_EQ(be32(b + 16), 0x7e808000u);              // LSR
  EXPECT_EQ(be32(b + 20), 32768u);                   // DLSR
  b += 24;
  EXPECT_EQ(be32(b), 0x55667788u);
  EXPECT_EQ((b[5] << 16) | (b[6] << 8) | b[7], 0xfffffd);  // -3, two's complement in 24 bits
  const uint8_t* s = p + 56;
  EXPECT_EQ(s[0], 0x81);  // V=2, SC=1
  EXPECT_EQ(s[1], 202);   // PT=SDES
  EXPECT_EQ((s[2] << 8) | s[3], 20 / 4 - 1);
  EXPECT_EQ(be32(s + 4), 1u);
  EXPECT_EQ(s[8], 1);  // CNAME
  EXPECT_EQ(s[9], 6);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(s + 10), 6), "convox");
  EXPECT_EQ(s[16], 0);  // end of items, padding to 32 bits
  EXPECT_EQ(convox::rtc::validateCompound(std::span(out).first(*size)), convox::rtc::RtcpError::Ok);
}

TEST(ReceiverReportTest, ReadsBackThroughTheRtcpParser) {
  std::vector<ReportBlock> blocks;
  for (uint32_t i = 0; i < 40; ++i)
    blocks.push_back({1000 + i, static_cast<uint8_t>(i), static_cast<int32_t>(i), i, i, i, i});
  std::array<uint8_t, 1500> out{};
  const auto size = convox::rtc::buildReceiverReportCompound(7, "c", blocks, out);
  ASSERT_TRUE(size.ok());
  // 40 blocks: an RR of 31 and an RR of 9, then the SDES.
  convox::rtc::RtcpCompoundIterator it{std::span<uint8_t>(out).first(*size)};
  convox::rtc::RtcpPacketView packet;
  std::vector<ReportBlock> read;
  int sdes = 0;
  while (it.next(packet)) {
    if (packet.type() == convox::rtc::RtcpType::Sdes) {
      ++sdes;
      continue;
    }
    auto rr = convox::rtc::ReceiverReportView::parse(packet);
    ASSERT_TRUE(rr.ok());
    EXPECT_EQ(rr->senderSsrc(), 7u);
    for (size_t i = 0; i < rr->reportCount(); ++i) read.push_back(rr->reportBlock(i));
  }
  EXPECT_EQ(it.error(), convox::rtc::RtcpError::Ok);
  EXPECT_EQ(sdes, 1);
  EXPECT_EQ(read, blocks);
}

TEST(ReceiverReportTest, EmptyReportAndTooSmallBuffer) {
  std::array<uint8_t, 64> out{};
  const auto size = convox::rtc::buildReceiverReportCompound(1, "convox", {}, out);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(out[0], 0x80);  // RC=0
  EXPECT_EQ(*size, 8u + 20u);
  std::array<uint8_t, 20> tiny{};
  const std::array<ReportBlock, 1> one{};
  EXPECT_EQ(convox::rtc::buildReceiverReportCompound(1, "convox", one, tiny).error(),
            convox::rtc::RtcpError::BufferTooSmall);
}

}  // namespace
