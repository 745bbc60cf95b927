#include "forwarding/connection_quality.hpp"

#include <algorithm>

namespace convox::sfu {

namespace {

constexpr double kExcellentScore = 4.5;
constexpr double kGoodScore = 3.5;
constexpr double kScorePerLossPercent = 0.2;
constexpr double kDelayAllowanceMillis = 100;
constexpr double kScorePerDelayMillis = 0.01;

}  // namespace

void QualityInputs::addPublishedStream(uint64_t expected, uint64_t received, double jitterMillis) {
  expected_ += expected;
  received_ += std::min(received, expected);
  jitterMillis_ = std::max(jitterMillis_, jitterMillis);
}

void QualityInputs::addReceiverReport(uint8_t fractionLost, double jitterMillis,
                                      std::optional<double> roundTripMillis) {
  reportLoss_ = std::max(reportLoss_.value_or(0.0), fractionLost / 256.0);
  jitterMillis_ = std::max(jitterMillis_, jitterMillis);
  if (roundTripMillis) roundTripMillis_ = std::max(roundTripMillis_.value_or(0.0), *roundTripMillis);
}

double QualityInputs::lossPercent() const {
  const double published =
      expected_ == 0 ? 0.0 : static_cast<double>(expected_ - received_) / static_cast<double>(expected_);
  return 100.0 * std::max(published, reportLoss_.value_or(0.0));
}

double QualityInputs::delayMillis() const { return roundTripMillis_.value_or(0.0) / 2 + 2 * jitterMillis_; }

QualityRating rateConnection(const QualityInputs& inputs) {
  QualityRating rating;
  if (!inputs.measured()) return rating;
  if (inputs.silentAudio()) return {ConnectionQuality::Lost, 1.0f};
  const double delayPenalty = std::max(0.0, inputs.delayMillis() - kDelayAllowanceMillis) * kScorePerDelayMillis;
  const double score = std::clamp(5.0 - kScorePerLossPercent * inputs.lossPercent() - delayPenalty, 1.0, 5.0);
  rating.score = static_cast<float>(score);
  rating.quality = score >= kExcellentScore ? ConnectionQuality::Excellent
                   : score >= kGoodScore    ? ConnectionQuality::Good
                                            : ConnectionQuality::Poor;
  return rating;
}

IntervalCounter::Interval IntervalCounter::advance(uint64_t totalExpected, uint64_t totalReceived) {
  Interval interval;
  // Totals only grow; a smaller one means a new stream behind the same counter.
  if (totalExpected >= expected_ && totalReceived >= received_) {
    interval.expected = totalExpected - expected_;
    interval.received = totalReceived - received_;
  } else {
    interval.expected = totalExpected;
    interval.received = totalReceived;
  }
  expected_ = totalExpected;
  received_ = totalReceived;
  return interval;
}

}  // namespace convox::sfu
