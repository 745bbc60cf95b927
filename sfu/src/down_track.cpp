#include "down_track.hpp"

#include "rtc/srtp_session.hpp"
#include "up_track.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace convox::sfu {

namespace {
// One scratch buffer per media thread: every subscriber's copy is rewritten
// and protected here in turn, so forwarding allocates nothing.
thread_local std::array<uint8_t, 1500 + rtc::kSrtpMaxTrailer> scratch;
}  // namespace

DownTrack::DownTrack(std::shared_ptr<UpTrack> upTrack, DownTrackSink& sink, DownTrackParameters parameters)
    : upTrack_(std::move(upTrack)), sink_(sink), parameters_(std::move(parameters)) {
  upTrack_->addDownTrack(this);
}

DownTrack::~DownTrack() {
  if (attached_) upTrack_->removeDownTrack(this);
}

void DownTrack::onUpTrackClosed() {
  attached_ = false;
  sink_.onUpTrackClosed(*this);
}

int DownTrack::targetLayer(int64_t nowMicros) const {
  if (!upTrack_->parameters().simulcast) return 0;
  for (int layer = std::min(maxLayer_, kMaxLayers - 1); layer >= 0; --layer) {
    if (upTrack_->layerLive(layer, nowMicros)) return layer;
  }
  // Nothing at or below the cap is live: take the lowest that is.
  for (int layer = maxLayer_ + 1; layer < kMaxLayers; ++layer) {
    if (upTrack_->layerLive(layer, nowMicros)) return layer;
  }
  return -1;
}

void DownTrack::forward(const rtc::RtpPacketView& packet, int layer, bool keyframe, int64_t nowMicros) {
  if (disabled_) return;
  if (layer != currentLayer_) {
    if (layer != targetLayer(nowMicros)) return;
    const bool video = upTrack_->kind() == TrackKind::Video;
    // Simulcast layers are separate encodings: a subscriber can only start
    // on one at its key frame. A single stream just asks for one.
    if (video && !keyframe) upTrack_->requestKeyframe(layer, nowMicros);
    if (video && upTrack_->parameters().simulcast && !keyframe) return;
    currentLayer_ = layer;
  }
  const size_t size = packet.size();
  if (size > scratch.size() - rtc::kSrtpMaxTrailer) return;
  std::memcpy(scratch.data(), packet.data().data(), size);
  auto copy = rtc::RtpPacketView::parse(std::span<uint8_t>(scratch.data(), size));
  if (!copy) return;
  if (!rewrite(*copy, packet.ssrc(), nowMicros)) return;
  sink_.sendRtp(scratch, size);
  ++packetsSent_;
}

bool DownTrack::rewrite(rtc::RtpPacketView& packet, uint32_t sourceSsrc, int64_t nowMicros) {
  const uint16_t sequence = packet.sequenceNumber();
  const uint32_t timestamp = packet.timestamp();
  if (!started_ || sourceSsrc != sourceSsrc_) {
    // A new source continues the outgoing stream where the last one stopped,
    // its timestamp advanced by the time that passed.
    if (!started_) {
      sequenceOffset_ = 0;
      timestampOffset_ = 0;
      lastSequence_ = static_cast<uint16_t>(sequence - 1);
    } else {
      const auto elapsed = static_cast<uint64_t>(std::max<int64_t>(nowMicros - lastSentMicros_, 1000));
      const auto ticks = static_cast<uint32_t>(elapsed * parameters_.clockRate / 1'000'000);
      sequenceOffset_ = static_cast<uint16_t>(lastSequence_ + 1 - sequence);
      timestampOffset_ = lastTimestamp_ + std::max<uint32_t>(ticks, 1) - timestamp;
    }
    started_ = true;
    sourceSsrc_ = sourceSsrc;
  }
  const auto outSequence = static_cast<uint16_t>(sequence + sequenceOffset_);
  const auto outTimestamp = timestamp + timestampOffset_;
  // Newer than the last sent (mod 2^16): remember it as the stream's head.
  if (static_cast<int16_t>(outSequence - lastSequence_) > 0) {
    lastSequence_ = outSequence;
    lastTimestamp_ = outTimestamp;
    lastSentMicros_ = nowMicros;
  }
  packet.setSsrc(parameters_.ssrc);
  packet.setPayloadType(parameters_.payloadType);
  packet.setSequenceNumber(outSequence);
  packet.setTimestamp(outTimestamp);
  return true;
}

void DownTrack::onKeyframeRequest(int64_t nowMicros) {
  if (attached_ && currentLayer_ >= 0) upTrack_->requestKeyframe(currentLayer_, nowMicros);
}

}  // namespace convox::sfu
