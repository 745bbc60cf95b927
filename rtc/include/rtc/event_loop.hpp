#pragma once

// A media thread's event loop: posted tasks, timers and readable
// descriptors. rtc/ starts no threads; whoever owns a thread runs its loop
// there, and everything attached to the loop (ICE agents, transports) is
// then used from that thread only.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <thread>

typedef struct _GMainContext GMainContext;  // NOLINT(bugprone-reserved-identifier): GLib's name

namespace convox::rtc {

namespace detail {
class LoopDriver;
}

enum class EventLoopDriver {
  Glib,  // a GLib main context: libnice's agents need one
  Asio,  // an Asio io_context on epoll: cheaper per wake-up; no libnice on it
};

class EventLoop {
 public:
  explicit EventLoop(EventLoopDriver driver = EventLoopDriver::Glib);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs `task` on the loop's thread. Callable from any thread.
  void post(std::function<void()> task);

  // Runs `task` once after `delay` on the loop's thread; returns an id for
  // cancel(). Call from the loop's thread.
  uint32_t addTimer(std::chrono::milliseconds delay, std::function<void()> task);
  void cancelTimer(uint32_t id);

  // Calls `onReadable` on the loop's thread whenever `fd` is readable, until
  // unwatch(id). Call both from the loop's thread.
  uint32_t watchReadable(int fd, std::function<void()> onReadable);
  // Calls `onWritable` once, on the loop's thread, when the descriptor of
  // watch `id` can be written (a stream socket's send queue drained); one
  // at a time per watch; unwatch(id) cancels it. Call from the loop's thread.
  void awaitWritable(uint32_t id, std::function<void()> onWritable);
  void unwatch(uint32_t id);

  // Told what a posted task or timer threw; the loop then carries on (an
  // exception must not unwind through the driver's frames). Set it before run();
  // unset, the message goes to stderr.
  void setExceptionHandler(std::function<void(std::string_view what)> handler);

  // Dispatches until stop() (from any thread). The calling thread becomes
  // the loop's thread.
  void run();
  void stop();
  // Dispatches for `duration`, or until `done` returns true. For tests and
  // tools that drive the loop from their own thread.
  void runFor(std::chrono::milliseconds duration);
  bool runUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout);

  bool isLoopThread() const { return std::this_thread::get_id() == owner_; }
  EventLoopDriver driver() const { return kind_; }
  // The GLib main context libnice attaches to; null on an Asio loop.
  GMainContext* context() const;

  struct State;  // opaque; shared with queued tasks so they outlive nothing

 private:
  void claimThread() { owner_ = std::this_thread::get_id(); }

  std::thread::id owner_;
  std::shared_ptr<State> state_;
  std::unique_ptr<detail::LoopDriver> driver_;
  EventLoopDriver kind_;
};

}  // namespace convox::rtc
