// Dynacast's debounce on a fake clock: more quality at once, less only after
// it has been wanted for the whole delay.
#include "forwarding/dynacast_quality.hpp"

#include <gtest/gtest.h>

namespace {

using convox::sfu::DynacastQuality;

constexpr int kLow = 0;
constexpr int kMedium = 1;
constexpr int kHigh = 2;
constexpr int kNone = DynacastQuality::kNone;
constexpr int64_t kDelay = 3'000'000;
constexpr int64_t kTick = 200'000;

TEST(DynacastQualityTest, StartsWithEveryLayerAndReportsNothingWhileHighIsWanted) {
  DynacastQuality dynacast(kDelay);
  EXPECT_EQ(dynacast.published(), kHigh);
  for (int64_t t = 0; t < 10 * kDelay; t += kTick) EXPECT_FALSE(dynacast.update(kHigh, t));
  EXPECT_EQ(dynacast.published(), kHigh);
}

TEST(DynacastQualityTest, LowersOnlyAfterTheDelay) {
  DynacastQuality dynacast(kDelay);
  int64_t t = 1'000'000;
  EXPECT_FALSE(dynacast.update(kLow, t));
  EXPECT_FALSE(dynacast.update(kLow, t + kDelay - 1));
  EXPECT_EQ(dynacast.published(), kHigh);
  EXPECT_TRUE(dynacast.update(kLow, t + kDelay));
  EXPECT_EQ(dynacast.published(), kLow);
  EXPECT_FALSE(dynacast.update(kLow, t + kDelay + kTick));  // reported once
}

TEST(DynacastQualityTest, RaisesAtOnce) {
  DynacastQuality dynacast(kDelay);
  ASSERT_FALSE(dynacast.update(kNone, 0));
  ASSERT_TRUE(dynacast.update(kNone, kDelay));
  EXPECT_EQ(dynacast.published(), kNone);
  EXPECT_TRUE(dynacast.update(kMedium, kDelay + 1));
  EXPECT_EQ(dynacast.published(), kMedium);
  EXPECT_TRUE(dynacast.update(kHigh, kDelay + 2));
  EXPECT_EQ(dynacast.published(), kHigh);
}

TEST(DynacastQualityTest, ABriefDipDoesNotLowerAndRestartsTheDelay) {
  DynacastQuality dynacast(kDelay);
  EXPECT_FALSE(dynacast.update(kLow, 0));
  EXPECT_FALSE(dynacast.update(kHigh, kDelay / 2));  // back before the delay ran out
  EXPECT_FALSE(dynacast.update(kLow, kDelay / 2 + kTick));
  // The delay counts from the second dip, not the first.
  EXPECT_FALSE(dynacast.update(kLow, kDelay + kTick));
  EXPECT_EQ(dynacast.published(), kHigh);
  EXPECT_TRUE(dynacast.update(kLow, kDelay / 2 + kTick + kDelay));
  EXPECT_EQ(dynacast.published(), kLow);
}

TEST(DynacastQualityTest, LowersToTheHighestWishOfTheDelay) {
  DynacastQuality dynacast(kDelay);
  EXPECT_FALSE(dynacast.update(kLow, 0));
  EXPECT_FALSE(dynacast.update(kMedium, kTick));
  EXPECT_FALSE(dynacast.update(kNone, 2 * kTick));
  EXPECT_TRUE(dynacast.update(kNone, kDelay));
  EXPECT_EQ(dynacast.published(), kMedium);
  // Then from MEDIUM down to nothing takes another full delay.
  EXPECT_FALSE(dynacast.update(kNone, kDelay + kTick));
  EXPECT_TRUE(dynacast.update(kNone, 2 * kDelay + kTick));
  EXPECT_EQ(dynacast.published(), kNone);
}

TEST(DynacastQualityTest, NoSubscriberPausesEverythingAfterTheDelay) {
  DynacastQuality dynacast(kDelay);
  for (int64_t t = 0; t < kDelay; t += kTick) EXPECT_FALSE(dynacast.update(kNone, t));
  EXPECT_TRUE(dynacast.update(kNone, kDelay));
  EXPECT_EQ(dynacast.published(), kNone);
}

TEST(DynacastQualityTest, OutOfRangeWishesAreClamped) {
  DynacastQuality dynacast(kDelay);
  EXPECT_FALSE(dynacast.update(7, 0));
  EXPECT_EQ(dynacast.published(), kHigh);
  EXPECT_FALSE(dynacast.update(-5, 0));
  EXPECT_TRUE(dynacast.update(-5, kDelay));
  EXPECT_EQ(dynacast.published(), kNone);
}

}  // namespace
