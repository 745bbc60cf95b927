#include "rtc/rtp_packet.hpp"

#include "rtc/byte_io.hpp"

#include <algorithm>

namespace convox::rtc {

namespace {

constexpr uint16_t kOneByteProfile = 0xBEDE;
constexpr uint16_t kTwoByteProfileMask = 0xFFF0;  // low 4 bits are "appbits" (RFC 8285 §4.3)
constexpr uint16_t kTwoByteProfile = 0x1000;
constexpr uint8_t kOneByteReservedId = 15;

RtpExtensionForm formOf(uint16_t profile) {
  if (profile == kOneByteProfile) return RtpExtensionForm::OneByte;
  if ((profile & kTwoByteProfileMask) == kTwoByteProfile) return RtpExtensionForm::TwoByte;
  return RtpExtensionForm::Other;
}

}  // namespace

std::string_view describe(RtpError error) {
  switch (error) {
    case RtpError::Ok:
      return "ok";
    case RtpError::TooShort:
      return "shorter than the fixed header";
    case RtpError::BadVersion:
      return "version is not 2";
    case RtpError::CsrcOverrun:
      return "CSRC list runs past the end";
    case RtpError::ExtensionOverrun:
      return "header extension runs past the end";
    case RtpError::BadPadding:
      return "bad padding count";
    case RtpError::ExtensionNotFound:
      return "extension element not found";
    case RtpError::ExtensionSizeMismatch:
      return "extension value size differs";
    case RtpError::ExtensionUnsupported:
      return "no RFC 8285 extension block";
    case RtpError::BadExtensionId:
      return "extension id out of range";
    case RtpError::BadExtensionSize:
      return "extension value size out of range";
    case RtpError::BadField:
      return "header field out of range";
    case RtpError::BufferTooSmall:
      return "output buffer too small";
  }
  return "unknown";
}

bool RtpExtensionIterator::next(RtpExtension& out) {
  // A zero id where an element would start is a padding byte (RFC 8285 §4.2,
  // §4.3); like libwebrtc, a one-byte padding byte's length nibble is ignored.
  const uint8_t idMask = form_ == RtpExtensionForm::OneByte ? 0xf0 : 0xff;
  while (offset_ < block_.size() && (block_[offset_] & idMask) == 0) ++offset_;
  if (offset_ >= block_.size()) return false;
  size_t headerSize = 0;
  size_t valueSize = 0;
  uint8_t id = 0;
  if (form_ == RtpExtensionForm::OneByte) {
    id = block_[offset_] >> 4;
    if (id == kOneByteReservedId) {
      offset_ = block_.size();
      return false;
    }
    headerSize = 1;
    valueSize = (block_[offset_] & 0x0f) + 1u;
  } else if (form_ == RtpExtensionForm::TwoByte) {
    id = block_[offset_];
    headerSize = 2;
    valueSize = offset_ + 1 < block_.size() ? block_[offset_ + 1] : 0;
  } else {
    return false;
  }
  if (offset_ + headerSize + valueSize > block_.size()) {
    malformed_ = true;
    offset_ = block_.size();
    return false;
  }
  out.id = id;
  out.value = block_.subspan(offset_ + headerSize, valueSize);
  offset_ += headerSize + valueSize;
  return true;
}

std::optional<AudioLevel> parseAudioLevel(std::span<const uint8_t> value) {
  // RFC 6464 §3: one byte; some senders pad the element, so read only the first.
  if (value.empty()) return std::nullopt;
  return AudioLevel{(value[0] & 0x80) != 0, static_cast<uint8_t>(value[0] & 0x7f)};
}

std::optional<uint32_t> parseAbsSendTime(std::span<const uint8_t> value) {
  if (value.size() != 3) return std::nullopt;
  return loadBe24(value.data());
}

std::optional<uint16_t> parseTransportSequenceNumber(std::span<const uint8_t> value) {
  // transport-wide-cc-02 appends a feedback request after the 16-bit number.
  if (value.size() < 2) return std::nullopt;
  return loadBe16(value.data());
}

std::optional<std::string_view> parseStringExtension(std::span<const uint8_t> value) {
  const auto end = std::find(value.begin(), value.end(), uint8_t{0});
  const auto length = static_cast<size_t>(end - value.begin());
  if (length == 0) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(value.data()), length);
}

ParseResult<RtpPacketView, RtpError> RtpPacketView::parse(std::span<uint8_t> packet) {
  if (packet.size() < kFixedHeaderSize) return RtpError::TooShort;
  if ((packet[0] >> 6) != 2) return RtpError::BadVersion;
  RtpPacketView view;
  view.data_ = packet;
  size_t offset = kFixedHeaderSize + size_t{4} * (packet[0] & 0x0f);
  if (offset > packet.size()) return RtpError::CsrcOverrun;
  if ((packet[0] & 0x10) != 0) {
    if (offset + 4 > packet.size()) return RtpError::ExtensionOverrun;
    const uint16_t profile = loadBe16(&packet[offset]);
    const size_t length = size_t{4} * loadBe16(&packet[offset + 2]);
    offset += 4;
    if (length > packet.size() - offset) return RtpError::ExtensionOverrun;
    view.extensionOffset_ = static_cast<uint8_t>(offset);
    view.extensionSize_ = length;
    view.extensionForm_ = formOf(profile);
    offset += length;
  }
  size_t padding = 0;
  if ((packet[0] & 0x20) != 0) {
    // The last octet counts the padding including itself (RFC 3550 §5.1).
    if (offset == packet.size()) return RtpError::BadPadding;
    padding = packet.back();
    if (padding == 0 || padding > packet.size() - offset) return RtpError::BadPadding;
  }
  view.payloadOffset_ = offset;
  view.payloadSize_ = packet.size() - offset - padding;
  return view;
}

uint16_t RtpPacketView::extensionProfile() const {
  if (!hasExtension()) return 0;
  return loadBe16(&data_[extensionOffset_ - 4u]);
}

RtpExtensionIterator RtpPacketView::extensions() const { return {extensionForm_, extensionBlock()}; }

std::optional<std::span<uint8_t>> RtpPacketView::findExtension(uint8_t id) const {
  if (id == 0) return std::nullopt;
  RtpExtensionIterator it = extensions();
  RtpExtension element;
  while (it.next(element)) {
    if (element.id == id) return element.value;
  }
  return std::nullopt;
}

RtpError RtpPacketView::setExtensionValue(uint8_t id, std::span<const uint8_t> value) {
  const auto current = findExtension(id);
  if (!current) return RtpError::ExtensionNotFound;
  if (current->size() != value.size()) return RtpError::ExtensionSizeMismatch;
  std::copy(value.begin(), value.end(), current->begin());
  return RtpError::Ok;
}

RtpError RtpPacketView::setExtensionId(uint8_t id, uint8_t newId) {
  if (extensionForm_ != RtpExtensionForm::OneByte && extensionForm_ != RtpExtensionForm::TwoByte) {
    return RtpError::ExtensionUnsupported;
  }
  const bool oneByte = extensionForm_ == RtpExtensionForm::OneByte;
  if (newId == 0 || (oneByte && newId >= kOneByteReservedId)) return RtpError::BadExtensionId;
  const auto current = findExtension(id);
  if (!current) return RtpError::ExtensionNotFound;
  // The element header sits just before the value; its offset is within data_.
  const size_t valueOffset = static_cast<size_t>(current->data() - data_.data());
  if (oneByte) {
    uint8_t& header = data_[valueOffset - 1];
    header = static_cast<uint8_t>((newId << 4) | (header & 0x0f));
  } else {
    data_[valueOffset - 2] = newId;
  }
  return RtpError::Ok;
}

RtpError RtpPacketView::setAbsSendTime(uint8_t id, uint32_t absSendTime24) {
  uint8_t value[3];
  storeBe24(value, absSendTime24);
  return setExtensionValue(id, value);
}

RtpError RtpPacketView::setTransportSequenceNumber(uint8_t id, uint16_t sequenceNumber) {
  const auto current = findExtension(id);
  if (!current) return RtpError::ExtensionNotFound;
  if (current->size() < 2) return RtpError::ExtensionSizeMismatch;
  storeBe16(current->data(), sequenceNumber);
  return RtpError::Ok;
}

std::optional<AudioLevel> RtpPacketView::audioLevel(uint8_t id) const {
  const auto value = findExtension(id);
  return value ? parseAudioLevel(*value) : std::nullopt;
}

std::optional<uint32_t> RtpPacketView::absSendTime(uint8_t id) const {
  const auto value = findExtension(id);
  return value ? parseAbsSendTime(*value) : std::nullopt;
}

std::optional<uint16_t> RtpPacketView::transportSequenceNumber(uint8_t id) const {
  const auto value = findExtension(id);
  return value ? parseTransportSequenceNumber(*value) : std::nullopt;
}

std::optional<std::string_view> RtpPacketView::mid(uint8_t id) const {
  const auto value = findExtension(id);
  return value ? parseStringExtension(*value) : std::nullopt;
}

std::optional<std::string_view> RtpPacketView::rid(uint8_t id) const { return mid(id); }

ParseResult<size_t, RtpError> buildRtpHeader(const RtpHeader& header, std::span<const RtpExtensionEntry> extensions,
                                             std::span<uint8_t> out) {
  if (header.payloadType > 127 || header.csrcs.size() > 15) return RtpError::BadField;
  size_t elementBytes = 0;
  for (const auto& e : extensions) {
    if (e.id == 0 || e.id >= kOneByteReservedId) return RtpError::BadExtensionId;
    if (e.value.empty() || e.value.size() > 16) return RtpError::BadExtensionSize;
    elementBytes += 1 + e.value.size();
  }
  const size_t blockBytes = (elementBytes + 3) & ~size_t{3};
  if (blockBytes / 4 > 0xffff) return RtpError::BadExtensionSize;
  const size_t csrcBytes = 4 * header.csrcs.size();
  const size_t size = RtpPacketView::kFixedHeaderSize + csrcBytes + (extensions.empty() ? 0 : 4 + blockBytes);
  if (size > out.size()) return RtpError::BufferTooSmall;

  uint8_t* p = out.data();
  p[0] = static_cast<uint8_t>(0x80 | (extensions.empty() ? 0 : 0x10) | header.csrcs.size());
  p[1] = static_cast<uint8_t>((header.marker ? 0x80 : 0) | header.payloadType);
  storeBe16(p + 2, header.sequenceNumber);
  storeBe32(p + 4, header.timestamp);
  storeBe32(p + 8, header.ssrc);
  p += RtpPacketView::kFixedHeaderSize;
  for (const uint32_t csrc : header.csrcs) {
    storeBe32(p, csrc);
    p += 4;
  }
  if (extensions.empty()) return size;
  storeBe16(p, kOneByteProfile);
  storeBe16(p + 2, static_cast<uint16_t>(blockBytes / 4));
  p += 4;
  for (const auto& e : extensions) {
    *p++ = static_cast<uint8_t>((e.id << 4) | (e.value.size() - 1));
    p = std::copy(e.value.begin(), e.value.end(), p);
  }
  std::fill(p, out.data() + size, uint8_t{0});
  return size;
}

}  // namespace convox::rtc
