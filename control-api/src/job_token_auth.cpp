#include "job_token_auth.hpp"

#include "common/access_token.hpp"
#include "routes.hpp"

#include <algorithm>

namespace convox::control_api {
namespace {

using common::http::verb;

HttpResponse unauthenticated(const HttpRequest& req, const std::string& why) {
  return errorResponse(req, status::unauthorized, "unauthenticated", why);
}

HttpResponse forbidden(const HttpRequest& req, const std::string& why) {
  return errorResponse(req, status::forbidden, "forbidden", why);
}

// The grants of a token that verifies now, or of one expired less than the
// grace ago (marked expired). Both go through the SFU's verifier; the second
// verifies at the token's own expiry, after the signature and the real
// expiry were checked with the grace as leeway.
std::variant<std::pair<common::ClaimGrants, bool>, HttpResponse> verify(const HttpRequest& req, std::string_view token,
                                                                        const common::SecretLookup& secrets,
                                                                        int64_t now) {
  auto grants = common::verifyAccessToken(token, secrets, now);
  if (grants) return std::pair{std::move(*grants), false};
  if (grants.error().jwt != common::JwtError::Expired) {
    return unauthenticated(req, "the job token is not valid: " + grants.error().message);
  }
  const auto late = common::verifyJwt(token, secrets, now, kExpiredJobTokenGraceSeconds);
  if (!late) {
    return unauthenticated(req, "the job token is not valid: " + std::string(common::describe(late.error().error)) +
                                    ": " + late.error().detail);
  }
  if (late->notBefore > now + 60) return unauthenticated(req, "the job token is not valid yet");
  grants = common::verifyAccessToken(token, secrets, late->expiresAt);
  if (!grants) return unauthenticated(req, "the job token is not valid: " + grants.error().message);
  return std::pair{std::move(*grants), true};
}

}  // namespace

bool looksLikeJwt(std::string_view credential) { return std::count(credential.begin(), credential.end(), '.') == 2; }

std::variant<JobScope, HttpResponse> authenticateJobToken(const HttpRequest& req, std::string_view token,
                                                          const common::SecretLookup& secrets, Repository& repository,
                                                          int64_t nowSeconds) {
  if (!secrets) return unauthenticated(req, "job tokens are not accepted by this server; use a team API key");
  auto verified = verify(req, token, secrets, nowSeconds);
  if (auto* refused = std::get_if<HttpResponse>(&verified)) return std::move(*refused);
  auto& [grants, expired] = std::get<std::pair<common::ClaimGrants, bool>>(verified);
  if (!grants.video || !grants.video->agent || grants.video->room.empty()) {
    return forbidden(req,
                     "this token grants no /v1 access: only an agent's job token (video.agent, for one call's room) "
                     "is accepted here; other requests need a team API key");
  }
  JobScope scope;
  scope.room = grants.video->room;
  scope.expired = expired;
  scope.call = repository.findConversationByRoom(scope.room);
  return scope;
}

std::optional<HttpResponse> checkJobScope(const HttpRequest& req, const std::vector<std::string>& s,
                                          const JobScope& scope) {
  const auto method = req.method();
  const bool conversationRoute = s.size() >= 2 && s.size() <= 3 && s[0] == "conversations";
  const std::string sub = s.size() == 3 ? s[2] : "";
  const bool ingest =
      conversationRoute && method == verb::post && (sub == "turns" || sub == "usage" || sub == "status");
  // The decrypted keys of the providers its agent names: the one read only
  // a job token may make (handleJobCredentials refuses team keys).
  const bool credentials = conversationRoute && method == verb::get && sub == "provider-credentials";
  const bool read =
      (conversationRoute && method == verb::get && (sub.empty() || sub == "turns" || sub == "transcript")) ||
      (s.size() == 2 && s[0] == "agents" && method == verb::get) || credentials;
  if (!ingest && !read) {
    return forbidden(req,
                     "a job token is not a team key: it may read its conversation (detail, turns, transcript), "
                     "agent and provider credentials, and post the conversation's turns, usage and status; " +
                         std::string(req.method_string()) + " here needs a team API key");
  }
  if (s[0] == "agents") {
    if (!scope.call || scope.call->conversation.agentId != s[1]) return notFound(req, "agent");
  } else if (!scope.call || scope.call->conversation.id != s[1]) {
    return notFound(req, "conversation");
  }
  if (scope.expired) {
    const auto& status = scope.call->conversation.status;
    if (!ingest || status == "ended" || status == "failed") {
      return unauthenticated(req, "the job token is expired; within " +
                                      std::to_string(kExpiredJobTokenGraceSeconds / 3600) +
                                      " h of its expiry it may only post turns, usage and status of its "
                                      "conversation while that is in progress");
    }
  }
  return std::nullopt;
}

}  // namespace convox::control_api
