#pragma once

// Our Receiver Report to a publisher as one compound RTCP packet (RFC 3550
// §6.1, §6.4.2): RR packets of up to 31 report blocks each, then an SDES
// with our CNAME, as a compound packet must carry. Writes into the caller's
// buffer; nothing allocates.

#include "rtc/parse_result.hpp"
#include "rtc/rtcp_packet.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace convox::rtc {

// At least one RR is written, with no blocks if `blocks` is empty.
ParseResult<size_t, RtcpError> buildReceiverReportCompound(uint32_t senderSsrc, std::string_view cname,
                                                           std::span<const ReportBlock> blocks, std::span<uint8_t> out);

}  // namespace convox::rtc
