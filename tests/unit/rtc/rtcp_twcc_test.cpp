// Transport-wide CC feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01
// §3.1): a hand-written packet with every chunk kind and both delta sizes,
// malformed packets, and builder round trips.
#include "rtc/rtcp_twcc.hpp"

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

std::vector<TwccPacketStatus> statusesOf(const TwccFeedbackView& view) {
  std::vector<TwccPacketStatus> out(view.packetStatusCount());
  out.resize(view.packets(out));
  return out;
}

// Floor to the 250 us wire resolution.
int64_t onWire(int64_t us) { return (us >= 0 ? us / 250 : (us - 249) / 250) * 250; }

// Absolute arrival times of the received packets, from the reference time
// and the running sum of deltas.
std::vector<int64_t> arrivalsOf(const TwccFeedbackView& view) {
  std::vector<int64_t> out;
  int64_t t = view.referenceTimeUs();
  for (const auto& s : statusesOf(view)) {
    if (!s.received) continue;
    t += s.deltaUs;
    out.push_back(t);
  }
  return out;
}

TEST(RtcpTwccTest, ParsesEveryChunkKindAndDeltaSize) {
  std::vector<uint8_t> bytes = {
      0x8F, 0xCD, 0x00, 0x08,  // V=2 FMT=15 | PT=205 RTPFB | length 8 (36 bytes)
      0x00, 0x00, 0x00, 0x01,  // SSRC of packet sender
      0x00, 0x00, 0x00, 0x02,  // SSRC of media source
      0x00, 0x64, 0x00, 0x14,  // base sequence number 100 | packet status count 20
      0x00, 0x00, 0x10, 0x07,  // reference time 16 (x 64 ms) | fb pkt count 7
      0x20, 0x03,              // run length: T=0, S=01 small delta, run 3 (100-102)
      0xA8, 0x00,              // vector: T=1 S=0, 14 one-bit symbols 1010 0000 0000 00 (103-116)
      0xE6, 0x00,              // vector: T=1 S=1, 2-bit symbols 10 01 10 00 ... (117-119 used)
      0x04, 0x08, 0x00,        // small deltas of 100-102: 1 ms, 2 ms, 0
      0xFF, 0x01,              // small deltas of 103 and 105: 63.75 ms, 0.25 ms
      0x01, 0x00,              // large delta of 117: 256 x 250 us = 64 ms
      0x02,                    // small delta of 118: 0.5 ms
      0xFF, 0xFC,              // large delta of 119: -4 x 250 us = -1 ms
  };
  const auto twcc = TwccFeedbackView::parse(first(bytes));
  ASSERT_TRUE(twcc) << describe(twcc.error());
  EXPECT_EQ(twcc->senderSsrc(), 1u);
  EXPECT_EQ(twcc->mediaSsrc(), 2u);
  EXPECT_EQ(twcc->baseSequenceNumber(), 100);
  EXPECT_EQ(twcc->packetStatusCount(), 20);
  EXPECT_EQ(twcc->referenceTime(), 16);
  EXPECT_EQ(twcc->referenceTimeUs(), 1'024'000);
  EXPECT_EQ(twcc->feedbackPacketCount(), 7);

  std::vector<TwccPacketStatus> expected;
  expected.push_back({100, true, 1000});
  expected.push_back({101, true, 2000});
  expected.push_back({102, true, 0});
  expected.push_back({103, true, 63750});
  expected.push_back({104, false, 0});
  expected.push_back({105, true, 250});
  for (uint16_t seq = 106; seq <= 116; ++seq) expected.push_back({seq, false, 0});
  expected.push_back({117, true, 64000});
  expected.push_back({118, true, 500});
  expected.push_back({119, true, -1000});
  EXPECT_EQ(statusesOf(*twcc), expected);

  std::array<TwccPacketStatus, 4> few{};
  ASSERT_EQ(twcc->packets(few), 4u);
  EXPECT_EQ(few[3], (TwccPacketStatus{103, true, 63750}));
}

TEST(RtcpTwccTest, NegativeReferenceTime) {
  std::vector<uint8_t> bytes = {
      0x8F, 0xCD, 0x00, 0x05,  // V=2 FMT=15 | PT=205 | length 5 (24 bytes)
      0x00, 0x00, 0x00, 0x01,  // SSRC of packet sender
      0x00, 0x00, 0x00, 0x02,  // SSRC of media source
      0xFF, 0xFF, 0x00, 0x01,  // base 65535, one packet
      0xFF, 0xFF, 0xFE, 0x00,  // reference time -2 (24-bit two's complement)
      0x20, 0x01, 0x05, 0x00,  // run of 1 small delta; delta 5; zero padding
  };
  const auto twcc = TwccFeedbackView::parse(first(bytes));
  ASSERT_TRUE(twcc);
  EXPECT_EQ(twcc->referenceTime(), -2);
  EXPECT_EQ(arrivalsOf(*twcc), (std::vector<int64_t>{-128'000 + 1250}));
}

TEST(RtcpTwccTest, RejectsMalformedFeedback) {
  // Fixed part with 14 packets in one all-lost one-bit vector and 2 bytes of
  // zero padding.
  std::vector<uint8_t> good = {
      0x8F, 0xCD, 0x00, 0x05,  // V=2 FMT=15 | PT=205 | length 5 (24 bytes)
      0x00, 0x00, 0x00, 0x01,  // SSRC of packet sender
      0x00, 0x00, 0x00, 0x02,  // SSRC of media source
      0x00, 0x0A, 0x00, 0x0E,  // base 10, count 14
      0x00, 0x00, 0x00, 0x00,  // reference time 0, fb count 0
      0x80, 0x00, 0x00, 0x00,  // vector of 14 "not received"; padding
  };
  ASSERT_TRUE(TwccFeedbackView::parse(first(good)));

  auto chunksShort = good;
  chunksShort[15] = 15;  // one more than the vector covers: the padding reads as an empty run, then the end
  EXPECT_EQ(TwccFeedbackView::parse(first(chunksShort)).error(), RtcpError::TwccChunksShort);
  chunksShort[14] = 0x10;  // 4110 packets
  EXPECT_EQ(TwccFeedbackView::parse(first(chunksShort)).error(), RtcpError::TwccChunksShort);

  auto empty = good;
  empty[15] = 0;
  EXPECT_EQ(TwccFeedbackView::parse(first(empty)).error(), RtcpError::TwccEmpty);

  auto deltasShort = good;
  deltasShort[15] = 3;
  deltasShort[20] = 0x20;  // run of 3 small deltas ...
  deltasShort[21] = 0x03;  // ... with only 2 bytes left for them
  EXPECT_EQ(TwccFeedbackView::parse(first(deltasShort)).error(), RtcpError::TwccDeltasShort);
  deltasShort[15] = 2;  // two fit
  EXPECT_TRUE(TwccFeedbackView::parse(first(deltasShort)));

  auto reservedRun = good;
  reservedRun[20] = 0x60;  // run length chunk with S=11
  reservedRun[21] = 0x0E;
  EXPECT_EQ(TwccFeedbackView::parse(first(reservedRun)).error(), RtcpError::TwccReservedSymbol);
  auto reservedVector = good;
  reservedVector[20] = 0xF0;  // two-bit vector starting with 11
  EXPECT_EQ(TwccFeedbackView::parse(first(reservedVector)).error(), RtcpError::TwccReservedSymbol);

  std::vector<uint8_t> fixedShort(good.begin(), good.begin() + 16);
  fixedShort[3] = 0x03;
  EXPECT_EQ(TwccFeedbackView::parse(first(fixedShort)).error(), RtcpError::BodyTooShort);
  auto wrongFmt = good;
  wrongFmt[0] = 0x81;
  EXPECT_EQ(TwccFeedbackView::parse(first(wrongFmt)).error(), RtcpError::WrongType);
}

TEST(RtcpTwccTest, BuildsRunLengthAndTwoBitVectorAcrossTheWrap) {
  std::vector<TwccArrival> arrivals;
  for (int i = 0; i < 20; ++i) {  // 65530..65535, 0..13: 1 ms apart, small deltas
    arrivals.push_back({static_cast<uint16_t>(65530 + i), 1'000'000 + i * 1000});
  }
  // 14..23 lost; then a 100 ms jump (large), 2 ms back in time (large, negative),
  // +1 ms (small), 27 lost, +1 ms (small).
  arrivals.push_back({24, 1'119'000});
  arrivals.push_back({25, 1'117'000});
  arrivals.push_back({26, 1'118'000});
  arrivals.push_back({28, 1'119'123});
  const TwccFeedbackHeader header{0x1111, 0x2222, 65530, 42};
  std::array<uint8_t, 128> out{};
  const auto size = buildTwcc(header, arrivals, out);
  ASSERT_TRUE(size) << describe(size.error());
  EXPECT_EQ(*size % 4, 0u);

  // Chunks: run of 20 small deltas, run of 10 lost, 2-bit vector 2 2 1 0 1.
  EXPECT_EQ(out[20], 0x20);
  EXPECT_EQ(out[21], 0x14);
  EXPECT_EQ(out[22], 0x00);
  EXPECT_EQ(out[23], 0x0A);
  EXPECT_EQ(out[24], 0xE9);
  EXPECT_EQ(out[25], 0x10);

  const auto twcc = TwccFeedbackView::parse(first(std::span(out).first(*size)));
  ASSERT_TRUE(twcc) << describe(twcc.error());
  EXPECT_EQ(twcc->senderSsrc(), 0x1111u);
  EXPECT_EQ(twcc->mediaSsrc(), 0x2222u);
  EXPECT_EQ(twcc->baseSequenceNumber(), 65530);
  EXPECT_EQ(twcc->packetStatusCount(), 35);
  EXPECT_EQ(twcc->feedbackPacketCount(), 42);
  EXPECT_EQ(twcc->referenceTime(), 15);  // 1 s rounded down to 64 ms units

  const auto statuses = statusesOf(*twcc);
  ASSERT_EQ(statuses.size(), 35u);
  EXPECT_EQ(statuses[6].sequenceNumber, 0);
  for (int i = 20; i < 30; ++i) EXPECT_FALSE(statuses[i].received);
  EXPECT_EQ(statuses[30].deltaUs, 100'000 - 0);
  EXPECT_EQ(statuses[31].deltaUs, -2000);
  EXPECT_EQ(statuses[32].deltaUs, 1000);
  EXPECT_FALSE(statuses[33].received);
  std::vector<int64_t> expected;
  for (const auto& a : arrivals) expected.push_back(onWire(a.arrivalUs));
  EXPECT_EQ(arrivalsOf(*twcc), expected);
}

TEST(RtcpTwccTest, BuildsOneBitVectors) {
  std::vector<TwccArrival> arrivals;
  for (uint16_t seq = 0; seq <= 26; seq += 2) arrivals.push_back({seq, 5000 + seq * 500});
  std::array<uint8_t, 64> out{};
  const auto size = buildTwcc({1, 2, 0, 0}, arrivals, out);
  ASSERT_TRUE(size);
  // Two vectors 1010...: 14 symbols, then the last 13 padded with a 0.
  EXPECT_EQ(out[20], 0xAA);
  EXPECT_EQ(out[21], 0xAA);
  EXPECT_EQ(out[22], 0xAA);
  EXPECT_EQ(out[23], 0xAA);
  const auto twcc = TwccFeedbackView::parse(first(std::span(out).first(*size)));
  ASSERT_TRUE(twcc);
  EXPECT_EQ(twcc->packetStatusCount(), 27);
  std::vector<int64_t> expected;
  for (const auto& a : arrivals) expected.push_back(onWire(a.arrivalUs));
  EXPECT_EQ(arrivalsOf(*twcc), expected);
}

TEST(RtcpTwccTest, BuildsNegativeArrivalTimesAndPadding) {
  const std::array<TwccArrival, 2> arrivals = {{{5, -1'000'100}, {6, -999'000}}};
  std::array<uint8_t, 64> out{};
  const auto size = buildTwcc({1, 2, 3, 0}, arrivals, out);
  ASSERT_TRUE(size);
  // 20 fixed + 2 chunk (lost 3-4 and two small deltas) + 2 deltas = 24: no padding.
  const auto twcc = TwccFeedbackView::parse(first(std::span(out).first(*size)));
  ASSERT_TRUE(twcc);
  EXPECT_EQ(twcc->referenceTime(), -16);
  EXPECT_EQ(arrivalsOf(*twcc), (std::vector<int64_t>{onWire(-1'000'100), onWire(-999'000)}));

  const std::array<TwccArrival, 1> one = {{{7, 1'000'000}}};
  const auto padded = buildTwcc({1, 2, 7, 0}, one, out);
  ASSERT_TRUE(padded);
  EXPECT_EQ(*padded, 24u);  // 23 bytes of content, one byte of RTCP padding
  EXPECT_EQ(out[0], 0xAF);  // P bit set
  EXPECT_EQ(out[23], 1);    // padding count
  EXPECT_TRUE(TwccFeedbackView::parse(first(std::span(out).first(*padded))));
}

TEST(RtcpTwccTest, BuilderRejectsBadInput) {
  std::array<uint8_t, 64> out{};
  EXPECT_EQ(buildTwcc({}, {}, out).error(), RtcpError::InvalidArgument);
  const std::array<TwccArrival, 2> unsorted = {{{5, 0}, {4, 1000}}};
  EXPECT_EQ(buildTwcc({0, 0, 0, 0}, unsorted, out).error(), RtcpError::InvalidArgument);
  const std::array<TwccArrival, 2> duplicate = {{{5, 0}, {5, 1000}}};
  EXPECT_EQ(buildTwcc({0, 0, 0, 0}, duplicate, out).error(), RtcpError::InvalidArgument);
  const std::array<TwccArrival, 1> beforeBase = {{{9, 0}}};
  EXPECT_EQ(buildTwcc({0, 0, 10, 0}, beforeBase, out).error(), RtcpError::InvalidArgument);
  const std::array<TwccArrival, 2> farApart = {{{1, 0}, {2, 9'000'000}}};
  EXPECT_EQ(buildTwcc({0, 0, 0, 0}, farApart, out).error(), RtcpError::DeltaOutOfRange);
  const std::array<TwccArrival, 2> fine = {{{1, 0}, {2, 8'000'000}}};
  EXPECT_TRUE(buildTwcc({0, 0, 0, 0}, fine, out));
  EXPECT_EQ(buildTwcc({0, 0, 0, 0}, fine, std::span(out).first(20)).error(), RtcpError::BufferTooSmall);
}

}  // namespace
