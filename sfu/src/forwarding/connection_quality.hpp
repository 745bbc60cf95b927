#pragma once

// A participant's connection quality over one interval (LiveKit's
// ConnectionQualityUpdate), from what the media thread measured: loss and
// jitter of the streams it publishes (our receive statistics), loss, jitter
// and round trip its Receiver Reports give for the streams it receives.
//
// The rule, MOS-like on LiveKit's 1..5 scale:
//   loss%  = the worse of: publisher side, lost / expected over the interval,
//            all its streams together; subscriber side, the highest fraction
//            lost any of its receiver reports gave in the interval;
//   delay  = RTT / 2 (0 when unknown) + 2 × the highest jitter (ms), what a
//            jitter buffer adds to the one-way trip;
//   score  = 5 − 0.2 × loss% − max(0, delay − 100 ms) / 100 ms, kept in [1, 5];
//   EXCELLENT when score ≥ 4.5 (e.g. under 2.5% loss on a short path),
//   GOOD when score ≥ 3.5 (under 7.5% loss), POOR below;
//   LOST when an unmuted audio track that had been arriving sent nothing for
//   the whole interval (audio keeps sending through silence, even with DTX).
// Nothing measured (no media, or no reports yet) rates EXCELLENT, as LiveKit.
//
// LiveKit's numbering: POOR = 0, GOOD = 1, EXCELLENT = 2, LOST = 3.

#include <cstdint>
#include <optional>

namespace convox::sfu {

enum class ConnectionQuality : uint8_t { Poor = 0, Good = 1, Excellent = 2, Lost = 3 };

struct QualityRating {
  ConnectionQuality quality = ConnectionQuality::Excellent;
  float score = 5.0f;
};

// One participant's measurements over one interval, gathered stream by stream.
class QualityInputs {
 public:
  // A stream it publishes: packets expected and received over the interval.
  void addPublishedStream(uint64_t expected, uint64_t received, double jitterMillis);
  // An unmuted audio stream it publishes that delivered nothing this interval.
  void addSilentAudio() { silentAudio_ = true; }
  // A Receiver Report it sent for a stream it receives (fraction lost /256).
  void addReceiverReport(uint8_t fractionLost, double jitterMillis, std::optional<double> roundTripMillis);

  bool measured() const { return expected_ > 0 || reportLoss_.has_value() || silentAudio_; }
  // 0..100
  double lossPercent() const;
  double delayMillis() const;
  bool silentAudio() const { return silentAudio_; }

 private:
  uint64_t expected_ = 0;
  uint64_t received_ = 0;
  std::optional<double> reportLoss_;       // the highest, 0..1
  double jitterMillis_ = 0;                // the highest
  std::optional<double> roundTripMillis_;  // the highest
  bool silentAudio_ = false;
};

QualityRating rateConnection(const QualityInputs& inputs);

// Interval counts of one received stream from its running totals.
class IntervalCounter {
 public:
  struct Interval {
    uint64_t expected = 0;
    uint64_t received = 0;
  };
  Interval advance(uint64_t totalExpected, uint64_t totalReceived);

 private:
  uint64_t expected_ = 0;
  uint64_t received_ = 0;
};

}  // namespace convox::sfu
