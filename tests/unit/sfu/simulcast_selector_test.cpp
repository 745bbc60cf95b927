// Layer choice for one subscriber from its request and the live layers, and
// switching only at key frames of the target.
#include "forwarding/simulcast_selector.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

namespace {

using convox::sfu::kNoLayer;
using convox::sfu::SimulcastLayer;
using convox::sfu::SimulcastLiveness;
using convox::sfu::SimulcastSelector;

constexpr uint8_t kLow = 0;
constexpr uint8_t kMedium = 1;
constexpr uint8_t kHigh = 2;
constexpr uint8_t kAllLive = 0b111;

// livekit-client's default three layers for a 1280x720 camera.
const std::array<SimulcastLayer, 3> kCamera = {{
    {kLow, 320, 180, 150'000},
    {kMedium, 640, 360, 500'000},
    {kHigh, 1280, 720, 1'700'000},
}};

TEST(SimulcastSelectorTest, DefaultsToHighAndStartsAtItsKeyFrame) {
  SimulcastSelector selector(kCamera);
  EXPECT_EQ(selector.update(kAllLive), kHigh);
  EXPECT_EQ(selector.current(), kNoLayer);
  EXPECT_TRUE(selector.needsKeyframe());
  EXPECT_FALSE(selector.shouldSwitch(kHigh, false));  // not a key frame
  EXPECT_FALSE(selector.shouldSwitch(kLow, true));    // key frame of another layer
  EXPECT_FALSE(selector.shouldForward(kHigh));
  EXPECT_TRUE(selector.shouldSwitch(kHigh, true));
  EXPECT_TRUE(selector.shouldForward(kHigh));
  EXPECT_FALSE(selector.shouldForward(kLow));
  EXPECT_FALSE(selector.needsKeyframe());
  EXPECT_FALSE(selector.shouldSwitch(kHigh, true));  // already there
}

TEST(SimulcastSelectorTest, QualityChangeWaitsForTheTargetsKeyFrame) {
  SimulcastSelector selector(kCamera);
  selector.update(kAllLive);
  ASSERT_TRUE(selector.shouldSwitch(kHigh, true));
  selector.requestQuality(kLow);
  EXPECT_EQ(selector.update(kAllLive), kLow);
  // Until LOW's key frame, HIGH keeps flowing.
  EXPECT_TRUE(selector.shouldForward(kHigh));
  EXPECT_TRUE(selector.needsKeyframe());
  EXPECT_FALSE(selector.shouldSwitch(kHigh, true));
  EXPECT_TRUE(selector.shouldSwitch(kLow, true));
  EXPECT_TRUE(selector.shouldForward(kLow));
  EXPECT_FALSE(selector.shouldForward(kHigh));
}

TEST(SimulcastSelectorTest, ChangingTheMindBeforeTheKeyFrameKeepsTheCurrentLayer) {
  SimulcastSelector selector(kCamera);
  selector.update(kAllLive);
  ASSERT_TRUE(selector.shouldSwitch(kHigh, true));
  selector.requestQuality(kMedium);
  selector.update(kAllLive);
  selector.requestQuality(kHigh);
  selector.update(kAllLive);
  EXPECT_FALSE(selector.needsKeyframe());
  EXPECT_FALSE(selector.shouldSwitch(kMedium, true));
  EXPECT_TRUE(selector.shouldForward(kHigh));
}

TEST(SimulcastSelectorTest, DimensionsPickTheSmallestLayerThatCovers) {
  SimulcastSelector selector(kCamera);
  selector.requestDimensions(320, 180);
  EXPECT_EQ(selector.update(kAllLive), kLow);
  selector.requestDimensions(400, 225);
  EXPECT_EQ(selector.update(kAllLive), kMedium);
  selector.requestDimensions(730, 410);
  EXPECT_EQ(selector.update(kAllLive), kHigh);
  selector.requestDimensions(680, 380);  // within 10 % of 360: MEDIUM is enough
  EXPECT_EQ(selector.update(kAllLive), kMedium);
  selector.requestDimensions(3840, 2160);  // larger than anything: the largest
  EXPECT_EQ(selector.update(kAllLive), kHigh);
  selector.requestDimensions(180, 320);  // portrait tile
  EXPECT_EQ(selector.update(kAllLive), kLow);
  // Dimensions win over quality; clearing them hands back to quality.
  selector.requestQuality(kHigh);
  selector.requestDimensions(320, 180);
  EXPECT_EQ(selector.update(kAllLive), kLow);
  selector.requestDimensions(0, 0);
  EXPECT_EQ(selector.update(kAllLive), kHigh);
}

TEST(SimulcastSelectorTest, FallsBackToTheNearestLiveLayerBelowThenAbove) {
  SimulcastSelector selector(kCamera);
  EXPECT_EQ(selector.update(0b011), kMedium);  // HIGH paused (bandwidth, CPU)
  EXPECT_EQ(selector.update(0b001), kLow);
  selector.requestQuality(kLow);
  EXPECT_EQ(selector.update(0b110), kMedium);  // LOW missing: the next one up
  EXPECT_EQ(selector.update(0b100), kHigh);
  // Nothing live yet: aim at the desired layer so its first key frame starts it.
  EXPECT_EQ(selector.update(0), kLow);
}

TEST(SimulcastSelectorTest, DisabledForwardsNothingAtOnce) {
  SimulcastSelector selector(kCamera);
  selector.update(kAllLive);
  ASSERT_TRUE(selector.shouldSwitch(kHigh, true));
  selector.setDisabled(true);
  EXPECT_EQ(selector.update(kAllLive), kNoLayer);
  EXPECT_EQ(selector.current(), kNoLayer);
  EXPECT_FALSE(selector.shouldForward(kHigh));
  EXPECT_FALSE(selector.needsKeyframe());
  EXPECT_FALSE(selector.shouldSwitch(kHigh, true));
  // Re-enabled: back at the next key frame.
  selector.setDisabled(false);
  EXPECT_EQ(selector.update(kAllLive), kHigh);
  EXPECT_TRUE(selector.needsKeyframe());
  EXPECT_TRUE(selector.shouldSwitch(kHigh, true));
}

TEST(SimulcastSelectorTest, QualityOffIsLikeDisabled) {
  SimulcastSelector selector(kCamera);
  selector.requestQuality(convox::sfu::kQualityOff);
  EXPECT_EQ(selector.update(kAllLive), kNoLayer);
}

TEST(SimulcastSelectorTest, SingleLayerTrackAlwaysGetsItsLayer) {
  const std::array<SimulcastLayer, 1> single = {{{kHigh, 640, 480, 800'000}}};
  SimulcastSelector selector(single);
  selector.requestQuality(kLow);
  EXPECT_EQ(selector.update(kAllLive), kHigh);
  selector.requestDimensions(100, 100);
  EXPECT_EQ(selector.update(0b100), kHigh);
  const std::array<SimulcastLayer, 2> twoLayers = {{{kLow, 0, 0, 0}, {kMedium, 0, 0, 0}}};
  selector.setPublishedLayers(twoLayers);  // sizes unknown: the largest published
  EXPECT_EQ(selector.update(kAllLive), kMedium);
  selector.requestDimensions(0, 0);
  selector.requestQuality(kHigh);  // not published: the best below it
  EXPECT_EQ(selector.update(kAllLive), kMedium);
}

TEST(SimulcastSelectorTest, NothingPublishedMeansNoLayer) {
  SimulcastSelector selector({});
  EXPECT_EQ(selector.update(kAllLive), kNoLayer);
  const std::array<SimulcastLayer, 1> bogus = {{{7, 1, 1, 1}}};
  selector.setPublishedLayers(bogus);
  EXPECT_EQ(selector.update(kAllLive), kNoLayer);
}

TEST(SimulcastLivenessTest, LayersGoQuietAfterTheTimeout) {
  SimulcastLiveness liveness(1'000'000);
  EXPECT_EQ(liveness.liveMask(0), 0);
  liveness.observe(kLow, 100);
  liveness.observe(kHigh, 500'000);
  liveness.observe(9, 500'000);  // not a layer
  EXPECT_EQ(liveness.liveMask(600'000), 0b101);
  EXPECT_EQ(liveness.liveMask(1'000'100), 0b101);
  EXPECT_EQ(liveness.liveMask(1'000'101), 0b100);
  EXPECT_EQ(liveness.liveMask(1'500'001), 0);
}

}  // namespace
