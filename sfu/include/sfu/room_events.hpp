#pragma once

// What a room tells the rest of the server. Webhooks and the dispatcher
// subscribe through this interface; calls come on the signalling thread.

#include "proto/livekit_models.pb.h"

#include <vector>

namespace convox::sfu {

class RoomEventListener {
 public:
  virtual ~RoomEventListener() = default;
  virtual void onRoomStarted(const livekit::Room& /*room*/) {}
  // Right after onRoomStarted: the agent dispatches the room was created with
  // (CreateRoom `agents` or the first joiner's token roomConfig.agents); none
  // means automatic dispatch.
  virtual void onRoomAgentsConfigured(const livekit::Room& /*room*/,
                                      const std::vector<livekit::RoomAgentDispatch>& /*agents*/) {}
  virtual void onRoomFinished(const livekit::Room& /*room*/, livekit::RoomEndReason /*reason*/) {}
  virtual void onParticipantJoined(const livekit::Room& /*room*/, const livekit::ParticipantInfo& /*p*/) {}
  virtual void onParticipantLeft(const livekit::Room& /*room*/, const livekit::ParticipantInfo& /*p*/) {}
  virtual void onTrackPublished(const livekit::Room& /*room*/, const livekit::ParticipantInfo& /*p*/,
                                const livekit::TrackInfo& /*track*/) {}
  virtual void onTrackUnpublished(const livekit::Room& /*room*/, const livekit::ParticipantInfo& /*p*/,
                                  const livekit::TrackInfo& /*track*/) {}
};

}  // namespace convox::sfu
