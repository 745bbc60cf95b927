#include "voice/provider_socket.hpp"

#include "common/address_policy.hpp"

#include <array>

namespace convox::voice {

std::string urlEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string socketEndReason(const WebSocketEnd& end, std::string_view errorHeader) {
  if (end.httpStatus == 0) return end.describe();
  std::string reason = "HTTP " + std::to_string(end.httpStatus);
  std::string detail = errorHeader.empty() ? "" : end.header(errorHeader);
  if (detail.empty()) detail = end.httpBody.substr(0, std::min(end.httpBody.find('\n'), size_t{300}));
  if (!detail.empty()) reason += ": " + detail;
  const auto retryAfter = end.header("retry-after");
  if (!retryAfter.empty()) reason += " (retry-after " + retryAfter + ")";
  return reason;
}

std::string redactSecret(std::string text, const std::string& secret) {
  if (secret.size() < 4) return text;
  for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), "[redacted]");
  }
  return text;
}

common::AddressFilter publicAddressesOnly(std::string setting) {
  return [setting = std::move(setting)](const boost::asio::ip::address& a) -> std::optional<std::string> {
    const auto kind = common::nonPublicAddressKind(a);
    if (!kind) return std::nullopt;
    return "a " + std::string(*kind) + " address (" + setting + " must be public)";
  };
}

bool base64Decode(std::string_view text, std::vector<uint8_t>& out) {
  static const auto kValues = [] {
    std::array<int8_t, 256> v{};
    v.fill(-1);
    const std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < alphabet.size(); ++i) v[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
    return v;
  }();
  out.clear();
  out.reserve(text.size() / 4 * 3 + 3);
  uint32_t bits = 0;
  int count = 0;
  for (const char ch : text) {
    if (ch == '=') break;
    const int8_t value = kValues[static_cast<unsigned char>(ch)];
    if (value < 0) return false;
    bits = (bits << 6) | static_cast<uint32_t>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<uint8_t>((bits >> count) & 0xFF));
    }
  }
  return true;
}

void base64Append(std::span<const uint8_t> bytes, std::string& out) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const size_t at = out.size();
  out.resize(at + (bytes.size() + 2) / 3 * 4);
  char* p = out.data() + at;
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    *p++ = kAlphabet[(v >> 18) & 63];
    *p++ = kAlphabet[(v >> 12) & 63];
    *p++ = kAlphabet[(v >> 6) & 63];
    *p++ = kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    const bool two = i + 1 < bytes.size();
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (two ? uint32_t{bytes[i + 1]} << 8 : 0);
    *p++ = kAlphabet[(v >> 18) & 63];
    *p++ = kAlphabet[(v >> 12) & 63];
    *p++ = two ? kAlphabet[(v >> 6) & 63] : '=';
    *p++ = '=';
  }
}

size_t codePoints(std::string_view text) {
  size_t n = 0;
  for (const char ch : text) {
    if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) ++n;
  }
  return n;
}

}  // namespace convox::voice
