#pragma once

// The utterances a streaming recognizer's socket is still finishing, oldest
// first: each one's end went out (Deepgram's Finalize, Sarvam's flush) and
// its final has not been delivered. The provider answers in order, so what
// it sends belongs to the oldest (oldest()), and the provider says when that
// one is complete (deliverOldest()). One timer watches the oldest one's
// deadline; what an overdue answer means (drop the socket, or take what
// arrived) is the provider's, in onOverdue. Which message completes an
// utterance stays in the provider's file too.
//
// An utterance added without callbacks (cancelled) still takes its answers,
// so they reach no other utterance, and is delivered to no one.

#include "voice/stt_service.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>

namespace convox::voice {

// `Heard` is what a provider gathers for one utterance.
template <class Heard>
class FinishingUtterances {
 public:
  using Clock = std::chrono::steady_clock;

  // `result` makes an utterance's final from what it heard.
  FinishingUtterances(boost::asio::io_context& io, std::function<SttResult(const Heard&)> result,
                      std::function<void()> onOverdue)
      : result_(std::move(result)), onOverdue_(std::move(onOverdue)), timer_(io) {}
  FinishingUtterances(const FinishingUtterances&) = delete;
  FinishingUtterances& operator=(const FinishingUtterances&) = delete;

  bool empty() const { return entries_.empty(); }
  Heard& oldest() { return entries_.front().heard; }

  // An utterance whose end went out now; its answer is due within `timeout`.
  void add(Heard heard, SttCallbacks callbacks, Clock::duration timeout) {
    entries_.push_back({std::move(heard), std::move(callbacks), Clock::now() + timeout});
    if (entries_.size() == 1) arm();
  }

  // The oldest one is done (or failed with `error`): its final is given.
  void deliverOldest(const std::string& error) {
    auto done = std::move(entries_.front());
    entries_.pop_front();
    arm();
    if (done.callbacks.onFinal) done.callbacks.onFinal(result_(done.heard), error);
  }

  // The socket failed: every one is delivered with `error`, oldest first.
  void failAll(const std::string& error) {
    while (!entries_.empty()) deliverOldest(error);
  }

  // Cancel: their answers still land here, and no callback follows.
  void dropCallbacks() {
    for (auto& e : entries_) e.callbacks = {};
  }

  // Close: forgotten, no callback follows.
  void clear() {
    timer_.cancel();
    entries_.clear();
  }

 private:
  struct Entry {
    Heard heard;
    SttCallbacks callbacks;  // empty: cancelled
    Clock::time_point deadline;
  };

  void arm() {
    timer_.cancel();
    if (entries_.empty()) return;
    timer_.expires_at(entries_.front().deadline);
    // A handler already queued when this object goes away still runs once;
    // one queued before a cancel() runs without an error, hence the deadline.
    timer_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](boost::system::error_code ec) {
      if (ec || alive.expired() || entries_.empty() || Clock::now() < entries_.front().deadline) return;
      onOverdue_();
    });
  }

  // Passed by argument.
  std::function<SttResult(const Heard&)> result_;
  std::function<void()> onOverdue_;
  // Allocated by this.
  std::deque<Entry> entries_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace convox::voice
