#include "up_track.hpp"

#include "down_track.hpp"

#include <boost/algorithm/string/predicate.hpp>

#include <algorithm>

namespace convox::sfu {

namespace {

constexpr int64_t kKeyframeRequestIntervalMicros = 500'000;
// ~2.5 s of 30 fps video at a few packets per frame: enough for NACKs that
// arrive within a round trip or two.
constexpr size_t kRetransmissionPackets = 512;

}  // namespace

UpTrack::UpTrack(UpTrackParameters parameters, KeyframeRequester keyframes)
    : parameters_(std::move(parameters)), keyframes_(std::move(keyframes)) {
  // Audio keeps no packets and asks for none: NACK is negotiated for video
  // only, towards publishers and subscribers alike (track_negotiation).
  if (parameters_.kind != TrackKind::Video) return;
  if (boost::algorithm::iequals(parameters_.codec.name, "vp8")) videoCodec_ = VideoCodec::Vp8;
  if (boost::algorithm::iequals(parameters_.codec.name, "h264")) videoCodec_ = VideoCodec::H264;
  if (parameters_.simulcast && parameters_.layers.empty()) {
    // No layer list in the AddTrackRequest: LOW, MEDIUM, HIGH of unknown size.
    for (uint8_t q = 0; q < kMaxLayers; ++q) parameters_.layers.push_back({q, 0, 0, 0});
  }
  const int layers = parameters_.simulcast ? kMaxLayers : 1;
  for (int layer = 0; layer < layers; ++layer) {
    retransmission_[layer] = std::make_unique<RetransmissionBuffer>(kRetransmissionPackets);
  }
}

UpTrack::~UpTrack() { close(); }

void UpTrack::onRtp(rtc::RtpPacketView& packet, int layer, int64_t nowMicros) {
  if (closed_ || layer < 0 || layer >= kMaxLayers) return;
  auto& stats = receiveStats_[layer];
  if (stats.ssrc() != packet.ssrc() || !stats.started()) {
    if (stats.started()) qualityIntervals_[layer] = IntervalCounter{};  // a new source for this layer
    stats.reset(packet.ssrc(), parameters_.codec.clockRate);
    nackGenerators_[layer].reset();
  }
  stats.onPacket(packet.sequenceNumber(), packet.timestamp(), nowMicros);
  liveness_.observe(static_cast<uint8_t>(layer), nowMicros);
  if (parameters_.audioLevelId != 0 && audioLevels_) {
    if (auto level = packet.audioLevel(parameters_.audioLevelId)) {
      audioLevels_(level->level, level->voiceActivity, nowMicros);
    }
  }
  if (retransmission_[layer]) {
    retransmission_[layer]->store(packet.sequenceNumber(), packet.data());
    askForLost(layer, packet.ssrc(), packet.sequenceNumber(), nowMicros);
  }
  if (muted_ || downTracks_.empty()) return;
  const bool keyframe = parameters_.kind == TrackKind::Video && isKeyframe(videoCodec_, packet.payload());
  // Index loop: a down-track may detach itself while forwarding.
  for (size_t i = 0; i < downTracks_.size(); ++i) downTracks_[i]->forward(packet, layer, keyframe, nowMicros);
}

void UpTrack::askForLost(int layer, uint32_t ssrc, uint16_t sequenceNumber, int64_t nowMicros) {
  if (!nackSender_) return;
  auto& nacks = nackGenerators_[layer];
  nacks.onPacket(sequenceNumber, nowMicros);
  if (!nacks.due(nowMicros)) return;
  std::array<uint16_t, 64> lost{};
  if (const size_t count = nacks.collect(nowMicros, lost); count > 0) nackSender_(ssrc, std::span(lost).first(count));
}

void UpTrack::requestKeyframe(int layer, int64_t nowMicros) {
  if (parameters_.kind != TrackKind::Video || layer < 0 || layer >= kMaxLayers || !keyframes_) return;
  const auto& stats = receiveStats_[layer];
  if (!stats.started()) return;
  const uint32_t ssrc = stats.ssrc();
  if (nowMicros - lastKeyframeRequestMicros_[layer] < kKeyframeRequestIntervalMicros) return;
  lastKeyframeRequestMicros_[layer] = nowMicros;
  keyframes_(ssrc);
}

bool UpTrack::layerLive(int layer, int64_t nowMicros) const {
  return layer >= 0 && layer < kMaxLayers && ((liveness_.liveMask(nowMicros) >> layer) & 1u) != 0;
}

bool UpTrack::updateLayers(int64_t nowMicros) {
  if (closed_ || parameters_.kind != TrackKind::Video || !parameters_.simulcast) return false;
  int wanted = DynacastQuality::kNone;
  for (auto* d : downTracks_) {
    d->updateTarget(nowMicros);
    wanted = std::max(wanted, d->wantedQuality());
  }
  return dynacast_.update(wanted, nowMicros);
}

void UpTrack::setMuted(bool muted) {
  // What the publisher sent while muted was never forwarded: down-tracks
  // start a new segment so subscribers do not see it as loss.
  if (muted_ && !muted) {
    for (auto* d : downTracks_) d->restartSegment();
  }
  muted_ = muted;
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

void UpTrack::onSenderReport(uint32_t ssrc, uint64_t ntpTimestamp, int64_t nowMicros) {
  for (auto& stats : receiveStats_) {
    if (stats.started() && stats.ssrc() == ssrc) stats.onSenderReport(ntpTimestamp, nowMicros);
  }
}

size_t UpTrack::makeReportBlocks(int64_t nowMicros, std::span<rtc::ReportBlock> out) {
  size_t count = 0;
  for (auto& stats : receiveStats_) {
    if (!stats.started() || count == out.size()) continue;
    out[count++] = stats.makeReportBlock(nowMicros);
  }
  return count;
}

void UpTrack::sampleQuality(QualityInputs& into) {
  for (int layer = 0; layer < kMaxLayers; ++layer) {
    const auto& stats = receiveStats_[layer];
    if (!stats.started()) continue;
    const auto interval = qualityIntervals_[layer].advance(stats.totalExpected(), stats.totalReceived());
    if (interval.received > 0) {
      into.addPublishedStream(interval.expected, interval.received, stats.jitterMillis());
    } else if (parameters_.kind == TrackKind::Audio && !muted_ && !closed_) {
      // Audio sends through silence (DTX too): nothing at all means the path is gone.
      into.addSilentAudio();
    }
  }
}

std::span<const uint8_t> UpTrack::findPacket(uint32_t ssrc, uint16_t sequenceNumber) const {
  for (int layer = 0; layer < kMaxLayers; ++layer) {
    const auto& stats = receiveStats_[layer];
    if (stats.started() && stats.ssrc() == ssrc && retransmission_[layer])
      return retransmission_[layer]->find(sequenceNumber);
  }
  return {};
}

}  // namespace convox::sfu
