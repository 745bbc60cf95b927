#include "room_table.hpp"

#include <algorithm>

namespace convox::dispatcher {

DispatchRecord* RoomState::findDispatch(const std::string& id) {
  auto it = std::find_if(dispatches.begin(), dispatches.end(), [&](const auto& d) { return d.dispatch.id() == id; });
  return it == dispatches.end() ? nullptr : &*it;
}

RoomState& RoomTable::open(const livekit::Room& info) {
  auto& room = rooms_[info.name()];
  room = RoomState{};  // a room of the same name that never reported finishing
  room.info = info;
  return room;
}

RoomState* RoomTable::find(const std::string& name) {
  auto it = rooms_.find(name);
  return it == rooms_.end() ? nullptr : &it->second;
}

const RoomState* RoomTable::find(const std::string& name) const {
  auto it = rooms_.find(name);
  return it == rooms_.end() ? nullptr : &it->second;
}

bool isDependentParticipant(const livekit::ParticipantInfo& p) {
  return p.kind() == livekit::ParticipantInfo::AGENT || p.kind() == livekit::ParticipantInfo::EGRESS ||
         p.permission().agent() || p.permission().recorder();
}

}  // namespace convox::dispatcher
