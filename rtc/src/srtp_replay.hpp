#pragma once

// Per-SSRC SRTP/SRTCP index state: the RFC 3711 §3.3.1 index estimate and
// the replay windows. The estimate and the window rules are libsrtp's, to
// the bit, because libsrtp is what Chrome and most other peers run:
// a packet one side takes as fresh the other must not refuse.

#include <array>
#include <cstddef>
#include <cstdint>

namespace convox::rtc::detail {

enum class ReplayVerdict { Fresh, Duplicate, Old };

struct RtpIndexGuess {
  uint64_t index = 0;  // 48 bits: ROC << 16 | SEQ
  int64_t delta = 0;   // index minus the highest index seen
};

// The 48-bit index of every RTP packet of one SSRC and, inbound, which of
// the last 1024 were accepted.
class RtpStreamIndex {
 public:
  static constexpr int64_t kWindow = 1024;

  RtpIndexGuess guess(uint16_t seq) const {
    constexpr int64_t kMedian = 1 << 15;
    constexpr int64_t kSpan = 1 << 16;
    // Until the index passes half a wrap the ROC is taken as zero.
    if (highest_ <= static_cast<uint64_t>(kMedian)) {
      return {seq, int64_t{seq} - static_cast<int64_t>(highest_)};
    }
    const uint64_t roc = highest_ >> 16;
    const int64_t local = static_cast<int64_t>(highest_ & 0xFFFF);
    const int64_t s = seq;
    if (local < kMedian) {
      if (s - local > kMedian) return {((roc - 1) << 16) | seq, s - local - kSpan};
      return {(roc << 16) | seq, s - local};
    }
    if (local - kMedian > s) return {((roc + 1) << 16) | seq, s - local + kSpan};
    return {(roc << 16) | seq, s - local};
  }

  ReplayVerdict check(const RtpIndexGuess& g) const {
    if (g.delta > 0) return ReplayVerdict::Fresh;
    if (g.delta <= -kWindow) return ReplayVerdict::Old;
    return seen(g.index) ? ReplayVerdict::Duplicate : ReplayVerdict::Fresh;
  }

  // Inbound, after the packet authenticated.
  void accept(const RtpIndexGuess& g) {
    if (g.delta > 0) {
      if (g.delta >= kWindow) {
        seen_.fill(0);
      } else {
        for (int64_t i = 1; i <= g.delta; ++i) clear(highest_ + static_cast<uint64_t>(i));
      }
      highest_ = g.index;
    }
    mark(g.index);
  }

  // Outbound, as libsrtp with allow_repeat_tx: an index already sent may
  // be sent again (a retransmission of the same packet), one older than the
  // window may not (a different payload under an old index would reuse its
  // keystream or GCM nonce). False if refused.
  bool send(const RtpIndexGuess& g) {
    const auto verdict = check(g);
    if (verdict == ReplayVerdict::Old) return false;
    if (verdict == ReplayVerdict::Fresh) accept(g);
    return true;
  }

 private:
  static size_t slot(uint64_t index) { return static_cast<size_t>(index % kWindow); }
  bool seen(uint64_t index) const { return (seen_[slot(index) / 64] >> (slot(index) % 64)) & 1U; }
  void mark(uint64_t index) { seen_[slot(index) / 64] |= uint64_t{1} << (slot(index) % 64); }
  void clear(uint64_t index) { seen_[slot(index) / 64] &= ~(uint64_t{1} << (slot(index) % 64)); }

  uint64_t highest_ = 0;
  std::array<uint64_t, kWindow / 64> seen_{};
};

// SRTCP's 31-bit index, inbound: libsrtp's 128-packet window that starts
// at index 0 and slides up to keep the newest index as its last.
class RtcpReplayWindow {
 public:
  static constexpr uint32_t kWindow = 128;

  ReplayVerdict check(uint32_t index) const {
    if (index >= start_ + kWindow) return ReplayVerdict::Fresh;
    if (index < start_) return ReplayVerdict::Old;
    return seen(index) ? ReplayVerdict::Duplicate : ReplayVerdict::Fresh;
  }

  void accept(uint32_t index) {
    if (index < start_) return;
    const uint32_t delta = index - start_;
    if (delta >= kWindow) {
      const uint32_t shift = delta - (kWindow - 1);
      if (shift >= kWindow) {
        seen_.fill(0);
      } else {
        for (uint32_t i = 0; i < shift; ++i) clear(start_ + i);
      }
      start_ += shift;
    }
    mark(index);
  }

 private:
  static size_t slot(uint32_t index) { return index % kWindow; }
  bool seen(uint32_t index) const { return (seen_[slot(index) / 64] >> (slot(index) % 64)) & 1U; }
  void mark(uint32_t index) { seen_[slot(index) / 64] |= uint64_t{1} << (slot(index) % 64); }
  void clear(uint32_t index) { seen_[slot(index) / 64] &= ~(uint64_t{1} << (slot(index) % 64)); }

  uint32_t start_ = 0;
  std::array<uint64_t, kWindow / 64> seen_{};
};

}  // namespace convox::rtc::detail
