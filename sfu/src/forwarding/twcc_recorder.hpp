#pragma once

// Arrival times of one publisher transport's packets by transport-wide
// sequence number (draft-holmer-rmcat-transport-wide-cc-extensions-01), and
// the transport feedback (RTPFB FMT 15) that reports them to the sender's
// bandwidth estimator.
//
// Choices:
// - Sequence numbers are unwrapped against the highest seen so far; a
//   packet within the window after the last report is kept whatever its
//   order, the first arrival of a duplicate wins.
// - A packet older than the last one already reported is dropped: the
//   sender has been told it was lost and the estimator has moved on.
// - When more than kCapacity numbers are unreported, the oldest are given
//   up (never reported) rather than growing.
// - A feedback packet covers at most kMaxStatusesPerFeedback numbers and
//   ends at a received packet; consecutive arrivals more than kMaxDeltaUs
//   apart start a new packet (the 16-bit delta would not hold them).
//
// Fixed size; nothing here allocates, throws or logs.

#include "rtc/rtcp_twcc.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace convox::sfu {

class TwccRecorder {
 public:
  static constexpr size_t kCapacity = 4096;  // a power of two
  static constexpr size_t kMaxStatusesPerFeedback = 400;
  static constexpr int64_t kMaxDeltaUs = 8'000'000;
  // Worst case of one packet: header, two-bit vector chunks, 2-byte deltas.
  static constexpr size_t kMaxFeedbackBytes =
      20 + 2 * (kMaxStatusesPerFeedback / 7 + 1) + 2 * kMaxStatusesPerFeedback + 4;

  void record(uint16_t sequenceNumber, int64_t arrivalUs);

  // Packets recorded since the last feedback was built.
  size_t pending() const { return pending_; }

  // Writes one feedback packet for the oldest unreported packets into `out`
  // (kMaxFeedbackBytes suffice); returns its size, 0 when nothing is left
  // to report. Call until it returns 0.
  size_t buildFeedback(uint32_t senderSsrc, uint32_t mediaSsrc, std::span<uint8_t> out);

 private:
  struct Slot {
    int64_t sequence = -1;  // unwrapped; -1: empty
    int64_t arrivalUs = 0;
  };

  std::array<Slot, kCapacity> slots_{};
  std::array<rtc::TwccArrival, kMaxStatusesPerFeedback> arrivals_{};
  bool started_ = false;
  int64_t highest_ = 0;       // unwrapped
  int64_t nextToReport_ = 0;  // unwrapped
  size_t pending_ = 0;
  uint8_t feedbackCount_ = 0;
};

}  // namespace convox::sfu
