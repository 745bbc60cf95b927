// The per down-track sequence/timestamp rewriting: what a subscriber sees
// across wrap-around, reordering, loss, skipped packets, source switches and
// mute, and what history() tells a NACK handler.
#include "forwarding/rtp_munger.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace {

using convox::sfu::MungedRtp;
using convox::sfu::RtpMunger;

constexpr uint32_t kOpusClock = 48000;
constexpr uint32_t kSsrcA = 0x11111111;
constexpr uint32_t kSsrcB = 0x22222222;
constexpr uint32_t kTicksPer20Ms = 960;
constexpr int64_t k20Ms = 20'000;

// A source sending 20 ms Opus packets.
struct Source {
  uint32_t ssrc;
  uint16_t sequence;
  uint32_t timestamp;
  int64_t micros = 1'000'000;

  std::optional<MungedRtp> send(RtpMunger& munger) { return munger.forward(ssrc, sequence, timestamp, micros); }
  void next() {
    ++sequence;
    timestamp += kTicksPer20Ms;
    micros += k20Ms;
  }
};

TEST(RtpMungerTest, FirstPacketStartsAtTheInitialValuesAndFollowsTheSource) {
  RtpMunger munger(kOpusClock, 1000, 50000);
  EXPECT_FALSE(munger.started());
  Source source{kSsrcA, 777, 123456};
  for (int i = 0; i < 5; ++i) {
    const auto out = source.send(munger);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->sequenceNumber, 1000 + i);
    EXPECT_EQ(out->timestamp, 50000u + static_cast<uint32_t>(i) * kTicksPer20Ms);
    source.next();
  }
  EXPECT_TRUE(munger.started());
  EXPECT_EQ(munger.currentSsrc(), kSsrcA);
  EXPECT_EQ(munger.lastSequenceNumber(), 1004);
  EXPECT_EQ(munger.lastTimestamp(), 50000u + 4 * kTicksPer20Ms);
  EXPECT_EQ(munger.packetsSent(), 5u);
}

TEST(RtpMungerTest, SourceAndOutgoingSequenceAndTimestampWrapIndependently) {
  RtpMunger munger(kOpusClock, 65534, 0xFFFFF000);
  Source source{kSsrcA, 65533, 0xFFFFFC00};
  std::vector<uint16_t> sequences;
  std::vector<uint32_t> timestamps;
  for (int i = 0; i < 6; ++i) {
    const auto out = source.send(munger);
    ASSERT_TRUE(out);
    sequences.push_back(out->sequenceNumber);
    timestamps.push_back(out->timestamp);
    source.next();
  }
  EXPECT_EQ(sequences, (std::vector<uint16_t>{65534, 65535, 0, 1, 2, 3}));
  for (size_t i = 1; i < timestamps.size(); ++i) EXPECT_EQ(timestamps[i] - timestamps[i - 1], kTicksPer20Ms);
  EXPECT_LT(timestamps.back(), timestamps.front());  // wrapped modulo 2^32
}

TEST(RtpMungerTest, LatePacketsTakeTheNumberTheirPositionReserved) {
  RtpMunger munger(kOpusClock, 100, 0);
  // Source order 10, 12, 13, 11, 14: 11 arrives late and must be outgoing 101.
  ASSERT_EQ(munger.forward(kSsrcA, 10, 1000, 0)->sequenceNumber, 100);
  ASSERT_EQ(munger.forward(kSsrcA, 12, 1200, 1)->sequenceNumber, 102);
  ASSERT_EQ(munger.forward(kSsrcA, 13, 1300, 2)->sequenceNumber, 103);
  const auto late = munger.forward(kSsrcA, 11, 1100, 3);
  ASSERT_TRUE(late);
  EXPECT_EQ(late->sequenceNumber, 101);
  EXPECT_EQ(late->timestamp, 100u);  // source timestamp 1100 on the same offset
  EXPECT_EQ(munger.forward(kSsrcA, 14, 1400, 4)->sequenceNumber, 104);
  // The newest packet stays the reference for Sender Reports.
  EXPECT_EQ(munger.lastTimestamp(), 400u);
  EXPECT_EQ(munger.lastArrivalMicros(), 4);
}

TEST(RtpMungerTest, ReorderingAcrossTheSourceWrap) {
  RtpMunger munger(kOpusClock, 500, 0);
  ASSERT_EQ(munger.forward(kSsrcA, 65534, 0, 0)->sequenceNumber, 500);
  ASSERT_EQ(munger.forward(kSsrcA, 1, 300, 1)->sequenceNumber, 503);  // 65535 and 0 still on their way
  ASSERT_EQ(munger.forward(kSsrcA, 0, 200, 2)->sequenceNumber, 502);
  ASSERT_EQ(munger.forward(kSsrcA, 65535, 100, 3)->sequenceNumber, 501);
  EXPECT_EQ(munger.forward(kSsrcA, 2, 400, 4)->sequenceNumber, 504);
}

TEST(RtpMungerTest, DuplicatesAreNotForwardedTwice) {
  RtpMunger munger(kOpusClock, 0, 0);
  ASSERT_TRUE(munger.forward(kSsrcA, 10, 0, 0));
  ASSERT_TRUE(munger.forward(kSsrcA, 11, 0, 0));
  EXPECT_FALSE(munger.forward(kSsrcA, 11, 0, 0));  // the newest again
  EXPECT_FALSE(munger.forward(kSsrcA, 10, 0, 0));  // an older one again
  ASSERT_TRUE(munger.forward(kSsrcA, 13, 0, 0));
  ASSERT_TRUE(munger.forward(kSsrcA, 12, 0, 0));  // late, first copy
  EXPECT_FALSE(munger.forward(kSsrcA, 12, 0, 0));
  EXPECT_EQ(munger.packetsSent(), 4u);
}

TEST(RtpMungerTest, PacketsOlderThanTheWindowAreDropped) {
  RtpMunger munger(kOpusClock, 0, 0);
  Source source{kSsrcA, 100, 0};
  ASSERT_TRUE(source.send(munger));
  source.next();
  source.sequence = static_cast<uint16_t>(source.sequence + 1);  // 101 is lost for now
  for (size_t i = 0; i < RtpMunger::kReorderWindow; ++i) {
    ASSERT_TRUE(source.send(munger));
    source.next();
  }
  EXPECT_FALSE(munger.forward(kSsrcA, 101, 0, source.micros));
  // A packet from before the first one forwarded has no number either.
  EXPECT_FALSE(munger.forward(kSsrcA, 99, 0, source.micros));
}

TEST(RtpMungerTest, SkippedPacketsTakeNoOutgoingNumber) {
  RtpMunger munger(kOpusClock, 0, 0);
  ASSERT_EQ(munger.forward(kSsrcA, 1, 0, 0)->sequenceNumber, 0);
  munger.skip(kSsrcA, 2);  // padding-only
  munger.skip(kSsrcA, 3);
  ASSERT_EQ(munger.forward(kSsrcA, 4, 0, 0)->sequenceNumber, 1);
  munger.skip(kSsrcA, 6);  // skips ahead of a gap: 5 keeps its number
  ASSERT_EQ(munger.forward(kSsrcA, 7, 0, 0)->sequenceNumber, 3);
  ASSERT_EQ(munger.forward(kSsrcA, 5, 0, 0)->sequenceNumber, 2);
  // A skipped packet that shows up again (retransmitted padding) stays skipped.
  EXPECT_FALSE(munger.forward(kSsrcA, 3, 0, 0));
  EXPECT_FALSE(munger.forward(kSsrcA, 6, 0, 0));
}

TEST(RtpMungerTest, ALateSkipLeavesItsHoleButBlocksTheSlot) {
  RtpMunger munger(kOpusClock, 0, 0);
  ASSERT_EQ(munger.forward(kSsrcA, 1, 0, 0)->sequenceNumber, 0);
  ASSERT_EQ(munger.forward(kSsrcA, 3, 0, 0)->sequenceNumber, 2);
  munger.skip(kSsrcA, 2);
  EXPECT_FALSE(munger.forward(kSsrcA, 2, 0, 0));
  EXPECT_EQ(munger.forward(kSsrcA, 4, 0, 0)->sequenceNumber, 3);
}

TEST(RtpMungerTest, SkipOfAnotherSourceIsIgnored) {
  RtpMunger munger(kOpusClock, 0, 0);
  munger.skip(kSsrcA, 1);  // not started
  ASSERT_EQ(munger.forward(kSsrcA, 1, 0, 0)->sequenceNumber, 0);
  munger.skip(kSsrcB, 2);
  EXPECT_EQ(munger.forward(kSsrcA, 2, 0, 0)->sequenceNumber, 1);
}

TEST(RtpMungerTest, SourceSwitchContinuesNumberingAndAdvancesTheClockByWallTime) {
  RtpMunger munger(kOpusClock, 4000, 90000);
  Source a{kSsrcA, 30000, 5'000'000, 1'000'000};
  MungedRtp last{};
  for (int i = 0; i < 10; ++i) {
    last = *a.send(munger);
    a.next();
  }
  // Source B starts 50 ms after A's last packet with unrelated numbers.
  Source b{kSsrcB, 12, 7, a.micros - k20Ms + 50'000};
  const auto first = b.send(munger);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->sequenceNumber, static_cast<uint16_t>(last.sequenceNumber + 1));
  EXPECT_EQ(first->timestamp, last.timestamp + 2400);  // 50 ms at 48 kHz
  EXPECT_EQ(munger.currentSsrc(), kSsrcB);
  b.next();
  const auto second = b.send(munger);
  EXPECT_EQ(second->sequenceNumber, static_cast<uint16_t>(last.sequenceNumber + 2));
  EXPECT_EQ(second->timestamp, last.timestamp + 2400 + kTicksPer20Ms);
  // B's own stragglers from before its first packet have no place.
  EXPECT_FALSE(munger.forward(kSsrcB, 11, 0, b.micros));  // before B's first packet
}

TEST(RtpMungerTest, SourceSwitchAtTheSameInstantStillAdvancesTheTimestamp) {
  RtpMunger munger(90000, 0, 1000);
  ASSERT_TRUE(munger.forward(kSsrcA, 5, 77, 500));
  const auto switched = munger.forward(kSsrcB, 9, 123456, 500);
  ASSERT_TRUE(switched);
  EXPECT_EQ(switched->sequenceNumber, 1);
  EXPECT_EQ(switched->timestamp, 1001u);  // at least one tick: never a repeated timestamp
}

TEST(RtpMungerTest, SwitchingBackToAnEarlierSourceRebasesAgain) {
  RtpMunger munger(kOpusClock, 0, 0);
  ASSERT_EQ(munger.forward(kSsrcA, 100, 0, 0)->sequenceNumber, 0);
  ASSERT_EQ(munger.forward(kSsrcB, 5000, 0, 20'000)->sequenceNumber, 1);
  // Back to A, whose numbers continued meanwhile.
  const auto back = munger.forward(kSsrcA, 103, 2880, 40'000);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->sequenceNumber, 2);
  EXPECT_EQ(back->timestamp, 960u + 960u);
  EXPECT_FALSE(munger.forward(kSsrcA, 102, 1920, 40'000));  // before the re-base
}

TEST(RtpMungerTest, MuteGapKeepsSequenceContiguousAndTimestampFollowsElapsedTime) {
  RtpMunger munger(kOpusClock, 10, 0);
  Source a{kSsrcA, 200, 0};
  MungedRtp last{};
  for (int i = 0; i < 3; ++i) {
    last = *a.send(munger);
    a.next();
  }
  // 7 s of silence (muted, DTX): the source clock moved on, its numbers did not.
  a.timestamp += 7 * kOpusClock;
  a.micros += 7'000'000;
  const auto resumed = a.send(munger);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->sequenceNumber, static_cast<uint16_t>(last.sequenceNumber + 1));
  EXPECT_EQ(resumed->timestamp - last.timestamp, 7 * kOpusClock + kTicksPer20Ms);
}

TEST(RtpMungerTest, MuteGapAcrossASourceSwitchUsesTheWallClock) {
  RtpMunger munger(kOpusClock, 10, 0);
  ASSERT_TRUE(munger.forward(kSsrcA, 1, 0, 1'000'000));
  const auto resumed = munger.forward(kSsrcB, 40000, 999, 4'500'000);  // republished 3.5 s later
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->sequenceNumber, 11);
  EXPECT_EQ(resumed->timestamp, 3 * kOpusClock + kOpusClock / 2);
}

TEST(RtpMungerTest, UpstreamLossLeavesAHoleTheSubscriberCanNack) {
  RtpMunger munger(kOpusClock, 0, 0);
  ASSERT_EQ(munger.forward(kSsrcA, 1, 0, 0)->sequenceNumber, 0);
  ASSERT_EQ(munger.forward(kSsrcA, 4, 0, 0)->sequenceNumber, 3);
  EXPECT_FALSE(munger.history(1));  // reserved for source 2, never sent
  const auto entry = munger.history(3);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->sourceSequenceNumber, 4);
}

TEST(RtpMungerTest, HugeForwardJumpIsADiscontinuityNotAHole) {
  RtpMunger munger(kOpusClock, 0, 0);
  ASSERT_EQ(munger.forward(kSsrcA, 1, 0, 0)->sequenceNumber, 0);
  const auto jumped = munger.forward(kSsrcA, 20001, 555, 20'000);
  ASSERT_TRUE(jumped);
  EXPECT_EQ(jumped->sequenceNumber, 1);
  EXPECT_EQ(jumped->timestamp, 960u);
  EXPECT_EQ(munger.forward(kSsrcA, 20002, 555 + 960, 40'000)->sequenceNumber, 2);
}

TEST(RtpMungerTest, SameSsrcRestartingLowerIsPickedUpAfterAFewPackets) {
  RtpMunger munger(kOpusClock, 0, 0);
  Source a{kSsrcA, 40000, 0};
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(a.send(munger));
    a.next();
  }
  // The publisher restarts numbering 30000 below under the same SSRC.
  Source restarted{kSsrcA, 10000, 0, a.micros};
  int dropped = 0;
  std::optional<MungedRtp> first;
  while (!first && dropped < 10) {
    first = restarted.send(munger);
    if (!first) ++dropped;
    restarted.next();
  }
  ASSERT_TRUE(first);
  EXPECT_EQ(dropped, 2);
  EXPECT_EQ(first->sequenceNumber, 5);
  EXPECT_EQ(restarted.send(munger)->sequenceNumber, 6);
}

TEST(RtpMungerTest, StragglersFromBeforeANewSourcesFirstPacketAreDroppedNotRestarts) {
  RtpMunger munger(kOpusClock, 0, 0);
  ASSERT_EQ(munger.forward(kSsrcA, 7, 0, 0)->sequenceNumber, 0);
  ASSERT_EQ(munger.forward(kSsrcB, 15, 0, 20'000)->sequenceNumber, 1);
  for (uint16_t s = 10; s < 15; ++s) EXPECT_FALSE(munger.forward(kSsrcB, s, 0, 20'000)) << s;
  EXPECT_EQ(munger.forward(kSsrcB, 16, 960, 40'000)->sequenceNumber, 2);
}

TEST(RtpMungerTest, ForcedRebaseResumesTheSameSourceWithoutAHole) {
  RtpMunger munger(kOpusClock, 0, 0);
  ASSERT_EQ(munger.forward(kSsrcA, 100, 0, 0)->sequenceNumber, 0);
  munger.rebaseAtNextPacket();
  munger.skip(kSsrcA, 101);  // ignored: the next packet re-bases anyway
  // 2 s paused: 100 packets never meant for this subscriber.
  const auto resumed = munger.forward(kSsrcA, 201, 100 * kTicksPer20Ms, 2'000'000);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->sequenceNumber, 1);
  EXPECT_EQ(resumed->timestamp, 2 * kOpusClock);
  EXPECT_EQ(munger.forward(kSsrcA, 202, 101 * kTicksPer20Ms, 2'020'000)->sequenceNumber, 2);
  EXPECT_FALSE(munger.forward(kSsrcA, 150, 0, 2'020'000));  // from the paused stretch
  EXPECT_EQ(munger.forward(kSsrcA, 203, 102 * kTicksPer20Ms, 2'040'000)->sequenceNumber, 3);
}

TEST(RtpMungerTest, HistoryMapsOutgoingNumbersToTheirSourcePackets) {
  RtpMunger munger(kOpusClock, 65530, 0);
  Source a{kSsrcA, 100, 1000};
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(a.send(munger));
    a.next();
  }
  Source b{kSsrcB, 9000, 0, a.micros};
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(b.send(munger));
    b.next();
  }
  const auto fromA = munger.history(65532);
  ASSERT_TRUE(fromA);
  EXPECT_EQ(fromA->ssrc, kSsrcA);
  EXPECT_EQ(fromA->sourceSequenceNumber, 102);
  EXPECT_EQ(fromA->timestamp, 2 * kTicksPer20Ms);
  const auto fromB = munger.history(1);  // across the outgoing wrap
  ASSERT_TRUE(fromB);
  EXPECT_EQ(fromB->ssrc, kSsrcB);
  EXPECT_EQ(fromB->sourceSequenceNumber, 9003);
  EXPECT_EQ(fromB->timestamp, munger.lastTimestamp());
  EXPECT_FALSE(munger.history(2));      // not sent yet
  EXPECT_FALSE(munger.history(65529));  // before the first
}

TEST(RtpMungerTest, HistoryForgetsBeyondItsWindow) {
  RtpMunger munger(kOpusClock, 0, 0);
  Source a{kSsrcA, 0, 0};
  for (size_t i = 0; i < RtpMunger::kHistorySize + 10; ++i) {
    ASSERT_TRUE(a.send(munger));
    a.next();
  }
  EXPECT_FALSE(munger.history(9));
  const auto oldest = munger.history(10);
  ASSERT_TRUE(oldest);
  EXPECT_EQ(oldest->sourceSequenceNumber, 10);
  // After a full outgoing cycle the same number means a newer packet.
  for (size_t i = 0; i < 65536; ++i) {
    ASSERT_TRUE(a.send(munger));
    a.next();
  }
  const auto again = munger.history(10);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->timestamp, (10u + 65536u) * kTicksPer20Ms);
}

TEST(RtpMungerTest, SenderReportTimestampExtrapolatesFromTheNewestPacket) {
  RtpMunger munger(kOpusClock, 0, 0xFFFFFF00);
  ASSERT_TRUE(munger.forward(kSsrcA, 1, 5, 1'000'000));
  EXPECT_EQ(munger.rtpTimestampAt(1'000'000), 0xFFFFFF00u);
  EXPECT_EQ(munger.rtpTimestampAt(1'010'000), 0xFFFFFF00u + 480u);  // wraps to 0x00E0
  EXPECT_EQ(munger.rtpTimestampAt(990'000), 0xFFFFFF00u - 480u);    // an SR built just before
}

TEST(RtpMungerTest, CountsPacketsAndOctets) {
  RtpMunger munger(kOpusClock, 0, 0);
  ASSERT_TRUE(munger.forward(kSsrcA, 1, 0, 0, 100));
  ASSERT_TRUE(munger.forward(kSsrcA, 2, 0, 0, 60));
  EXPECT_FALSE(munger.forward(kSsrcA, 2, 0, 0, 60));
  EXPECT_EQ(munger.packetsSent(), 2u);
  EXPECT_EQ(munger.octetsSent(), 160u);
}

TEST(RtpMungerTest, RandomInitialValuesDiffer) {
  // 16 draws of 15 bits all equal would mean the generator is not seeded.
  const uint16_t first = convox::sfu::randomSequenceNumber();
  bool differs = false;
  for (int i = 0; i < 16; ++i) differs |= convox::sfu::randomSequenceNumber() != first;
  EXPECT_TRUE(differs);
  EXPECT_LT(first, 0x8000);
}

}  // namespace
