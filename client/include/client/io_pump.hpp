#pragma once

// Runs an io_context's ready handlers from an rtc::EventLoop every few
// milliseconds, so signalling (asio) and media (GLib, in rtc/) share one
// thread and no handler needs a lock. The cost is a wakeup per interval and
// up to one interval of added signalling latency; media is not delayed.

#include "rtc/event_loop.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <memory>

namespace convox::client {

class IoPump {
 public:
  IoPump(rtc::EventLoop& loop, boost::asio::io_context& io,
         std::chrono::milliseconds interval = std::chrono::milliseconds(2));
  ~IoPump();
  IoPump(const IoPump&) = delete;
  IoPump& operator=(const IoPump&) = delete;

 private:
  void tick();

  rtc::EventLoop& loop_;
  boost::asio::io_context& io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  const std::chrono::milliseconds interval_;
  uint32_t timer_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace convox::client
