#pragma once

// Retransmissions of a stored upstream packet to one subscriber: either as an
// RFC 4588 RTX packet (when the subscriber negotiated rtx) or as the original
// packet again, with the down-track's SSRC, numbering and timestamp.

#include "rtc/rtp_packet.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace convox::sfu {

struct RtxFields {
  uint32_t ssrc = 0;                    // the RTX stream's SSRC
  uint8_t payloadType = 0;              // the RTX payload type (a=fmtp:<pt> apt=<original pt>)
  uint16_t sequenceNumber = 0;          // the RTX stream's own numbering
  uint16_t originalSequenceNumber = 0;  // OSN: the number the subscriber missed (outgoing)
  uint32_t timestamp = 0;               // the original packet's outgoing timestamp
};

// Writes to `out` the header of `original` (CSRCs and extensions kept, padding
// dropped) with the RTX SSRC, payload type, sequence number and timestamp, the
// 2-byte OSN, then the original payload. Returns the size written.
rtc::ParseResult<size_t, rtc::RtpError> buildRtxPacket(const rtc::RtpPacketView& original, const RtxFields& rtx,
                                                       std::span<uint8_t> out);

struct RetransmissionFields {
  uint32_t ssrc = 0;
  uint8_t payloadType = 0;
  uint16_t sequenceNumber = 0;
  uint32_t timestamp = 0;
};

// Writes to `out` a copy of `original` (padding kept) renumbered for the
// subscriber. Returns the size written.
rtc::ParseResult<size_t, rtc::RtpError> buildRetransmission(const rtc::RtpPacketView& original,
                                                            const RetransmissionFields& fields, std::span<uint8_t> out);

// The original sequence number of a received RTX packet's payload, and the
// payload after it; false when the payload is shorter than the OSN.
bool parseRtxPayload(std::span<const uint8_t> rtxPayload, uint16_t& originalSequenceNumber,
                     std::span<const uint8_t>& originalPayload);

}  // namespace convox::sfu
