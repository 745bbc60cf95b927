#pragma once

#include "common/access_token.hpp"
#include "proto/livekit_rtc.pb.h"
#include "sfu/signal_sink.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>

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
  // Subscriptions go through RoomManager, which checks the publisher's
  // subscription permissions first.
  void subscribeTrack(const livekit::TrackInfo& track, const std::string& publisherSid) {
    subscribed_.insert(track.sid());
    refused_.erase(track.sid());
    if (sink_) sink_->subscribeTrack(track, publisherSid);
  }
  void setPublishedTrackMuted(const std::string& trackSid, bool muted) {
    if (sink_) sink_->setPublishedTrackMuted(trackSid, muted);
  }
  void unsubscribeTrack(const std::string& trackSid) {
    subscribed_.erase(trackSid);
    if (sink_) sink_->unsubscribeTrack(trackSid);
  }
  bool subscribedTo(const std::string& trackSid) const { return subscribed_.contains(trackSid); }
  // Tracks this participant wanted but their publisher does not allow it:
  // subscribed to as soon as it does.
  bool refused(const std::string& trackSid) const { return refused_.contains(trackSid); }
  void setRefused(const std::string& trackSid, bool refused) {
    if (refused) {
      refused_.insert(trackSid);
    } else {
      refused_.erase(trackSid);
    }
  }
  // The track is gone from the room.
  void forgetTrack(const std::string& trackSid) {
    subscribed_.erase(trackSid);
    refused_.erase(trackSid);
    everSubscribed_.erase(trackSid);
  }

  // UpdateSubscriptionPermissions: who may subscribe to this participant's
  // tracks (everyone until the first one).
  void setSubscriptionPermission(livekit::SubscriptionPermission permission) {
    subscriptionPermission_ = std::move(permission);
  }
  bool allowsSubscriber(const Participant& subscriber, const std::string& trackSid) const;
  // One of this participant's tracks got a subscriber; true the first time.
  bool markSubscribed(const std::string& ownTrackSid) { return everSubscribed_.insert(ownTrackSid).second; }

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
  std::set<std::string> subscribed_;      // track sids
  std::set<std::string> refused_;         // track sids
  std::set<std::string> everSubscribed_;  // own track sids that have had a subscriber
  std::optional<livekit::SubscriptionPermission> subscriptionPermission_;
  bool autoSubscribe_ = true;
};

livekit::ParticipantPermission permissionFromGrants(const common::ClaimGrants& grants);

}  // namespace convox::sfu
