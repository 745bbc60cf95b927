#pragma once

// A simulated SDK participant of convox-server: a client::Room (the client
// library, as the worker uses it) in the client role. A publisher only
// publishes (auto_subscribe=0, no data channels), so it has one peer
// connection, the publisher; a subscriber never publishes, so its one
// connection is the subscriber.

#include "client/room.hpp"
#include "load_peer.hpp"

#include <memory>
#include <string>

namespace convox::bench {

class LivekitParticipant : public LoadPeer, public client::RoomListener {
 public:
  LivekitParticipant(LoadContext& context, std::string room, std::string identity);
  ~LivekitParticipant() override;

  void join() override;
  void leave() override;

 protected:
  virtual bool autoSubscribe() const = 0;
  void onDisconnected(const std::string& reason) override;

  LoadContext& context_;
  std::unique_ptr<client::Room> room_;

 private:
  const std::string roomName_;
  bool left_ = false;
};

}  // namespace convox::bench
