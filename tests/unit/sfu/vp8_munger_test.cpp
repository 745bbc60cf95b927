// VP8 picture id / TL0PICIDX continuity across simulcast switches.
#include "forwarding/vp8_munger.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace {

using convox::sfu::parseVp8;
using convox::sfu::Vp8Munger;

// Chrome's descriptor: X, I with a 15-bit picture id, L, T; then an inter
// frame tag (or a key frame header).
std::vector<uint8_t> vp8Packet(uint16_t pictureId, uint8_t tl0PicIdx, bool keyFrame = false) {
  std::vector<uint8_t> bytes = {
      0x90, 0xE0, static_cast<uint8_t>(0x80 | (pictureId >> 8)), static_cast<uint8_t>(pictureId), tl0PicIdx, 0x40};
  const std::vector<uint8_t> key = {0x50, 0x2d, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01};
  const std::vector<uint8_t> inter = {0x31, 0x2d, 0x00};
  const auto& frame = keyFrame ? key : inter;
  bytes.insert(bytes.end(), frame.begin(), frame.end());
  return bytes;
}

struct Out {
  uint16_t pictureId;
  uint8_t tl0PicIdx;
};

Out forward(Vp8Munger& munger, std::vector<uint8_t> packet, bool switched = false) {
  const auto descriptor = parseVp8(packet);
  EXPECT_TRUE(descriptor);
  munger.rewrite(packet, *descriptor, switched);
  const auto after = parseVp8(packet);
  EXPECT_TRUE(after);
  EXPECT_EQ(after->keyFrame, descriptor->keyFrame);
  return {after->pictureId, after->tl0PicIdx};
}

TEST(Vp8MungerTest, FirstSourcePassesThroughUnchanged) {
  Vp8Munger munger;
  const Out first = forward(munger, vp8Packet(1000, 7, true), true);
  EXPECT_EQ(first.pictureId, 1000);
  EXPECT_EQ(first.tl0PicIdx, 7);
  const Out second = forward(munger, vp8Packet(1001, 8));
  EXPECT_EQ(second.pictureId, 1001);
  EXPECT_EQ(second.tl0PicIdx, 8);
}

TEST(Vp8MungerTest, SwitchContinuesFromTheLastPictureSent) {
  Vp8Munger munger;
  forward(munger, vp8Packet(1000, 7, true), true);
  forward(munger, vp8Packet(1001, 8));
  forward(munger, vp8Packet(1001, 8));  // second packet of the same picture
  // Switch to a layer numbered far away, at its key frame.
  const Out switched = forward(munger, vp8Packet(20000, 200, true), true);
  EXPECT_EQ(switched.pictureId, 1002);
  EXPECT_EQ(switched.tl0PicIdx, 9);
  const Out next = forward(munger, vp8Packet(20001, 201));
  EXPECT_EQ(next.pictureId, 1003);
  EXPECT_EQ(next.tl0PicIdx, 10);
}

TEST(Vp8MungerTest, WrapsIn15And8Bits) {
  Vp8Munger munger;
  forward(munger, vp8Packet(0x7ffe, 254, true), true);
  EXPECT_EQ(forward(munger, vp8Packet(0x7fff, 255)).pictureId, 0x7fff);
  const Out switched = forward(munger, vp8Packet(5, 3, true), true);
  EXPECT_EQ(switched.pictureId, 0);
  EXPECT_EQ(switched.tl0PicIdx, 0);
  EXPECT_EQ(munger.lastPictureId(), 0);
}

TEST(Vp8MungerTest, LatePacketsDoNotMoveTheContinuationPoint) {
  Vp8Munger munger;
  forward(munger, vp8Packet(50, 1, true), true);
  forward(munger, vp8Packet(52, 3));
  forward(munger, vp8Packet(51, 2));  // late
  EXPECT_EQ(munger.lastPictureId(), 52);
  EXPECT_EQ(munger.lastTl0PicIdx(), 3);
  EXPECT_EQ(forward(munger, vp8Packet(900, 90, true), true).pictureId, 53);
}

TEST(Vp8MungerTest, DescriptorWithoutIdsIsLeftAlone) {
  Vp8Munger munger;
  std::vector<uint8_t> packet = {0x10, 0x31, 0x2d, 0x00};
  const auto descriptor = parseVp8(packet);
  ASSERT_TRUE(descriptor);
  const auto before = packet;
  munger.rewrite(packet, *descriptor, true);
  EXPECT_EQ(packet, before);
}

}  // namespace
