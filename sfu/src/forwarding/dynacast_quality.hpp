#pragma once

// Dynacast for one published simulcast video track: the highest layer any
// subscriber wants decides which layers the publisher keeps encoding (LiveKit
// SubscribedQualityUpdate; livekit-client pauses the other encodings when the
// room has `dynacast: true`).
//
// The rule, fed the subscribers' wish on a timer:
// - More wanted than published: publish it at once; a subscriber is waiting
//   and every moment costs it picture quality.
// - Less wanted: publish the lower level only after the wish has stayed below
//   the published level for `downgradeDelay` (default 3 s), and then the
//   highest level wished during that time. A subscriber that flips its
//   quality, resizes its view or resubscribes within seconds does not make
//   the publisher stop and restart an encoder (each restart costs a key frame
//   and a bitrate ramp).
// - No subscriber at all (or all disabled / paused) is the level "none":
//   after the same delay every layer is paused.
// The publisher starts with every layer on, so that is the initial level;
// nothing is sent until the level changes.

#include <cstdint>

namespace convox::sfu {

class DynacastQuality {
 public:
  static constexpr int kNone = -1;    // no layer wanted
  static constexpr int kHighest = 2;  // LiveKit HIGH
  static constexpr int64_t kDefaultDowngradeDelayMicros = 3'000'000;

  explicit DynacastQuality(int64_t downgradeDelayMicros = kDefaultDowngradeDelayMicros)
      : downgradeDelayMicros_(downgradeDelayMicros) {}

  // `wanted`: the highest quality (0 LOW .. 2 HIGH) any subscriber wants now,
  // kNone when none does. True when the published level changed; then
  // published() is the new level to tell the publisher.
  bool update(int wanted, int64_t nowMicros);

  // Layers 0..published() should be sent; kNone: pause them all.
  int published() const { return published_; }

 private:
  // Others.
  int64_t downgradeDelayMicros_;
  int published_ = kHighest;
  bool lowering_ = false;  // the wish has been below published_ since loweringSince_
  int64_t loweringSinceMicros_ = 0;
  int loweringMax_ = kNone;  // highest wish seen while lowering
};

}  // namespace convox::sfu
