#pragma once

// Upstream loss recovery for one publisher stream: which sequence numbers are
// missing, and when to ask the publisher (again) for each. A hole is asked
// for once it has outlived ordinary reordering, then again every retry
// interval until it arrives, a few attempts have gone unanswered, or it is
// too old to be worth playing. A hole wider than the tracked window is an
// outage or a restart, not loss a retransmission can fix; it is not asked for.
//
// Driven by packet arrivals (no timer): video streams arrive every few
// milliseconds, which is finer than the intervals below. Fixed-size and
// allocation-free.

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>

namespace convox::rtc {

class NackGenerator {
 public:
  static constexpr size_t kMaxMissing = 128;
  static constexpr int64_t kReorderWaitMicros = 10'000;
  static constexpr int64_t kRetryIntervalMicros = 50'000;
  static constexpr uint8_t kMaxAttempts = 5;
  static constexpr int64_t kMaxAgeMicros = 1'000'000;

  // A new source (or a restart): nothing is missing.
  void reset();
  void onPacket(uint16_t sequenceNumber, int64_t nowMicros);
  // Whether collect() would return something now; cheap, for every packet.
  bool due(int64_t nowMicros) const { return count_ > 0 && nowMicros >= nextDueMicros_; }
  // Writes the sequence numbers to NACK now (oldest first, at most
  // out.size()) and counts each as asked for; returns how many.
  size_t collect(int64_t nowMicros, std::span<uint16_t> out);

  size_t missing() const { return count_; }

 private:
  struct Hole {
    int64_t sinceMicros = 0;
    int64_t nextAskMicros = 0;
    uint16_t sequenceNumber = 0;
    uint8_t attempts = 0;
  };

  void add(uint16_t sequenceNumber, int64_t nowMicros);
  void removeAt(size_t index);

  std::array<Hole, kMaxMissing> holes_{};  // oldest first
  size_t count_ = 0;
  int64_t nextDueMicros_ = std::numeric_limits<int64_t>::max();
  uint16_t highest_ = 0;
  bool started_ = false;
};

}  // namespace convox::rtc
