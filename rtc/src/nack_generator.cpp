#include "rtc/nack_generator.hpp"

#include <algorithm>

namespace convox::rtc {

void NackGenerator::reset() {
  count_ = 0;
  nextDueMicros_ = std::numeric_limits<int64_t>::max();
  started_ = false;
}

void NackGenerator::onPacket(uint16_t sequenceNumber, int64_t nowMicros) {
  if (!started_) {
    started_ = true;
    highest_ = sequenceNumber;
    return;
  }
  const auto ahead = static_cast<uint16_t>(sequenceNumber - highest_);
  if (ahead == 0) return;  // a duplicate of the newest
  if (ahead < 0x8000) {
    const uint16_t gap = ahead - 1;
    if (gap >= kMaxMissing) {
      // An outage or a jump: a key frame, not retransmission, recovers it.
      count_ = 0;
      nextDueMicros_ = std::numeric_limits<int64_t>::max();
    } else {
      for (uint16_t i = 1; i <= gap; ++i) add(static_cast<uint16_t>(highest_ + i), nowMicros);
    }
    highest_ = sequenceNumber;
    return;
  }
  // Older than the newest: a retransmission or a reordered packet fills its hole.
  for (size_t i = 0; i < count_; ++i) {
    if (holes_[i].sequenceNumber == sequenceNumber) return removeAt(i);
  }
}

void NackGenerator::add(uint16_t sequenceNumber, int64_t nowMicros) {
  if (count_ == kMaxMissing) removeAt(0);  // the oldest is the least worth asking for
  Hole& hole = holes_[count_++];
  hole.sinceMicros = nowMicros;
  hole.nextAskMicros = nowMicros + kReorderWaitMicros;
  hole.sequenceNumber = sequenceNumber;
  hole.attempts = 0;
  nextDueMicros_ = std::min(nextDueMicros_, hole.nextAskMicros);
}

void NackGenerator::removeAt(size_t index) {
  std::copy(holes_.begin() + static_cast<std::ptrdiff_t>(index) + 1,
            holes_.begin() + static_cast<std::ptrdiff_t>(count_), holes_.begin() + static_cast<std::ptrdiff_t>(index));
  --count_;
  // nextDueMicros_ may now be early; collect() recomputes it.
  if (count_ == 0) nextDueMicros_ = std::numeric_limits<int64_t>::max();
}

size_t NackGenerator::collect(int64_t nowMicros, std::span<uint16_t> out) {
  size_t written = 0;
  size_t kept = 0;
  int64_t nextDue = std::numeric_limits<int64_t>::max();
  for (size_t i = 0; i < count_; ++i) {
    Hole hole = holes_[i];
    if (hole.attempts >= kMaxAttempts || nowMicros - hole.sinceMicros > kMaxAgeMicros) continue;  // given up
    if (hole.nextAskMicros <= nowMicros && written < out.size()) {
      out[written++] = hole.sequenceNumber;
      ++hole.attempts;
      hole.nextAskMicros = nowMicros + kRetryIntervalMicros;
    }
    nextDue = std::min(nextDue, hole.nextAskMicros);
    holes_[kept++] = hole;
  }
  count_ = kept;
  nextDueMicros_ = nextDue;
  return written;
}

}  // namespace convox::rtc
