#pragma once

// What an EventLoop runs on. Two drivers behind one interface: a GLib main
// context, which libnice needs, and an Asio io_context (epoll, timerfd,
// eventfd), which costs nothing per registered timer or descriptor on a
// wake-up: the SFU's media threads on the UDP mux use it.

#include "rtc/event_loop.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <string_view>

namespace convox::rtc {

struct EventLoop::State {
  std::function<void(std::string_view)> onException;
};

namespace detail {

// Runs a task or timer callback so that whatever it throws is reported to
// the loop's exception handler and the loop carries on.
inline void runGuarded(const std::function<void()>& fn, const std::weak_ptr<EventLoop::State>& state) noexcept {
  auto report = [&](std::string_view what) noexcept {
    try {
      if (auto s = state.lock(); s && s->onException) return s->onException(what);
    } catch (...) {
    }
    std::fprintf(stderr, "convox: a task on an event loop threw: %.*s\n", static_cast<int>(what.size()), what.data());
  };
  try {
    fn();
  } catch (const std::exception& e) {
    report(e.what());
  } catch (...) {
    report("a non-exception");
  }
}

class LoopDriver {
 public:
  virtual ~LoopDriver() = default;
  virtual void post(std::function<void()> task) = 0;
  virtual uint32_t addTimer(std::chrono::milliseconds delay, std::function<void()> task) = 0;
  virtual void cancelTimer(uint32_t id) = 0;
  virtual uint32_t watchReadable(int fd, std::function<void()> onReadable) = 0;
  virtual void awaitWritable(uint32_t id, std::function<void()> onWritable) = 0;
  virtual void unwatch(uint32_t id) = 0;
  // Dispatches until stop(); stop() may come from any thread, before run().
  virtual void run() = 0;
  virtual void stop() = 0;
  // Dispatches what is ready, waiting at most `wait` for something to be.
  virtual void runOnce(std::chrono::milliseconds wait) = 0;
  virtual GMainContext* glibContext() const = 0;
};

std::unique_ptr<LoopDriver> makeGlibDriver(std::weak_ptr<EventLoop::State> state);
std::unique_ptr<LoopDriver> makeAsioDriver(std::weak_ptr<EventLoop::State> state);

}  // namespace detail
}  // namespace convox::rtc
