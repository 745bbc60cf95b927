#include "up_track.hpp"

#include "down_track.hpp"

#include <algorithm>

namespace convox::sfu {

namespace {
constexpr int64_t kLayerLiveMicros = 1'000'000;
constexpr int64_t kKeyframeRequestIntervalMicros = 500'000;
}  // namespace

UpTrack::UpTrack(UpTrackParameters parameters, KeyframeRequester keyframes)
    : parameters_(std::move(parameters)), keyframes_(std::move(keyframes)) {}

UpTrack::~UpTrack() { close(); }

void UpTrack::onRtp(rtc::RtpPacketView& packet, int layer, int64_t nowMicros) {
  if (closed_ || layer < 0 || layer >= kMaxLayers) return;
  layerSsrc_[layer] = packet.ssrc();
  lastPacketMicros_[layer] = nowMicros;
  if (parameters_.audioLevelId != 0 && audioLevels_) {
    if (auto level = packet.audioLevel(parameters_.audioLevelId)) {
      audioLevels_(level->level, level->voiceActivity, nowMicros);
    }
  }
  if (muted_ || downTracks_.empty()) return;
  const bool keyframe = parameters_.kind == TrackKind::Video && isKeyframe(packet);
  // Index loop: a down-track may detach itself while forwarding.
  for (size_t i = 0; i < downTracks_.size(); ++i) downTracks_[i]->forward(packet, layer, keyframe, nowMicros);
}

void UpTrack::requestKeyframe(int layer, int64_t nowMicros) {
  if (parameters_.kind != TrackKind::Video || layer < 0 || layer >= kMaxLayers || !keyframes_) return;
  const uint32_t ssrc = layerSsrc_[layer];
  if (ssrc == 0) return;
  if (nowMicros - lastKeyframeRequestMicros_[layer] < kKeyframeRequestIntervalMicros) return;
  lastKeyframeRequestMicros_[layer] = nowMicros;
  keyframes_(ssrc);
}

bool UpTrack::layerLive(int layer, int64_t nowMicros) const {
  return layer >= 0 && layer < kMaxLayers && lastPacketMicros_[layer] != 0 &&
         nowMicros - lastPacketMicros_[layer] < kLayerLiveMicros;
}

int UpTrack::highestLiveLayer(int64_t nowMicros) const {
  for (int layer = kMaxLayers - 1; layer >= 0; --layer) {
    if (layerLive(layer, nowMicros)) return layer;
  }
  return -1;
}

void UpTrack::addDownTrack(DownTrack* downTrack) {
  if (std::find(downTracks_.begin(), downTracks_.end(), downTrack) == downTracks_.end()) {
    downTracks_.push_back(downTrack);
  }
}

void UpTrack::removeDownTrack(DownTrack* downTrack) { std::erase(downTracks_, downTrack); }

void UpTrack::close() {
  if (closed_) return;
  closed_ = true;
  auto downTracks = std::move(downTracks_);
  downTracks_.clear();
  for (auto* d : downTracks) d->onUpTrackClosed();
}

bool UpTrack::isKeyframe(const rtc::RtpPacketView& packet) const {
  const auto payload = packet.payload();
  if (payload.empty()) return false;
  const auto& name = parameters_.codec.name;
  if (name.size() == 3 && (name[0] == 'V' || name[0] == 'v') && (name[1] == 'P' || name[1] == 'p') && name[2] == '8') {
    // RFC 7741 payload descriptor, then the VP8 frame header's P bit.
    size_t offset = 1;
    const uint8_t first = payload[0];
    const bool start = (first & 0x10) != 0 && (first & 0x07) == 0;
    if (!start) return false;
    if (first & 0x80) {  // X: extension byte
      if (payload.size() <= offset) return false;
      const uint8_t x = payload[offset++];
      if (x & 0x80) {  // I: picture id, 7 or 15 bits
        if (payload.size() <= offset) return false;
        offset += (payload[offset] & 0x80) ? 2 : 1;
      }
      if (x & 0x40) ++offset;  // L: TL0PICIDX
      if (x & 0x30) ++offset;  // T/K: TID/KEYIDX byte
    }
    return payload.size() > offset && (payload[offset] & 0x01) == 0;
  }
  // H.264 (RFC 6184): IDR (5) or SPS (7), alone, in a STAP-A, or starting an FU-A.
  const uint8_t type = payload[0] & 0x1f;
  if (type == 5 || type == 7) return true;
  if (type == 24) {
    size_t offset = 1;
    while (offset + 2 < payload.size()) {
      const size_t size = (size_t{payload[offset]} << 8) | payload[offset + 1];
      const uint8_t inner = payload[offset + 2] & 0x1f;
      if (inner == 5 || inner == 7) return true;
      offset += 2 + size;
    }
    return false;
  }
  if (type == 28 && payload.size() > 1) {
    const uint8_t inner = payload[1] & 0x1f;
    return (payload[1] & 0x80) != 0 && (inner == 5 || inner == 7);
  }
  return false;
}

}  // namespace convox::sfu
