// Track subscription permissions (livekit-client's
// setTrackSubscriptionPermissions): a publisher says who may subscribe to
// which of its tracks; everyone may until it first says otherwise.
#include "common/logging.hpp"
#include "participant.hpp"
#include "room.hpp"
#include "sfu/room_manager.hpp"

namespace convox::sfu {

namespace {

void tellSubscriber(Participant& subscriber, const Participant& publisher, const std::string& trackSid, bool allowed) {
  livekit::SignalResponse msg;
  auto& update = *msg.mutable_subscription_permission_update();
  update.set_participant_sid(publisher.sid());
  update.set_track_sid(trackSid);
  update.set_allowed(allowed);
  subscriber.send(msg);
}

void subscribe(Participant& subscriber, Participant& publisher, const livekit::TrackInfo& track) {
  subscriber.subscribeTrack(track, publisher.sid());
  // The publisher hears of its track's first subscriber (livekit-client's
  // LocalTrackSubscribed), as from LiveKit.
  if (!publisher.markSubscribed(track.sid())) return;
  livekit::SignalResponse msg;
  msg.mutable_track_subscribed()->set_track_sid(track.sid());
  publisher.send(msg);
}

}  // namespace

void RoomManager::subscribeIfAllowed(Participant& subscriber, Participant& publisher, const livekit::TrackInfo& track) {
  if (publisher.allowsSubscriber(subscriber, track.sid())) return subscribe(subscriber, publisher, track);
  if (subscriber.refused(track.sid())) return;
  subscriber.setRefused(track.sid(), true);
  tellSubscriber(subscriber, publisher, track.sid(), false);
}

void RoomManager::updateSubscriptionPermission(const std::shared_ptr<Participant>& publisher,
                                               const livekit::SubscriptionPermission& permission) {
  Room* room = roomOf(publisher);
  if (!room) return;
  publisher->setSubscriptionPermission(permission);
  for (const auto& other : room->participants()) {
    if (other == publisher) continue;
    for (const auto& track : publisher->info().tracks()) {
      const bool allowed = publisher->allowsSubscriber(*other, track.sid());
      if (!allowed && other->subscribedTo(track.sid())) {
        common::logger("room")->debug("room {}: {} no longer allows {} to subscribe to {}", room->info().name(),
                                      publisher->identity(), other->identity(), track.sid());
        other->unsubscribeTrack(track.sid());
        other->setRefused(track.sid(), true);
        tellSubscriber(*other, *publisher, track.sid(), false);
      } else if (allowed && other->refused(track.sid())) {
        subscribe(*other, *publisher, track);
        tellSubscriber(*other, *publisher, track.sid(), true);
      }
    }
  }
}

}  // namespace convox::sfu
