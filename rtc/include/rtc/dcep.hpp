#pragma once

// The Data Channel Establishment Protocol (RFC 8832): the OPEN and ACK
// messages sent on a data channel's SCTP stream with PPID 50.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace convox::rtc {

// SCTP payload protocol identifiers used by WebRTC data channels (RFC 8831).
enum class Ppid : uint32_t {
  Dcep = 50,
  String = 51,
  Binary = 53,
  StringEmpty = 56,
  BinaryEmpty = 57,
};

struct DataChannelOptions {
  bool ordered = true;
  std::optional<uint32_t> maxRetransmits;       // partial reliability by retransmissions
  std::optional<uint32_t> maxPacketLifeTimeMs;  // or by lifetime (not both)
  std::string protocol;
  uint16_t priority = 256;
};

struct DcepOpen {
  std::string label;
  DataChannelOptions options;
};

enum class DcepMessageType : uint8_t { Ack = 0x02, Open = 0x03 };

// Parses an OPEN; nullopt (and `error`) if the bytes are not a valid one.
std::optional<DcepOpen> parseDcepOpen(std::span<const uint8_t> message, std::string& error);
std::vector<uint8_t> buildDcepOpen(const DcepOpen& open);
std::vector<uint8_t> buildDcepAck();

}  // namespace convox::rtc
