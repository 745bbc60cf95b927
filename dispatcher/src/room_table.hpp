#pragma once

// What the dispatcher knows of each open room: its info, who is in it, and
// its agent dispatch records with the ids of the jobs each one launched.

#include "proto/livekit_agent_dispatch.pb.h"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace convox::dispatcher {

struct DispatchRecord {
  livekit::AgentDispatch dispatch;  // state.jobs is filled in when read
  std::vector<std::string> jobIds;
  std::string teamId;  // passed on to its jobs; empty: no team
};

struct RoomState {
  livekit::Room info;
  std::map<std::string, livekit::ParticipantInfo, std::less<>> participants;  // by identity
  std::set<std::string, std::less<>> publishers;  // identities whose first publish launched jobs
  std::vector<DispatchRecord> dispatches;

  DispatchRecord* findDispatch(const std::string& id);
};

class RoomTable {
 public:
  RoomState& open(const livekit::Room& info);
  void close(const std::string& name) { rooms_.erase(name); }
  RoomState* find(const std::string& name);
  const RoomState* find(const std::string& name) const;

 private:
  std::map<std::string, RoomState, std::less<>> rooms_;
};

// Agent and egress participants (kind or grant) never launch jobs, as in LiveKit.
bool isDependentParticipant(const livekit::ParticipantInfo& p);

}  // namespace convox::dispatcher
