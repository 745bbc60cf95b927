#pragma once

// Decides which sequence numbers of a subscriber's generic NACK to resend now.
// Receivers repeat NACKs until the packet arrives; resending the same packet
// again before the first copy could have arrived (one round trip) only adds
// load, and a packet that keeps getting lost after a few copies is given up.

#include "rtc/rtcp_feedback.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace convox::sfu {

class NackResponder {
 public:
  // Sequence numbers whose last resend is remembered (by number modulo this).
  static constexpr size_t kTrackedSequences = 1024;
  static constexpr int64_t kDefaultIntervalMicros = 100'000;
  static constexpr uint8_t kDefaultMaxResends = 3;

  explicit NackResponder(int64_t defaultIntervalMicros = kDefaultIntervalMicros,
                         uint8_t maxResends = kDefaultMaxResends);

  // Once the round trip is known (from RTCP RR), resend no more often than it.
  void setRoundTripMicros(int64_t roundTripMicros);
  int64_t resendIntervalMicros() const { return intervalMicros_; }

  // Writes to `out` the NACKed outgoing sequence numbers to resend now, in
  // wire order, at most out.size(); returns how many. Each one returned counts
  // as resent at nowMicros.
  size_t select(const rtc::NackView& nack, int64_t nowMicros, std::span<uint16_t> out);
  // The same decision for a single sequence number.
  bool shouldResend(uint16_t sequenceNumber, int64_t nowMicros);

 private:
  struct Slot {
    int64_t lastResendMicros = 0;
    uint16_t sequenceNumber = 0;
    uint8_t resends = 0;  // 0: slot unused
  };

  // Others.
  int64_t defaultIntervalMicros_;
  int64_t intervalMicros_;
  uint8_t maxResends_;
  std::array<Slot, kTrackedSequences> slots_{};
};

}  // namespace convox::sfu
