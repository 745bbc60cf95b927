// libFuzzer target: VP8 payload descriptors and H.264 key-frame detection on
// any bytes. A parsed descriptor must lie inside the input, and rewriting its
// picture id / TL0PICIDX in place must re-parse to the new values with every
// other field unchanged.
#include "forwarding/keyframe.hpp"
#include "fuzz_support.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace {

using convox::fuzzing::check;

using namespace convox::sfu;

void checkVp8(std::vector<uint8_t>& bytes) {
  const auto d = parseVp8(bytes);
  check(isKeyframe(VideoCodec::Vp8, bytes) == (d && d->keyFrame));
  if (!d) return;
  check(d->descriptorSize >= 1 && d->descriptorSize < bytes.size());
  check(d->partitionIndex <= 7 && d->temporalLayer <= 3 && d->keyIdx <= 31);
  check(d->pictureId <= (d->longPictureId ? 0x7fff : 0x7f));
  check(!d->keyFrame || (d->startOfPartition && d->partitionIndex == 0));
  check(d->width <= 0x3fff && d->height <= 0x3fff);
  if (d->hasPictureId) check(d->pictureIdOffset + (d->longPictureId ? 2u : 1u) <= d->descriptorSize);
  if (d->hasTl0PicIdx) check(d->tl0PicIdxOffset < d->descriptorSize);

  const uint16_t pictureId = static_cast<uint16_t>(d->pictureId + 1);
  const auto tl0PicIdx = static_cast<uint8_t>(d->tl0PicIdx + 1);
  check(setVp8PictureId(bytes, *d, pictureId) == d->hasPictureId);
  check(setVp8Tl0PicIdx(bytes, *d, tl0PicIdx) == d->hasTl0PicIdx);
  const auto again = parseVp8(bytes);
  check(again.has_value());
  if (d->hasPictureId) check(again->pictureId == (pictureId & (d->longPictureId ? 0x7fff : 0x7f)));
  if (d->hasTl0PicIdx) check(again->tl0PicIdx == tl0PicIdx);
  check(again->descriptorSize == d->descriptorSize && again->keyFrame == d->keyFrame);
  check(again->longPictureId == d->longPictureId && again->temporalLayer == d->temporalLayer);
  check(again->width == d->width && again->height == d->height);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> copy(data, data + size);
  const bool h264 = isH264Keyframe(copy);
  check(isKeyframe(VideoCodec::H264, copy) == h264);
  check(!isKeyframe(VideoCodec::Other, copy));
  checkVp8(copy);
  return 0;
}
