#include "rtc/receiver_report.hpp"

#include <algorithm>

namespace convox::rtc {

ParseResult<size_t, RtcpError> buildReceiverReportCompound(uint32_t senderSsrc, std::string_view cname,
                                                           std::span<const ReportBlock> blocks,
                                                           std::span<uint8_t> out) {
  size_t offset = 0;
  do {
    const size_t count = std::min(blocks.size(), rtc::kMaxReportBlocks);
    auto rr = rtc::buildReceiverReport(senderSsrc, blocks.first(count), out.subspan(offset));
    if (!rr) return rr.error();
    offset += *rr;
    blocks = blocks.subspan(count);
  } while (!blocks.empty());
  auto sdes = rtc::buildSdesCname(senderSsrc, cname, out.subspan(offset));
  if (!sdes) return sdes.error();
  return offset + *sdes;
}

}  // namespace convox::rtc
