#include "down_track.hpp"

#include "forwarding/dynacast_quality.hpp"
#include "forwarding/rtx_packet.hpp"
#include "rtc/red_payload.hpp"
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
// An RTX resend is the original plus its 2-byte OSN.
thread_local std::array<uint8_t, 1502 + rtc::kSrtpMaxTrailer> rtxScratch;
}  // namespace

DownTrack::DownTrack(std::shared_ptr<UpTrack> upTrack, DownTrackSink& sink, DownTrackParameters parameters)
    : upTrack_(std::move(upTrack)),
      sink_(sink),
      parameters_(std::move(parameters)),
      simulcast_(upTrack_->kind() == TrackKind::Video && upTrack_->parameters().simulcast),
      vp8_(upTrack_->kind() == TrackKind::Video && upTrack_->videoCodec() == VideoCodec::Vp8),
      selector_(upTrack_->parameters().layers),
      munger_(parameters_.clockRate) {
  upTrack_->addDownTrack(this);
}

DownTrack::~DownTrack() {
  if (attached_) upTrack_->removeDownTrack(this);
}

void DownTrack::onUpTrackClosed() {
  attached_ = false;
  sink_.onUpTrackClosed(*this);
}

void DownTrack::applySettings(const DownTrackSettings& settings, int64_t nowMicros) {
  // Back from a pause: what passed meanwhile must not look like loss.
  if (disabled_ && !settings.disabled) munger_.rebaseAtNextPacket();
  disabled_ = settings.disabled;
  selector_.setDisabled(settings.disabled);
  selector_.requestQuality(settings.quality);
  selector_.requestDimensions(settings.width, settings.height);
  updateTarget(nowMicros);
}

void DownTrack::updateTarget(int64_t nowMicros) {
  if (!simulcast_ || !attached_) return;
  selector_.update(upTrack_->liveMask(nowMicros));
  if (selector_.needsKeyframe()) upTrack_->requestKeyframe(selector_.target(), nowMicros);
}

int DownTrack::wantedQuality() const {
  if (!attached_ || disabled_) return DynacastQuality::kNone;
  const uint8_t desired = selector_.desired();
  return desired == kNoLayer ? DynacastQuality::kNone : desired;
}

void DownTrack::forward(const rtc::RtpPacketView& packet, int layer, bool keyframe, int64_t nowMicros) {
  if (disabled_) return;
  if (simulcast_) {
    // Simulcast layers are separate encodings: the selector moves to the
    // target only at the target's key frame (updateTarget asked for one).
    const auto quality = static_cast<uint8_t>(layer);
    if (selector_.shouldSwitch(quality, keyframe)) {
      munger_.rebaseAtNextPacket();
      vp8SourceSwitched_ = true;  // also when resuming the same layer after a pause
    }
    if (!selector_.shouldForward(quality)) return;
    currentLayer_ = layer;
  } else if (layer != currentLayer_) {
    // A single stream: start at once and ask for a key frame to decode from.
    if (upTrack_->kind() == TrackKind::Video && !keyframe) upTrack_->requestKeyframe(layer, nowMicros);
    currentLayer_ = layer;
  }
  size_t size = packet.size();
  if (size > scratch.size() - rtc::kSrtpMaxTrailer) return;
  const uint8_t upRed = upTrack_->parameters().redPayloadType;
  const bool isRed = upRed != 0 && packet.payloadType() == upRed;
  std::optional<rtc::RedPrimary> primary;
  if (isRed && !red_) {
    // A subscriber without red gets the newest (primary) Opus frame alone.
    primary = rtc::redPrimary(packet.payload());
    if (!primary) return;
  }
  auto out = munger_.forward(packet.ssrc(), packet.sequenceNumber(), packet.timestamp(), nowMicros,
                             static_cast<uint32_t>(primary ? primary->data.size() : packet.payloadSize()));
  if (!out) return;  // a duplicate or a straggler of an earlier source
  if (primary) {
    const size_t headerSize = packet.size() - packet.payload().size() - packet.paddingSize();
    std::memcpy(scratch.data(), packet.data().data(), headerSize);
    std::memcpy(scratch.data() + headerSize, primary->data.data(), primary->data.size());
    scratch[0] &= 0xDF;  // no padding follows the primary
    size = headerSize + primary->data.size();
  } else {
    std::memcpy(scratch.data(), packet.data().data(), size);
  }
  auto copy = rtc::RtpPacketView::parse(std::span<uint8_t>(scratch.data(), size));
  if (!copy) return;
  copy->setSsrc(parameters_.ssrc);
  if (isRed && red_) {
    copy->setPayloadType(parameters_.redPayloadType);
    // The blocks name the publisher's Opus payload type; ours may differ.
    const uint8_t upOpus = upTrack_->codec().payloadType;
    if (upOpus != parameters_.payloadType &&
        !rtc::rewriteRedBlockPayloadTypes(copy->payload(), upOpus, parameters_.payloadType)) {
      return;
    }
  } else {
    copy->setPayloadType(parameters_.payloadType);
  }
  copy->setSequenceNumber(out->sequenceNumber);
  copy->setTimestamp(out->timestamp);
  if (vp8_) rewriteVp8(*copy, packet.ssrc());
  sink_.sendRtp(scratch, size);
}

void DownTrack::rewriteVp8(const rtc::RtpPacketView& copy, uint32_t sourceSsrc) {
  // Each layer (and a restarted publisher) numbers its pictures on its own;
  // the subscriber's decoder sees one stream whose numbering runs on.
  if (sourceSsrc != lastSourceSsrc_) {
    lastSourceSsrc_ = sourceSsrc;
    vp8SourceSwitched_ = true;
  }
  const auto payload = copy.payload();
  const auto descriptor = parseVp8(payload);
  if (!descriptor) return;
  vp8Munger_.rewrite(payload, *descriptor, vp8SourceSwitched_);
  vp8SourceSwitched_ = false;
}

bool DownTrack::rewriteRetransmittedVp8(std::span<uint8_t> packet, uint32_t sourceSsrc) {
  // The stored packet has the publisher's picture ids; the subscriber knows
  // ours. Only the current source's offsets are known: a packet of an
  // earlier layer is not resent (the decoder restarted at the switch's key
  // frame and no longer needs it).
  if (sourceSsrc != lastSourceSsrc_) return false;
  auto view = rtc::RtpPacketView::parse(packet);
  if (!view) return false;
  if (const auto descriptor = parseVp8(view->payload())) vp8Munger_.rewrite(view->payload(), *descriptor, false);
  return true;
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
    if (vp8_ && !rewriteRetransmittedVp8(std::span<uint8_t>(scratch.data(), *size), entry->ssrc)) continue;
    if (rtx_) {
      auto resend = rtc::RtpPacketView::parse(std::span<uint8_t>(scratch.data(), *size));
      if (!resend) continue;
      const RtxFields rtx{parameters_.rtxSsrc, parameters_.rtxPayloadType, rtxSequenceNumber_, wanted[i],
                          entry->timestamp};
      auto rtxSize = buildRtxPacket(*resend, rtx, std::span<uint8_t>(rtxScratch.data(), 1502));
      if (!rtxSize) continue;
      ++rtxSequenceNumber_;
      sink_.sendRtp(rtxScratch, *rtxSize);
    } else {
      sink_.sendRtp(scratch, *size);
    }
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
