#include "media_thread.hpp"

#include "call_session.hpp"
#include "common/logging.hpp"
#include "control_api_client.hpp"

#include <algorithm>

namespace convox::worker {

MediaThread::MediaThread(unsigned index) : index_(index) {
  loop_.setExceptionHandler([index](std::string_view what) {
    common::logger("worker")->error("media thread {}: a task threw ({}); the thread carries on", index, what);
  });
  thread_ = std::thread([this] {
    pump_ = std::make_unique<client::IoPump>(loop_, io_);
    loop_.run();
    sessions_.clear();
    lingering_.clear();
    pump_.reset();
  });
}

MediaThread::~MediaThread() {
  loop_.post([this] {
    sessions_.clear();
    if (lingerTimer_) loop_.cancelTimer(std::exchange(lingerTimer_, 0));
    loop_.stop();
  });
  if (thread_.joinable()) thread_.join();
}

void MediaThread::linger(std::unique_ptr<ControlApiClient> client) {
  if (!client || client->queued() == 0) return;
  lingering_.push_back({std::move(client), std::chrono::steady_clock::now()});
  if (!lingerTimer_) lingerTimer_ = loop_.addTimer(std::chrono::seconds(1), [this] { sweepLingering(); });
}

size_t MediaThread::lingeringCount() const {
  return static_cast<size_t>(
      std::count_if(lingering_.begin(), lingering_.end(), [](const Lingering& l) { return l.client->queued() > 0; }));
}

void MediaThread::sweepLingering() {
  lingerTimer_ = 0;
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(lingering_,
                [&](const Lingering& l) { return l.client->queued() == 0 || now - l.since > std::chrono::minutes(1); });
  if (!lingering_.empty()) lingerTimer_ = loop_.addTimer(std::chrono::seconds(1), [this] { sweepLingering(); });
}

}  // namespace convox::worker
