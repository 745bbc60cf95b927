#pragma once

// Feeds the sfu's room events to the dispatcher: the two components do not
// know each other, the server's main connects them.

#include "dispatcher/dispatcher.hpp"
#include "sfu/room_events.hpp"
#include "sfu/room_manager.hpp"

namespace convox::app {

class DispatcherRoomEvents final : public sfu::RoomEventListener {
 public:
  explicit DispatcherRoomEvents(dispatcher::Dispatcher& dispatcher) : dispatcher_(dispatcher) {}

  // The dispatcher needs the room's agent dispatches with the start, so it
  // listens to this event rather than onRoomStarted.
  void onRoomAgentsConfigured(const livekit::Room& room,
                              const std::vector<livekit::RoomAgentDispatch>& agents) override {
    dispatcher_.onRoomStarted(room, agents);
  }
  void onRoomFinished(const livekit::Room& room, livekit::RoomEndReason /*reason*/) override {
    dispatcher_.onRoomFinished(room);
  }
  void onParticipantJoined(const livekit::Room& room, const livekit::ParticipantInfo& p) override {
    dispatcher_.onParticipantJoined(room, p);
  }
  void onParticipantLeft(const livekit::Room& room, const livekit::ParticipantInfo& p) override {
    dispatcher_.onParticipantLeft(room, p);
  }
  // Publisher jobs (JT_PUBLISHER) start with a participant's first track.
  void onTrackPublished(const livekit::Room& room, const livekit::ParticipantInfo& p,
                        const livekit::TrackInfo& /*track*/) override {
    dispatcher_.onTrackPublished(room, p);
  }

 private:
  // Passed by argument.
  dispatcher::Dispatcher& dispatcher_;
};

// How the dispatcher disconnects the agent of a deleted dispatch.
inline dispatcher::ParticipantRemover participantRemover(sfu::RoomManager& rooms) {
  return [&rooms](const std::string& room, const std::string& identity) { rooms.removeParticipant(room, identity); };
}

}  // namespace convox::app
