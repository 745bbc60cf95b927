#pragma once

// LiveKit's limits on what a participant carries (name length, metadata size,
// attributes size), checked before an update is applied: every update is fanned
// out to the whole room and repeated in every later JoinResponse.

#include "common/config.hpp"
#include "proto/livekit_models.pb.h"

#include <optional>
#include <string>

namespace convox::sfu {

// Why `info` with this update applied (non-empty name and metadata replace,
// attributes merge, an empty attribute value deletes) would exceed `limits`,
// in LiveKit's words plus the sizes; nullopt if it fits. Attributes count the
// merged result, so many small updates cannot grow them past the limit either.
std::optional<std::string> checkParticipantUpdate(const common::RoomDefaults& limits,
                                                  const livekit::ParticipantInfo& info, const std::string& name,
                                                  const std::string& metadata,
                                                  const google::protobuf::Map<std::string, std::string>& attributes);

}  // namespace convox::sfu
