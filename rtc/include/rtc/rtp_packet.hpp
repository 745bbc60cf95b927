#pragma once

// Zero-copy RTP (RFC 3550) with RFC 8285 header extensions. RtpPacketView is
// a view over the receive buffer: parsing stores offsets only, accessors read
// the bytes, setters rewrite them in place so that the SFU can forward the
// same buffer with a new SSRC/sequence/timestamp. Nothing here allocates,
// throws or logs.

#include "rtc/byte_io.hpp"
#include "rtc/parse_result.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace convox::rtc {

enum class RtpError : uint8_t {
  Ok = 0,
  TooShort,               // fewer than 12 bytes
  BadVersion,             // V != 2
  CsrcOverrun,            // CSRC count runs past the end
  ExtensionOverrun,       // extension header or its length field runs past the end
  BadPadding,             // padding count 0 or larger than the space after the header
  ExtensionNotFound,      // no element with that id
  ExtensionSizeMismatch,  // in-place rewrite with a value of another size
  ExtensionUnsupported,   // no RFC 8285 block (absent or another profile)
  BadExtensionId,         // id out of range for the block's form
  BadExtensionSize,       // value too long (or empty) for the one-byte form
  BadField,               // payload type > 127, more than 15 CSRCs
  BufferTooSmall,         // builder output does not fit
};

std::string_view describe(RtpError error);

// RFC 7983 demultiplexing of one UDP port by the first byte.
enum class PacketClass : uint8_t { Stun, Dtls, RtpOrRtcp, Drop };

inline PacketClass classifyPacket(std::span<const uint8_t> datagram) {
  if (datagram.empty()) return PacketClass::Drop;
  const uint8_t b = datagram[0];
  if (b <= 3) return PacketClass::Stun;
  if (b >= 20 && b <= 63) return PacketClass::Dtls;
  if (b >= 128 && b <= 191) return PacketClass::RtpOrRtcp;
  return PacketClass::Drop;  // ZRTP, TURN channels and unassigned ranges
}

// RFC 5761 §4: with rtcp-mux, RTCP packet types 192-223 occupy the byte where
// RTP has M + PT; RTP payload types 64-95 are avoided so this is unambiguous.
inline bool isRtcp(std::span<const uint8_t> packet) {
  return packet.size() >= 2 && packet[1] >= 192 && packet[1] <= 223;
}

enum class RtpExtensionForm : uint8_t { None, OneByte, TwoByte, Other };

struct RtpExtension {
  uint8_t id = 0;
  std::span<uint8_t> value;
};

// Walks the elements of an RFC 8285 block. Stops at the end, at ID 15 in the
// one-byte form (RFC 8285 §4.2: processing terminates), or at an element that
// runs past the block, which it reports through malformed().
class RtpExtensionIterator {
 public:
  RtpExtensionIterator() = default;
  RtpExtensionIterator(RtpExtensionForm form, std::span<uint8_t> block) : form_(form), block_(block) {}

  bool next(RtpExtension& out);
  bool malformed() const { return malformed_; }

 private:
  RtpExtensionForm form_ = RtpExtensionForm::None;
  std::span<uint8_t> block_;
  size_t offset_ = 0;
  bool malformed_ = false;
};

// RFC 6464 client-to-mixer audio level: level is -dBov, 0 (loud) .. 127.
struct AudioLevel {
  bool voiceActivity = false;
  uint8_t level = 127;
};

// Decoders for extension values, usable on RtpExtension::value directly.
std::optional<AudioLevel> parseAudioLevel(std::span<const uint8_t> value);
std::optional<uint32_t> parseAbsSendTime(std::span<const uint8_t> value);  // 6.18 fixed-point seconds
std::optional<uint16_t> parseTransportSequenceNumber(std::span<const uint8_t> value);
// mid / rid / repaired-rid: up to the first NUL; nullopt when empty.
std::optional<std::string_view> parseStringExtension(std::span<const uint8_t> value);

class RtpPacketView {
 public:
  static constexpr size_t kFixedHeaderSize = 12;

  static ParseResult<RtpPacketView, RtpError> parse(std::span<uint8_t> packet);

  // Accessors are valid only on a view returned by a successful parse().
  RtpPacketView() = default;

  bool hasPadding() const { return (data_[0] & 0x20) != 0; }
  bool hasExtension() const { return (data_[0] & 0x10) != 0; }
  uint8_t csrcCount() const { return data_[0] & 0x0f; }
  bool marker() const { return (data_[1] & 0x80) != 0; }
  uint8_t payloadType() const { return data_[1] & 0x7f; }
  uint16_t sequenceNumber() const { return loadBe16(&data_[2]); }
  uint32_t timestamp() const { return loadBe32(&data_[4]); }
  uint32_t ssrc() const { return loadBe32(&data_[8]); }
  uint32_t csrc(size_t index) const { return loadBe32(&data_[kFixedHeaderSize + 4 * index]); }  // index < csrcCount()

  std::span<uint8_t> data() const { return data_; }
  size_t size() const { return data_.size(); }
  size_t headerSize() const { return payloadOffset_; }
  std::span<uint8_t> payload() const { return data_.subspan(payloadOffset_, payloadSize_); }
  size_t payloadSize() const { return payloadSize_; }
  size_t paddingSize() const { return data_.size() - payloadOffset_ - payloadSize_; }

  RtpExtensionForm extensionForm() const { return extensionForm_; }
  uint16_t extensionProfile() const;  // 0 when there is no extension
  std::span<uint8_t> extensionBlock() const { return data_.subspan(extensionOffset_, extensionSize_); }
  RtpExtensionIterator extensions() const;
  // nullopt when absent; the value may be empty (two-byte form allows L = 0).
  std::optional<std::span<uint8_t>> findExtension(uint8_t id) const;

  // Inline: these run once per packet per subscriber.
  void setMarker(bool marker) { data_[1] = static_cast<uint8_t>((data_[1] & 0x7f) | (marker ? 0x80 : 0)); }
  void setPayloadType(uint8_t payloadType) {  // low 7 bits
    data_[1] = static_cast<uint8_t>((data_[1] & 0x80) | (payloadType & 0x7f));
  }
  void setSequenceNumber(uint16_t sequenceNumber) { storeBe16(&data_[2], sequenceNumber); }
  void setTimestamp(uint32_t timestamp) { storeBe32(&data_[4], timestamp); }
  void setSsrc(uint32_t ssrc) { storeBe32(&data_[8], ssrc); }

  // Overwrites an element's value; the new value must have the same size.
  RtpError setExtensionValue(uint8_t id, std::span<const uint8_t> value);
  // Renumbers an element to the id negotiated with the receiver.
  RtpError setExtensionId(uint8_t id, uint8_t newId);
  RtpError setAbsSendTime(uint8_t id, uint32_t absSendTime24);
  RtpError setTransportSequenceNumber(uint8_t id, uint16_t sequenceNumber);

  std::optional<AudioLevel> audioLevel(uint8_t id) const;
  std::optional<uint32_t> absSendTime(uint8_t id) const;
  std::optional<uint16_t> transportSequenceNumber(uint8_t id) const;
  std::optional<std::string_view> mid(uint8_t id) const;
  std::optional<std::string_view> rid(uint8_t id) const;

 private:
  // Passed by argument: the caller's receive buffer, which must outlive the view.
  std::span<uint8_t> data_;
  // Others.
  size_t payloadOffset_ = 0;
  size_t payloadSize_ = 0;
  size_t extensionSize_ = 0;
  uint8_t extensionOffset_ = 0;  // at most 12 + 15 * 4 + 4
  RtpExtensionForm extensionForm_ = RtpExtensionForm::None;
};

// Fixed header fields for the builder.
struct RtpHeader {
  bool marker = false;
  uint8_t payloadType = 0;
  uint16_t sequenceNumber = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
  std::span<const uint32_t> csrcs;
};

struct RtpExtensionEntry {
  uint8_t id = 0;                  // 1..14
  std::span<const uint8_t> value;  // 1..16 bytes
};

// Writes a header plus one-byte-form extensions (zero-padded to 32 bits) to
// `out`; the payload goes at out[size]. Returns the header size.
ParseResult<size_t, RtpError> buildRtpHeader(const RtpHeader& header, std::span<const RtpExtensionEntry> extensions,
                                             std::span<uint8_t> out);

}  // namespace convox::rtc
