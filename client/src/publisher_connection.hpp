#pragma once

// The publisher peer connection, client side: we offer (ids 1, 2, ...),
// the server answers. It carries our audio tracks and the data channels.
// One negotiation at a time: a change while an offer is out waits for its
// answer.

#include "client/room.hpp"
#include "rtc/webrtc_transport.hpp"

#include <map>
#include <memory>
#include <optional>

namespace convox::client {

class PublisherConnection final : public rtc::WebRtcTransportListener {
 public:
  explicit PublisherConnection(Room& room);
  ~PublisherConnection() override;

  bool start(std::string& error);
  // Something to (re)negotiate: a track was published, or the first offer.
  void negotiate();
  void onAnswer(const livekit::SessionDescription& answer);
  // New local ICE credentials in the next offer (after a resume whose
  // media path broke, as the SDKs restart it).
  void restartIce();
  void addRemoteCandidate(const std::string& candidate);
  bool sendData(const std::string& bytes, bool reliable);
  bool sendRtp(std::span<uint8_t> buffer, size_t length);
  bool connected() const { return state_ == rtc::TransportState::Connected; }
  bool dataReady() const { return connected() && reliable_.has_value(); }
  void close();

 private:
  void onGatheringDone() override;
  void onTransportState(rtc::TransportState state, const std::string& reason) override;
  void onDataChannelOpen(uint16_t id, const std::string& label, const rtc::DataChannelOptions& options) override;
  void onDataChannelMessage(uint16_t id, std::span<const uint8_t> data, bool binary) override;
  void onDataChannelClosed(uint16_t id) override;
  void onRtcp(std::span<uint8_t> packet) override;

  std::string buildOffer();
  void sendSenderReports();

  Room& room_;
  std::unique_ptr<rtc::WebRtcTransport> transport_;
  rtc::TransportState state_ = rtc::TransportState::New;
  bool gathered_ = false;
  bool wanted_ = false;  // a negotiation is due
  bool awaitingAnswer_ = false;
  uint32_t offerId_ = 0;
  uint32_t nextMid_ = 0;
  std::optional<uint16_t> reliable_;
  std::optional<uint16_t> lossy_;
  std::string dataMid_;
  std::map<uint16_t, bool> channels_;  // stream id -> reliable
  uint32_t reportTimer_ = 0;
  std::vector<uint8_t> rtcpBuffer_ = std::vector<uint8_t>(1500);
};

}  // namespace convox::client
