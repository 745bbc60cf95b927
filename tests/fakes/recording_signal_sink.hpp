#pragma once

#include "sfu/signal_sink.hpp"

#include <string>
#include <vector>

namespace convox::testing {

// Records what the server would have sent to one client.
class RecordingSignalSink : public sfu::SignalSink {
 public:
  void send(const livekit::SignalResponse& message) override { sent.push_back(message); }
  void close(uint16_t code, std::string reason) override {
    closed = true;
    closeCode = code;
    closeReason = std::move(reason);
  }

  void subscribeTrack(const livekit::TrackInfo& track, const std::string& publisherSid) override {
    subscribed.push_back(publisherSid + "/" + track.sid());
  }
  void unsubscribeTrack(const std::string& trackSid) override { unsubscribed.push_back(trackSid); }
  void setPublishedTrackMuted(const std::string& trackSid, bool muted) override {
    mediaMuted.push_back((muted ? "muted " : "unmuted ") + trackSid);
  }

  // Messages of one kind, in order.
  std::vector<livekit::SignalResponse> of(livekit::SignalResponse::MessageCase kind) const {
    std::vector<livekit::SignalResponse> out;
    for (const auto& m : sent) {
      if (m.message_case() == kind) out.push_back(m);
    }
    return out;
  }

  std::vector<livekit::SignalResponse> sent;
  std::vector<std::string> subscribed;  // "PA_publisher/TR_track"
  std::vector<std::string> unsubscribed;
  std::vector<std::string> mediaMuted;  // "muted TR_track" / "unmuted TR_track"
  bool closed = false;
  uint16_t closeCode = 0;
  std::string closeReason;
};

}  // namespace convox::testing
