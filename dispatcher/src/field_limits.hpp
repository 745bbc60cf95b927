#pragma once

// Size limits on what workers and API callers put into jobs and agent
// tokens. Each check returns why the value is refused, or "" if it is fine.
//
// The agent's participant fields end up in its job token, which the agent
// sends back in the URL of its signalling request; the server reads at most
// 16 KiB of request head, so the limits below keep that token well under it.
// Dispatch metadata travels only inside Job messages (1 MiB frames) and
// takes LiveKit's default limits.

#include "proto/livekit_agent.pb.h"
#include "proto/livekit_agent_dispatch.pb.h"

#include <cstddef>
#include <string>

namespace convox::dispatcher {

inline constexpr size_t kMaxWorkerFieldBytes = 256;  // agent_name, version, namespace at registration
inline constexpr size_t kMaxParticipantIdentityBytes = 256;
inline constexpr size_t kMaxParticipantNameBytes = 256;
inline constexpr size_t kMaxParticipantMetadataBytes = 4096;
inline constexpr size_t kMaxParticipantAttributesBytes = 4096;  // keys and values together
inline constexpr size_t kMaxJobTokenBytes = size_t{12} * 1024;
inline constexpr size_t kMaxDispatchMetadataBytes = 64000;
inline constexpr size_t kMaxDispatchAttributesBytes = 64000;

std::string checkRegistration(const livekit::RegisterWorkerRequest& request);
// The agent participant a worker asks for when it accepts a job.
std::string checkAgentParticipant(const livekit::AvailabilityResponse& response);
std::string checkDispatch(const livekit::CreateAgentDispatchRequest& request);

}  // namespace convox::dispatcher
