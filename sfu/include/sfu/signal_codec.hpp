#pragma once

// Decoding of client signal frames: one livekit.SignalRequest per WebSocket
// message, binary protobuf (what every SDK sends) or protojson text.

#include "proto/livekit_rtc.pb.h"

#include <string>
#include <string_view>

namespace convox::sfu {

struct SignalDecodeResult {
  bool ok = false;
  std::string error;  // why the frame was rejected, when !ok
};

SignalDecodeResult decodeSignalRequest(std::string_view frame, bool binary, livekit::SignalRequest& out);

// Binary encoding of a server frame.
std::string encodeSignalResponse(const livekit::SignalResponse& response);

}  // namespace convox::sfu
