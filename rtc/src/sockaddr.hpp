#pragma once

// SocketEndpoint to and from the kernel's sockaddr, for the mux's sockets.

#include "rtc/socket_endpoint.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

namespace convox::rtc {

inline socklen_t toSockaddr(const SocketEndpoint& e, sockaddr_storage& out) {
  std::memset(&out, 0, sizeof out);
  if (e.v6) {
    auto& a = reinterpret_cast<sockaddr_in6&>(out);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(e.port);
    std::memcpy(&a.sin6_addr, e.address.data(), 16);
    return sizeof(sockaddr_in6);
  }
  auto& a = reinterpret_cast<sockaddr_in&>(out);
  a.sin_family = AF_INET;
  a.sin_port = htons(e.port);
  std::memcpy(&a.sin_addr, e.address.data(), 4);
  return sizeof(sockaddr_in);
}

inline SocketEndpoint fromSockaddr(const sockaddr_storage& in) {
  SocketEndpoint e;
  if (in.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(in);
    e.v6 = true;
    std::memcpy(e.address.data(), &a.sin6_addr, 16);
    e.port = ntohs(a.sin6_port);
  } else {
    const auto& a = reinterpret_cast<const sockaddr_in&>(in);
    std::memcpy(e.address.data(), &a.sin_addr, 4);
    e.port = ntohs(a.sin_port);
  }
  return e;
}

}  // namespace convox::rtc
