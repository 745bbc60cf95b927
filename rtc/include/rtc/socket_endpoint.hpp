#pragma once

// A UDP/TCP endpoint as bytes (what STUN carries and a 5-tuple demux keys
// on), free of sockaddr so the packet path and its tests need no sockets.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace convox::rtc {

struct SocketEndpoint {
  bool v6 = false;
  std::array<uint8_t, 16> address{};  // IPv4 in the first 4 bytes
  uint16_t port = 0;
  // A TCP peer (ICE-TCP, RFC 6544): a different path from the same address
  // and port over UDP.
  bool tcp = false;

  static SocketEndpoint v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) {
    SocketEndpoint e;
    e.address = {a, b, c, d};
    e.port = port;
    return e;
  }
  // "1.2.3.4:5" or "[::1]:5"; nullopt if it is neither.
  static std::optional<SocketEndpoint> parse(std::string_view text);
  std::string toString() const;
  bool operator==(const SocketEndpoint&) const = default;
};

struct SocketEndpointHash {
  size_t operator()(const SocketEndpoint& e) const noexcept;
};

}  // namespace convox::rtc
