#pragma once

#include "common/access_token.hpp"
#include "proto/livekit_rtc.pb.h"
#include "sfu/signal_sink.hpp"

#include <functional>
#include <map>
#include <memory>

namespace convox::sfu {

// One participant's state in a room. Lives on the signalling thread.
class Participant {
 public:
  Participant(std::string sid, const common::ClaimGrants& grants, std::shared_ptr<SignalSink> sink, int64_t nowMillis);

  const livekit::ParticipantInfo& info() const { return info_; }
  const std::string& sid() const { return info_.sid(); }
  const std::string& identity() const { return info_.identity(); }
  bool hidden() const { return info_.permission().hidden(); }
  const common::ClaimGrants& grants() const { return grants_; }

  // Applies `change` to the info and bumps its version, so clients accept it.
  template <typename F>
  void update(F&& change) {
    change(info_);
    info_.set_version(info_.version() + 1);
  }

  void send(const livekit::SignalResponse& message);
  void subscribeTrack(const livekit::TrackInfo& track, const std::string& publisherSid) {
    if (sink_) sink_->subscribeTrack(track, publisherSid);
  }
  void setPublishedTrackMuted(const std::string& trackSid, bool muted) {
    if (sink_) sink_->setPublishedTrackMuted(trackSid, muted);
  }
  void unsubscribeTrack(const std::string& trackSid) {
    if (sink_) sink_->unsubscribeTrack(trackSid);
  }

  // The join's auto_subscribe: subscribe to every track published in the room.
  bool autoSubscribe() const { return autoSubscribe_; }
  void setAutoSubscribe(bool on) { autoSubscribe_ = on; }

  // Tracks announced by AddTrackRequest whose section has not been negotiated yet, by cid.
  std::map<std::string, livekit::TrackInfo>& pendingTracks() { return pendingTracks_; }
  const livekit::TrackInfo* findTrack(std::string_view sid) const;
  // Sends a leave with `reason`, then closes the signal connection.
  void disconnect(livekit::DisconnectReason reason, livekit::LeaveRequest::Action action);
  // The signal session serving this participant (null once it left).
  const std::shared_ptr<SignalSink>& sink() const { return sink_; }
  // Forgets the sink (the connection is gone).
  void detach() {
    sink_.reset();
    dataSink_ = nullptr;
  }

  // Where DataPackets for this participant go (its data channels).
  using DataSink = std::function<void(const std::string& bytes, bool reliable)>;
  void setDataSink(DataSink sink) { dataSink_ = std::move(sink); }
  void sendData(const std::string& bytes, bool reliable) {
    if (dataSink_) dataSink_(bytes, reliable);
  }

 private:
  // Passed by argument.
  common::ClaimGrants grants_;
  std::shared_ptr<SignalSink> sink_;
  DataSink dataSink_;
  // Others.
  livekit::ParticipantInfo info_;
  std::map<std::string, livekit::TrackInfo> pendingTracks_;
  bool autoSubscribe_ = true;
};

livekit::ParticipantPermission permissionFromGrants(const common::ClaimGrants& grants);

}  // namespace convox::sfu
