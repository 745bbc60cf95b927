#pragma once

// The subscriber peer connection, client side: the server offers the
// tracks we receive (one sendonly section each), we answer recvonly. The
// transport starts with the first offer; offers wait for our gathering.

#include "client/room.hpp"
#include "rtc/receive_stats.hpp"
#include "rtc/webrtc_transport.hpp"

#include <memory>
#include <optional>

namespace convox::client {

class SubscriberConnection final : public rtc::WebRtcTransportListener {
 public:
  explicit SubscriberConnection(Room& room);
  ~SubscriberConnection() override;

  void onOffer(const livekit::SessionDescription& offer);
  void addRemoteCandidate(const std::string& candidate);
  void close();
  bool connected() const { return connected_; }
  const std::vector<RemoteTrack>& tracks() const { return tracks_; }
  // A participant's identity became known: fill it into its tracks.
  void learnIdentity(const std::string& participantSid, const std::string& identity);

 private:
  void onGatheringDone() override;
  void onTransportState(rtc::TransportState state, const std::string& reason) override;
  void onRtp(std::span<uint8_t> packet) override;
  void onDataChannelMessage(uint16_t id, std::span<const uint8_t> data, bool binary) override;

  void answerPending();
  std::string buildAnswer(const rtc::SessionDescription& offer);
  void reconcileTracks(const rtc::SessionDescription& offer, const livekit::SessionDescription& message);
  void sendReceiverReports();

  struct Received {
    uint32_t ssrc = 0;
    rtc::ReceiveStats stats;
  };

  Room& room_;
  std::unique_ptr<rtc::WebRtcTransport> transport_;
  bool gathered_ = false;
  bool connected_ = false;
  std::optional<livekit::SessionDescription> pending_;
  std::vector<RemoteTrack> tracks_;
  std::vector<Received> received_;  // parallel to tracks_
  uint32_t localSsrc_ = 0;
  uint32_t reportTimer_ = 0;
  std::vector<uint8_t> rtcpBuffer_ = std::vector<uint8_t>(1500);
};

}  // namespace convox::client
