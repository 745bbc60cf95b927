#pragma once

// What a subscriber measures per received stream, and the latency samples
// all subscribers share. Loss comes from the SFU's rewritten sequence
// numbers: every number between the first and the highest one received is a
// packet the subscriber should have had.

#include <algorithm>
#include <cstdint>
#include <vector>

namespace convox::bench {

class StreamCounter {
 public:
  void onPacket(uint16_t sequence) {
    if (!started_) {
      started_ = true;
      highest_ = sequence;
      // A stream that starts inside the window is expected from its first packet.
      windowHighest_ = highest_ - 1;
    } else {
      const auto delta = static_cast<int16_t>(static_cast<uint16_t>(sequence - static_cast<uint16_t>(highest_)));
      if (delta > 0) highest_ += delta;
    }
    ++received_;
  }
  bool started() const { return started_; }
  int64_t highest() const { return highest_; }
  uint64_t received() const { return received_; }

  // The measurement window starts: count from here.
  void openWindow() {
    windowHighest_ = highest_;
    windowReceived_ = received_;
  }
  int64_t expectedInWindow() const { return started_ ? highest_ - windowHighest_ : 0; }
  int64_t receivedInWindow() const { return static_cast<int64_t>(received_ - windowReceived_); }

 private:
  bool started_ = false;
  int64_t highest_ = 0;  // extended over sequence wrap-around
  uint64_t received_ = 0;
  int64_t windowHighest_ = 0;
  uint64_t windowReceived_ = 0;
};

// Forwarding latency samples in nanoseconds. Storage is reserved up front so
// that recording never allocates on the receive path; samples beyond the
// reservation are counted but not kept.
class LatencyRecorder {
 public:
  void reserve(size_t samples) { samples_.reserve(samples); }
  void setRecording(bool on) { recording_ = on; }
  void record(int64_t nanos) {
    if (!recording_) return;
    if (samples_.size() < samples_.capacity()) {
      samples_.push_back(nanos);
    } else {
      ++dropped_;
    }
  }
  size_t count() const { return samples_.size(); }
  uint64_t dropped() const { return dropped_; }

  // The q-quantile (0..1) by nearest rank; sorts the samples on first use.
  int64_t quantile(double q) {
    if (samples_.empty()) return 0;
    if (!sorted_) {
      std::sort(samples_.begin(), samples_.end());
      sorted_ = true;
    }
    const auto rank = static_cast<size_t>(q * static_cast<double>(samples_.size() - 1) + 0.5);
    return samples_[std::min(rank, samples_.size() - 1)];
  }

 private:
  std::vector<int64_t> samples_;
  uint64_t dropped_ = 0;
  bool recording_ = false;
  bool sorted_ = false;
};

}  // namespace convox::bench
