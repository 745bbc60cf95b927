#include "rtc/dcep.hpp"

namespace convox::rtc {

namespace {

// Channel types (RFC 8832 §5.1): high bit = unordered, low bits = reliability.
constexpr uint8_t kUnorderedBit = 0x80;
constexpr uint8_t kReliable = 0x00;
constexpr uint8_t kPartialRexmit = 0x01;
constexpr uint8_t kPartialTimed = 0x02;

uint16_t load16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t load32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 | static_cast<uint32_t>(p[2]) << 8 |
         p[3];
}
void store16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void store32(std::vector<uint8_t>& out, uint32_t v) {
  store16(out, static_cast<uint16_t>(v >> 16));
  store16(out, static_cast<uint16_t>(v));
}

}  // namespace

std::optional<DcepOpen> parseDcepOpen(std::span<const uint8_t> m, std::string& error) {
  constexpr size_t kHeader = 12;
  if (m.size() < kHeader) {
    error = "DCEP OPEN shorter than its 12-byte header";
    return std::nullopt;
  }
  if (m[0] != static_cast<uint8_t>(DcepMessageType::Open)) {
    error = "not a DCEP OPEN message";
    return std::nullopt;
  }
  const uint8_t channelType = m[1];
  const uint16_t priority = load16(&m[2]);
  const uint32_t reliability = load32(&m[4]);
  const size_t labelLen = load16(&m[8]);
  const size_t protocolLen = load16(&m[10]);
  if (kHeader + labelLen + protocolLen != m.size()) {
    error = "DCEP OPEN label/protocol lengths do not match the message size";
    return std::nullopt;
  }
  DcepOpen open;
  open.label.assign(reinterpret_cast<const char*>(&m[kHeader]), labelLen);
  open.options.protocol.assign(reinterpret_cast<const char*>(&m[kHeader + labelLen]), protocolLen);
  open.options.priority = priority;
  open.options.ordered = (channelType & kUnorderedBit) == 0;
  switch (channelType & ~kUnorderedBit) {
    case kReliable:
      break;
    case kPartialRexmit:
      open.options.maxRetransmits = reliability;
      break;
    case kPartialTimed:
      open.options.maxPacketLifeTimeMs = reliability;
      break;
    default:
      error = "unknown DCEP channel type " + std::to_string(channelType);
      return std::nullopt;
  }
  return open;
}

std::vector<uint8_t> buildDcepOpen(const DcepOpen& open) {
  std::vector<uint8_t> out;
  uint8_t channelType = kReliable;
  uint32_t reliability = 0;
  if (open.options.maxRetransmits) {
    channelType = kPartialRexmit;
    reliability = *open.options.maxRetransmits;
  } else if (open.options.maxPacketLifeTimeMs) {
    channelType = kPartialTimed;
    reliability = *open.options.maxPacketLifeTimeMs;
  }
  if (!open.options.ordered) channelType |= kUnorderedBit;
  out.push_back(static_cast<uint8_t>(DcepMessageType::Open));
  out.push_back(channelType);
  store16(out, open.options.priority);
  store32(out, reliability);
  store16(out, static_cast<uint16_t>(open.label.size()));
  store16(out, static_cast<uint16_t>(open.options.protocol.size()));
  out.insert(out.end(), open.label.begin(), open.label.end());
  out.insert(out.end(), open.options.protocol.begin(), open.options.protocol.end());
  return out;
}

std::vector<uint8_t> buildDcepAck() { return {static_cast<uint8_t>(DcepMessageType::Ack)}; }

}  // namespace convox::rtc
