#pragma once

// Which simulcast layer one subscriber receives. The target follows the
// subscriber's request (quality, or the size it renders at), the layers the
// publisher actually sends, and whether the subscription is disabled; the
// layer being forwarded only changes to the target at a key frame of the
// target, because a decoder cannot start anywhere else. Layers are identified
// by their LiveKit VideoQuality (LOW = 0, MEDIUM = 1, HIGH = 2).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace convox::sfu {

inline constexpr size_t kMaxSimulcastLayers = 3;
inline constexpr uint8_t kNoLayer = 0xff;
inline constexpr uint8_t kQualityOff = 3;  // LiveKit VideoQuality.OFF

// As published in the AddTrackRequest's VideoLayer list.
struct SimulcastLayer {
  uint8_t quality = 0;
  uint32_t width = 0;
  uint32_t height = 0;
  uint32_t bitrateBps = 0;
};

// Per up-track: which layers received a packet recently.
class SimulcastLiveness {
 public:
  static constexpr int64_t kDefaultTimeoutMicros = 1'000'000;

  explicit SimulcastLiveness(int64_t timeoutMicros = kDefaultTimeoutMicros) : timeoutMicros_(timeoutMicros) {}

  void observe(uint8_t quality, int64_t nowMicros) {
    if (quality < kMaxSimulcastLayers) lastPacketMicros_[quality] = nowMicros;
  }
  // Bit q set: layer q had a packet within the timeout.
  uint8_t liveMask(int64_t nowMicros) const;

 private:
  int64_t timeoutMicros_;
  std::array<int64_t, kMaxSimulcastLayers> lastPacketMicros_{{INT64_MIN, INT64_MIN, INT64_MIN}};
};

class SimulcastSelector {
 public:
  // Layers with a quality >= kMaxSimulcastLayers are ignored.
  explicit SimulcastSelector(std::span<const SimulcastLayer> published);

  void setPublishedLayers(std::span<const SimulcastLayer> published);
  // UpdateTrackSettings: a quality, or the rendered size (which, when non-zero,
  // takes precedence as in LiveKit), and disabled.
  void requestQuality(uint8_t quality) { requestedQuality_ = quality; }
  void requestDimensions(uint32_t width, uint32_t height) {
    requestedWidth_ = width;
    requestedHeight_ = height;
  }
  void setDisabled(bool disabled) { disabled_ = disabled; }

  // Recomputes the target from the request and the live layers (a
  // SimulcastLiveness mask) and returns it (kNoLayer: forward nothing).
  // Disabling takes effect at once: there is no key frame to wait for. Call
  // it when the request changes and on a timer (~every 100-500 ms), not per
  // packet: at a publisher's start its layers turn live one by one, and a
  // per-packet update would chase each of them with a key frame request.
  uint8_t update(uint8_t liveMask);

  // For each packet of layer `quality`: true when this packet switches the
  // forwarded layer to the target (a key frame of the target layer). The
  // caller then re-bases its RtpMunger (rebaseAtNextPacket(), which also
  // covers resuming the same layer after a pause) and tells its Vp8Munger.
  bool shouldSwitch(uint8_t quality, bool isKeyframe);
  // Whether a packet of `quality` is forwarded (after shouldSwitch).
  bool shouldForward(uint8_t quality) const { return quality == current_ && current_ != kNoLayer; }

  // The layer the request asks for, whether live or not (kNoLayer when
  // disabled or OFF): what this subscriber wants the publisher to send.
  uint8_t desired() const { return disabled_ ? kNoLayer : desiredQuality(); }
  uint8_t target() const { return target_; }
  uint8_t current() const { return current_; }
  // The target is waiting for a key frame: ask the publisher for one (PLI).
  bool needsKeyframe() const { return target_ != kNoLayer && target_ != current_; }

 private:
  uint8_t desiredQuality() const;
  uint8_t closestLive(uint8_t desired, uint8_t liveMask) const;
  bool published(uint8_t quality) const { return quality < kMaxSimulcastLayers && published_[quality]; }

  // Others.
  std::array<bool, kMaxSimulcastLayers> published_{};
  std::array<SimulcastLayer, kMaxSimulcastLayers> layers_{};
  uint8_t requestedQuality_ = 2;  // LiveKit's default is HIGH
  uint32_t requestedWidth_ = 0;
  uint32_t requestedHeight_ = 0;
  bool disabled_ = false;
  uint8_t target_ = kNoLayer;
  uint8_t current_ = kNoLayer;
};

}  // namespace convox::sfu
