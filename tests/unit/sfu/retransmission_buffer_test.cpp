// The per up-track packet store that answers NACKs: what it keeps, what it
// refuses, and that a sequence number never finds a packet it does not own.
#include "forwarding/retransmission_buffer.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace {

using convox::sfu::RetransmissionBuffer;

// A recognisable packet for sequence number `sequence` (and a generation, to
// tell two packets with the same number apart).
std::vector<uint8_t> packetFor(uint16_t sequence, uint8_t generation = 0, size_t size = 40) {
  std::vector<uint8_t> bytes(size);
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>(sequence + i + generation * 31);
  return bytes;
}

bool holds(const RetransmissionBuffer& buffer, uint16_t sequence, const std::vector<uint8_t>& expected) {
  const auto found = buffer.find(sequence);
  return std::vector<uint8_t>(found.begin(), found.end()) == expected;
}

TEST(RetransmissionBufferTest, FindsWhatWasStored) {
  RetransmissionBuffer buffer(8);
  EXPECT_TRUE(buffer.find(1).empty());
  for (uint16_t s = 100; s < 105; ++s) ASSERT_TRUE(buffer.store(s, packetFor(s)));
  for (uint16_t s = 100; s < 105; ++s) EXPECT_TRUE(holds(buffer, s, packetFor(s))) << s;
  EXPECT_TRUE(buffer.find(99).empty());
  EXPECT_TRUE(buffer.find(105).empty());
}

TEST(RetransmissionBufferTest, CapacityRoundsUpToAPowerOfTwo) {
  EXPECT_EQ(RetransmissionBuffer(100).capacity(), 128u);
  EXPECT_EQ(RetransmissionBuffer(0).capacity(), 1u);
  EXPECT_EQ(RetransmissionBuffer(1, 100000).maxPacketSize(), 65535u);
}

TEST(RetransmissionBufferTest, OldPacketsAreOverwrittenAndNotFound) {
  RetransmissionBuffer buffer(4);
  for (uint16_t s = 0; s < 10; ++s) ASSERT_TRUE(buffer.store(s, packetFor(s)));
  for (uint16_t s = 0; s < 6; ++s) EXPECT_TRUE(buffer.find(s).empty()) << s;
  for (uint16_t s = 6; s < 10; ++s) EXPECT_TRUE(holds(buffer, s, packetFor(s))) << s;
}

TEST(RetransmissionBufferTest, OversizeAndEmptyPacketsAreNotStored) {
  RetransmissionBuffer buffer(4, 100);
  EXPECT_FALSE(buffer.store(1, packetFor(1, 0, 101)));
  EXPECT_FALSE(buffer.store(1, {}));
  EXPECT_TRUE(buffer.find(1).empty());
  EXPECT_TRUE(buffer.store(1, packetFor(1, 0, 100)));
  EXPECT_TRUE(holds(buffer, 1, packetFor(1, 0, 100)));
}

TEST(RetransmissionBufferTest, LatePacketsWithinCapacityAreStored) {
  RetransmissionBuffer buffer(8);
  ASSERT_TRUE(buffer.store(10, packetFor(10)));
  ASSERT_TRUE(buffer.store(13, packetFor(13)));
  EXPECT_TRUE(buffer.find(11).empty());
  ASSERT_TRUE(buffer.store(11, packetFor(11)));
  EXPECT_TRUE(holds(buffer, 11, packetFor(11)));
  // Older than the newest by the capacity: its slot now belongs to a newer number.
  EXPECT_FALSE(buffer.store(5, packetFor(5)));
  EXPECT_TRUE(holds(buffer, 13, packetFor(13)));
}

TEST(RetransmissionBufferTest, WrapAroundKeepsNumbersApart) {
  RetransmissionBuffer buffer(8);
  for (uint32_t s = 65530; s < 65536 + 3; ++s) {
    const auto sequence = static_cast<uint16_t>(s);
    ASSERT_TRUE(buffer.store(sequence, packetFor(sequence)));
  }
  for (uint32_t s = 65531; s < 65536 + 3; ++s) {
    const auto sequence = static_cast<uint16_t>(s);
    EXPECT_TRUE(holds(buffer, sequence, packetFor(sequence))) << s;
  }
  EXPECT_TRUE(buffer.find(65530).empty());
}

TEST(RetransmissionBufferTest, NumberComingRoundAgainNeverFindsTheOldPacket) {
  // Store 7, then a long upstream loss, then packets continue 65536 later
  // minus a few: 7's slot was never rewritten, but its number is newer now.
  RetransmissionBuffer buffer(16);
  ASSERT_TRUE(buffer.store(7, packetFor(7, 1)));
  uint32_t s = 7;
  for (int step = 0; step < 8; ++step) {  // advance by big jumps, storing a few
    s += 8000;
    ASSERT_TRUE(buffer.store(static_cast<uint16_t>(s), packetFor(static_cast<uint16_t>(s))));
  }
  // s = 64007; the numbering wraps to 1, 7 is lost this time round, 10 arrives.
  ASSERT_TRUE(buffer.store(1, packetFor(1)));
  EXPECT_TRUE(buffer.find(7).empty());  // ahead of the newest
  ASSERT_TRUE(buffer.store(10, packetFor(10)));
  // 7 is now inside the window and its slot still holds the first pass's 7.
  EXPECT_TRUE(buffer.find(7).empty());
  ASSERT_TRUE(buffer.store(7, packetFor(7, 2)));  // late arrival of this pass's 7
  EXPECT_TRUE(holds(buffer, 7, packetFor(7, 2)));
}

TEST(RetransmissionBufferTest, SameSsrcRenumberedFarBehindStartsOver) {
  RetransmissionBuffer buffer(16);
  ASSERT_TRUE(buffer.store(40000, packetFor(40000)));
  ASSERT_TRUE(buffer.store(10000, packetFor(10000)));  // 30000 behind: a restart
  EXPECT_TRUE(holds(buffer, 10000, packetFor(10000)));
  EXPECT_TRUE(buffer.find(40000).empty());
  ASSERT_TRUE(buffer.store(10001, packetFor(10001)));
  EXPECT_TRUE(holds(buffer, 10001, packetFor(10001)));
}

TEST(RetransmissionBufferTest, ReplacingAPacketKeepsOnlyTheNewCopy) {
  RetransmissionBuffer buffer(4);
  ASSERT_TRUE(buffer.store(3, packetFor(3, 0, 60)));
  ASSERT_TRUE(buffer.store(3, packetFor(3, 1, 20)));  // an upstream retransmission
  EXPECT_TRUE(holds(buffer, 3, packetFor(3, 1, 20)));
}

}  // namespace
