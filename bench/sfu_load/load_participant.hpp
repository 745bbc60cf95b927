#pragma once

// One simulated SDK participant: a signal connection and one peer
// connection on rtc/ in the client role (full controlling ICE agent). A
// publisher only publishes (auto_subscribe=0), so its one connection is the
// publisher PC; a subscriber never publishes, so its one connection is the
// subscriber PC. Everything runs on the load tool's single thread.

#include "rtc/event_loop.hpp"
#include "rtc/sdp.hpp"
#include "rtc/sdp_transport.hpp"
#include "rtc/webrtc_transport.hpp"
#include "signal_client.hpp"
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
inline constexpr uint8_t kMidExtensionId = 4;

// Shared by every participant of a run.
struct LoadContext {
  rtc::EventLoop* loop = nullptr;
  boost::asio::io_context* io = nullptr;
  SignalEndpoint endpoint;
  std::string apiKey;
  std::string apiSecret;
  std::string iceAddress;
  std::shared_ptr<const rtc::DtlsCertificate> certificate;
  std::vector<std::vector<uint8_t>> opusFrames;  // 1 s of the tone, looped
  LatencyRecorder latency;
};

int64_t steadyNanos();

class LoadParticipant : public rtc::WebRtcTransportListener {
 public:
  LoadParticipant(LoadContext& context, std::string room, std::string identity);
  ~LoadParticipant() override;
  LoadParticipant(const LoadParticipant&) = delete;
  LoadParticipant& operator=(const LoadParticipant&) = delete;

  void join();
  void leave();
  // Called every few milliseconds: keep-alive pings, RTCP, media.
  virtual void tick(int64_t nowNanos);
  virtual bool ready() const = 0;
  const std::string& failure() const { return failure_; }
  const std::string& identity() const { return identity_; }
  bool connected() const { return state_ == rtc::TransportState::Connected; }

 protected:
  virtual bool autoSubscribe() const = 0;
  virtual void onJoined() {}
  virtual void onSignal(const livekit::SignalResponse& message) = 0;
  virtual void onRtcpDue() {}

  void send(const livekit::SignalRequest& request);
  bool startTransport();
  // Our ICE and DTLS attributes and candidates on a section we write.
  void describeTransport(rtc::MediaSection& section, rtc::SetupRole setup) const;
  // The peer's ICE credentials, fingerprint and candidates from its description.
  bool applyRemoteDescription(const rtc::SessionDescription& remote, rtc::SdpType type, rtc::SetupRole localSetup);
  void fail(const std::string& reason);

  void onGatheringDone() override;
  void onTransportState(rtc::TransportState state, const std::string& reason) override;

  LoadContext& context_;
  std::unique_ptr<rtc::WebRtcTransport> transport_;
  bool gathered_ = false;
  rtc::TransportState state_ = rtc::TransportState::New;
  std::vector<uint8_t> rtcpBuffer_ = std::vector<uint8_t>(1500);

 private:
  void onSignalMessage(const livekit::SignalResponse& message);
  void onTrickle(const livekit::TrickleRequest& trickle);

  const std::string room_;
  const std::string identity_;
  std::shared_ptr<SignalClient> signal_;
  std::string failure_;
  bool left_ = false;
  int64_t pingIntervalNanos_ = 0;
  int64_t nextPingNanos_ = 0;
  int64_t nextRtcpNanos_ = 0;
};

}  // namespace convox::bench
