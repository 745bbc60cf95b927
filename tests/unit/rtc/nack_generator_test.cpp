#include "rtc/nack_generator.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

using convox::rtc::NackGenerator;

namespace {

std::vector<uint16_t> collect(NackGenerator& g, int64_t now) {
  std::array<uint16_t, 64> out{};
  const size_t n = g.collect(now, out);
  return {out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n)};
}

constexpr int64_t kWait = NackGenerator::kReorderWaitMicros;
constexpr int64_t kRetry = NackGenerator::kRetryIntervalMicros;

}  // namespace

TEST(NackGenerator, InOrderPacketsMissNothing) {
  NackGenerator g;
  for (uint16_t s = 65530; s != 10; ++s) g.onPacket(s, 1000);
  EXPECT_EQ(g.missing(), 0u);
  EXPECT_FALSE(g.due(1'000'000));
}

TEST(NackGenerator, AHoleIsAskedForAfterTheReorderWaitThenRetried) {
  NackGenerator g;
  g.onPacket(100, 0);
  g.onPacket(103, 1000);  // 101 and 102 missing
  EXPECT_EQ(g.missing(), 2u);
  EXPECT_FALSE(g.due(1000 + kWait - 1));  // could still be reordering
  ASSERT_TRUE(g.due(1000 + kWait));
  EXPECT_EQ(collect(g, 1000 + kWait), (std::vector<uint16_t>{101, 102}));
  EXPECT_FALSE(g.due(1000 + kWait + kRetry - 1));
  EXPECT_EQ(collect(g, 1000 + kWait + kRetry), (std::vector<uint16_t>{101, 102}));
}

TEST(NackGenerator, ALateOrRetransmittedPacketFillsItsHole) {
  NackGenerator g;
  g.onPacket(100, 0);
  g.onPacket(104, 0);
  g.onPacket(102, 500);  // reordered
  EXPECT_EQ(collect(g, kWait), (std::vector<uint16_t>{101, 103}));
  g.onPacket(101, kWait + 100);  // the retransmission
  EXPECT_EQ(collect(g, kWait + kRetry), (std::vector<uint16_t>{103}));
  g.onPacket(103, kWait + kRetry + 100);
  EXPECT_EQ(g.missing(), 0u);
  EXPECT_FALSE(g.due(10 * kRetry));
}

TEST(NackGenerator, HolesAcrossTheWrapKeepTheirNumbers) {
  NackGenerator g;
  g.onPacket(65534, 0);
  g.onPacket(1, 0);  // 65535 and 0 missing
  EXPECT_EQ(collect(g, kWait), (std::vector<uint16_t>{65535, 0}));
}

TEST(NackGenerator, GivesUpAfterMaxAttempts) {
  NackGenerator g;
  g.onPacket(1, 0);
  g.onPacket(3, 0);
  int asked = 0;
  for (int64_t now = kWait; now < 10 * kRetry; now += kRetry) asked += static_cast<int>(collect(g, now).size());
  EXPECT_EQ(asked, NackGenerator::kMaxAttempts);
  EXPECT_EQ(g.missing(), 0u);
}

TEST(NackGenerator, GivesUpOnHolesTooOldToPlay) {
  NackGenerator g;
  g.onPacket(1, 0);
  g.onPacket(3, 0);
  EXPECT_EQ(collect(g, kWait).size(), 1u);
  EXPECT_TRUE(collect(g, NackGenerator::kMaxAgeMicros + 1).empty());
  EXPECT_EQ(g.missing(), 0u);
}

TEST(NackGenerator, AWideJumpIsAnOutageNotLoss) {
  NackGenerator g;
  g.onPacket(10, 0);
  g.onPacket(12, 0);  // 11 missing
  g.onPacket(static_cast<uint16_t>(12 + NackGenerator::kMaxMissing + 1), 0);
  EXPECT_EQ(g.missing(), 0u);
  EXPECT_FALSE(g.due(kWait));
  g.onPacket(static_cast<uint16_t>(12 + NackGenerator::kMaxMissing + 3), 0);  // loss after the jump still counts
  EXPECT_EQ(g.missing(), 1u);
}

TEST(NackGenerator, TracksAtMostTheNewestHolesAndLimitsEachNackToTheOutput) {
  NackGenerator g;
  uint16_t s = 0;
  g.onPacket(s, 0);
  // 200 holes, one at a time: the oldest fall out of the window.
  for (int i = 0; i < 200; ++i) {
    s = static_cast<uint16_t>(s + 2);
    g.onPacket(s, 0);
  }
  EXPECT_EQ(g.missing(), NackGenerator::kMaxMissing);
  std::array<uint16_t, 16> out{};
  ASSERT_EQ(g.collect(kWait, out), out.size());
  EXPECT_EQ(out[0], static_cast<uint16_t>(2 * (200 - NackGenerator::kMaxMissing) + 1));
  // The rest are still due.
  EXPECT_TRUE(g.due(kWait));
  EXPECT_EQ(collect(g, kWait).size(), 64u);
}

TEST(NackGenerator, ResetForgetsEverything) {
  NackGenerator g;
  g.onPacket(1, 0);
  g.onPacket(5, 0);
  g.reset();
  EXPECT_EQ(g.missing(), 0u);
  g.onPacket(900, 0);  // a new source starts fresh, no hole from 5
  EXPECT_EQ(g.missing(), 0u);
}
