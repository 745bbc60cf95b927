#pragma once

// One simulated SDK participant: a client::Room (the client library, as the
// worker uses it) in the client role against the SFU. A publisher only
// publishes (auto_subscribe=0, no data channels), so it has one peer
// connection, the publisher; a subscriber never publishes, so its one
// connection is the subscriber. Everything runs on the load tool's single
// thread.

#include "client/room.hpp"
#include "rtc/event_loop.hpp"
#include "stream_stats.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace convox::bench {

// The send-time extension: one-byte form, this id, 8 bytes of steady-clock
// nanoseconds. The SFU forwards header extensions untouched, so subscribers
// read the publisher's send time from it.
inline constexpr uint8_t kSendTimeExtensionId = 14;

// Shared by every participant of a run.
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

int64_t steadyNanos();

class LoadParticipant : public client::RoomListener {
 public:
  LoadParticipant(LoadContext& context, std::string room, std::string identity);
  ~LoadParticipant() override;
  LoadParticipant(const LoadParticipant&) = delete;
  LoadParticipant& operator=(const LoadParticipant&) = delete;

  void join();
  void leave();
  // Called every few milliseconds: media.
  virtual void tick(int64_t /*nowNanos*/) {}
  virtual bool ready() const = 0;
  const std::string& failure() const { return failure_; }
  const std::string& identity() const { return identity_; }

 protected:
  virtual bool autoSubscribe() const = 0;
  void fail(const std::string& reason);
  void onDisconnected(const std::string& reason) override;

  LoadContext& context_;
  std::unique_ptr<client::Room> room_;

 private:
  const std::string roomName_;
  const std::string identity_;
  std::string failure_;
  bool left_ = false;
};

}  // namespace convox::bench
