#pragma once

// LiveKit's RoomService over Twirp: /twirp/livekit.RoomService/<Method>.

#include "common/twirp.hpp"
#include "sfu/room_manager.hpp"

namespace convox::sfu {

class RoomService {
 public:
  RoomService(RoomManager& rooms, common::TwirpAuthenticator authenticate);
  // The service must outlive the router it is mounted on.
  void mount(common::HttpRouter& router) const { twirp_.mount(router); }

 private:
  common::TwirpService twirp_;
};

}  // namespace convox::sfu
