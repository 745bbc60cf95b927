#pragma once

// A participant that only subscribes (auto_subscribe=1): it answers the
// server's subscriber offers (a=setup:active, we are the controlling ICE
// agent against the ICE-lite server), counts the packets of each forwarded
// stream and records each packet's forwarding latency.

#include "load_participant.hpp"

#include <optional>

namespace convox::bench {

class LoadSubscriber final : public LoadParticipant {
 public:
  LoadSubscriber(LoadContext& context, std::string room, std::string identity, size_t expectedStreams);

  bool ready() const override;
  void openWindow();
  int64_t expectedInWindow() const;
  int64_t receivedInWindow() const;
  size_t liveStreams() const;

 private:
  struct Stream {
    uint32_t ssrc = 0;
    std::string trackSid;
    StreamCounter counter;
  };

  bool autoSubscribe() const override { return true; }
  void onSignal(const livekit::SignalResponse& message) override;
  void onGatheringDone() override;
  void onRtp(std::span<uint8_t> packet) override;
  void onRtcpDue() override;
  void answerPending();
  std::string buildAnswer(const rtc::SessionDescription& offer) const;

  const size_t expectedStreams_;
  uint32_t ssrc_ = 0;
  bool remoteApplied_ = false;
  std::optional<livekit::SessionDescription> pendingOffer_;
  std::vector<Stream> streams_;
};

}  // namespace convox::bench
