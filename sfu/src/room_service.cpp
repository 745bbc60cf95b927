#include "sfu/room_service.hpp"

namespace convox::sfu {

namespace {

using common::ClaimGrants;
using common::TwirpError;
template <typename T>
using Result = boost::system::result<T, TwirpError>;

std::optional<TwirpError> requireAdmin(const ClaimGrants& g, const std::string& room) {
  if (room.empty()) return TwirpError::invalidArgument("room is required");
  if (auto denied = common::checkRoomAdmin(g, room); !denied.empty()) return TwirpError::permissionDenied(denied);
  return std::nullopt;
}

TwirpError roomNotFound(const std::string& room) { return TwirpError::notFound("room " + room + " does not exist"); }

TwirpError participantNotFound(const std::string& room, const std::string& identity) {
  return TwirpError::notFound("participant " + identity + " is not in room " + room);
}

}  // namespace

RoomService::RoomService(RoomManager& rooms, common::TwirpAuthenticator authenticate)
    : twirp_("livekit.RoomService", std::move(authenticate)) {
  twirp_.method<livekit::CreateRoomRequest, livekit::Room>(
      "CreateRoom", [&rooms](const livekit::CreateRoomRequest& req, const ClaimGrants& g) -> Result<livekit::Room> {
        if (auto denied = common::checkRoomCreate(g); !denied.empty()) return TwirpError::permissionDenied(denied);
        if (req.name().empty()) return TwirpError::invalidArgument("name is required");
        if (req.name().size() > 256) return TwirpError::invalidArgument("name is longer than 256 bytes");
        return rooms.createRoom(req);
      });
  twirp_.method<livekit::ListRoomsRequest, livekit::ListRoomsResponse>(
      "ListRooms",
      [&rooms](const livekit::ListRoomsRequest& req, const ClaimGrants& g) -> Result<livekit::ListRoomsResponse> {
        if (auto denied = common::checkRoomList(g); !denied.empty()) return TwirpError::permissionDenied(denied);
        livekit::ListRoomsResponse res;
        for (auto& room : rooms.listRooms({req.names().begin(), req.names().end()})) *res.add_rooms() = std::move(room);
        return res;
      });
  twirp_.method<livekit::DeleteRoomRequest, livekit::DeleteRoomResponse>(
      "DeleteRoom",
      [&rooms](const livekit::DeleteRoomRequest& req, const ClaimGrants& g) -> Result<livekit::DeleteRoomResponse> {
        if (auto denied = common::checkRoomCreate(g); !denied.empty()) return TwirpError::permissionDenied(denied);
        if (req.room().empty()) return TwirpError::invalidArgument("room is required");
        if (!rooms.deleteRoom(req.room())) return roomNotFound(req.room());
        return livekit::DeleteRoomResponse{};
      });
  twirp_.method<livekit::ListParticipantsRequest, livekit::ListParticipantsResponse>(
      "ListParticipants",
      [&rooms](const livekit::ListParticipantsRequest& req,
               const ClaimGrants& g) -> Result<livekit::ListParticipantsResponse> {
        if (auto err = requireAdmin(g, req.room())) return *err;
        auto list = rooms.listParticipants(req.room());
        if (!list) return roomNotFound(req.room());
        livekit::ListParticipantsResponse res;
        for (auto& p : *list) *res.add_participants() = std::move(p);
        return res;
      });
  twirp_.method<livekit::RoomParticipantIdentity, livekit::ParticipantInfo>(
      "GetParticipant",
      [&rooms](const livekit::RoomParticipantIdentity& req, const ClaimGrants& g) -> Result<livekit::ParticipantInfo> {
        if (auto err = requireAdmin(g, req.room())) return *err;
        auto p = rooms.getParticipant(req.room(), req.identity());
        if (!p) return participantNotFound(req.room(), req.identity());
        return *p;
      });
  twirp_.method<livekit::RoomParticipantIdentity, livekit::RemoveParticipantResponse>(
      "RemoveParticipant",
      [&rooms](const livekit::RoomParticipantIdentity& req,
               const ClaimGrants& g) -> Result<livekit::RemoveParticipantResponse> {
        if (auto err = requireAdmin(g, req.room())) return *err;
        if (!rooms.removeParticipant(req.room(), req.identity()))
          return participantNotFound(req.room(), req.identity());
        return livekit::RemoveParticipantResponse{};
      });
  twirp_.method<livekit::UpdateParticipantRequest, livekit::ParticipantInfo>(
      "UpdateParticipant",
      [&rooms](const livekit::UpdateParticipantRequest& req, const ClaimGrants& g) -> Result<livekit::ParticipantInfo> {
        if (auto err = requireAdmin(g, req.room())) return *err;
        auto p = rooms.updateParticipant(req);
        if (auto* info = std::get_if<livekit::ParticipantInfo>(&p)) return *info;
        const auto& refused = std::get<RoomManager::UpdateRefusal>(p);
        // LiveKit: invalid_argument for an update over a limit.
        if (refused.reason == RoomManager::UpdateRefusal::Reason::LimitExceeded) {
          return TwirpError::invalidArgument(refused.message);
        }
        return participantNotFound(req.room(), req.identity());
      });
  twirp_.method<livekit::UpdateRoomMetadataRequest, livekit::Room>(
      "UpdateRoomMetadata",
      [&rooms](const livekit::UpdateRoomMetadataRequest& req, const ClaimGrants& g) -> Result<livekit::Room> {
        if (auto err = requireAdmin(g, req.room())) return *err;
        auto room = rooms.updateRoomMetadata(req.room(), req.metadata());
        if (!room) return roomNotFound(req.room());
        return *room;
      });
  twirp_.method<livekit::MuteRoomTrackRequest, livekit::MuteRoomTrackResponse>(
      "MutePublishedTrack",
      [&rooms](const livekit::MuteRoomTrackRequest& req,
               const ClaimGrants& g) -> Result<livekit::MuteRoomTrackResponse> {
        if (auto err = requireAdmin(g, req.room())) return *err;
        auto muted = rooms.mutePublishedTrack(req);
        if (auto* refused = std::get_if<RoomManager::MuteRefusal>(&muted)) {
          return refused->notFound ? TwirpError::notFound(refused->message)
                                   : TwirpError::failedPrecondition(refused->message);
        }
        livekit::MuteRoomTrackResponse response;
        *response.mutable_track() = std::get<livekit::TrackInfo>(muted);
        return response;
      });
  twirp_.method<livekit::SendDataRequest, livekit::SendDataResponse>(
      "SendData",
      [&rooms](const livekit::SendDataRequest& req, const ClaimGrants& g) -> Result<livekit::SendDataResponse> {
        if (auto err = requireAdmin(g, req.room())) return *err;
        if (req.data().size() > 60000) return TwirpError::invalidArgument("data is larger than 60000 bytes");
        if (!rooms.sendData(req)) return roomNotFound(req.room());
        return livekit::SendDataResponse{};
      });
}

}  // namespace convox::sfu
