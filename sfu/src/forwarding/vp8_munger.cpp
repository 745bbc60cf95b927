#include "forwarding/vp8_munger.hpp"

namespace convox::sfu {

namespace {

constexpr uint16_t kPictureIdMask = 0x7fff;

// a after b in the 15-bit picture id space.
bool pictureIdNewer(uint16_t a, uint16_t b) {
  const auto diff = static_cast<uint16_t>((a - b) & kPictureIdMask);
  return diff != 0 && diff < 0x4000;
}

bool tl0Newer(uint8_t a, uint8_t b) {
  const auto diff = static_cast<uint8_t>(a - b);
  return diff != 0 && diff < 0x80;
}

}  // namespace

void Vp8Munger::rewrite(std::span<uint8_t> payload, const Vp8Descriptor& descriptor, bool sourceSwitched) {
  if (sourceSwitched) {
    // Continue one picture (and one base-layer picture) after the last sent.
    const uint16_t nextPictureId = started_ ? static_cast<uint16_t>(lastPictureId_ + 1) : descriptor.pictureId;
    const uint8_t nextTl0 = started_ ? static_cast<uint8_t>(lastTl0PicIdx_ + 1) : descriptor.tl0PicIdx;
    pictureIdOffset_ = static_cast<uint16_t>((nextPictureId - descriptor.pictureId) & kPictureIdMask);
    tl0PicIdxOffset_ = static_cast<uint8_t>(nextTl0 - descriptor.tl0PicIdx);
  }
  if (descriptor.hasPictureId) {
    const auto pictureId = static_cast<uint16_t>((descriptor.pictureId + pictureIdOffset_) & kPictureIdMask);
    setVp8PictureId(payload, descriptor, pictureId);
    const auto written = static_cast<uint16_t>(pictureId & (descriptor.longPictureId ? kPictureIdMask : 0x7f));
    if (!started_ || sourceSwitched || pictureIdNewer(written, lastPictureId_)) lastPictureId_ = written;
  }
  if (descriptor.hasTl0PicIdx) {
    const auto tl0 = static_cast<uint8_t>(descriptor.tl0PicIdx + tl0PicIdxOffset_);
    setVp8Tl0PicIdx(payload, descriptor, tl0);
    if (!started_ || sourceSwitched || tl0Newer(tl0, lastTl0PicIdx_)) lastTl0PicIdx_ = tl0;
  }
  started_ = true;
}

}  // namespace convox::sfu
