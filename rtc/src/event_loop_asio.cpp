// The Asio driver: an io_context on epoll. A wake-up costs the descriptors
// and timers that are due, not every one registered (GLib's prepare/check
// walks all sources on every iteration: a fifth of a media thread's time
// with a few hundred connections' timers).
#include "event_loop_driver.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <unordered_map>

namespace convox::rtc::detail {

namespace {

namespace asio = boost::asio;

class AsioDriver final : public LoopDriver {
 public:
  explicit AsioDriver(std::weak_ptr<EventLoop::State> state)
      : io_(1), work_(asio::make_work_guard(io_)), state_(std::move(state)) {}

  ~AsioDriver() override {
    for (auto& [id, timer] : timers_) timer->cancel();
    for (auto& [id, watch] : watches_) watch.descriptor->release();
    timers_.clear();
    watches_.clear();
    // Run what is queued, as the GLib driver does, so posted tasks' captures
    // are released by running; cancelled waits complete as no-ops.
    work_.reset();
    io_.restart();
    io_.poll();
  }

  void post(std::function<void()> task) override {
    asio::post(io_, [this, fn = std::move(task)] { runGuarded(fn, state_); });
  }

  uint32_t addTimer(std::chrono::milliseconds delay, std::function<void()> task) override {
    const uint32_t id = takeId();
    auto& timer = timers_[id];
    timer = std::make_unique<asio::steady_timer>(io_, delay);
    timer->async_wait([this, id, fn = std::move(task)](const boost::system::error_code& ec) {
      if (ec) return;  // cancelled
      // The handler owns its callback: the timer may go before fn runs.
      if (auto it = timers_.find(id); it != timers_.end()) timers_.erase(it);
      runGuarded(fn, state_);
    });
    return id;
  }

  void cancelTimer(uint32_t id) override {
    auto it = timers_.find(id);
    if (it == timers_.end()) return;
    it->second->cancel();
    timers_.erase(it);
  }

  uint32_t watchReadable(int fd, std::function<void()> onReadable) override {
    const uint32_t id = takeId();
    watches_[id] = Watch{std::make_unique<asio::posix::stream_descriptor>(io_, fd),
                         std::make_shared<std::function<void()>>(std::move(onReadable))};
    armWatch(id);
    return id;
  }

  void awaitWritable(uint32_t id, std::function<void()> onWritable) override {
    auto it = watches_.find(id);
    if (it == watches_.end()) return;
    it->second.descriptor->async_wait(asio::posix::stream_descriptor::wait_write,
                                      [this, id, fn = std::move(onWritable)](const boost::system::error_code& ec) {
                                        if (ec || watches_.find(id) == watches_.end()) return;  // unwatched
                                        runGuarded(fn, state_);
                                      });
  }

  void unwatch(uint32_t id) override {
    auto it = watches_.find(id);
    if (it == watches_.end()) return;
    it->second.descriptor->cancel();
    it->second.descriptor->release();  // the descriptor is the caller's to close
    watches_.erase(it);
  }

  void run() override {
    io_.restart();
    io_.run();
  }

  void stop() override {
    // Posted, so a stop() that comes before run() still ends it.
    asio::post(io_, [this] { io_.stop(); });
  }

  void runOnce(std::chrono::milliseconds wait) override {
    if (io_.stopped()) io_.restart();
    if (io_.run_one_for(wait) > 0) io_.poll();
  }

  GMainContext* glibContext() const override { return nullptr; }

 private:
  // Epoll is edge-triggered under Asio: the wait is re-armed before the
  // callback reads, so a datagram that lands after the callback's last read
  // still wakes the loop.
  void armWatch(uint32_t id) {
    auto it = watches_.find(id);
    if (it == watches_.end()) return;
    it->second.descriptor->async_wait(asio::posix::stream_descriptor::wait_read,
                                      [this, id](const boost::system::error_code& ec) {
                                        if (ec) return;  // unwatched
                                        auto watch = watches_.find(id);
                                        if (watch == watches_.end()) return;
                                        // Held here: the callback may unwatch itself.
                                        const std::shared_ptr<std::function<void()>> fn = watch->second.onReadable;
                                        armWatch(id);
                                        runGuarded(*fn, state_);
                                      });
  }

  uint32_t takeId() {
    if (nextId_ == 0) ++nextId_;  // 0 means "no timer" to callers
    return nextId_++;
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::weak_ptr<EventLoop::State> state_;
  std::unordered_map<uint32_t, std::unique_ptr<asio::steady_timer>> timers_;
  struct Watch {
    std::unique_ptr<asio::posix::stream_descriptor> descriptor;
    std::shared_ptr<std::function<void()>> onReadable;
  };
  std::unordered_map<uint32_t, Watch> watches_;
  uint32_t nextId_ = 1;
};

}  // namespace

std::unique_ptr<LoopDriver> makeAsioDriver(std::weak_ptr<EventLoop::State> state) {
  return std::make_unique<AsioDriver>(std::move(state));
}

}  // namespace convox::rtc::detail
