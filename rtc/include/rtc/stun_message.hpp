#pragma once

// STUN messages (RFC 5389 / RFC 8489) as ICE uses them (RFC 8445):
// a view that parses in place without allocating, and a writer into a
// caller's buffer. MESSAGE-INTEGRITY is HMAC-SHA1 with the short-term
// password; FINGERPRINT is CRC-32 (zlib) XOR 0x5354554E.

#include "rtc/parse_result.hpp"
#include "rtc/socket_endpoint.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace convox::rtc {

inline constexpr uint32_t kStunMagicCookie = 0x2112A442;
inline constexpr size_t kStunHeaderLength = 20;
inline constexpr uint16_t kStunBindingMethod = 0x001;

enum class StunClass : uint8_t { Request = 0, Indication = 1, SuccessResponse = 2, ErrorResponse = 3 };

namespace stun_attribute {
inline constexpr uint16_t kMappedAddress = 0x0001;
inline constexpr uint16_t kUsername = 0x0006;
inline constexpr uint16_t kMessageIntegrity = 0x0008;
inline constexpr uint16_t kErrorCode = 0x0009;
inline constexpr uint16_t kUnknownAttributes = 0x000A;
inline constexpr uint16_t kMessageIntegritySha256 = 0x001C;
inline constexpr uint16_t kXorMappedAddress = 0x0020;
inline constexpr uint16_t kPriority = 0x0024;
inline constexpr uint16_t kUseCandidate = 0x0025;
inline constexpr uint16_t kSoftware = 0x8022;
inline constexpr uint16_t kFingerprint = 0x8028;
inline constexpr uint16_t kIceControlled = 0x8029;
inline constexpr uint16_t kIceControlling = 0x802A;
}  // namespace stun_attribute

enum class StunError {
  Ok = 0,
  TooShort,            // under 20 bytes
  NotStun,             // first two bits set, or no magic cookie
  BadLength,           // the header's length is not the datagram's, or not a multiple of 4
  AttributeOverrun,    // an attribute runs past the message
  BadAttribute,        // a known attribute with the wrong size or value
  FingerprintNotLast,  // something follows FINGERPRINT
};

std::string_view describe(StunError error);

// True if `datagram` looks like STUN (RFC 7983 first byte 0..3, magic cookie):
// the cheap test the demux runs before parsing.
bool looksLikeStun(std::span<const uint8_t> datagram);

struct StunMessage {
  uint16_t method = 0;
  StunClass messageClass = StunClass::Request;
  std::span<const uint8_t> transactionId;  // 12 bytes
  std::span<const uint8_t> bytes;          // the whole message

  std::string_view username;
  std::optional<uint32_t> priority;
  bool useCandidate = false;
  std::optional<uint64_t> iceControlling;  // tiebreakers
  std::optional<uint64_t> iceControlled;
  std::optional<uint16_t> errorCode;  // 300..699
  std::optional<SocketEndpoint> xorMappedAddress;
  size_t integrityOffset = 0;    // where MESSAGE-INTEGRITY's header starts; 0 = absent
  size_t fingerprintOffset = 0;  // where FINGERPRINT's header starts; 0 = absent
  // Comprehension-required attributes (type < 0x8000) this parser does not
  // know, before MESSAGE-INTEGRITY: a request with any gets a 420.
  std::array<uint16_t, 4> unknownRequired{};
  size_t unknownRequiredCount = 0;

  // Parses in place: the spans and the username point into `datagram`.
  static ParseResult<StunMessage, StunError> parse(std::span<const uint8_t> datagram);

  bool isBindingRequest() const { return method == kStunBindingMethod && messageClass == StunClass::Request; }
};

// FINGERPRINT present and right.
bool stunFingerprintValid(const StunMessage& message);
// MESSAGE-INTEGRITY present and keyed with `password` (short-term credential).
bool stunIntegrityValid(const StunMessage& message, std::string_view password);

// The username's parts for ICE: "<receiver ufrag>:<sender ufrag>".
struct IceUsername {
  std::string_view local;   // the ufrag of whoever received the request
  std::string_view remote;  // the sender's
};
std::optional<IceUsername> splitIceUsername(std::string_view username);

// Writes a message into `buffer` attribute by attribute; ok() turns false
// (and stays) when the buffer runs out. Nothing is allocated.
class StunWriter {
 public:
  StunWriter(std::span<uint8_t> buffer, uint16_t method, StunClass messageClass,
             std::span<const uint8_t> transactionId);

  StunWriter& attribute(uint16_t type, std::span<const uint8_t> value);
  StunWriter& text(uint16_t type, std::string_view value);
  StunWriter& u32(uint16_t type, uint32_t value);
  StunWriter& u64(uint16_t type, uint64_t value);
  StunWriter& flag(uint16_t type);
  StunWriter& xorMappedAddress(const SocketEndpoint& endpoint);
  StunWriter& errorCode(uint16_t code, std::string_view reason);
  StunWriter& unknownAttributes(std::span<const uint16_t> types);
  // Then at most FINGERPRINT may follow.
  StunWriter& messageIntegrity(std::string_view password);
  StunWriter& fingerprint();

  bool ok() const { return ok_; }
  size_t size() const { return ok_ ? size_ : 0; }
  std::span<const uint8_t> bytes() const { return buffer_.first(size()); }

 private:
  uint8_t* reserve(uint16_t type, size_t length);
  void setLength(size_t bodyLength);

  std::span<uint8_t> buffer_;
  size_t size_ = 0;
  bool ok_ = true;
};

}  // namespace convox::rtc
