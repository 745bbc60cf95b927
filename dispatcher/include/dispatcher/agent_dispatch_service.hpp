#pragma once

// LiveKit's AgentDispatchService over Twirp:
// /twirp/livekit.AgentDispatchService/{CreateDispatch,DeleteDispatch,ListDispatch},
// authorised with roomAdmin for the request's room.

#include "common/twirp.hpp"
#include "dispatcher/dispatcher.hpp"

namespace convox::dispatcher {

class AgentDispatchService {
 public:
  AgentDispatchService(Dispatcher& dispatcher, common::TwirpAuthenticator authenticate);
  // The service must outlive the router it is mounted on.
  void mount(common::HttpRouter& router) const { twirp_.mount(router); }

 private:
  common::TwirpService twirp_;
};

}  // namespace convox::dispatcher
