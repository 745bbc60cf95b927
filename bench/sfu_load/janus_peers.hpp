#pragma once

// Simulated clients of Janus's VideoRoom plugin, so that one generator,
// with the same media, RTCP and transport code, drives both Convox and
// Janus. A publisher creates its room if it is not there yet, then joins
// and publishes one Opus track (joinandconfigure with our offer). A
// subscriber waits until the room's publishers are publishing, then joins
// with one stream per feed, answers Janus's offer and starts.

#include "janus_session.hpp"
#include "load_peer.hpp"
#include "rtc/receive_stats.hpp"
#include "rtc/sdp.hpp"
#include "rtc/webrtc_transport.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace convox::bench {

// What both kinds share: the session and its handle, one peer connection,
// and a report every second (SR or RR) as a browser sends.
class JanusPeer : public LoadPeer, public rtc::WebRtcTransportListener {
 public:
  void join() override;
  void leave() override;

 protected:
  JanusPeer(LoadContext& context, uint64_t room, std::string identity);
  ~JanusPeer() override;

  // Once the handle is attached.
  virtual void onAttached() = 0;
  virtual void sendReport(std::span<uint8_t> buffer) = 0;
  // Once per tick: keepalives and the report timer; true while the peer connection is up.
  bool upkeep(int64_t nowNanos);
  bool startTransport(rtc::IceRole role);
  // The SDP of a plugin's reply to `request`, parsed; nullopt (and the run
  // failed) on a plugin error, no SDP or a bad one.
  std::optional<rtc::SessionDescription> describedBy(const boost::json::object& reply, rtc::SdpType type,
                                                     const std::string& request);
  void onTransportState(rtc::TransportState state, const std::string& reason) override;

  LoadContext& context_;
  const uint64_t room_;
  std::unique_ptr<JanusSession> session_;
  uint64_t handle_ = 0;
  std::unique_ptr<rtc::WebRtcTransport> transport_;
  bool gathered_ = false;
  bool connected_ = false;

 private:
  void onGatheringDone() override { gathered_ = true; }
  void onHandleEvent(const boost::json::object& message);

  int64_t nextReport_ = 0;
  std::vector<uint8_t> rtcpBuffer_ = std::vector<uint8_t>(1500);
  bool left_ = false;
};

class JanusPublisher final : public JanusPeer {
 public:
  JanusPublisher(LoadContext& context, uint64_t room, int publishersPerRoom, std::string identity, int64_t phaseNanos);

  void tick(int64_t nowNanos) override;
  bool ready() const override { return sent_ > 0; }
  uint64_t packetsSent() const override { return sent_; }

 private:
  void onAttached() override;
  void publish();
  std::string buildOffer() const;
  void sendFrame(const std::vector<uint8_t>& frame);
  void sendReport(std::span<uint8_t> buffer) override;

  const int publishersPerRoom_;
  OpusPacer pacer_;
  bool offered_ = false;
  bool answered_ = false;
  uint32_t ssrc_;
  uint16_t sequence_ = 0;
  uint32_t timestamp_ = 0;
  uint64_t sent_ = 0;
  uint64_t octets_ = 0;
  std::vector<uint8_t> packet_ = std::vector<uint8_t>(1500);
};

class JanusSubscriber final : public JanusPeer {
 public:
  JanusSubscriber(LoadContext& context, uint64_t room, std::string identity, size_t expectedStreams);

  void tick(int64_t nowNanos) override;
  bool ready() const override { return streams_.live() >= expectedStreams_; }
  void openWindow() override { streams_.openWindow(); }
  int64_t expectedInWindow() const override { return streams_.expectedInWindow(); }
  int64_t receivedInWindow() const override { return streams_.receivedInWindow(); }

 private:
  void onAttached() override {}
  void askForPublishers(int64_t nowNanos);
  void subscribe(const std::vector<uint64_t>& feeds);
  void answer();
  void onRtp(std::span<uint8_t> packet) override;
  void sendReport(std::span<uint8_t> buffer) override;

  const size_t expectedStreams_;
  ReceivedStreams streams_;
  std::vector<rtc::ReceiveStats> stats_;  // RR blocks, one per stream
  int64_t nextListing_ = 0;
  bool listing_ = false;
  bool joined_ = false;
  std::optional<rtc::SessionDescription> offer_;
  bool answered_ = false;
  uint32_t localSsrc_;
};

}  // namespace convox::bench
