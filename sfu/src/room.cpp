#include "room.hpp"

#include <algorithm>

namespace convox::sfu {

Room::Room(boost::asio::io_context& io, livekit::Room info) : info_(std::move(info)), closeTimer_(io) {}

std::shared_ptr<Participant> Room::findByIdentity(std::string_view identity) const {
  for (const auto& p : participants_) {
    if (p->identity() == identity) return p;
  }
  return nullptr;
}

size_t Room::visibleCount() const {
  return static_cast<size_t>(
      std::count_if(participants_.begin(), participants_.end(), [](const auto& p) { return !p->hidden(); }));
}

void Room::add(std::shared_ptr<Participant> p) {
  participants_.push_back(std::move(p));
  info_.set_num_participants(static_cast<uint32_t>(visibleCount()));
}

void Room::remove(const Participant& p) {
  std::erase_if(participants_, [&](const auto& q) { return q.get() == &p; });
  info_.set_num_participants(static_cast<uint32_t>(visibleCount()));
}

void Room::broadcast(const livekit::SignalResponse& message, const Participant* except) const {
  for (const auto& p : participants_) {
    if (p.get() != except) p->send(message);
  }
}

void Room::armCloseTimer(uint32_t seconds, std::function<void()> onExpiry) {
  closeTimer_.expires_after(std::chrono::seconds(seconds));
  closeTimer_.async_wait([fn = std::move(onExpiry)](const boost::system::error_code& ec) {
    if (!ec) fn();
  });
}

}  // namespace convox::sfu
