#pragma once

// The voice worker's credential on /v1: the job token the dispatcher gave it
// (a LiveKit JWT with video.agent for the call's room). It reaches that one
// conversation and its agent, and only the routes a worker needs.

#include "api_support.hpp"
#include "common/jwt.hpp"
#include "control_api/repository.hpp"

#include <variant>

namespace convox::control_api {

// How long after its `exp` a job token may still post turns, usage and status
// of its conversation while that conversation is in progress: calls outlast
// the token's hour and LiveKit's worker protocol has no way to refresh it.
inline constexpr int64_t kExpiredJobTokenGraceSeconds = int64_t{6} * 3600;

struct JobScope {
  std::string room;
  std::optional<ConversationInTeam> call;  // none: the room is no conversation of this server
  bool expired = false;                    // accepted within the grace only
};

// Whether a presented credential is a JWT (three dot-separated parts) rather
// than a team API key.
bool looksLikeJwt(std::string_view credential);

// The token's scope, or the 401/403 to send. Throws StoreError.
std::variant<JobScope, HttpResponse> authenticateJobToken(const HttpRequest& req, std::string_view token,
                                                          const common::SecretLookup& secrets, Repository& repository,
                                                          int64_t nowSeconds);

// nullopt when the scope allows this request (segments: the path after /v1),
// else the 403 (a route a job token never reaches), 404 (another
// conversation or agent) or 401 (an expired token outside ingest) to send.
std::optional<HttpResponse> checkJobScope(const HttpRequest& req, const std::vector<std::string>& segments,
                                          const JobScope& scope);

}  // namespace convox::control_api
