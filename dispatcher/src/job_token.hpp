#pragma once

// The token a worker's job joins the room with (PROTOCOL-agents.md §3.6).

#include "proto/livekit_agent.pb.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace convox::dispatcher {

struct JobTokenInput {
  const livekit::Job& job;
  const livekit::AvailabilityResponse& response;      // identity, name, metadata, attributes
  const livekit::ParticipantPermission& permissions;  // the worker's allowed_permissions
  std::string_view workerAgentName;
  std::string_view apiKey;
  std::string_view secret;
  int64_t nowSeconds;
};

inline constexpr int64_t kJobTokenTtlSeconds = 3600;

std::string mintJobToken(const JobTokenInput& input);

}  // namespace convox::dispatcher
