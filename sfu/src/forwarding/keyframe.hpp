#pragma once

// What an SFU needs to know from a video RTP payload without decoding it: is
// this the start of a key frame (a layer switch or a new subscriber may only
// start there), and for VP8 the picture numbering that a simulcast switch has
// to keep continuous. Pure functions over any bytes: malformed input gives
// nullopt / false, never a read past the end.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace convox::sfu {

enum class VideoCodec : uint8_t { Vp8, H264, Other };

// RFC 7741 §4.2 payload descriptor, plus the key-frame facts of the VP8
// payload header (RFC 6386 §9.1) when this packet starts partition 0.
struct Vp8Descriptor {
  bool startOfPartition = false;  // S
  uint8_t partitionIndex = 0;     // PID
  bool nonReference = false;      // N: droppable without breaking later frames
  bool hasPictureId = false;      // I
  bool longPictureId = false;     // M: 15 bits instead of 7
  uint16_t pictureId = 0;
  bool hasTl0PicIdx = false;  // L
  uint8_t tl0PicIdx = 0;
  bool hasTemporalLayer = false;  // T
  uint8_t temporalLayer = 0;      // TID
  bool layerSync = false;         // Y
  bool hasKeyIdx = false;         // K
  uint8_t keyIdx = 0;
  uint8_t descriptorSize = 0;   // bytes before the VP8 payload
  uint8_t pictureIdOffset = 0;  // where the picture id starts, when present
  uint8_t tl0PicIdxOffset = 0;  // where TL0PICIDX is, when present
  bool keyFrame = false;        // start of partition 0 of a key frame
  uint16_t width = 0;           // of a key frame, in pixels (scaling bits dropped)
  uint16_t height = 0;
};

// nullopt when the descriptor runs past the payload or leaves no VP8 payload.
std::optional<Vp8Descriptor> parseVp8(std::span<const uint8_t> payload);

// Rewrites the picture id / TL0PICIDX in place (keeping the descriptor's
// 7- or 15-bit form; the value is truncated to it). False when the descriptor
// carries no such field.
bool setVp8PictureId(std::span<uint8_t> payload, const Vp8Descriptor& descriptor, uint16_t pictureId);
bool setVp8Tl0PicIdx(std::span<uint8_t> payload, const Vp8Descriptor& descriptor, uint8_t tl0PicIdx);

// RFC 6184: an IDR slice (5) or SPS (7) as a single NAL unit, inside a STAP-A,
// or as the first fragment of an FU-A.
bool isH264Keyframe(std::span<const uint8_t> payload);

bool isKeyframe(VideoCodec codec, std::span<const uint8_t> payload);

}  // namespace convox::sfu
