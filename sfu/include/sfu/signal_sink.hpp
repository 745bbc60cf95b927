#pragma once

#include "proto/livekit_rtc.pb.h"

#include <cstdint>
#include <string>

namespace convox::sfu {

// Where a participant's signal messages go: the WebSocket in production, a
// recorder in unit tests.
class SignalSink {
 public:
  virtual ~SignalSink() = default;
  virtual void send(const livekit::SignalResponse& message) = 0;
  virtual void close(uint16_t code, std::string reason) = 0;
  // The room subscribes this participant to `track` of `publisherSid`, or
  // ends that subscription; the participant's media transport carries it out.
  virtual void subscribeTrack(const livekit::TrackInfo& /*track*/, const std::string& /*publisherSid*/) {}
  virtual void unsubscribeTrack(const std::string& /*trackSid*/) {}
  // One of this participant's published tracks was muted or unmuted (by the
  // client or through RoomService): its forwarding pauses or resumes.
  virtual void setPublishedTrackMuted(const std::string& /*trackSid*/, bool /*muted*/) {}
};

}  // namespace convox::sfu
