#pragma once

#include "media_room.hpp"
#include "participant.hpp"
#include "proto/livekit_models.pb.h"

#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <vector>

namespace convox::sfu {

// A room's state: its info and participants in join order.
class Room {
 public:
  Room(boost::asio::io_context& io, livekit::Room info);

  const livekit::Room& info() const { return info_; }
  livekit::Room& mutableInfo() { return info_; }
  const std::vector<std::shared_ptr<Participant>>& participants() const { return participants_; }

  // The room's media state, shared by its participants' transports: it lives
  // while one of them holds it.
  std::shared_ptr<MediaRoom> mediaRoom() {
    auto media = media_.lock();
    if (!media) {
      media = std::make_shared<MediaRoom>();
      media_ = media;
    }
    return media;
  }

  std::shared_ptr<Participant> findByIdentity(std::string_view identity) const;
  size_t visibleCount() const;

  void add(std::shared_ptr<Participant> p);
  void remove(const Participant& p);

  // Sends `message` to every participant except `except`.
  void broadcast(const livekit::SignalResponse& message, const Participant* except = nullptr) const;

  // Runs `onExpiry` after `seconds` unless cancelled or re-armed first.
  void armCloseTimer(uint32_t seconds, std::function<void()> onExpiry);
  void cancelCloseTimer() { closeTimer_.cancel(); }

 private:
  livekit::Room info_;
  std::vector<std::shared_ptr<Participant>> participants_;
  boost::asio::steady_timer closeTimer_;
  std::weak_ptr<MediaRoom> media_;
};

}  // namespace convox::sfu
