#include "twcc_recorder.hpp"

#include <algorithm>

namespace convox::sfu {

namespace {

constexpr int64_t kSequenceSpace = int64_t{1} << 16;

}  // namespace

void TwccRecorder::record(uint16_t sequenceNumber, int64_t arrivalUs) {
  int64_t sequence = 0;
  if (!started_) {
    // Unwrapped numbers start one cycle up so stragglers stay positive.
    sequence = kSequenceSpace + sequenceNumber;
    started_ = true;
    highest_ = sequence;
    nextToReport_ = sequence;
  } else {
    const auto step = static_cast<int16_t>(static_cast<uint16_t>(sequenceNumber - static_cast<uint16_t>(highest_)));
    sequence = highest_ + step;
    if (sequence < nextToReport_) return;
    highest_ = std::max(highest_, sequence);
  }
  if (highest_ - nextToReport_ >= static_cast<int64_t>(kCapacity)) {
    nextToReport_ = highest_ - static_cast<int64_t>(kCapacity) + 1;
    if (sequence < nextToReport_) return;
  }
  Slot& slot = slots_[static_cast<size_t>(sequence) & (kCapacity - 1)];
  if (slot.sequence == sequence) return;  // duplicate
  slot = Slot{sequence, arrivalUs};
  ++pending_;
}

size_t TwccRecorder::buildFeedback(uint32_t senderSsrc, uint32_t mediaSsrc, std::span<uint8_t> out) {
  pending_ = 0;
  while (started_ && nextToReport_ <= highest_) {
    const int64_t base = nextToReport_;
    const int64_t end = std::min(highest_ + 1, base + static_cast<int64_t>(kMaxStatusesPerFeedback));
    size_t count = 0;
    int64_t last = base - 1;
    for (int64_t sequence = base; sequence < end; ++sequence) {
      const Slot& slot = slots_[static_cast<size_t>(sequence) & (kCapacity - 1)];
      if (slot.sequence != sequence) continue;
      if (count > 0) {
        const int64_t gap = slot.arrivalUs - arrivals_[count - 1].arrivalUs;
        if (gap > kMaxDeltaUs || gap < -kMaxDeltaUs) break;
      }
      arrivals_[count++] = rtc::TwccArrival{static_cast<uint16_t>(sequence), slot.arrivalUs};
      last = sequence;
    }
    nextToReport_ = last + 1;
    if (count == 0) {
      nextToReport_ = end;  // all lost: nothing a sender could use
      continue;
    }
    const rtc::TwccFeedbackHeader header{senderSsrc, mediaSsrc, static_cast<uint16_t>(base), feedbackCount_};
    const auto size = rtc::buildTwcc(header, std::span(arrivals_).first(count), out);
    if (!size) return 0;
    ++feedbackCount_;
    return *size;
  }
  return 0;
}

}  // namespace convox::sfu
