#pragma once

// A participant that publishes one Opus microphone track (a looped tone) at
// 20 ms and stamps each packet with its send time.

#include "livekit_participant.hpp"

namespace convox::bench {

class LivekitPublisher final : public LivekitParticipant {
 public:
  LivekitPublisher(LoadContext& context, std::string room, std::string identity, int64_t phaseNanos);

  void tick(int64_t nowNanos) override;
  bool ready() const override { return packetsSent() > 0; }
  uint64_t packetsSent() const override { return track_ ? track_->packetsSent() : 0; }

 private:
  bool autoSubscribe() const override { return false; }
  void onJoined(const livekit::JoinResponse& join) override;
  void onSignal(const livekit::SignalResponse& message) override;

  OpusPacer pacer_;
  client::LocalAudioTrack* track_ = nullptr;
};

}  // namespace convox::bench
