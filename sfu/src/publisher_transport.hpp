#pragma once

// A participant's publisher peer connection, server side: the client offers,
// we answer. Lives on a media thread; everything it reports goes through
// the callbacks, on that thread.
//
// This first step carries the data channels (_reliable, _lossy, _data_track)
// that LiveKit clients open on it; media sections are declined until
// forwarding exists.

#include "media_worker.hpp"
#include "rtc/sdp.hpp"
#include "rtc/webrtc_transport.hpp"

#include <functional>
#include <map>
#include <string>

namespace convox::sfu {

struct PublisherCallbacks {
  std::function<void(std::string sdp, uint32_t id)> answer;
  std::function<void(std::string reason)> failed;
  std::function<void()> connected;
  // A message on _reliable (reliable = true) or _lossy.
  std::function<void(std::string bytes, bool reliable)> data;
};

class PublisherTransport final : public rtc::WebRtcTransportListener {
 public:
  PublisherTransport(MediaWorker& worker, PublisherCallbacks callbacks);

  void handleOffer(const std::string& sdp, uint32_t id);
  // A client's trickled candidate: the JSON of an RTCIceCandidateInit.
  void addRemoteCandidate(const std::string& candidateInitJson);
  // Sends a DataPacket to the client on _reliable or _lossy.
  void sendData(const std::string& bytes, bool reliable);
  void close();

 private:
  void onGatheringDone() override;
  void onTransportState(rtc::TransportState state, const std::string& reason) override;
  void onDataChannelOpen(uint16_t id, const std::string& label, const rtc::DataChannelOptions& options) override;
  void onDataChannelMessage(uint16_t id, std::span<const uint8_t> data, bool binary) override;
  void onDataChannelClosed(uint16_t id) override;

  std::string buildAnswer() const;
  void answerIfReady();

  MediaWorker& worker_;
  PublisherCallbacks callbacks_;
  std::unique_ptr<rtc::WebRtcTransport> transport_;
  rtc::SessionDescription offer_;
  std::optional<uint32_t> pendingAnswerId_;
  bool gathered_ = false;
  std::map<uint16_t, std::string> channels_;  // stream id -> label
};

}  // namespace convox::sfu
