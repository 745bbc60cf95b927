#pragma once

// A UdpMux session's listener for the mux tests: what reached the session,
// and each path it selected.

#include "rtc/udp_mux.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace convox::rtc::testing {

struct MuxRecorder final : UdpMuxListener {
  std::vector<std::vector<uint8_t>> packets;
  std::vector<SocketEndpoint> paths;
  void onMuxPacket(std::span<uint8_t> d) override { packets.emplace_back(d.begin(), d.end()); }
  void onMuxPathSelected(const SocketEndpoint& p) override { paths.push_back(p); }
};

}  // namespace convox::rtc::testing
