#pragma once

// Rooms and their participants. Every method runs on the signalling thread
// (the io_context given at construction); media threads arrive with rtc/.

#include "common/access_token.hpp"
#include "common/config.hpp"
#include "proto/livekit_room.pb.h"
#include "proto/livekit_rtc.pb.h"
#include "sfu/room_events.hpp"

#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <boost/asio/io_context.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace convox::sfu {

class MediaRoom;
class Participant;
class Room;
class SignalSink;

struct AdmitError {
  unsigned httpStatus;  // 404 room missing, 503 room full
  std::string message;
};

class RoomManager {
 public:
  RoomManager(boost::asio::io_context& io, common::RoomDefaults defaults, prometheus::Registry& metrics);
  ~RoomManager();
  RoomManager(const RoomManager&) = delete;
  RoomManager& operator=(const RoomManager&) = delete;

  void addListener(RoomEventListener* listener) { listeners_.push_back(listener); }

  // Whether a participant holding `grants` (already checked for roomJoin)
  // may join now.
  std::optional<AdmitError> admit(const common::ClaimGrants& grants) const;

  // RoomService.
  livekit::Room createRoom(const livekit::CreateRoomRequest& request);  // existing room if present
  std::vector<livekit::Room> listRooms(const std::vector<std::string>& names) const;
  bool deleteRoom(const std::string& name);
  std::optional<std::vector<livekit::ParticipantInfo>> listParticipants(const std::string& room) const;
  std::optional<livekit::ParticipantInfo> getParticipant(const std::string& room, const std::string& identity) const;
  bool removeParticipant(const std::string& room, const std::string& identity);
  // Why a name/metadata/attributes update was refused, as LiveKit answers it.
  struct UpdateRefusal {
    enum class Reason { NotFound, NotAllowed, LimitExceeded };
    Reason reason;
    std::string message;
  };
  std::variant<livekit::ParticipantInfo, UpdateRefusal> updateParticipant(
      const livekit::UpdateParticipantRequest& request);
  std::optional<livekit::Room> updateRoomMetadata(const std::string& room, const std::string& metadata);
  // RoomService MutePublishedTrack: the track with its new state, or the
  // error (not_found, or failed_precondition for an unmute the room does not
  // allow). The publisher is told to (un)mute; its SDK confirms as usual.
  struct MuteRefusal {
    bool notFound = true;
    std::string message;
  };
  std::variant<livekit::TrackInfo, MuteRefusal> mutePublishedTrack(const livekit::MuteRoomTrackRequest& request);
  // RoomService SendData: delivers a server-made DataPacket; false if the room is unknown.
  bool sendData(const livekit::SendDataRequest& request);

  size_t roomCount() const { return rooms_.size(); }
  size_t participantCount() const;

  // Signalling, used by the signal service.
  struct Joined {
    std::shared_ptr<Participant> participant;
    livekit::Room room;
    std::vector<livekit::ParticipantInfo> others;
    std::shared_ptr<MediaRoom> media;  // the room's media state; use it on the media thread only
  };
  std::variant<Joined, AdmitError> join(const common::ClaimGrants& grants, std::shared_ptr<SignalSink> sink);
  void leave(const std::shared_ptr<Participant>& participant, livekit::DisconnectReason reason);
  // A signal resume (`reconnect=1&sid=...`): the session of that participant
  // if it is still in the room, else null.
  std::shared_ptr<SignalSink> sessionFor(const std::string& room, const std::string& identity,
                                         const std::string& sid) const;
  bool inRoom(const std::shared_ptr<Participant>& participant) const { return roomOf(participant) != nullptr; }
  // A participant's own metadata/name/attributes request: nullopt once applied
  // (and echoed), else why not (no canUpdateOwnMetadata, or over a limit).
  std::optional<UpdateRefusal> updateOwnMetadata(const std::shared_ptr<Participant>& participant,
                                                 const livekit::UpdateParticipantMetadata& request);
  // A DataPacket a participant sent on _reliable/_lossy: stamped with the
  // sender and delivered to its destinations (everyone else if none).
  void forwardData(const std::shared_ptr<Participant>& sender, const std::string& bytes, bool reliable);

  // Tracks (room_tracks.cpp). An AddTrackRequest: the TrackInfo to answer
  // with, or why it is refused.
  std::variant<livekit::TrackInfo, std::string> addTrack(const std::shared_ptr<Participant>& participant,
                                                         const livekit::AddTrackRequest& request);
  // The media thread negotiated the track's section: it is published.
  void trackPublished(const std::shared_ptr<Participant>& participant, const std::string& cid, const std::string& mid);
  void trackUnpublished(const std::shared_ptr<Participant>& participant, const std::string& sid);
  // MuteTrackRequest (and RoomService mutes): the room is told and forwarding
  // pauses or resumes; false if the participant has no such track.
  bool setTrackMuted(const std::shared_ptr<Participant>& participant, const std::string& sid, bool muted);
  // After the JoinResponse: subscribe the newcomer to what is already published.
  void subscribeToExisting(const std::shared_ptr<Participant>& participant);
  // UpdateSubscription: (un)subscribe to tracks by sid.
  void updateSubscription(const std::shared_ptr<Participant>& participant, const livekit::UpdateSubscription& request);
  // UpdateSubscriptionPermissions from a publisher (room_permissions.cpp):
  // subscribers it no longer allows lose those tracks, and those it now
  // allows get what they had asked for; each is told by a
  // SubscriptionPermissionUpdate.
  void updateSubscriptionPermission(const std::shared_ptr<Participant>& publisher,
                                    const livekit::SubscriptionPermission& permission);

 private:
  Room* findRoom(const std::string& name) const;
  Room& createRoomLocked(const std::string& name, const livekit::RoomConfiguration* config);
  void closeRoom(const std::string& name, livekit::RoomEndReason reason);
  void closeIfIdle(const std::string& name);
  void removeFromRoom(Room& room, const std::shared_ptr<Participant>& p, livekit::DisconnectReason reason);
  void broadcastParticipant(Room& room, const Participant& subject);
  void deliverData(const Room& room, const livekit::DataPacket& packet, const Participant* sender);
  void updateGauges();
  Room* roomOf(const std::shared_ptr<Participant>& participant) const;
  void broadcastSpeakers(const std::string& name, const std::vector<livekit::SpeakerInfo>& speakers);
  // Dynacast: tells a publisher which layers of its track are wanted.
  void sendSubscribedQualities(const std::string& name, const std::string& publisherSid,
                               const livekit::SubscribedQualityUpdate& update);
  void broadcastQuality(const std::string& name, const std::vector<livekit::ConnectionQualityInfo>& measured);
  void unpublishAll(Room& room, Participant& participant);
  // Subscribes `subscriber` to `track` if `publisher` allows it; otherwise
  // tells the subscriber and remembers that it wanted the track.
  void subscribeIfAllowed(Participant& subscriber, Participant& publisher, const livekit::TrackInfo& track);

  // Passed by argument.
  boost::asio::io_context& io_;
  const common::RoomDefaults defaults_;
  // Allocated by this.
  std::map<std::string, std::unique_ptr<Room>, std::less<>> rooms_;
  // Others.
  std::vector<RoomEventListener*> listeners_;
  prometheus::Gauge* roomsGauge_;
  prometheus::Gauge* participantsGauge_;
};

}  // namespace convox::sfu
