#pragma once

// Per down-track VP8 picture numbering. After a simulcast switch the new
// layer's picture ids and TL0PICIDX are unrelated to the old one's; receivers
// use both to find frame references, so the down-track keeps each running on
// from where it left off (as RtpMunger does for sequence numbers).

#include "forwarding/keyframe.hpp"

#include <cstdint>
#include <span>

namespace convox::sfu {

class Vp8Munger {
 public:
  // Rewrites the descriptor of a packet about to be forwarded, in place.
  // `sourceSwitched`: the first packet forwarded from a new source (a key
  // frame after a layer switch, or the first packet at all).
  void rewrite(std::span<uint8_t> payload, const Vp8Descriptor& descriptor, bool sourceSwitched);

  uint16_t lastPictureId() const { return lastPictureId_; }
  uint8_t lastTl0PicIdx() const { return lastTl0PicIdx_; }

 private:
  // Others.
  bool started_ = false;
  uint16_t pictureIdOffset_ = 0;  // modulo 2^15
  uint8_t tl0PicIdxOffset_ = 0;   // modulo 2^8
  uint16_t lastPictureId_ = 0;    // newest outgoing
  uint8_t lastTl0PicIdx_ = 0;
};

}  // namespace convox::sfu
