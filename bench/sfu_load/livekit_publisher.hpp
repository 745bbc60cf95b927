#pragma once

// A participant that publishes one Opus microphone track (a looped tone) at
// 20 ms and stamps each packet with its send time.

#include "load_participant.hpp"

namespace convox::bench {

class LoadPublisher final : public LoadParticipant {
 public:
  LoadPublisher(LoadContext& context, std::string room, std::string identity, int64_t phaseNanos);

  void tick(int64_t nowNanos) override;
  bool ready() const override { return packetsSent() > 0; }
  uint64_t packetsSent() const { return track_ ? track_->packetsSent() : 0; }

 private:
  bool autoSubscribe() const override { return false; }
  void onJoined(const livekit::JoinResponse& join) override;
  void onSignal(const livekit::SignalResponse& message) override;

  const int64_t phaseNanos_;
  client::LocalAudioTrack* track_ = nullptr;
  size_t frameIndex_ = 0;
  int64_t nextFrameNanos_ = 0;
};

}  // namespace convox::bench
