#pragma once

#include "dispatcher/worker_connection.hpp"

#include <vector>

namespace convox::testing {

// Records what the dispatcher would have sent to one worker.
class RecordingWorkerConnection : public dispatcher::WorkerConnection {
 public:
  void send(const livekit::ServerMessage& message) override { sent.push_back(message); }
  void close(uint16_t code, std::string reason) override {
    closed = true;
    closeCode = code;
    closeReason = std::move(reason);
  }

  // Messages of one kind, in order.
  std::vector<livekit::ServerMessage> of(livekit::ServerMessage::MessageCase kind) const {
    std::vector<livekit::ServerMessage> out;
    for (const auto& m : sent) {
      if (m.message_case() == kind) out.push_back(m);
    }
    return out;
  }
  std::vector<livekit::AvailabilityRequest> availabilityRequests() const {
    std::vector<livekit::AvailabilityRequest> out;
    for (const auto& m : of(livekit::ServerMessage::kAvailability)) out.push_back(m.availability());
    return out;
  }
  std::vector<livekit::JobAssignment> assignments() const {
    std::vector<livekit::JobAssignment> out;
    for (const auto& m : of(livekit::ServerMessage::kAssignment)) out.push_back(m.assignment());
    return out;
  }
  std::vector<std::string> terminatedJobs() const {
    std::vector<std::string> out;
    for (const auto& m : of(livekit::ServerMessage::kTermination)) out.push_back(m.termination().job_id());
    return out;
  }

  std::vector<livekit::ServerMessage> sent;
  bool closed = false;
  uint16_t closeCode = 0;
  std::string closeReason;
};

}  // namespace convox::testing
