// libFuzzer target: DCEP OPEN parsing (RFC 8832); what parses must rebuild
// to the same bytes' meaning.
#include "rtc/dcep.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string error;
  auto open = convox::rtc::parseDcepOpen({data, size}, error);
  if (!open) {
    if (error.empty()) __builtin_trap();  // a rejection must say why
    return 0;
  }
  const auto rebuilt = convox::rtc::buildDcepOpen(*open);
  std::string again;
  auto back = convox::rtc::parseDcepOpen(rebuilt, again);
  if (!back || back->label != open->label || back->options.protocol != open->options.protocol ||
      back->options.ordered != open->options.ordered || back->options.maxRetransmits != open->options.maxRetransmits ||
      back->options.maxPacketLifeTimeMs != open->options.maxPacketLifeTimeMs) {
    __builtin_trap();
  }
  return 0;
}
