#include "rtc/event_loop.hpp"

#include "event_loop_driver.hpp"

namespace convox::rtc {

EventLoop::EventLoop(EventLoopDriver driver)
    : owner_(std::this_thread::get_id()),
      state_(std::make_shared<State>()),
      driver_(driver == EventLoopDriver::Asio ? detail::makeAsioDriver(state_) : detail::makeGlibDriver(state_)),
      kind_(driver) {}

EventLoop::~EventLoop() = default;

void EventLoop::post(std::function<void()> task) { driver_->post(std::move(task)); }

uint32_t EventLoop::addTimer(std::chrono::milliseconds delay, std::function<void()> task) {
  return driver_->addTimer(delay, std::move(task));
}

void EventLoop::cancelTimer(uint32_t id) { driver_->cancelTimer(id); }

uint32_t EventLoop::watchReadable(int fd, std::function<void()> onReadable) {
  return driver_->watchReadable(fd, std::move(onReadable));
}

void EventLoop::awaitWritable(uint32_t id, std::function<void()> onWritable) {
  driver_->awaitWritable(id, std::move(onWritable));
}

void EventLoop::unwatch(uint32_t id) { driver_->unwatch(id); }

void EventLoop::setExceptionHandler(std::function<void(std::string_view what)> handler) {
  state_->onException = std::move(handler);
}

void EventLoop::run() {
  claimThread();
  driver_->run();
}

void EventLoop::stop() { driver_->stop(); }

void EventLoop::runFor(std::chrono::milliseconds duration) {
  runUntil([] { return false; }, duration);
}

bool EventLoop::runUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  claimThread();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool ok = done();
  while (!ok && std::chrono::steady_clock::now() < deadline) {
    // Wake at least every 10 ms to re-check the deadline.
    driver_->runOnce(std::chrono::milliseconds(10));
    ok = done();
  }
  return ok;
}

GMainContext* EventLoop::context() const { return driver_->glibContext(); }

}  // namespace convox::rtc
