#pragma once

// What a room tells the rest of the server. Webhooks and the dispatcher
// subscribe through this interface; calls come on the signalling thread.

#include "proto/livekit_models.pb.h"

namespace convox::sfu {

class RoomEventListener {
 public:
  virtual ~RoomEventListener() = default;
  virtual void onRoomStarted(const livekit::Room& /*room*/) {}
  virtual void onRoomFinished(const livekit::Room& /*room*/, livekit::RoomEndReason /*reason*/) {}
  virtual void onParticipantJoined(const livekit::Room& /*room*/, const livekit::ParticipantInfo& /*p*/) {}
  virtual void onParticipantLeft(const livekit::Room& /*room*/, const livekit::ParticipantInfo& /*p*/) {}
};

}  // namespace convox::sfu
