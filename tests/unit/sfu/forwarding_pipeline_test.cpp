// The forwarding blocks composed as a down-track uses them: three VP8
// simulcast layers come in, the selector picks one, the munger and the VP8
// munger rewrite, and the subscriber must see one continuous stream through
// layer switches: sequence numbers without holes, timestamps that never go
// back, picture ids one apart, and each switch landing on a key frame.
#include "forwarding/keyframe.hpp"
#include "forwarding/rtp_munger.hpp"
#include "forwarding/simulcast_selector.hpp"
#include "forwarding/vp8_munger.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace {

using namespace convox::sfu;

constexpr int kPacketsPerFrame = 2;
constexpr int64_t kFrameMicros = 33'333;
constexpr uint32_t kTicksPerFrame = 3000;

struct Layer {
  uint32_t ssrc;
  uint16_t sequence;
  uint32_t timestamp;
  uint16_t pictureId;
  uint8_t tl0PicIdx;
  bool keyFramePending = true;  // encoders start with a key frame
};

std::vector<uint8_t> vp8Payload(const Layer& layer, bool keyFrame, bool firstPacketOfFrame) {
  std::vector<uint8_t> bytes = {static_cast<uint8_t>(0x80 | (firstPacketOfFrame ? 0x10 : 0x00)), 0xC0,
                                static_cast<uint8_t>(0x80 | (layer.pictureId >> 8)),
                                static_cast<uint8_t>(layer.pictureId), layer.tl0PicIdx};
  if (keyFrame && firstPacketOfFrame) {
    bytes.insert(bytes.end(), {0x50, 0x2d, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01});
  } else {
    bytes.insert(bytes.end(), {0x31, 0x2d, 0x00, 0x00});
  }
  return bytes;
}

struct Sent {
  uint32_t sourceSsrc;
  uint16_t sequenceNumber;
  uint32_t timestamp;
  uint16_t pictureId;
  bool keyFrame;
};

class ForwardingPipelineTest : public ::testing::Test {
 protected:
  // One frame on every layer; the key frames a PLI asked for go out now.
  void frame() {
    // The down-track re-evaluates on a timer, not per packet.
    selector_.update(liveness_.liveMask(now_));
    for (uint8_t q = 0; q < 3; ++q) {
      Layer& layer = layers_[q];
      const bool keyFrame = layer.keyFramePending;
      layer.keyFramePending = false;
      for (int p = 0; p < kPacketsPerFrame; ++p) {
        auto payload = vp8Payload(layer, keyFrame, p == 0);
        liveness_.observe(q, now_);
        const auto descriptor = parseVp8(payload);
        ASSERT_TRUE(descriptor);
        const bool switched = selector_.shouldSwitch(q, descriptor->keyFrame);
        if (switched) munger_.rebaseAtNextPacket();
        if (selector_.shouldForward(q)) {
          const auto out = munger_.forward(layer.ssrc, layer.sequence, layer.timestamp, now_);
          ASSERT_TRUE(out);
          vp8_.rewrite(payload, *descriptor, switched);
          const auto rewritten = parseVp8(payload);
          sent_.push_back(
              {layer.ssrc, out->sequenceNumber, out->timestamp, rewritten->pictureId, descriptor->keyFrame});
          if (switched) switchedAt_.push_back(sent_.size() - 1);
        }
        ++layer.sequence;
      }
      layer.timestamp += kTicksPerFrame;
      ++layer.pictureId;
      ++layer.tl0PicIdx;
    }
    // The down-track asks for a key frame of the layer it waits for.
    if (selector_.needsKeyframe()) layers_[selector_.target()].keyFramePending = true;
    now_ += kFrameMicros;
  }

  void expectContinuous() const {
    ASSERT_FALSE(sent_.empty());
    for (size_t i = 1; i < sent_.size(); ++i) {
      EXPECT_EQ(sent_[i].sequenceNumber, static_cast<uint16_t>(sent_[i - 1].sequenceNumber + 1)) << i;
      EXPECT_LT(static_cast<int32_t>(sent_[i - 1].timestamp - sent_[i].timestamp), 1) << i;  // never backwards
      const auto pictureStep = static_cast<uint16_t>((sent_[i].pictureId - sent_[i - 1].pictureId) & 0x7fff);
      EXPECT_LE(pictureStep, 1) << i;
    }
    for (size_t index : switchedAt_) EXPECT_TRUE(sent_[index].keyFrame) << index;
  }

  std::array<Layer, 3> layers_{
      {{0xA0, 100, 1000, 5000, 10}, {0xA1, 30000, 777777, 12000, 99}, {0xA2, 65000, 5, 31000, 250}}};
  const std::array<SimulcastLayer, 3> published_{{{0, 320, 180, 0}, {1, 640, 360, 0}, {2, 1280, 720, 0}}};
  SimulcastLiveness liveness_;
  SimulcastSelector selector_{published_};
  RtpMunger munger_{90000, 200, 123456};
  Vp8Munger vp8_;
  int64_t now_ = 1'000'000;
  std::vector<Sent> sent_;
  std::vector<size_t> switchedAt_;
};

TEST_F(ForwardingPipelineTest, LayerSwitchesKeepTheStreamContinuous) {
  for (int i = 0; i < 10; ++i) frame();
  ASSERT_FALSE(sent_.empty());
  EXPECT_EQ(sent_.back().sourceSsrc, 0xA2u);  // HIGH by default

  selector_.requestDimensions(320, 180);
  for (int i = 0; i < 10; ++i) frame();
  EXPECT_EQ(sent_.back().sourceSsrc, 0xA0u);

  selector_.requestQuality(1);
  selector_.requestDimensions(0, 0);
  for (int i = 0; i < 10; ++i) frame();
  EXPECT_EQ(sent_.back().sourceSsrc, 0xA1u);

  EXPECT_EQ(switchedAt_.size(), 3u);
  expectContinuous();
}

TEST_F(ForwardingPipelineTest, DisableAndReenableResumesWithoutAHole) {
  for (int i = 0; i < 5; ++i) frame();
  const size_t before = sent_.size();
  selector_.setDisabled(true);
  for (int i = 0; i < 30; ++i) frame();  // a second with the tile hidden
  EXPECT_EQ(sent_.size(), before);
  selector_.setDisabled(false);
  for (int i = 0; i < 5; ++i) frame();
  ASSERT_GT(sent_.size(), before);
  EXPECT_TRUE(sent_[before].keyFrame);
  // The clock jumped by the time the stream was paused.
  EXPECT_GE(sent_[before].timestamp - sent_[before - 1].timestamp, 30 * kTicksPerFrame);
  expectContinuous();
}

}  // namespace
