#pragma once

#include "sfu/signal_sink.hpp"

#include <vector>

namespace convox::testing {

// Records what the server would have sent to one client.
class RecordingSignalSink : public sfu::SignalSink {
 public:
  void send(const livekit::SignalResponse& message) override { sent.push_back(message); }
  void close(uint16_t code, std::string reason) override {
    closed = true;
    closeCode = code;
    closeReason = std::move(reason);
  }

  // Messages of one kind, in order.
  std::vector<livekit::SignalResponse> of(livekit::SignalResponse::MessageCase kind) const {
    std::vector<livekit::SignalResponse> out;
    for (const auto& m : sent) {
      if (m.message_case() == kind) out.push_back(m);
    }
    return out;
  }

  std::vector<livekit::SignalResponse> sent;
  bool closed = false;
  uint16_t closeCode = 0;
  std::string closeReason;
};

}  // namespace convox::testing
