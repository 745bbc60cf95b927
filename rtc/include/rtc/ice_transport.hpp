#pragma once

// What a WebRTC transport needs of ICE, with two implementations: IceAgent
// (libnice: full ICE for clients and tools, and per-connection ICE-lite),
// and, on a server whose IceSettings name a UdpMux, an ICE-lite connection
// on that media thread's shared socket (issue 15).

#include "rtc/ice_agent.hpp"

#include <memory>

namespace convox::rtc {

class UdpMux;

std::unique_ptr<IceTransport> makeIceTransport(EventLoop& loop, IceAgentListener& listener, IceSettings settings);

}  // namespace convox::rtc
