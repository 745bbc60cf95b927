#pragma once

// One media thread: an rtc::EventLoop that owns its calls (rooms,
// transports, audio) and drives an io_context for their signalling and
// HTTP, so nothing a call touches is shared with another thread.

#include "client/io_pump.hpp"
#include "rtc/event_loop.hpp"

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace convox::worker {

class CallSession;
class ControlApiClient;

class MediaThread {
 public:
  explicit MediaThread(unsigned index);
  ~MediaThread();
  MediaThread(const MediaThread&) = delete;
  MediaThread& operator=(const MediaThread&) = delete;

  void post(std::function<void()> task) { loop_.post(std::move(task)); }
  rtc::EventLoop& loop() { return loop_; }
  boost::asio::io_context& io() { return io_; }
  unsigned index() const { return index_; }

  // On this thread only.
  std::map<std::string, std::unique_ptr<CallSession>>& sessions() { return sessions_; }

  // Keeps a finished call's control API client until its queue is
  // delivered (or a minute has passed). On this thread only.
  void linger(std::unique_ptr<ControlApiClient> client);
  // Of those, how many still have posts to deliver.
  size_t lingeringCount() const;

  // Read from any thread: placement picks the least loaded.
  std::atomic<unsigned> jobCount{0};

 private:
  const unsigned index_;
  rtc::EventLoop loop_;
  boost::asio::io_context io_;
  std::map<std::string, std::unique_ptr<CallSession>> sessions_;
  struct Lingering {
    std::unique_ptr<ControlApiClient> client;
    std::chrono::steady_clock::time_point since;
  };
  std::vector<Lingering> lingering_;
  uint32_t lingerTimer_ = 0;
  void sweepLingering();
  std::unique_ptr<client::IoPump> pump_;
  std::thread thread_;
};

}  // namespace convox::worker
