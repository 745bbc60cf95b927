#pragma once

// Transport-wide congestion control feedback
// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1; RTPFB FMT 15):
// a base sequence number and status count, a 24-bit reference time in 64 ms
// units, run-length and status-vector chunks of 1- and 2-bit symbols, then
// receive deltas in 250 us units (1 byte unsigned or 2 bytes signed).

#include "rtc/rtcp_packet.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace convox::rtc {

struct TwccPacketStatus {
  uint16_t sequenceNumber = 0;
  bool received = false;
  // Arrival time minus that of the previous received packet (for the first,
  // minus the reference time); 0 when not received.
  int32_t deltaUs = 0;
  bool operator==(const TwccPacketStatus&) const = default;
};

class TwccFeedbackView {
 public:
  static constexpr int64_t kReferenceTimeUnitUs = 64'000;
  static constexpr int32_t kDeltaUnitUs = 250;

  // Validates every chunk and that the deltas fit, so packets() cannot fail.
  static ParseResult<TwccFeedbackView, RtcpError> parse(const RtcpPacketView& packet);

  uint32_t senderSsrc() const;
  uint32_t mediaSsrc() const;
  uint16_t baseSequenceNumber() const;
  uint16_t packetStatusCount() const;
  int32_t referenceTime() const;  // 24-bit signed, in 64 ms units
  int64_t referenceTimeUs() const { return int64_t{referenceTime()} * kReferenceTimeUnitUs; }
  uint8_t feedbackPacketCount() const;

  // Writes the first min(packetStatusCount(), out.size()) statuses; returns
  // how many it wrote.
  size_t packets(std::span<TwccPacketStatus> out) const;

 private:
  std::span<const uint8_t> body_;
  size_t deltasOffset_ = 0;  // in body_, after the last chunk
};

struct TwccArrival {
  uint16_t sequenceNumber = 0;
  int64_t arrivalUs = 0;  // receiver clock; any epoch
};

struct TwccFeedbackHeader {
  uint32_t senderSsrc = 0;
  uint32_t mediaSsrc = 0;
  uint16_t baseSequenceNumber = 0;  // at or before the first arrival; earlier ones are reported lost
  uint8_t feedbackPacketCount = 0;
};

// Builds feedback for `arrivals`: received packets in increasing sequence
// order (modulo 2^16, counted from the base); gaps are reported as not
// received. The reference time is the first arrival rounded down to 64 ms
// and wraps at 24 bits; arrival times are rounded down to 250 us. Fails with
// DeltaOutOfRange when two consecutive arrivals are more than ~8.19 s apart
// (the caller then splits the feedback).
ParseResult<size_t, RtcpError> buildTwcc(const TwccFeedbackHeader& header, std::span<const TwccArrival> arrivals,
                                         std::span<uint8_t> out);

}  // namespace convox::rtc
