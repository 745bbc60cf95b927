#pragma once

// A participant that only subscribes (auto_subscribe=1): it counts the
// packets of each forwarded stream and records each packet's forwarding
// latency from the publisher's send-time extension.

#include "livekit_participant.hpp"

namespace convox::bench {

class LivekitSubscriber final : public LivekitParticipant {
 public:
  LivekitSubscriber(LoadContext& context, std::string room, std::string identity, size_t expectedStreams);

  void tick(int64_t) override {}
  bool ready() const override { return streams_.live() >= expectedStreams_; }
  void openWindow() override { streams_.openWindow(); }
  int64_t expectedInWindow() const override { return streams_.expectedInWindow(); }
  int64_t receivedInWindow() const override { return streams_.receivedInWindow(); }

 private:
  bool autoSubscribe() const override { return true; }
  void onTrackSubscribed(const client::RemoteTrack& track) override { streams_.expect(track.ssrc); }
  void onRtp(const client::RemoteTrack& track, const rtc::RtpPacketView& packet) override;

  const size_t expectedStreams_;
  ReceivedStreams streams_;
};

}  // namespace convox::bench
