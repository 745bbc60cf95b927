#pragma once

// A participant that publishes one audio track: AddTrackRequest, then a
// publisher offer with one sendonly Opus section, then 50 packets/s of
// pre-encoded tone, each stamped with its send time.

#include "load_participant.hpp"

#include <array>

namespace convox::bench {

class LoadPublisher final : public LoadParticipant {
 public:
  // `phaseNanos` staggers this publisher's 20 ms grid against the others'.
  LoadPublisher(LoadContext& context, std::string room, std::string identity, int64_t phaseNanos);

  void tick(int64_t nowNanos) override;
  bool ready() const override { return connected() && packetsSent_ > 0; }
  uint64_t packetsSent() const { return packetsSent_; }

 private:
  bool autoSubscribe() const override { return false; }
  void onJoined() override;
  void onSignal(const livekit::SignalResponse& message) override;
  void onGatheringDone() override;
  void onRtcpDue() override;
  void offerIfReady();
  void applyAnswer(const std::string& sdp);
  std::string buildOffer() const;
  void sendFrame(int64_t nowNanos);

  const std::string cid_;
  const int64_t phaseNanos_;
  std::string trackSid_;
  bool offered_ = false;
  uint32_t ssrc_ = 0;
  uint16_t sequence_ = 0;
  uint32_t timestamp_ = 0;
  size_t frameIndex_ = 0;
  int64_t nextFrameNanos_ = 0;
  uint64_t packetsSent_ = 0;
  uint64_t octetsSent_ = 0;
  std::array<uint8_t, 1500> packet_{};
};

}  // namespace convox::bench
