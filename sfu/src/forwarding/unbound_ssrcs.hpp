#pragma once

// SSRCs of a publisher connection that no published section claims yet:
// an RTX or padding stream whose packets name no rid, a simulcast layer
// before its first rid. Binding walks every section and compares mid and
// rid strings; a packet of an SSRC that failed lately skips that walk, and
// the SSRC is tried again after kRetryMicros (a layer that starts naming
// its rid still binds within that). A fixed handful of entries, the oldest
// replaced: no allocation per packet.

#include <array>
#include <cstddef>
#include <cstdint>

namespace convox::sfu {

class UnboundSsrcs {
 public:
  static constexpr int64_t kRetryMicros = 250'000;
  static constexpr size_t kEntries = 8;

  // False while `ssrc` failed to bind less than kRetryMicros ago.
  bool worthTrying(uint32_t ssrc, int64_t nowMicros) const {
    for (const auto& e : entries_) {
      if (e.used && e.ssrc == ssrc) return nowMicros >= e.retryAtMicros;
    }
    return true;
  }
  void failed(uint32_t ssrc, int64_t nowMicros) {
    Entry* slot = nullptr;
    for (auto& e : entries_) {
      if (e.used && e.ssrc == ssrc) slot = &e;
    }
    if (!slot) {
      slot = &entries_[next_];
      next_ = (next_ + 1) % kEntries;
    }
    *slot = {ssrc, nowMicros + kRetryMicros, true};
  }
  void bound(uint32_t ssrc) {
    for (auto& e : entries_) {
      if (e.used && e.ssrc == ssrc) e.used = false;
    }
  }
  void clear() { entries_ = {}; }

 private:
  struct Entry {
    uint32_t ssrc = 0;
    int64_t retryAtMicros = 0;
    bool used = false;
  };
  std::array<Entry, kEntries> entries_{};
  size_t next_ = 0;
};

}  // namespace convox::sfu
