#include "rtc/socket_endpoint.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace convox::rtc {

std::optional<SocketEndpoint> SocketEndpoint::parse(std::string_view text) {
  SocketEndpoint e;
  std::string host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) return std::nullopt;
    host.assign(text.substr(1, close - 1));
    port = text.substr(close + 2);
    e.v6 = true;
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host.assign(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  if (inet_pton(e.v6 ? AF_INET6 : AF_INET, host.c_str(), e.address.data()) != 1) return std::nullopt;
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || value > 65535) return std::nullopt;
  e.port = static_cast<uint16_t>(value);
  return e;
}

std::string SocketEndpoint::toString() const {
  char host[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, address.data(), host, sizeof host);
  return v6 ? "[" + std::string(host) + "]:" + std::to_string(port) : std::string(host) + ":" + std::to_string(port);
}

size_t SocketEndpointHash::operator()(const SocketEndpoint& e) const noexcept {
  // FNV-1a over the bytes that matter.
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](uint8_t b) { h = (h ^ b) * 1099511628211ULL; };
  for (size_t i = 0; i < (e.v6 ? 16u : 4u); ++i) mix(e.address[i]);
  mix(static_cast<uint8_t>(e.port >> 8));
  mix(static_cast<uint8_t>(e.port));
  mix(e.v6 ? 1 : 0);
  mix(e.tcp ? 1 : 0);
  return static_cast<size_t>(h);
}

}  // namespace convox::rtc
