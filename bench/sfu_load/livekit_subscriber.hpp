#pragma once

// A participant that only subscribes (auto_subscribe=1): it counts the
// packets of each forwarded stream and records each packet's forwarding
// latency from the publisher's send-time extension.

#include "load_participant.hpp"

namespace convox::bench {

class LoadSubscriber final : public LoadParticipant {
 public:
  LoadSubscriber(LoadContext& context, std::string room, std::string identity, size_t expectedStreams);

  bool ready() const override { return liveStreams() >= expectedStreams_; }
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
  void onTrackSubscribed(const client::RemoteTrack& track) override;
  void onRtp(const client::RemoteTrack& track, const rtc::RtpPacketView& packet) override;

  const size_t expectedStreams_;
  std::vector<Stream> streams_;
};

}  // namespace convox::bench
