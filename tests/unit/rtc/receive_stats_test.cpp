// Receive statistics of one publisher stream and the report block they make:
// sequence wrap-around, reordering, duplicates, loss fraction per interval,
// source restarts, jitter (RFC 3550 A.8) on a known arrival pattern, and the
// LSR/DLSR echo and round trip.
#include "rtc/receive_stats.hpp"

#include <gtest/gtest.h>

#include <cstdint>

namespace {

using convox::rtc::ReceiveStats;

constexpr uint32_t kSsrc = 0x11223344;
constexpr uint32_t kOpusRate = 48000;
constexpr int64_t kFrameMicros = 20'000;
constexpr uint32_t kFrameTicks = 960;

// Feeds packets `first`..`first + count - 1` on a perfect 20 ms clock.
void feed(ReceiveStats& stats, uint16_t first, int count, int64_t& now, uint32_t& timestamp) {
  for (int i = 0; i < count; ++i) {
    stats.onPacket(static_cast<uint16_t>(first + i), timestamp, now);
    timestamp += kFrameTicks;
    now += kFrameMicros;
  }
}

ReceiveStats opusStats() {
  ReceiveStats stats;
  stats.reset(kSsrc, kOpusRate);
  return stats;
}

TEST(ReceiveStatsTest, InOrderStreamHasNoLossAndNoJitter) {
  auto stats = opusStats();
  int64_t now = 1'000'000;
  uint32_t ts = 5000;
  feed(stats, 100, 50, now, ts);
  EXPECT_EQ(stats.expected(), 50u);
  EXPECT_EQ(stats.received(), 50u);
  EXPECT_EQ(stats.cumulativeLost(), 0);
  EXPECT_EQ(stats.jitter(), 0u);
  const auto block = stats.makeReportBlock(now);
  EXPECT_EQ(block.ssrc, kSsrc);
  EXPECT_EQ(block.extendedHighestSequence, 149u);
  EXPECT_EQ(block.fractionLost, 0);
  EXPECT_EQ(block.cumulativeLost, 0);
  EXPECT_EQ(block.lastSr, 0u);
  EXPECT_EQ(block.delaySinceLastSr, 0u);
}

TEST(ReceiveStatsTest, SequenceWrapCountsACycle) {
  auto stats = opusStats();
  int64_t now = 0;
  uint32_t ts = 0;
  feed(stats, 65530, 12, now, ts);  // 65530..65535, 0..5
  EXPECT_EQ(stats.extendedHighestSequence(), 0x10000u + 5);
  EXPECT_EQ(stats.expected(), 12u);
  EXPECT_EQ(stats.received(), 12u);
  EXPECT_EQ(stats.cumulativeLost(), 0);
}

TEST(ReceiveStatsTest, ReorderedPacketsAreNotLossAndWrapBackwards) {
  auto stats = opusStats();
  // 65534, 0, 65535, 1: the straggler 65535 arrives after the wrap.
  EXPECT_TRUE(stats.onPacket(65534, 0, 0));
  EXPECT_TRUE(stats.onPacket(0, 1920, 40'000));
  EXPECT_EQ(stats.cumulativeLost(), 1);
  EXPECT_TRUE(stats.onPacket(65535, 960, 41'000));
  EXPECT_TRUE(stats.onPacket(1, 2880, 60'000));
  EXPECT_EQ(stats.extendedHighestSequence(), 0x10001u);
  EXPECT_EQ(stats.expected(), 4u);
  EXPECT_EQ(stats.received(), 4u);
  EXPECT_EQ(stats.cumulativeLost(), 0);
}

TEST(ReceiveStatsTest, DuplicatesAreNotCounted) {
  auto stats = opusStats();
  int64_t now = 0;
  uint32_t ts = 0;
  feed(stats, 10, 5, now, ts);                             // 10..14
  EXPECT_FALSE(stats.onPacket(14, 0, now));                // the newest again
  EXPECT_FALSE(stats.onPacket(12, 0, now));                // an older one again
  EXPECT_TRUE(stats.onPacket(16, ts + kFrameTicks, now));  // 15 missing
  EXPECT_TRUE(stats.onPacket(15, ts, now));                // late, not a duplicate
  EXPECT_FALSE(stats.onPacket(15, ts, now));               // now it is
  EXPECT_EQ(stats.duplicates(), 3u);
  EXPECT_EQ(stats.received(), 7u);
  EXPECT_EQ(stats.expected(), 7u);
  EXPECT_EQ(stats.cumulativeLost(), 0);
}

TEST(ReceiveStatsTest, StragglerFromBeforeTheFirstPacketIsIgnored) {
  auto stats = opusStats();
  EXPECT_TRUE(stats.onPacket(500, 0, 0));
  EXPECT_FALSE(stats.onPacket(499, 0, 0));
  EXPECT_EQ(stats.expected(), 1u);
  EXPECT_EQ(stats.received(), 1u);
}

TEST(ReceiveStatsTest, FractionLostCoversTheIntervalSinceTheLastReport) {
  auto stats = opusStats();
  int64_t now = 0;
  uint32_t ts = 0;
  // Interval 1: 100 numbers, every 10th missing: 10 lost of 100.
  for (uint16_t s = 0; s < 100; ++s) {
    if (s % 10 != 5) stats.onPacket(s, ts, now);
    ts += kFrameTicks;
    now += kFrameMicros;
  }
  auto block = stats.makeReportBlock(now);
  EXPECT_EQ(block.fractionLost, (10 << 8) / 100);  // 25
  EXPECT_EQ(block.cumulativeLost, 10);
  EXPECT_EQ(block.extendedHighestSequence, 99u);
  // Interval 2: 50 more, none lost: the fraction resets, the total stays.
  feed(stats, 100, 50, now, ts);
  block = stats.makeReportBlock(now);
  EXPECT_EQ(block.fractionLost, 0);
  EXPECT_EQ(block.cumulativeLost, 10);
  // Interval 3: one of four arrives.
  stats.onPacket(153, ts + 3 * kFrameTicks, now);
  block = stats.makeReportBlock(now);
  EXPECT_EQ(block.fractionLost, (3 << 8) / 4);  // 192
  EXPECT_EQ(block.cumulativeLost, 13);
  // Late arrivals after the report make the next interval's loss negative: 0.
  stats.onPacket(150, ts, now);
  stats.onPacket(151, ts, now);
  block = stats.makeReportBlock(now);
  EXPECT_EQ(block.fractionLost, 0);
  EXPECT_EQ(block.cumulativeLost, 11);
}

TEST(ReceiveStatsTest, ALoneJumpIsIgnoredAndAConfirmedOneRestarts) {
  auto stats = opusStats();
  int64_t now = 0;
  uint32_t ts = 0;
  feed(stats, 1000, 10, now, ts);                // 1000..1009
  EXPECT_FALSE(stats.onPacket(30000, ts, now));  // a stray
  EXPECT_TRUE(stats.onPacket(1010, ts, now));
  EXPECT_EQ(stats.expected(), 11u);
  EXPECT_EQ(stats.cumulativeLost(), 0);
  // Two consecutive numbers far away: the source restarted.
  EXPECT_FALSE(stats.onPacket(40000, 0, now));
  EXPECT_TRUE(stats.onPacket(40001, 960, now));
  EXPECT_EQ(stats.extendedHighestSequence(), 40001u);
  EXPECT_EQ(stats.expected(), 1u);
  EXPECT_EQ(stats.received(), 1u);
  EXPECT_EQ(stats.totalExpected(), 12u);
  EXPECT_EQ(stats.totalReceived(), 12u);
}

TEST(ReceiveStatsTest, JitterFollowsRfc3550OnAKnownSequence) {
  auto stats = opusStats();
  // Packets 20 ms apart in RTP time; arrivals alternate 5 ms early and late,
  // so every transit difference after the first is 10 ms = 480 ticks.
  int64_t expectedQ4 = 0;
  for (int i = 0; i < 200; ++i) {
    const int64_t offset = (i % 2 == 0) ? 0 : 10'000;
    stats.onPacket(static_cast<uint16_t>(i), static_cast<uint32_t>(i) * kFrameTicks, i * kFrameMicros + offset);
    if (i > 0) expectedQ4 += 480 - ((expectedQ4 + 8) >> 4);
  }
  EXPECT_EQ(stats.jitter(), static_cast<uint32_t>(expectedQ4 >> 4));
  // Converges on |D| = 480 ticks (10 ms).
  EXPECT_GE(stats.jitter(), 470u);
  EXPECT_LE(stats.jitter(), 480u);
  EXPECT_NEAR(stats.jitterMillis(), 10.0, 0.3);
  EXPECT_EQ(stats.makeReportBlock(0).jitter, stats.jitter());
}

TEST(ReceiveStatsTest, PacketsOfOneFrameAndLatePacketsLeaveJitterAlone) {
  ReceiveStats stats;
  stats.reset(kSsrc, 90000);
  // A video frame every 33 ms, its 5 packets paced 2 ms apart: not jitter.
  for (int frame = 0; frame < 30; ++frame) {
    for (int p = 0; p < 5; ++p) {
      stats.onPacket(static_cast<uint16_t>(frame * 5 + p), static_cast<uint32_t>(frame) * 3000,
                     frame * 33'333 + p * 2000);
    }
  }
  EXPECT_LE(stats.jitter(), 1u);  // rounding of 33.333 ms to ticks only
}

TEST(ReceiveStatsTest, ReportEchoesTheSenderReportAndTheDelaySinceIt) {
  auto stats = opusStats();
  stats.onPacket(1, 0, 0);
  const uint64_t ntp = (uint64_t{0x83aa7e80} << 32) | 0x80000000u;  // x.5 s
  stats.onSenderReport(ntp, 2'000'000);
  const auto block = stats.makeReportBlock(2'500'000);  // 0.5 s later
  EXPECT_EQ(block.lastSr, 0x7e808000u);
  EXPECT_EQ(block.delaySinceLastSr, 32768u);  // 0.5 s in 1/65536 s
}

TEST(ReceiveStatsTest, RoundTripFromAReportBlock) {
  convox::rtc::ReportBlock block;
  EXPECT_FALSE(convox::rtc::roundTripMicros(block, 0).has_value());  // no SR echoed
  const uint64_t sent = uint64_t{1000} << 32;                        // our SR at second 1000
  block.lastSr = convox::rtc::compactNtp(sent);
  block.delaySinceLastSr = 65536;                                                  // held 1 s
  const uint64_t arrived = sent + (uint64_t{1} << 32) + (uint64_t{1} << 32) / 20;  // 1.05 s later
  const auto rtt = convox::rtc::roundTripMicros(block, arrived);
  ASSERT_TRUE(rtt.has_value());
  EXPECT_NEAR(static_cast<double>(*rtt), 50'000.0, 20.0);
  // Arriving before it could have: not a round trip.
  EXPECT_FALSE(convox::rtc::roundTripMicros(block, sent + (uint64_t{1} << 31)).has_value());
}

}  // namespace
