#pragma once

// Frames of the /agent WebSocket: one livekit.WorkerMessage per message,
// binary protobuf (what both SDKs send) or protojson text (which LiveKit's
// server also accepts, answering in text).

#include "proto/livekit_agent.pb.h"

#include <string>
#include <string_view>

namespace convox::dispatcher {

struct WorkerDecodeResult {
  bool ok = false;
  std::string error;  // why the frame was rejected, when !ok
};

WorkerDecodeResult decodeWorkerMessage(std::string_view frame, bool binary, livekit::WorkerMessage& out);

// The frame for `message`: binary protobuf, or protojson when `text`.
std::string encodeServerMessage(const livekit::ServerMessage& message, bool text);

}  // namespace convox::dispatcher
