#include "client/io_pump.hpp"

namespace convox::client {

IoPump::IoPump(rtc::EventLoop& loop, boost::asio::io_context& io, std::chrono::milliseconds interval)
    : loop_(loop), io_(io), work_(boost::asio::make_work_guard(io)), interval_(interval) {
  timer_ = loop_.addTimer(std::chrono::milliseconds(0), [this, alive = std::weak_ptr<bool>(alive_)] {
    if (!alive.expired()) tick();
  });
}

IoPump::~IoPump() {
  *alive_ = false;
  if (timer_) loop_.cancelTimer(timer_);
}

void IoPump::tick() {
  // Re-armed first: a handler that throws (reported by the loop's exception
  // handler) must not stop the thread's signalling for good.
  timer_ = loop_.addTimer(interval_, [this, alive = std::weak_ptr<bool>(alive_)] {
    if (!alive.expired()) tick();
  });
  if (io_.stopped()) io_.restart();
  io_.poll();
}

}  // namespace convox::client
