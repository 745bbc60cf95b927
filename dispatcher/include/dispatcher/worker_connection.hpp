#pragma once

// Where the dispatcher's messages to one worker go: the /agent WebSocket in
// production, a recorder in unit tests.

#include "proto/livekit_agent.pb.h"

#include <cstdint>
#include <string>

namespace convox::dispatcher {

class WorkerConnection {
 public:
  virtual ~WorkerConnection() = default;
  virtual void send(const livekit::ServerMessage& message) = 0;
  // Closes the connection; the dispatcher hears of it through onWorkerClosed.
  virtual void close(uint16_t code, std::string reason) = 0;
};

}  // namespace convox::dispatcher
