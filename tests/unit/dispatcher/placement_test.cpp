#include "dispatcher/placement.hpp"

#include <gtest/gtest.h>

#include <array>

using convox::dispatcher::freeCapacityWeight;
using convox::dispatcher::pickWeightedByFreeCapacity;

TEST(Placement, WeightIsFreeCapacityClampedAtZero) {
  EXPECT_DOUBLE_EQ(freeCapacityWeight(0.0F), 1.0);
  EXPECT_NEAR(freeCapacityWeight(0.25F), 0.75, 1e-6);
  EXPECT_DOUBLE_EQ(freeCapacityWeight(1.0F), 0.0);
  EXPECT_DOUBLE_EQ(freeCapacityWeight(1.5F), 0.0);
}

TEST(Placement, NoCandidatesOrNoCapacityPicksNothing) {
  EXPECT_FALSE(pickWeightedByFreeCapacity({}, 0.5).has_value());
  EXPECT_FALSE(pickWeightedByFreeCapacity({1.0F, 1.0F}, 0.5).has_value());
}

TEST(Placement, DrawMapsOntoCumulativeFreeCapacity) {
  // Weights 1.0, 0.5 (load 0.5), 0 (full), 0.5: total 2.0.
  const std::vector<float> loads{0.0F, 0.5F, 1.0F, 0.5F};
  EXPECT_EQ(pickWeightedByFreeCapacity(loads, 0.0), 0U);
  EXPECT_EQ(pickWeightedByFreeCapacity(loads, 0.49), 0U);
  EXPECT_EQ(pickWeightedByFreeCapacity(loads, 0.5), 1U);
  EXPECT_EQ(pickWeightedByFreeCapacity(loads, 0.74), 1U);
  EXPECT_EQ(pickWeightedByFreeCapacity(loads, 0.75), 3U);  // the full worker is never picked
  EXPECT_EQ(pickWeightedByFreeCapacity(loads, 0.999), 3U);
  EXPECT_EQ(pickWeightedByFreeCapacity(loads, 1.0), 3U);
}

TEST(Placement, FrequenciesFollowFreeCapacity) {
  // Loads 0.0 and 0.75: weights 1 and 0.25, so 80% / 20% over an even sweep.
  const std::vector<float> loads{0.0F, 0.75F};
  std::array<int, 2> counts{};
  constexpr int kDraws = 1000;
  for (int i = 0; i < kDraws; ++i) ++counts.at(*pickWeightedByFreeCapacity(loads, (i + 0.5) / kDraws));
  EXPECT_EQ(counts[0], 800);
  EXPECT_EQ(counts[1], 200);
}
