#pragma once

// Receive statistics of one incoming RTP stream (one publisher SSRC) and the
// RTCP report block that describes it to its sender (RFC 3550 §6.4.1 with the
// algorithms of appendix A.1, A.3 and A.8).
//
// Choices where the RFC leaves room:
// - The stream is reported from the first packet seen: a straggler from
//   before it counts neither as expected nor as received.
// - Duplicates within the reorder window are recognised (a bitmap over the
//   last kWindow numbers) and not counted, so loss never goes negative from
//   them.
// - A jump of kMaxDropout or more, or more than kMaxMisorder back, is taken as
//   a source restart once two consecutive packets confirm it (A.1); the
//   report then starts over, while totalExpected()/totalReceived() carry on.
// - Jitter (A.8) is updated only by in-order packets whose timestamp differs
//   from the previous one: a video frame's packets share a timestamp but are
//   paced out, which is not network jitter.
//
// Fixed size; nothing here allocates, throws or logs.

#include "rtc/rtcp_packet.hpp"

#include <array>
#include <cstdint>
#include <optional>

namespace convox::rtc {

class ReceiveStats {
 public:
  static constexpr uint16_t kMaxDropout = 3000;
  static constexpr uint16_t kMaxMisorder = 100;
  static constexpr uint32_t kWindow = 256;  // covers kMaxMisorder

  // Forgets everything: the next packet starts a new stream of `ssrc`, whose
  // RTP clock runs at `clockRate` Hz.
  void reset(uint32_t ssrc, uint32_t clockRate);

  // One received packet. False when it was not counted: a duplicate, a
  // straggler from before the first packet, or the first of a jump.
  bool onPacket(uint16_t sequenceNumber, uint32_t rtpTimestamp, int64_t arrivalMicros);

  // The sender's Sender Report (its 64-bit NTP timestamp) arrived.
  void onSenderReport(uint64_t ntpTimestamp, int64_t arrivalMicros);

  // The report block for a Receiver Report sent at `nowMicros`. Fraction
  // lost covers the packets since the previous call (the RR interval).
  ReportBlock makeReportBlock(int64_t nowMicros);

  bool started() const { return started_; }
  uint32_t ssrc() const { return ssrc_; }
  uint32_t clockRate() const { return clockRate_; }
  uint32_t extendedHighestSequence() const { return static_cast<uint32_t>(cycles_ + maxSequence_); }
  // Since the last (re)start: packets the sequence numbers say were sent,
  // and distinct packets received.
  uint64_t expected() const { return started_ ? cycles_ + maxSequence_ - baseSequence_ + 1 : 0; }
  uint64_t received() const { return received_; }
  // expected() - received(), as the report block carries it (24-bit signed).
  int32_t cumulativeLost() const;
  // Over the whole life of this SSRC, across restarts.
  uint64_t totalExpected() const { return expectedBefore_ + expected(); }
  uint64_t totalReceived() const { return receivedBefore_ + received_; }
  uint64_t duplicates() const { return duplicates_; }
  // Interarrival jitter in RTP timestamp units, and in milliseconds.
  uint32_t jitter() const { return static_cast<uint32_t>(jitterQ4_ >> 4); }
  double jitterMillis() const { return clockRate_ == 0 ? 0.0 : 1000.0 * jitter() / clockRate_; }
  int64_t lastPacketMicros() const { return lastPacketMicros_; }

 private:
  void start(uint16_t sequenceNumber);
  bool seen(uint64_t extended) const { return (window_[(extended % kWindow) / 64] >> (extended % 64)) & 1u; }
  void mark(uint64_t extended) { window_[(extended % kWindow) / 64] |= uint64_t{1} << (extended % 64); }
  void advanceTo(uint64_t extended);
  void updateJitter(uint32_t rtpTimestamp, int64_t arrivalMicros);

  uint32_t ssrc_ = 0;
  uint32_t clockRate_ = 90000;
  bool started_ = false;
  uint16_t maxSequence_ = 0;
  uint64_t cycles_ = 0;             // count of wraps, shifted left by 16
  uint64_t baseSequence_ = 0;       // extended number of the first packet
  uint32_t badSequence_ = 0x10001;  // A.1: the number that confirms a jump
  uint64_t received_ = 0;
  uint64_t duplicates_ = 0;
  uint64_t expectedBefore_ = 0;  // totals of earlier epochs (restarts)
  uint64_t receivedBefore_ = 0;
  uint64_t expectedPrior_ = 0;  // A.3: at the last report block
  uint64_t receivedPrior_ = 0;
  std::array<uint64_t, kWindow / 64> window_{};  // received bits of the last kWindow numbers
  // A.8, in RTP units: jitter scaled by 16, and the previous transit time.
  int64_t jitterQ4_ = 0;
  int64_t arrivalOriginMicros_ = 0;
  uint32_t lastTransit_ = 0;
  uint32_t lastTimestamp_ = 0;
  bool haveTransit_ = false;
  int64_t lastPacketMicros_ = 0;
  uint32_t lastSrCompact_ = 0;  // middle 32 bits of the last SR's NTP time
  int64_t lastSrMicros_ = 0;
};

// The middle 32 bits of a 64-bit NTP timestamp (RFC 3550 §4: LSR's format).
inline uint32_t compactNtp(uint64_t ntp) { return static_cast<uint32_t>(ntp >> 16); }

// The round trip a Receiver Report block measures against our Sender Report
// (RFC 3550 §6.4.1: arrival - LSR - DLSR), in microseconds; nullopt when the
// block echoes no SR or the result is not plausible (negative, or over 60 s).
std::optional<int64_t> roundTripMicros(const ReportBlock& block, uint64_t arrivalNtp);

}  // namespace convox::rtc
