// Key-frame detection and VP8 descriptor parsing on payloads written out from
// RFC 7741 §4.2, RFC 6386 §9.1 and RFC 6184 §5.
#include "forwarding/keyframe.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace {

using convox::sfu::isH264Keyframe;
using convox::sfu::isKeyframe;
using convox::sfu::parseVp8;
using convox::sfu::VideoCodec;

// VP8 key frame tag: P=0, then start code and 640x360.
const std::vector<uint8_t> kKeyFrameHeader = {0x50, 0x2d, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01};
// Inter frame tag: P=1.
const std::vector<uint8_t> kInterFrameHeader = {0x31, 0x2d, 0x00, 0x11, 0x22, 0x33};

std::vector<uint8_t> concat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(Vp8DescriptorTest, ParsesTheFullChromeDescriptorOfAKeyFrame) {
  const auto payload = concat(
      {
          0x90,        // X=1 N=0 S=1 PID=0
          0xE0,        // I=1 L=1 T=1 K=0
          0x81, 0x23,  // M=1, picture id 0x0123
          0x45,        // TL0PICIDX
          0x60,        // TID=1 Y=1 KEYIDX=0
      },
      kKeyFrameHeader);
  const auto d = parseVp8(payload);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->startOfPartition);
  EXPECT_EQ(d->partitionIndex, 0);
  EXPECT_FALSE(d->nonReference);
  EXPECT_TRUE(d->hasPictureId);
  EXPECT_TRUE(d->longPictureId);
  EXPECT_EQ(d->pictureId, 0x0123);
  EXPECT_TRUE(d->hasTl0PicIdx);
  EXPECT_EQ(d->tl0PicIdx, 0x45);
  EXPECT_TRUE(d->hasTemporalLayer);
  EXPECT_EQ(d->temporalLayer, 1);
  EXPECT_TRUE(d->layerSync);
  EXPECT_FALSE(d->hasKeyIdx);
  EXPECT_EQ(d->descriptorSize, 6);
  EXPECT_TRUE(d->keyFrame);
  EXPECT_EQ(d->width, 640);
  EXPECT_EQ(d->height, 360);
  EXPECT_TRUE(isKeyframe(VideoCodec::Vp8, payload));
}

TEST(Vp8DescriptorTest, MinimalDescriptorAndShortPictureId) {
  const auto minimal = parseVp8(concat({0x10}, kKeyFrameHeader));
  ASSERT_TRUE(minimal);
  EXPECT_EQ(minimal->descriptorSize, 1);
  EXPECT_FALSE(minimal->hasPictureId);
  EXPECT_TRUE(minimal->keyFrame);

  const auto shortId = parseVp8(concat({0xB0, 0x90, 0x7f, 0x1f}, kInterFrameHeader));  // I, K present
  ASSERT_TRUE(shortId);
  EXPECT_FALSE(shortId->longPictureId);
  EXPECT_EQ(shortId->pictureId, 0x7f);
  EXPECT_TRUE(shortId->nonReference);
  EXPECT_TRUE(shortId->hasKeyIdx);
  EXPECT_EQ(shortId->keyIdx, 0x1f);
  EXPECT_FALSE(shortId->hasTemporalLayer);
  EXPECT_FALSE(shortId->keyFrame);
}

TEST(Vp8DescriptorTest, OnlyTheStartOfPartitionZeroOfAKeyFrameCounts) {
  EXPECT_FALSE(isKeyframe(VideoCodec::Vp8, concat({0x10}, kInterFrameHeader)));  // P=1
  EXPECT_FALSE(isKeyframe(VideoCodec::Vp8, concat({0x00}, kKeyFrameHeader)));    // S=0: a continuation
  EXPECT_FALSE(isKeyframe(VideoCodec::Vp8, concat({0x11}, kKeyFrameHeader)));    // partition 1
  auto noStartCode = concat({0x10}, kKeyFrameHeader);
  noStartCode[4] = 0x00;
  EXPECT_FALSE(isKeyframe(VideoCodec::Vp8, noStartCode));
  EXPECT_FALSE(isKeyframe(VideoCodec::Vp8, std::vector<uint8_t>{0x10, 0x50, 0x2d}));  // truncated key frame
}

TEST(Vp8DescriptorTest, TruncatedDescriptorsAreRejected) {
  EXPECT_FALSE(parseVp8({}));
  EXPECT_FALSE(parseVp8(std::vector<uint8_t>{0x90}));              // X but no flags
  EXPECT_FALSE(parseVp8(std::vector<uint8_t>{0x90, 0x80}));        // I but no picture id
  EXPECT_FALSE(parseVp8(std::vector<uint8_t>{0x90, 0x80, 0x81}));  // long picture id cut
  EXPECT_FALSE(parseVp8(std::vector<uint8_t>{0x90, 0x40}));        // L but no TL0PICIDX
  EXPECT_FALSE(parseVp8(std::vector<uint8_t>{0x90, 0x20}));        // T but no TID byte
  EXPECT_FALSE(parseVp8(std::vector<uint8_t>{0x90, 0x20, 0x40}));  // descriptor, no frame
  EXPECT_TRUE(parseVp8(std::vector<uint8_t>{0x90, 0x20, 0x40, 0x01}));
}

TEST(Vp8DescriptorTest, RewritesPictureIdAndTl0PicIdxInPlace) {
  auto payload = concat({0x90, 0xC0, 0x81, 0x23, 0x45}, kKeyFrameHeader);
  const auto d = parseVp8(payload);
  ASSERT_TRUE(d);
  ASSERT_TRUE(convox::sfu::setVp8PictureId(payload, *d, 0x7ffe));
  ASSERT_TRUE(convox::sfu::setVp8Tl0PicIdx(payload, *d, 9));
  const auto again = parseVp8(payload);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->pictureId, 0x7ffe);
  EXPECT_TRUE(again->longPictureId);
  EXPECT_EQ(again->tl0PicIdx, 9);
  EXPECT_TRUE(again->keyFrame);

  auto shortForm = concat({0x90, 0x80, 0x05}, kInterFrameHeader);
  const auto s = parseVp8(shortForm);
  ASSERT_TRUE(s);
  ASSERT_TRUE(convox::sfu::setVp8PictureId(shortForm, *s, 0x1ff));  // truncated to 7 bits
  EXPECT_EQ(parseVp8(shortForm)->pictureId, 0x7f);
  EXPECT_FALSE(convox::sfu::setVp8Tl0PicIdx(shortForm, *s, 1));
  const auto none = parseVp8(concat({0x10}, kKeyFrameHeader));
  auto bytes = concat({0x10}, kKeyFrameHeader);
  EXPECT_FALSE(convox::sfu::setVp8PictureId(bytes, *none, 1));
}

TEST(H264KeyframeTest, SingleNalUnits) {
  EXPECT_TRUE(isH264Keyframe(std::vector<uint8_t>{0x65, 0x88, 0x84}));  // IDR slice
  EXPECT_TRUE(isH264Keyframe(std::vector<uint8_t>{0x67, 0x42, 0xc0}));  // SPS
  EXPECT_FALSE(isH264Keyframe(std::vector<uint8_t>{0x68, 0xce}));       // PPS
  EXPECT_FALSE(isH264Keyframe(std::vector<uint8_t>{0x41, 0x9a}));       // non-IDR slice
  EXPECT_FALSE(isH264Keyframe({}));
}

TEST(H264KeyframeTest, StapAWithSpsPpsIdr) {
  const std::vector<uint8_t> stap = {
      0x78,                          // F=0 NRI=3 type 24
      0x00, 0x03, 0x68, 0xce, 0x38,  // PPS first
      0x00, 0x02, 0x67, 0x42,        // then SPS
  };
  EXPECT_TRUE(isH264Keyframe(stap));
  const std::vector<uint8_t> noKey = {0x78, 0x00, 0x02, 0x68, 0xce, 0x00, 0x02, 0x41, 0x9a};
  EXPECT_FALSE(isH264Keyframe(noKey));
  const std::vector<uint8_t> overrun = {0x78, 0x00, 0x09, 0x68, 0xce};  // size past the end
  EXPECT_FALSE(isH264Keyframe(overrun));
  const std::vector<uint8_t> zeroSize = {0x78, 0x00, 0x00, 0x65};
  EXPECT_FALSE(isH264Keyframe(zeroSize));
}

TEST(H264KeyframeTest, FuAStartFragmentOfAnIdrSlice) {
  EXPECT_TRUE(isH264Keyframe(std::vector<uint8_t>{0x7c, 0x85, 0x88}));   // S=1 type 5
  EXPECT_FALSE(isH264Keyframe(std::vector<uint8_t>{0x7c, 0x05, 0x88}));  // middle fragment
  EXPECT_FALSE(isH264Keyframe(std::vector<uint8_t>{0x7c, 0x45, 0x88}));  // end fragment
  EXPECT_FALSE(isH264Keyframe(std::vector<uint8_t>{0x7c, 0x81, 0x88}));  // start of a non-IDR slice
  EXPECT_FALSE(isH264Keyframe(std::vector<uint8_t>{0x7c}));              // no FU header
  EXPECT_TRUE(isKeyframe(VideoCodec::H264, std::vector<uint8_t>{0x7c, 0x87}));
  EXPECT_FALSE(isKeyframe(VideoCodec::Other, std::vector<uint8_t>{0x65}));
}

}  // namespace
