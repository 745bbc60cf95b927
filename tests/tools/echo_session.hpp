#pragma once

// One browser (or client) peer of the echo test server: answers its SDP
// offer, decodes its Opus audio and measures the tone, sends the audio back
// re-encoded on the server's own track, and echoes data-channel messages.

#include "rtc/opus_codec.hpp"
#include "rtc/sdp.hpp"
#include "rtc/webrtc_transport.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace convox::tools {

struct EchoOptions {
  std::vector<std::string> iceAddresses;  // where the server's ICE listens
  std::vector<rtc::SrtpProfile> srtpProfiles;
  // Forward mode sends each packet straight back on our SSRC without
  // decoding: the per-packet path a forwarding server takes, for benchmarks.
  bool forwardOnly = false;
};

class EchoSession final : public rtc::WebRtcTransportListener {
 public:
  // Calls `onAnswer` (on the loop) with the answer SDP, or an error.
  using AnswerCallback = std::function<void(bool ok, std::string sdpOrError)>;

  EchoSession(rtc::EventLoop& loop, std::shared_ptr<const rtc::DtlsCertificate> certificate, EchoOptions options);
  void start(const std::string& offerSdp, AnswerCallback onAnswer);

  double measuredFrequency() const { return measuredHz_; }
  rtc::TransportState state() const { return transport_ ? transport_->state() : rtc::TransportState::New; }
  std::string srtpProfileName() const;

 private:
  void onGatheringDone() override;
  void onTransportState(rtc::TransportState state, const std::string& reason) override;
  void onRtp(std::span<uint8_t> packet) override;
  void forward(std::span<const uint8_t> packet);
  void onDataChannelOpen(uint16_t id, const std::string& label, const rtc::DataChannelOptions& options) override;
  void onDataChannelMessage(uint16_t id, std::span<const uint8_t> data, bool binary) override;

  std::string buildAnswer() const;
  void analyse(std::span<const int16_t> pcm);
  void sendText(uint16_t id, const std::string& text);

  rtc::EventLoop& loop_;
  std::shared_ptr<const rtc::DtlsCertificate> certificate_;
  EchoOptions options_;
  rtc::SessionDescription offer_;
  rtc::SetupRole localSetup_ = rtc::SetupRole::Passive;
  std::unique_ptr<rtc::WebRtcTransport> transport_;
  AnswerCallback onAnswer_;
  uint8_t opusPayloadType_ = 111;
  uint32_t ssrc_;
  uint16_t sequence_ = 0;
  uint32_t timestamp_ = 0;
  std::unique_ptr<rtc::OpusFrameDecoder> decoder_;
  std::unique_ptr<rtc::OpusFrameEncoder> encoder_;
  std::vector<int16_t> pcm_;       // one decoded frame
  std::vector<int16_t> analysis_;  // audio collected for the next measurement
  std::vector<uint8_t> sendBuffer_;
  double measuredHz_ = 0;
  uint64_t framesReceived_ = 0;
  std::vector<uint16_t> channels_;
};

// Dominant frequency of `pcm` (48 kHz mono) between 50 and 4000 Hz.
double dominantFrequency(std::span<const int16_t> pcm);

}  // namespace convox::tools
