#include "forwarding/simulcast_selector.hpp"

#include <algorithm>

namespace convox::sfu {

namespace {

// A layer up to 10 % smaller than the rendered size still looks right and
// costs far less than the next one up (LiveKit uses the same tolerance).
constexpr uint32_t kSizeTolerancePercent = 90;

}  // namespace

uint8_t SimulcastLiveness::liveMask(int64_t nowMicros) const {
  uint8_t mask = 0;
  for (size_t q = 0; q < kMaxSimulcastLayers; ++q) {
    if (lastPacketMicros_[q] != INT64_MIN && nowMicros - lastPacketMicros_[q] <= timeoutMicros_) {
      mask = static_cast<uint8_t>(mask | (1u << q));
    }
  }
  return mask;
}

SimulcastSelector::SimulcastSelector(std::span<const SimulcastLayer> published) { setPublishedLayers(published); }

void SimulcastSelector::setPublishedLayers(std::span<const SimulcastLayer> published) {
  published_ = {};
  for (const SimulcastLayer& layer : published) {
    if (layer.quality >= kMaxSimulcastLayers) continue;
    published_[layer.quality] = true;
    layers_[layer.quality] = layer;
  }
}

// The published layer the request asks for, before looking at what is live.
uint8_t SimulcastSelector::desiredQuality() const {
  if (requestedWidth_ > 0 && requestedHeight_ > 0) {
    // Compare the short sides, so portrait and landscape both work: the
    // smallest layer that covers the rendered size, else the largest.
    const uint64_t wanted = uint64_t{std::min(requestedWidth_, requestedHeight_)} * kSizeTolerancePercent / 100;
    uint8_t largest = kNoLayer;
    for (uint8_t q = 0; q < kMaxSimulcastLayers; ++q) {
      if (!published_[q]) continue;
      largest = q;
      const SimulcastLayer& layer = layers_[q];
      if (layer.width == 0 || layer.height == 0) continue;  // size unknown: judged by quality only
      if (std::min(layer.width, layer.height) >= wanted) return q;
    }
    return largest;
  }
  if (requestedQuality_ >= kQualityOff) return kNoLayer;
  // The best published layer not above the request, else the lowest one.
  for (int q = requestedQuality_; q >= 0; --q) {
    if (published_[static_cast<size_t>(q)]) return static_cast<uint8_t>(q);
  }
  for (uint8_t q = 0; q < kMaxSimulcastLayers; ++q) {
    if (published_[q]) return q;
  }
  return kNoLayer;
}

// The desired layer if live, else the nearest live one below it, else above;
// with nothing live, the desired one (its first key frame starts it).
uint8_t SimulcastSelector::closestLive(uint8_t desired, uint8_t liveMask) const {
  const auto live = [&](int q) { return published(static_cast<uint8_t>(q)) && ((liveMask >> q) & 1u) != 0; };
  if (live(desired)) return desired;
  for (int q = desired - 1; q >= 0; --q) {
    if (live(q)) return static_cast<uint8_t>(q);
  }
  for (int q = desired + 1; q < static_cast<int>(kMaxSimulcastLayers); ++q) {
    if (live(q)) return static_cast<uint8_t>(q);
  }
  return desired;
}

uint8_t SimulcastSelector::update(uint8_t liveMask) {
  const uint8_t desired = disabled_ ? kNoLayer : desiredQuality();
  target_ = desired == kNoLayer ? kNoLayer : closestLive(desired, liveMask);
  if (target_ == kNoLayer) current_ = kNoLayer;
  return target_;
}

bool SimulcastSelector::shouldSwitch(uint8_t quality, bool isKeyframe) {
  if (!isKeyframe || quality != target_ || target_ == current_ || target_ == kNoLayer) return false;
  current_ = target_;
  return true;
}

}  // namespace convox::sfu
