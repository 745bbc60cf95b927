#include "rtc/stun_message.hpp"

#include "hmac_sha1.hpp"

#include <openssl/crypto.h>
#include <zlib.h>

#include <algorithm>

namespace convox::rtc {

namespace {

constexpr uint32_t kFingerprintXor = 0x5354554E;
constexpr size_t kIntegrityLength = 20;

uint16_t read16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
uint32_t read32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
uint64_t read64(const uint8_t* p) { return (uint64_t{read32(p)} << 32) | read32(p + 4); }
void write16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void write32(uint8_t* p, uint32_t v) {
  write16(p, static_cast<uint16_t>(v >> 16));
  write16(p + 2, static_cast<uint16_t>(v));
}

// The message type's 12 method bits and 2 class bits, interleaved (RFC 5389 §6).
uint16_t messageType(uint16_t method, StunClass c) {
  const auto cls = static_cast<uint16_t>(c);
  return static_cast<uint16_t>((method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) |
                               ((cls & 1) << 4) | ((cls & 2) << 7));
}

bool known(uint16_t type) {
  using namespace stun_attribute;
  switch (type) {
    case kMappedAddress:
    case kUsername:
    case kMessageIntegrity:
    case kErrorCode:
    case kUnknownAttributes:
    case kMessageIntegritySha256:
    case kXorMappedAddress:
    case kPriority:
    case kUseCandidate:
      return true;
    default:
      return type >= 0x8000;  // comprehension-optional: ignored when unknown
  }
}

std::optional<SocketEndpoint> readXorAddress(std::span<const uint8_t> v, std::span<const uint8_t> transactionId) {
  if (v.size() < 8) return std::nullopt;
  SocketEndpoint e;
  e.port = static_cast<uint16_t>(read16(v.data() + 2) ^ (kStunMagicCookie >> 16));
  std::array<uint8_t, 16> mask{};
  write32(mask.data(), kStunMagicCookie);
  std::copy(transactionId.begin(), transactionId.end(), mask.begin() + 4);
  if (v[1] == 0x01 && v.size() == 8) {
    for (size_t i = 0; i < 4; ++i) e.address[i] = v[4 + i] ^ mask[i];
  } else if (v[1] == 0x02 && v.size() == 20) {
    e.v6 = true;
    for (size_t i = 0; i < 16; ++i) e.address[i] = v[4 + i] ^ mask[i];
  } else {
    return std::nullopt;
  }
  return e;
}

// HMAC-SHA1 over the message up to MESSAGE-INTEGRITY, with the header's
// length as if MESSAGE-INTEGRITY ended the message (RFC 5389 §15.4).
void integrity(std::span<const uint8_t> message, size_t integrityOffset, std::string_view password, uint8_t* out) {
  std::array<uint8_t, kStunHeaderLength> header{};
  std::copy(message.begin(), message.begin() + kStunHeaderLength, header.begin());
  write16(header.data() + 2, static_cast<uint16_t>(integrityOffset + 4 + kIntegrityLength - kStunHeaderLength));
  detail::HmacSha1 mac;
  mac.setKey({reinterpret_cast<const uint8_t*>(password.data()), password.size()});
  mac.digest(header, message.subspan(kStunHeaderLength, integrityOffset - kStunHeaderLength), out);
}

uint32_t fingerprintOf(std::span<const uint8_t> upTo) {
  return static_cast<uint32_t>(crc32(0L, upTo.data(), static_cast<uInt>(upTo.size()))) ^ kFingerprintXor;
}

}  // namespace

std::string_view describe(StunError error) {
  switch (error) {
    case StunError::Ok:
      return "ok";
    case StunError::TooShort:
      return "shorter than a STUN header";
    case StunError::NotStun:
      return "not STUN (leading bits or magic cookie)";
    case StunError::BadLength:
      return "the header's length does not match the datagram";
    case StunError::AttributeOverrun:
      return "an attribute runs past the message";
    case StunError::BadAttribute:
      return "an attribute has the wrong size or value";
    case StunError::FingerprintNotLast:
      return "FINGERPRINT is not the last attribute";
  }
  return "bad STUN message";
}

bool looksLikeStun(std::span<const uint8_t> d) {
  return d.size() >= kStunHeaderLength && (d[0] & 0xC0) == 0 && read32(d.data() + 4) == kStunMagicCookie;
}

ParseResult<StunMessage, StunError> StunMessage::parse(std::span<const uint8_t> d) {
  if (d.size() < kStunHeaderLength) return StunError::TooShort;
  if (!looksLikeStun(d)) return StunError::NotStun;
  const size_t length = read16(d.data() + 2);
  if (length % 4 != 0 || length + kStunHeaderLength != d.size()) return StunError::BadLength;
  StunMessage m;
  const uint16_t type = read16(d.data());
  m.method = static_cast<uint16_t>((type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2));
  m.messageClass = static_cast<StunClass>(((type >> 4) & 1) | ((type >> 7) & 2));
  m.transactionId = d.subspan(8, 12);
  m.bytes = d;
  size_t at = kStunHeaderLength;
  while (at < d.size()) {
    if (d.size() - at < 4) return StunError::AttributeOverrun;
    const uint16_t attr = read16(d.data() + at);
    const size_t len = read16(d.data() + at + 2);
    const size_t padded = (len + 3) & ~size_t{3};
    if (padded > d.size() - at - 4) return StunError::AttributeOverrun;
    const auto value = d.subspan(at + 4, len);
    if (m.fingerprintOffset != 0) return StunError::FingerprintNotLast;
    // After MESSAGE-INTEGRITY only FINGERPRINT counts (RFC 5389 §15.4).
    const bool afterIntegrity = m.integrityOffset != 0;
    using namespace stun_attribute;
    if (attr == kFingerprint) {
      if (len != 4) return StunError::BadAttribute;
      m.fingerprintOffset = at;
    } else if (!afterIntegrity) {
      switch (attr) {
        case kUsername:
          if (m.username.empty()) m.username = {reinterpret_cast<const char*>(value.data()), value.size()};
          break;
        case kMessageIntegrity:
          if (len != kIntegrityLength) return StunError::BadAttribute;
          m.integrityOffset = at;
          break;
        case kPriority:
          if (len != 4) return StunError::BadAttribute;
          if (!m.priority) m.priority = read32(value.data());
          break;
        case kUseCandidate:
          if (len != 0) return StunError::BadAttribute;
          m.useCandidate = true;
          break;
        case kIceControlling:
        case kIceControlled:
          if (len != 8) return StunError::BadAttribute;
          (attr == kIceControlling ? m.iceControlling : m.iceControlled) = read64(value.data());
          break;
        case kErrorCode:
          if (len < 4) return StunError::BadAttribute;
          m.errorCode = static_cast<uint16_t>((value[2] & 0x07) * 100 + value[3]);
          break;
        case kXorMappedAddress:
          m.xorMappedAddress = readXorAddress(value, m.transactionId);
          if (!m.xorMappedAddress) return StunError::BadAttribute;
          break;
        default:
          if (!known(attr) && m.unknownRequiredCount < m.unknownRequired.size()) {
            m.unknownRequired[m.unknownRequiredCount++] = attr;
          }
      }
    }
    at += 4 + padded;
  }
  return m;
}

bool stunFingerprintValid(const StunMessage& m) {
  if (m.fingerprintOffset == 0) return false;
  return fingerprintOf(m.bytes.first(m.fingerprintOffset)) == read32(m.bytes.data() + m.fingerprintOffset + 4);
}

bool stunIntegrityValid(const StunMessage& m, std::string_view password) {
  if (m.integrityOffset == 0) return false;
  std::array<uint8_t, kIntegrityLength> expected{};
  integrity(m.bytes, m.integrityOffset, password, expected.data());
  return CRYPTO_memcmp(expected.data(), m.bytes.data() + m.integrityOffset + 4, kIntegrityLength) == 0;
}

std::optional<IceUsername> splitIceUsername(std::string_view username) {
  const auto colon = username.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == username.size()) return std::nullopt;
  return IceUsername{username.substr(0, colon), username.substr(colon + 1)};
}

StunWriter::StunWriter(std::span<uint8_t> buffer, uint16_t method, StunClass messageClass,
                       std::span<const uint8_t> transactionId)
    : buffer_(buffer) {
  if (buffer.size() < kStunHeaderLength || transactionId.size() != 12) {
    ok_ = false;
    return;
  }
  write16(buffer.data(), messageType(method, messageClass));
  write16(buffer.data() + 2, 0);
  write32(buffer.data() + 4, kStunMagicCookie);
  std::copy(transactionId.begin(), transactionId.end(), buffer.begin() + 8);
  size_ = kStunHeaderLength;
}

uint8_t* StunWriter::reserve(uint16_t type, size_t length) {
  const size_t padded = (length + 3) & ~size_t{3};
  if (!ok_ || length > 0xFFFF || buffer_.size() - size_ < 4 + padded) {
    ok_ = false;
    return nullptr;
  }
  uint8_t* p = buffer_.data() + size_;
  write16(p, type);
  write16(p + 2, static_cast<uint16_t>(length));
  std::fill(p + 4 + length, p + 4 + padded, uint8_t{0});
  size_ += 4 + padded;
  setLength(size_ - kStunHeaderLength);
  return p + 4;
}

void StunWriter::setLength(size_t bodyLength) { write16(buffer_.data() + 2, static_cast<uint16_t>(bodyLength)); }

StunWriter& StunWriter::attribute(uint16_t type, std::span<const uint8_t> value) {
  if (uint8_t* p = reserve(type, value.size())) std::copy(value.begin(), value.end(), p);
  return *this;
}

StunWriter& StunWriter::text(uint16_t type, std::string_view value) {
  return attribute(type, {reinterpret_cast<const uint8_t*>(value.data()), value.size()});
}

StunWriter& StunWriter::u32(uint16_t type, uint32_t value) {
  if (uint8_t* p = reserve(type, 4)) write32(p, value);
  return *this;
}

StunWriter& StunWriter::u64(uint16_t type, uint64_t value) {
  if (uint8_t* p = reserve(type, 8)) {
    write32(p, static_cast<uint32_t>(value >> 32));
    write32(p + 4, static_cast<uint32_t>(value));
  }
  return *this;
}

StunWriter& StunWriter::flag(uint16_t type) {
  reserve(type, 0);
  return *this;
}

StunWriter& StunWriter::xorMappedAddress(const SocketEndpoint& e) {
  uint8_t* p = reserve(stun_attribute::kXorMappedAddress, e.v6 ? 20 : 8);
  if (!p) return *this;
  std::array<uint8_t, 16> mask{};
  write32(mask.data(), kStunMagicCookie);
  std::copy(buffer_.begin() + 8, buffer_.begin() + 20, mask.begin() + 4);
  p[0] = 0;
  p[1] = e.v6 ? 0x02 : 0x01;
  write16(p + 2, static_cast<uint16_t>(e.port ^ (kStunMagicCookie >> 16)));
  for (size_t i = 0; i < (e.v6 ? 16u : 4u); ++i) p[4 + i] = e.address[i] ^ mask[i];
  return *this;
}

StunWriter& StunWriter::errorCode(uint16_t code, std::string_view reason) {
  reason = reason.substr(0, 763);  // RFC 5389 §15.6: under 128 characters, 763 bytes
  uint8_t* p = reserve(stun_attribute::kErrorCode, 4 + reason.size());
  if (!p) return *this;
  p[0] = p[1] = 0;
  p[2] = static_cast<uint8_t>((code / 100) & 0x07);
  p[3] = static_cast<uint8_t>(code % 100);
  std::copy(reason.begin(), reason.end(), p + 4);
  return *this;
}

StunWriter& StunWriter::unknownAttributes(std::span<const uint16_t> types) {
  uint8_t* p = reserve(stun_attribute::kUnknownAttributes, 2 * types.size());
  if (!p) return *this;
  for (size_t i = 0; i < types.size(); ++i) write16(p + 2 * i, types[i]);
  return *this;
}

StunWriter& StunWriter::messageIntegrity(std::string_view password) {
  const size_t at = size_;
  uint8_t* p = reserve(stun_attribute::kMessageIntegrity, kIntegrityLength);
  if (p) integrity(buffer_.first(size_), at, password, p);
  return *this;
}

StunWriter& StunWriter::fingerprint() {
  const size_t at = size_;
  if (uint8_t* p = reserve(stun_attribute::kFingerprint, 4)) write32(p, fingerprintOf(buffer_.first(at)));
  return *this;
}

}  // namespace convox::rtc
