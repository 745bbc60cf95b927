#pragma once

#include "proto/livekit_rtc.pb.h"

#include <cstdint>
#include <string>

namespace convox::sfu {

// Where a participant's signal messages go: the WebSocket in production, a
// recorder in unit tests.
class SignalSink {
 public:
  virtual ~SignalSink() = default;
  virtual void send(const livekit::SignalResponse& message) = 0;
  virtual void close(uint16_t code, std::string reason) = 0;
};

}  // namespace convox::sfu
