#include "down_track.hpp"

#include "forwarding/rtx_packet.hpp"
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
    : upTrack_(std::move(upTrack)), sink_(sink), parameters_(std::move(parameters)), munger_(parameters_.clockRate) {
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
  auto out = munger_.forward(packet.ssrc(), packet.sequenceNumber(), packet.timestamp(), nowMicros,
                             static_cast<uint32_t>(packet.payloadSize()));
  if (!out) return;  // a duplicate or a straggler of an earlier source
  std::memcpy(scratch.data(), packet.data().data(), size);
  auto copy = rtc::RtpPacketView::parse(std::span<uint8_t>(scratch.data(), size));
  if (!copy) return;
  copy->setSsrc(parameters_.ssrc);
  copy->setPayloadType(parameters_.payloadType);
  copy->setSequenceNumber(out->sequenceNumber);
  copy->setTimestamp(out->timestamp);
  sink_.sendRtp(scratch, size);
}

void DownTrack::onNack(const rtc::NackView& nack, int64_t nowMicros) {
  if (!attached_) return;
  std::array<uint16_t, 64> wanted{};
  const size_t count = nacks_.select(nack, nowMicros, wanted);
  for (size_t i = 0; i < count; ++i) {
    const auto entry = munger_.history(wanted[i]);
    if (!entry) continue;
    const auto stored = upTrack_->findPacket(entry->ssrc, entry->sourceSequenceNumber);
    if (stored.empty()) continue;
    // The buffer is read-only; the view only needs it for the copy below.
    auto original = rtc::RtpPacketView::parse(
        std::span<uint8_t>(const_cast<uint8_t*>(stored.data()), stored.size()));  // NOLINT: read through the view only
    if (!original) continue;
    RetransmissionFields fields{parameters_.ssrc, parameters_.payloadType, wanted[i], entry->timestamp};
    auto size = buildRetransmission(*original, fields, std::span<uint8_t>(scratch.data(), 1500));
    if (!size) continue;
    sink_.sendRtp(scratch, *size);
    ++retransmissions_;
  }
}

std::optional<rtc::SenderInfo> DownTrack::senderInfo(int64_t nowMicros) const {
  if (!munger_.started()) return std::nullopt;
  rtc::SenderInfo info;
  info.rtpTimestamp = munger_.rtpTimestampAt(nowMicros);
  info.packetCount = munger_.packetsSent();
  info.octetCount = munger_.octetsSent();
  return info;  // the caller stamps the NTP time
}

void DownTrack::onKeyframeRequest(int64_t nowMicros) {
  if (attached_ && currentLayer_ >= 0) upTrack_->requestKeyframe(currentLayer_, nowMicros);
}

}  // namespace convox::sfu
