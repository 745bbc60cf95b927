#include "sfu/room_manager.hpp"

#include "common/ids.hpp"
#include "common/logging.hpp"
#include "participant_limits.hpp"
#include "room.hpp"

#include <google/protobuf/util/json_util.h>
#include <boost/asio/post.hpp>

namespace convox::sfu {

namespace {

livekit::SignalResponse participantUpdate(const livekit::ParticipantInfo& info) {
  livekit::SignalResponse msg;
  *msg.mutable_update()->add_participants() = info;
  return msg;
}

// The token's roomConfig claim, if it has one that parses.
std::optional<livekit::RoomConfiguration> roomConfigFrom(const common::ClaimGrants& grants) {
  if (grants.roomConfigJson.empty()) return std::nullopt;
  livekit::RoomConfiguration config;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(grants.roomConfigJson, &config, options).ok()) {
    common::logger("room")->warn("ignoring a token roomConfig that does not parse");
    return std::nullopt;
  }
  return config;
}

}  // namespace

RoomManager::RoomManager(boost::asio::io_context& io, common::RoomDefaults defaults, prometheus::Registry& metrics)
    : io_(io),
      defaults_(defaults),
      roomsGauge_(&prometheus::BuildGauge().Name("convox_rooms").Help("Open rooms").Register(metrics).Add({})),
      participantsGauge_(&prometheus::BuildGauge()
                              .Name("convox_participants")
                              .Help("Participants in all rooms")
                              .Register(metrics)
                              .Add({})) {}

RoomManager::~RoomManager() = default;

Room* RoomManager::findRoom(const std::string& name) const {
  auto it = rooms_.find(name);
  return it == rooms_.end() ? nullptr : it->second.get();
}

size_t RoomManager::participantCount() const {
  size_t n = 0;
  for (const auto& [name, room] : rooms_) n += room->participants().size();
  return n;
}

void RoomManager::updateGauges() {
  roomsGauge_->Set(static_cast<double>(rooms_.size()));
  participantsGauge_->Set(static_cast<double>(participantCount()));
}

std::optional<AdmitError> RoomManager::admit(const common::ClaimGrants& grants) const {
  const auto& name = grants.video->room;
  const Room* room = findRoom(name);
  if (!room) {
    if (!defaults_.autoCreate) return AdmitError{404, "requested room does not exist"};
    return std::nullopt;
  }
  const auto max = room->info().max_participants();
  const bool rejoining = static_cast<bool>(room->findByIdentity(grants.identity));
  if (max > 0 && !rejoining && room->participants().size() >= max) {
    return AdmitError{503, "room " + name + " is full (" + std::to_string(max) + " participants)"};
  }
  return std::nullopt;
}

Room& RoomManager::createRoomLocked(const std::string& name, const livekit::RoomConfiguration* config) {
  livekit::Room info;
  info.set_sid(common::newId("RM_"));
  info.set_name(name);
  const auto nowMs = common::unixMillis();
  info.set_creation_time(nowMs / 1000);
  info.set_creation_time_ms(nowMs);
  info.set_empty_timeout(config && config->empty_timeout() ? config->empty_timeout() : defaults_.emptyTimeoutSeconds);
  info.set_departure_timeout(config && config->departure_timeout() ? config->departure_timeout()
                                                                   : defaults_.departureTimeoutSeconds);
  info.set_max_participants(config && config->max_participants() ? config->max_participants()
                                                                 : defaults_.maxParticipants);
  if (config) info.set_metadata(config->metadata());
  for (const char* mime : {"audio/opus", "video/VP8", "video/H264"}) info.add_enabled_codecs()->set_mime(mime);
  auto room = std::make_unique<Room>(io_, std::move(info));
  auto& ref = *room;
  rooms_.emplace(name, std::move(room));
  common::logger("room")->info("room {} ({}) created", name, ref.info().sid());
  updateGauges();
  for (auto* l : listeners_) l->onRoomStarted(ref.info());
  std::vector<livekit::RoomAgentDispatch> agents;
  if (config) agents.assign(config->agents().begin(), config->agents().end());
  for (auto* l : listeners_) l->onRoomAgentsConfigured(ref.info(), agents);
  return ref;
}

livekit::Room RoomManager::createRoom(const livekit::CreateRoomRequest& request) {
  if (auto* existing = findRoom(request.name())) return existing->info();
  livekit::RoomConfiguration config;
  config.set_empty_timeout(request.empty_timeout());
  config.set_departure_timeout(request.departure_timeout());
  config.set_max_participants(request.max_participants());
  config.set_metadata(request.metadata());
  *config.mutable_agents() = request.agents();
  auto& room = createRoomLocked(request.name(), &config);
  const auto& name = request.name();
  room.armCloseTimer(room.info().empty_timeout(), [this, name] { closeIfIdle(name); });
  return room.info();
}

std::vector<livekit::Room> RoomManager::listRooms(const std::vector<std::string>& names) const {
  std::vector<livekit::Room> out;
  for (const auto& [name, room] : rooms_) {
    if (names.empty() || std::find(names.begin(), names.end(), name) != names.end()) out.push_back(room->info());
  }
  return out;
}

bool RoomManager::deleteRoom(const std::string& name) {
  if (!findRoom(name)) return false;
  closeRoom(name, livekit::ROOM_END_API_DELETE);
  return true;
}

void RoomManager::closeIfIdle(const std::string& name) {
  // A join may have slipped in after the timer fired but before this ran.
  if (const Room* room = findRoom(name); room && room->participants().empty()) {
    closeRoom(name, livekit::ROOM_END_IDLE_TIMEOUT);
  }
}

void RoomManager::closeRoom(const std::string& name, livekit::RoomEndReason reason) {
  auto it = rooms_.find(name);
  if (it == rooms_.end()) return;
  auto room = std::move(it->second);
  rooms_.erase(it);
  room->cancelCloseTimer();
  const auto leaveReason = reason == livekit::ROOM_END_API_DELETE ? livekit::ROOM_DELETED : livekit::ROOM_CLOSED;
  for (const auto& p : std::vector(room->participants())) {
    p->disconnect(leaveReason, livekit::LeaveRequest::DISCONNECT);
    room->remove(*p);
    unpublishAll(*room, *p);
    for (auto* l : listeners_) l->onParticipantLeft(room->info(), p->info());
  }
  common::logger("room")->info("room {} ({}) closed: {}", name, room->info().sid(),
                               livekit::RoomEndReason_Name(reason));
  updateGauges();
  for (auto* l : listeners_) l->onRoomFinished(room->info(), reason);
}

std::optional<std::vector<livekit::ParticipantInfo>> RoomManager::listParticipants(const std::string& name) const {
  const Room* room = findRoom(name);
  if (!room) return std::nullopt;
  std::vector<livekit::ParticipantInfo> out;
  for (const auto& p : room->participants()) out.push_back(p->info());
  return out;
}

std::optional<livekit::ParticipantInfo> RoomManager::getParticipant(const std::string& room,
                                                                    const std::string& identity) const {
  const Room* r = findRoom(room);
  if (!r) return std::nullopt;
  auto p = r->findByIdentity(identity);
  if (!p) return std::nullopt;
  return p->info();
}

bool RoomManager::removeParticipant(const std::string& room, const std::string& identity) {
  Room* r = findRoom(room);
  if (!r) return false;
  auto p = r->findByIdentity(identity);
  if (!p) return false;
  p->disconnect(livekit::PARTICIPANT_REMOVED, livekit::LeaveRequest::DISCONNECT);
  removeFromRoom(*r, p, livekit::PARTICIPANT_REMOVED);
  return true;
}

std::variant<livekit::ParticipantInfo, RoomManager::UpdateRefusal> RoomManager::updateParticipant(
    const livekit::UpdateParticipantRequest& req) {
  using Reason = UpdateRefusal::Reason;
  Room* r = findRoom(req.room());
  if (!r) return UpdateRefusal{Reason::NotFound, "room " + req.room() + " does not exist"};
  auto p = r->findByIdentity(req.identity());
  if (!p) return UpdateRefusal{Reason::NotFound, "participant " + req.identity() + " is not in room " + req.room()};
  if (auto over = checkParticipantUpdate(defaults_, p->info(), req.name(), req.metadata(), req.attributes())) {
    common::logger("room")->info("room {}: UpdateParticipant for {} refused: {}", req.room(), req.identity(), *over);
    return UpdateRefusal{Reason::LimitExceeded, *over};
  }
  p->update([&](livekit::ParticipantInfo& info) {
    if (!req.metadata().empty()) info.set_metadata(req.metadata());
    if (!req.name().empty()) info.set_name(req.name());
    for (const auto& [k, v] : req.attributes()) {
      // An empty value deletes the attribute, as in LiveKit.
      if (v.empty())
        info.mutable_attributes()->erase(k);
      else
        (*info.mutable_attributes())[k] = v;
    }
    if (req.has_permission()) *info.mutable_permission() = req.permission();
  });
  broadcastParticipant(*r, *p);
  return p->info();
}

std::optional<livekit::Room> RoomManager::updateRoomMetadata(const std::string& name, const std::string& metadata) {
  Room* r = findRoom(name);
  if (!r) return std::nullopt;
  r->mutableInfo().set_metadata(metadata);
  livekit::SignalResponse msg;
  *msg.mutable_room_update()->mutable_room() = r->info();
  r->broadcast(msg);
  return r->info();
}

std::variant<RoomManager::Joined, AdmitError> RoomManager::join(const common::ClaimGrants& grants,
                                                                std::shared_ptr<SignalSink> sink) {
  if (auto refused = admit(grants)) return *refused;
  const auto& name = grants.video->room;
  Room* room = findRoom(name);
  if (!room) {
    auto config = roomConfigFrom(grants);
    room = &createRoomLocked(name, config ? &*config : nullptr);
  }
  if (auto previous = room->findByIdentity(grants.identity)) {
    common::logger("room")->info("room {}: {} joined again, replacing the old session", name, grants.identity);
    previous->disconnect(livekit::DUPLICATE_IDENTITY, livekit::LeaveRequest::DISCONNECT);
    removeFromRoom(*room, previous, livekit::DUPLICATE_IDENTITY);
    room = findRoom(name);  // still there: removing never closes a room at once
  }
  room->cancelCloseTimer();
  auto participant = std::make_shared<Participant>(common::newId("PA_"), grants, std::move(sink), common::unixMillis());
  Joined joined{participant, {}, {}, room->mediaRoom()};
  if (!joined.media->onSpeakersChanged) {
    // Set before the room's media thread first sees it; runs there.
    joined.media->onSpeakersChanged = [this, name](std::vector<livekit::SpeakerInfo> speakers) {
      boost::asio::post(io_, [this, name, speakers = std::move(speakers)] { broadcastSpeakers(name, speakers); });
    };
    joined.media->onSubscribedQualities = [this, name](std::string publisherSid,
                                                       livekit::SubscribedQualityUpdate update) {
      boost::asio::post(io_, [this, name, publisherSid = std::move(publisherSid), update = std::move(update)] {
        sendSubscribedQualities(name, publisherSid, update);
      });
    };
  }
  if (!joined.media->onConnectionQuality) {
    // As for speakers: computed on the media thread, sent from here.
    joined.media->onConnectionQuality = [this, name](std::vector<livekit::ConnectionQualityInfo> qualities) {
      boost::asio::post(io_, [this, name, qualities = std::move(qualities)] { broadcastQuality(name, qualities); });
    };
  }
  for (const auto& other : room->participants()) {
    if (!other->hidden()) joined.others.push_back(other->info());
  }
  room->add(participant);
  joined.room = room->info();
  common::logger("room")->info("room {}: participant {} ({}) joined", name, participant->identity(),
                               participant->sid());
  updateGauges();
  if (!participant->hidden()) room->broadcast(participantUpdate(participant->info()), participant.get());
  for (auto* l : listeners_) l->onParticipantJoined(room->info(), participant->info());
  return joined;
}

void RoomManager::leave(const std::shared_ptr<Participant>& participant, livekit::DisconnectReason reason) {
  Room* room = findRoom(participant->grants().video->room);
  if (!room || room->findByIdentity(participant->identity()) != participant) return;  // already gone
  participant->detach();
  removeFromRoom(*room, participant, reason);
}

std::shared_ptr<SignalSink> RoomManager::sessionFor(const std::string& name, const std::string& identity,
                                                    const std::string& sid) const {
  const Room* room = findRoom(name);
  if (!room) return nullptr;
  const auto participant = room->findByIdentity(identity);
  if (!participant || participant->sid() != sid) return nullptr;
  return participant->sink();
}

void RoomManager::removeFromRoom(Room& room, const std::shared_ptr<Participant>& p, livekit::DisconnectReason reason) {
  room.remove(*p);
  p->update([&](livekit::ParticipantInfo& info) {
    info.set_state(livekit::ParticipantInfo::DISCONNECTED);
    info.set_disconnect_reason(reason);
  });
  common::logger("room")->info("room {}: participant {} ({}) left: {}", room.info().name(), p->identity(), p->sid(),
                               livekit::DisconnectReason_Name(reason));
  if (!p->hidden()) room.broadcast(participantUpdate(p->info()));
  updateGauges();
  unpublishAll(room, *p);
  for (auto* l : listeners_) l->onParticipantLeft(room.info(), p->info());
  if (room.participants().empty()) {
    const auto name = room.info().name();
    room.armCloseTimer(room.info().departure_timeout(), [this, name] { closeIfIdle(name); });
  }
}

std::optional<RoomManager::UpdateRefusal> RoomManager::updateOwnMetadata(
    const std::shared_ptr<Participant>& p, const livekit::UpdateParticipantMetadata& request) {
  using Reason = UpdateRefusal::Reason;
  if (!p->info().permission().can_update_metadata()) {
    return UpdateRefusal{Reason::NotAllowed, "does not have permission to update own metadata"};
  }
  Room* room = findRoom(p->grants().video->room);
  if (!room) return UpdateRefusal{Reason::NotFound, "not in a room"};
  if (auto over =
          checkParticipantUpdate(defaults_, p->info(), request.name(), request.metadata(), request.attributes())) {
    common::logger("room")->info("room {}: metadata update of {} refused: {}", room->info().name(),
                                 p->info().identity(), *over);
    return UpdateRefusal{Reason::LimitExceeded, *over};
  }
  p->update([&](livekit::ParticipantInfo& info) {
    if (!request.metadata().empty()) info.set_metadata(request.metadata());
    if (!request.name().empty()) info.set_name(request.name());
    for (const auto& [k, v] : request.attributes()) {
      if (v.empty())
        info.mutable_attributes()->erase(k);
      else
        (*info.mutable_attributes())[k] = v;
    }
  });
  broadcastParticipant(*room, *p);
  return std::nullopt;
}

void RoomManager::broadcastSpeakers(const std::string& name, const std::vector<livekit::SpeakerInfo>& speakers) {
  Room* room = findRoom(name);
  if (!room) return;
  livekit::SignalResponse msg;
  for (const auto& s : speakers) {
    // Only speakers still in the room, and never hidden ones.
    const auto& ps = room->participants();
    auto it = std::find_if(ps.begin(), ps.end(), [&](const auto& p) { return p->sid() == s.sid(); });
    if (it == ps.end() || (*it)->hidden()) continue;
    *msg.mutable_speakers_changed()->add_speakers() = s;
  }
  if (msg.has_speakers_changed()) room->broadcast(msg);
}

void RoomManager::sendSubscribedQualities(const std::string& name, const std::string& publisherSid,
                                          const livekit::SubscribedQualityUpdate& update) {
  Room* room = findRoom(name);
  if (!room) return;
  for (const auto& p : room->participants()) {
    if (p->sid() != publisherSid || !p->findTrack(update.track_sid())) continue;
    livekit::SignalResponse msg;
    *msg.mutable_subscribed_quality_update() = update;
    p->send(msg);
  }
}

void RoomManager::broadcastQuality(const std::string& name,
                                   const std::vector<livekit::ConnectionQualityInfo>& measured) {
  Room* room = findRoom(name);
  if (!room) return;
  livekit::SignalResponse msg;
  auto& update = *msg.mutable_connection_quality();
  for (const auto& p : room->participants()) {
    if (p->hidden()) continue;
    auto it =
        std::find_if(measured.begin(), measured.end(), [&](const auto& q) { return q.participant_sid() == p->sid(); });
    if (it != measured.end()) {
      *update.add_updates() = *it;
      continue;
    }
    // Nothing to measure (no media yet): EXCELLENT, as LiveKit reports it.
    auto& info = *update.add_updates();
    info.set_participant_sid(p->sid());
    info.set_quality(livekit::EXCELLENT);
    info.set_score(5.0f);
  }
  if (update.updates_size() > 0) room->broadcast(msg);
}

void RoomManager::broadcastParticipant(Room& room, const Participant& subject) {
  const auto msg = participantUpdate(subject.info());
  if (subject.hidden()) {
    // Hidden participants are only told about themselves.
    for (const auto& p : room.participants()) {
      if (p.get() == &subject) p->send(msg);
    }
    return;
  }
  room.broadcast(msg);
}

}  // namespace convox::sfu

namespace convox::sfu {

void RoomManager::forwardData(const std::shared_ptr<Participant>& sender, const std::string& bytes, bool reliable) {
  const Room* room = findRoom(sender->grants().video->room);
  if (!room || room->findByIdentity(sender->identity()) != sender) return;
  if (!sender->info().permission().can_publish_data()) return;
  livekit::DataPacket packet;
  if (!packet.ParseFromString(bytes)) return;  // not a DataPacket: dropped
  // The channel decides the kind; the server decides who sent it.
  packet.set_kind(reliable ? livekit::DataPacket::RELIABLE : livekit::DataPacket::LOSSY);
  const std::string identity = sender->hidden() ? "" : sender->identity();
  const std::string sid = sender->hidden() ? "" : sender->sid();
  const bool agent = sender->info().kind() == livekit::ParticipantInfo::AGENT ||
                     (sender->grants().video && sender->grants().video->agent);
  // LiveKit's agent rule: an agent sends the user's captions on the user's
  // behalf (a text stream header naming the user), marked as generated.
  // Anyone else's identity is always the sender's own.
  const bool onBehalf = agent && packet.has_stream_header() && packet.stream_header().has_text_header() &&
                        !packet.participant_identity().empty() && packet.participant_identity() != identity;
  if (onBehalf) {
    packet.mutable_stream_header()->mutable_text_header()->set_generated(true);
  } else {
    packet.set_participant_identity(identity);
  }
  if (packet.has_chat_message() && agent) packet.mutable_chat_message()->set_generated(true);
  // The legacy caption packet comes from agents only.
  if (packet.has_transcription() && !agent) return;
  packet.set_participant_sid(sid);
  if (packet.has_user()) {
    packet.mutable_user()->set_participant_identity(identity);
    packet.mutable_user()->set_participant_sid(sid);
  }
  deliverData(*room, packet, sender.get());
}

bool RoomManager::sendData(const livekit::SendDataRequest& request) {
  const Room* room = findRoom(request.room());
  if (!room) return false;
  livekit::DataPacket packet;
  packet.set_kind(request.kind());
  auto& user = *packet.mutable_user();
  user.set_payload(request.data());
  if (!request.topic().empty()) user.set_topic(request.topic());
  user.set_nonce(request.nonce());
  for (const auto& d : request.destination_identities()) {
    user.add_destination_identities(d);
    packet.add_destination_identities(d);
  }
  for (const auto& sid : request.destination_sids()) {
    for (const auto& p : room->participants()) {
      if (p->sid() == sid) packet.add_destination_identities(p->identity());
    }
  }
  deliverData(*room, packet, nullptr);
  return true;
}

void RoomManager::deliverData(const Room& room, const livekit::DataPacket& packet, const Participant* sender) {
  const auto& destinations = packet.destination_identities_size() > 0 || !packet.has_user()
                                 ? packet.destination_identities()
                                 : packet.user().destination_identities();
  const auto bytes = packet.SerializeAsString();  // once, for every recipient
  const bool reliable = packet.kind() == livekit::DataPacket::RELIABLE;
  for (const auto& p : room.participants()) {
    if (p.get() == sender) continue;
    if (!destinations.empty() &&
        std::find(destinations.begin(), destinations.end(), p->identity()) == destinations.end()) {
      continue;
    }
    p->sendData(bytes, reliable);
  }
}

}  // namespace convox::sfu
