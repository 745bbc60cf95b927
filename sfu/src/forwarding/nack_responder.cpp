#include "forwarding/nack_responder.hpp"

#include <algorithm>

namespace convox::sfu {

namespace {

// Bounds for an RTT-derived interval: a LAN RTT of 1 ms would otherwise let a
// burst of repeated NACKs through, and a bad RTT estimate must not starve repair.
constexpr int64_t kMinIntervalMicros = 10'000;
constexpr int64_t kMaxIntervalMicros = 500'000;
// A slot this old belongs to an earlier pass of the 16-bit numbering.
constexpr int64_t kForgetMicros = 5'000'000;

}  // namespace

NackResponder::NackResponder(int64_t defaultIntervalMicros, uint8_t maxResends)
    : defaultIntervalMicros_(defaultIntervalMicros), intervalMicros_(defaultIntervalMicros), maxResends_(maxResends) {}

void NackResponder::setRoundTripMicros(int64_t roundTripMicros) {
  intervalMicros_ = roundTripMicros > 0 ? std::clamp(roundTripMicros, kMinIntervalMicros, kMaxIntervalMicros)
                                        : defaultIntervalMicros_;
}

bool NackResponder::shouldResend(uint16_t sequenceNumber, int64_t nowMicros) {
  Slot& slot = slots_[sequenceNumber % kTrackedSequences];
  const bool known =
      slot.resends > 0 && slot.sequenceNumber == sequenceNumber && nowMicros - slot.lastResendMicros < kForgetMicros;
  if (known) {
    if (slot.resends >= maxResends_ || nowMicros - slot.lastResendMicros < intervalMicros_) return false;
    ++slot.resends;
  } else {
    slot.sequenceNumber = sequenceNumber;
    slot.resends = 1;
  }
  slot.lastResendMicros = nowMicros;
  return true;
}

size_t NackResponder::select(const rtc::NackView& nack, int64_t nowMicros, std::span<uint16_t> out) {
  size_t count = 0;
  nack.forEachLost([&](uint16_t sequenceNumber) {
    if (count < out.size() && shouldResend(sequenceNumber, nowMicros)) out[count++] = sequenceNumber;
  });
  return count;
}

}  // namespace convox::sfu
