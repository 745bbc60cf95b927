// RoomManager: publishing, muting and subscribing to tracks. The media
// thread does the negotiation and forwarding; this is the room's view of it,
// on the signalling thread.

#include "common/ids.hpp"
#include "common/logging.hpp"
#include "room.hpp"
#include "sfu/room_manager.hpp"

#include <algorithm>
#include <cctype>

namespace convox::sfu {

namespace {

constexpr int kMaxTracksPerParticipant = 32;

std::string videoMime(const livekit::AddTrackRequest& request) {
  std::string codec = request.simulcast_codecs_size() > 0 ? request.simulcast_codecs(0).codec() : "vp8";
  std::transform(codec.begin(), codec.end(), codec.begin(), [](unsigned char c) { return std::tolower(c); });
  if (codec == "h264") return "video/H264";
  return "video/VP8";  // also what we answer when VP9/AV1 are asked for
}

}  // namespace

Room* RoomManager::roomOf(const std::shared_ptr<Participant>& participant) const {
  Room* room = findRoom(participant->grants().video->room);
  if (!room || room->findByIdentity(participant->identity()) != participant) return nullptr;
  return room;
}

std::variant<livekit::TrackInfo, std::string> RoomManager::addTrack(const std::shared_ptr<Participant>& participant,
                                                                    const livekit::AddTrackRequest& request) {
  if (!roomOf(participant)) return std::string("not in a room");
  const auto& permission = participant->info().permission();
  if (!permission.can_publish()) return std::string("token does not grant canPublish");
  if (request.type() != livekit::AUDIO && request.type() != livekit::VIDEO) {
    return std::string("only audio and video tracks can be published");
  }
  if (permission.can_publish_sources_size() > 0) {
    const auto& sources = permission.can_publish_sources();
    if (std::find(sources.begin(), sources.end(), request.source()) == sources.end()) {
      return "token does not allow publishing source " + livekit::TrackSource_Name(request.source());
    }
  }
  if (request.cid().empty()) return std::string("AddTrackRequest without cid");
  auto& pending = participant->pendingTracks();
  if (auto it = pending.find(request.cid()); it != pending.end()) return it->second;  // a resend
  if (participant->info().tracks_size() + static_cast<int>(pending.size()) >= kMaxTracksPerParticipant) {
    return "participant already has " + std::to_string(kMaxTracksPerParticipant) + " tracks";
  }
  livekit::TrackInfo track;
  track.set_sid(common::newId("TR_"));
  track.set_type(request.type());
  track.set_name(request.name());
  track.set_muted(request.muted());
  track.set_width(request.width());
  track.set_height(request.height());
  track.set_disable_dtx(request.disable_dtx());
  track.set_source(request.source());
  track.set_stereo(request.stereo());
  track.set_disable_red(request.disable_red());
  track.set_stream(request.stream());
  *track.mutable_layers() = request.layers();
  *track.mutable_audio_features() = request.audio_features();
  track.set_simulcast(request.layers_size() > 1);
  track.set_mime_type(request.type() == livekit::AUDIO ? "audio/opus" : videoMime(request));
  auto& codec = *track.add_codecs();
  codec.set_mime_type(track.mime_type());
  codec.set_cid(request.cid());
  *codec.mutable_layers() = request.layers();
  pending[request.cid()] = track;
  return track;
}

void RoomManager::trackPublished(const std::shared_ptr<Participant>& participant, const std::string& cid,
                                 const std::string& mid) {
  Room* room = roomOf(participant);
  if (!room) return;
  auto& pending = participant->pendingTracks();
  auto it = pending.find(cid);
  if (it == pending.end()) return;
  auto track = std::move(it->second);
  pending.erase(it);
  track.set_mid(mid);
  track.mutable_codecs(0)->set_mid(mid);
  participant->update([&](livekit::ParticipantInfo& info) {
    *info.add_tracks() = track;
    info.set_is_publisher(true);
    if (info.state() < livekit::ParticipantInfo::ACTIVE) info.set_state(livekit::ParticipantInfo::ACTIVE);
  });
  common::logger("room")->info("room {}: {} published {} track {} ({})", room->info().name(), participant->identity(),
                               livekit::TrackType_Name(track.type()), track.sid(), track.mime_type());
  // The update goes out before any subscriber offer: clients drop media for
  // tracks they have not heard of (PROTOCOL-livekit §2.6).
  broadcastParticipant(*room, *participant);
  for (auto* l : listeners_) l->onTrackPublished(room->info(), participant->info(), track);
  if (participant->hidden()) return;
  for (const auto& other : room->participants()) {
    if (other == participant || !other->autoSubscribe()) continue;
    if (!other->info().permission().can_subscribe()) continue;
    subscribeIfAllowed(*other, *participant, track);
  }
}

void RoomManager::trackUnpublished(const std::shared_ptr<Participant>& participant, const std::string& sid) {
  Room* room = roomOf(participant);
  if (!room) return;
  const auto* found = participant->findTrack(sid);
  if (!found) return;
  const auto track = *found;
  participant->update([&](livekit::ParticipantInfo& info) {
    auto* tracks = info.mutable_tracks();
    for (int i = 0; i < tracks->size(); ++i) {
      if (tracks->Get(i).sid() == sid) {
        tracks->DeleteSubrange(i, 1);
        break;
      }
    }
  });
  common::logger("room")->info("room {}: {} unpublished track {}", room->info().name(), participant->identity(), sid);
  for (const auto& other : room->participants()) other->forgetTrack(sid);
  broadcastParticipant(*room, *participant);
  for (auto* l : listeners_) l->onTrackUnpublished(room->info(), participant->info(), track);
}

void RoomManager::unpublishAll(Room& room, Participant& participant) {
  for (const auto& track : participant.info().tracks()) {
    for (auto* l : listeners_) l->onTrackUnpublished(room.info(), participant.info(), track);
    for (const auto& other : room.participants()) other->forgetTrack(track.sid());
  }
}

bool RoomManager::setTrackMuted(const std::shared_ptr<Participant>& participant, const std::string& sid, bool muted) {
  Room* room = roomOf(participant);
  if (!room || !participant->findTrack(sid)) return false;
  participant->update([&](livekit::ParticipantInfo& info) {
    for (auto& t : *info.mutable_tracks()) {
      if (t.sid() == sid) t.set_muted(muted);
    }
  });
  // Also for RoomService's mute: forwarding stops now, not when the SDK confirms.
  participant->setPublishedTrackMuted(sid, muted);
  broadcastParticipant(*room, *participant);
  return true;
}

std::variant<livekit::TrackInfo, RoomManager::MuteRefusal> RoomManager::mutePublishedTrack(
    const livekit::MuteRoomTrackRequest& request) {
  Room* room = findRoom(request.room());
  if (!room) return MuteRefusal{true, "room " + request.room() + " not found"};
  const auto participant = room->findByIdentity(request.identity());
  if (!participant) return MuteRefusal{true, "participant " + request.identity() + " not found"};
  if (!participant->findTrack(request.track_sid())) {
    return MuteRefusal{true, "track " + request.track_sid() + " is not published by " + request.identity()};
  }
  if (!request.muted() && !defaults_.enableRemoteUnmute) {
    return MuteRefusal{false, "remote unmute is not enabled (room.enable_remote_unmute)"};
  }
  livekit::SignalResponse msg;
  msg.mutable_mute()->set_sid(request.track_sid());
  msg.mutable_mute()->set_muted(request.muted());
  participant->send(msg);
  setTrackMuted(participant, request.track_sid(), request.muted());
  return *participant->findTrack(request.track_sid());
}

void RoomManager::subscribeToExisting(const std::shared_ptr<Participant>& participant) {
  Room* room = roomOf(participant);
  if (!room || !participant->autoSubscribe() || !participant->info().permission().can_subscribe()) return;
  for (const auto& other : room->participants()) {
    if (other == participant || other->hidden()) continue;
    for (const auto& track : other->info().tracks()) subscribeIfAllowed(*participant, *other, track);
  }
}

void RoomManager::updateSubscription(const std::shared_ptr<Participant>& participant,
                                     const livekit::UpdateSubscription& request) {
  Room* room = roomOf(participant);
  if (!room) return;
  if (request.subscribe() && !participant->info().permission().can_subscribe()) return;
  std::vector<std::string> sids(request.track_sids().begin(), request.track_sids().end());
  for (const auto& pt : request.participant_tracks())
    sids.insert(sids.end(), pt.track_sids().begin(), pt.track_sids().end());
  for (const auto& sid : sids) {
    for (const auto& other : room->participants()) {
      if (other == participant || other->hidden()) continue;
      const auto* track = other->findTrack(sid);
      if (!track) continue;
      if (request.subscribe()) {
        subscribeIfAllowed(*participant, *other, *track);
      } else {
        participant->setRefused(sid, false);
        participant->unsubscribeTrack(sid);
      }
    }
  }
}

}  // namespace convox::sfu
