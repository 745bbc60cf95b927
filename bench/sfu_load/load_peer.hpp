#pragma once

// One simulated client of a load run, whichever server it talks to
// (convox-server over LiveKit signalling, or Janus's VideoRoom), and what
// all of them share: the run's context, a publisher's 20 ms send grid and
// a subscriber's per-stream counts. Everything runs on the load tool's one
// thread.

#include "rtc/dtls_certificate.hpp"
#include "rtc/event_loop.hpp"
#include "stream_stats.hpp"

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace convox::bench {

// The send-time extension: one-byte form, this id, 8 bytes of steady-clock
// nanoseconds. Convox forwards header extensions untouched, so subscribers
// read the publisher's send time from it (Janus drops extensions it does
// not know: no latency figures there).
inline constexpr uint8_t kSendTimeExtensionId = 14;
inline constexpr uint8_t kOpusPayloadType = 111;

int64_t steadyNanos();

// Shared by every peer of a run.
struct LoadContext {
  rtc::EventLoop* loop = nullptr;
  boost::asio::io_context* io = nullptr;
  std::string url;
  std::string apiKey;
  std::string apiSecret;
  std::string iceAddress;
  std::shared_ptr<const rtc::DtlsCertificate> certificate;
  std::vector<std::vector<uint8_t>> opusFrames;  // 1 s of the tone, looped
  LatencyRecorder latency;
};

class LoadPeer {
 public:
  virtual ~LoadPeer() = default;
  LoadPeer(const LoadPeer&) = delete;
  LoadPeer& operator=(const LoadPeer&) = delete;

  virtual void join() = 0;
  virtual void leave() = 0;
  // Called every few milliseconds: signalling upkeep and media.
  virtual void tick(int64_t nowNanos) = 0;
  virtual bool ready() const = 0;
  const std::string& failure() const { return failure_; }
  const std::string& identity() const { return identity_; }

  // A publisher's count; 0 for a subscriber.
  virtual uint64_t packetsSent() const { return 0; }
  // A subscriber's counts over the measurement window; 0 for a publisher.
  virtual void openWindow() {}
  virtual int64_t expectedInWindow() const { return 0; }
  virtual int64_t receivedInWindow() const { return 0; }

 protected:
  explicit LoadPeer(std::string identity) : identity_(std::move(identity)) {}
  void fail(const std::string& reason) {
    if (failure_.empty()) failure_ = reason;
  }

 private:
  const std::string identity_;
  std::string failure_;
};

// A publisher's 20 ms grid, started at its phase so that the publishers of
// a run are spread as independent clients would be; a stalled machine
// skips ahead rather than bursting.
class OpusPacer {
 public:
  explicit OpusPacer(int64_t phaseNanos) : phaseNanos_(phaseNanos) {}
  // Calls send(frame) for every frame due by `nowNanos`, the frames looped.
  template <typename Send>
  void tick(int64_t nowNanos, const std::vector<std::vector<uint8_t>>& frames, Send&& send) {
    constexpr int64_t kFrameNanos = 20'000'000;
    constexpr int64_t kMaxCatchUpNanos = 200'000'000;
    if (next_ == 0) next_ = nowNanos + phaseNanos_;
    if (nowNanos - next_ > kMaxCatchUpNanos) next_ = nowNanos;
    while (next_ <= nowNanos) {
      send(frames[index_++ % frames.size()]);
      next_ += kFrameNanos;
    }
  }

 private:
  const int64_t phaseNanos_;
  size_t index_ = 0;
  int64_t next_ = 0;
};

// The streams one subscriber receives, by SSRC: counts for loss and the
// window, and forwarding latency from the send-time extension when present.
class ReceivedStreams {
 public:
  void reserve(size_t n) { streams_.reserve(n); }
  // A stream to expect (a subscribed track); packets of unknown SSRCs add one too.
  void expect(uint32_t ssrc) {
    if (!find(ssrc)) streams_.push_back({ssrc, {}});
  }
  void onPacket(uint32_t ssrc, uint16_t sequence, std::optional<int64_t> sentNanos, int64_t nowNanos,
                LatencyRecorder& latency) {
    StreamCounter* counter = find(ssrc);
    if (!counter) {
      streams_.push_back({ssrc, {}});
      counter = &streams_.back().counter;
    }
    counter->onPacket(sequence);
    if (sentNanos) latency.record(nowNanos - *sentNanos);
  }
  size_t live() const {
    size_t n = 0;
    for (const auto& s : streams_) n += s.counter.started() ? 1 : 0;
    return n;
  }
  void openWindow() {
    for (auto& s : streams_) s.counter.openWindow();
  }
  int64_t expectedInWindow() const {
    int64_t n = 0;
    for (const auto& s : streams_) n += s.counter.expectedInWindow();
    return n;
  }
  int64_t receivedInWindow() const {
    int64_t n = 0;
    for (const auto& s : streams_) n += s.counter.receivedInWindow();
    return n;
  }

 private:
  struct Stream {
    uint32_t ssrc = 0;
    StreamCounter counter;
  };
  StreamCounter* find(uint32_t ssrc) {
    for (auto& s : streams_) {
      if (s.ssrc == ssrc) return &s.counter;
    }
    return nullptr;
  }
  std::vector<Stream> streams_;
};

}  // namespace convox::bench
