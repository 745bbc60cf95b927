#include "forwarding/keyframe.hpp"

#include "rtc/byte_io.hpp"

namespace convox::sfu {

namespace {

// RFC 7741 §4.2 bits.
constexpr uint8_t kExtended = 0x80;       // X
constexpr uint8_t kNonReference = 0x20;   // N
constexpr uint8_t kStart = 0x10;          // S
constexpr uint8_t kPartitionMask = 0x07;  // PID
constexpr uint8_t kPictureIdPresent = 0x80;
constexpr uint8_t kTl0PicIdxPresent = 0x40;
constexpr uint8_t kTidPresent = 0x20;
constexpr uint8_t kKeyIdxPresent = 0x10;
constexpr uint8_t kLongPictureId = 0x80;  // M

// RFC 6386 §9.1: frame tag (3 bytes), then for key frames the start code and
// the 14-bit dimensions with 2 scaling bits each, little-endian.
constexpr size_t kKeyFrameHeaderSize = 10;
constexpr uint8_t kInterFrame = 0x01;  // P bit of the frame tag

// RFC 6184 NAL unit types.
constexpr uint8_t kNalTypeMask = 0x1f;
constexpr uint8_t kIdrSlice = 5;
constexpr uint8_t kSps = 7;
constexpr uint8_t kStapA = 24;
constexpr uint8_t kFuA = 28;
constexpr uint8_t kFuStart = 0x80;

bool isKeyNal(uint8_t header) {
  const uint8_t type = header & kNalTypeMask;
  return type == kIdrSlice || type == kSps;
}

void parseVp8KeyFrame(std::span<const uint8_t> frame, Vp8Descriptor& out) {
  if (frame.empty() || (frame[0] & kInterFrame) != 0) return;
  if (frame.size() < kKeyFrameHeaderSize || frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a) return;
  out.keyFrame = true;
  out.width = static_cast<uint16_t>((frame[6] | (frame[7] << 8)) & 0x3fff);
  out.height = static_cast<uint16_t>((frame[8] | (frame[9] << 8)) & 0x3fff);
}

}  // namespace

std::optional<Vp8Descriptor> parseVp8(std::span<const uint8_t> payload) {
  if (payload.empty()) return std::nullopt;
  Vp8Descriptor d;
  const uint8_t first = payload[0];
  d.nonReference = (first & kNonReference) != 0;
  d.startOfPartition = (first & kStart) != 0;
  d.partitionIndex = first & kPartitionMask;
  size_t offset = 1;
  if ((first & kExtended) != 0) {
    if (offset >= payload.size()) return std::nullopt;
    const uint8_t flags = payload[offset++];
    if ((flags & kPictureIdPresent) != 0) {
      if (offset >= payload.size()) return std::nullopt;
      d.hasPictureId = true;
      d.pictureIdOffset = static_cast<uint8_t>(offset);
      d.longPictureId = (payload[offset] & kLongPictureId) != 0;
      if (d.longPictureId) {
        if (offset + 2 > payload.size()) return std::nullopt;
        d.pictureId = rtc::loadBe16(&payload[offset]) & 0x7fff;
        offset += 2;
      } else {
        d.pictureId = payload[offset] & 0x7f;
        offset += 1;
      }
    }
    if ((flags & kTl0PicIdxPresent) != 0) {
      if (offset >= payload.size()) return std::nullopt;
      d.hasTl0PicIdx = true;
      d.tl0PicIdxOffset = static_cast<uint8_t>(offset);
      d.tl0PicIdx = payload[offset++];
    }
    if ((flags & (kTidPresent | kKeyIdxPresent)) != 0) {
      if (offset >= payload.size()) return std::nullopt;
      const uint8_t byte = payload[offset++];
      if ((flags & kTidPresent) != 0) {
        d.hasTemporalLayer = true;
        d.temporalLayer = static_cast<uint8_t>(byte >> 6);
        d.layerSync = (byte & 0x20) != 0;
      }
      if ((flags & kKeyIdxPresent) != 0) {
        d.hasKeyIdx = true;
        d.keyIdx = byte & 0x1f;
      }
    }
  }
  if (offset >= payload.size()) return std::nullopt;  // a descriptor with no frame data
  d.descriptorSize = static_cast<uint8_t>(offset);
  if (d.startOfPartition && d.partitionIndex == 0) parseVp8KeyFrame(payload.subspan(offset), d);
  return d;
}

bool setVp8PictureId(std::span<uint8_t> payload, const Vp8Descriptor& descriptor, uint16_t pictureId) {
  if (!descriptor.hasPictureId) return false;
  const size_t width = descriptor.longPictureId ? 2 : 1;
  if (descriptor.pictureIdOffset + width > payload.size()) return false;
  uint8_t* field = &payload[descriptor.pictureIdOffset];
  if (descriptor.longPictureId) {
    rtc::storeBe16(field, static_cast<uint16_t>(0x8000 | (pictureId & 0x7fff)));
  } else {
    field[0] = static_cast<uint8_t>(pictureId & 0x7f);
  }
  return true;
}

bool setVp8Tl0PicIdx(std::span<uint8_t> payload, const Vp8Descriptor& descriptor, uint8_t tl0PicIdx) {
  if (!descriptor.hasTl0PicIdx || descriptor.tl0PicIdxOffset >= payload.size()) return false;
  payload[descriptor.tl0PicIdxOffset] = tl0PicIdx;
  return true;
}

bool isH264Keyframe(std::span<const uint8_t> payload) {
  if (payload.empty()) return false;
  const uint8_t type = payload[0] & kNalTypeMask;
  if (type == kStapA) {
    // Aggregated NAL units, each behind a 16-bit size.
    size_t offset = 1;
    while (offset + 2 < payload.size()) {
      const size_t size = rtc::loadBe16(&payload[offset]);
      offset += 2;
      if (size == 0 || size > payload.size() - offset) return false;
      if (isKeyNal(payload[offset])) return true;
      offset += size;
    }
    return false;
  }
  if (type == kFuA) return payload.size() >= 2 && (payload[1] & kFuStart) != 0 && isKeyNal(payload[1]);
  return isKeyNal(payload[0]);
}

bool isKeyframe(VideoCodec codec, std::span<const uint8_t> payload) {
  switch (codec) {
    case VideoCodec::Vp8: {
      const auto descriptor = parseVp8(payload);
      return descriptor && descriptor->keyFrame;
    }
    case VideoCodec::H264:
      return isH264Keyframe(payload);
    case VideoCodec::Other:
      return false;
  }
  return false;
}

}  // namespace convox::sfu
