#pragma once

// One ICE-TCP connection of a UdpMux (udp_mux_tcp.cpp).

#include "rtc/rfc4571_framing.hpp"
#include "rtc/udp_mux.hpp"

namespace convox::rtc {

struct UdpMux::TcpConnection {
  int fd = -1;
  uint32_t watch = 0;
  SocketEndpoint peer;    // tcp = true: the path's address
  SessionId session = 0;  // the session its first binding request named; 0 until then
  bool awaitingWritable = false;
  bool closeRequested = false;  // closed while being read: done when the read ends
  Rfc4571Reader in;
  Rfc4571SendQueue out;
};

}  // namespace convox::rtc
