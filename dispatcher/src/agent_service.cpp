#include "dispatcher/agent_service.hpp"

#include "common/access_token.hpp"
#include "common/ids.hpp"
#include "common/logging.hpp"
#include "worker_session.hpp"

namespace convox::dispatcher {

namespace {

common::UpgradeDecision unauthorized(const common::HttpRequest& req, const std::string& why) {
  common::logger("dispatch")->info("refused /agent upgrade: {}", why);
  return {common::makeResponse(req, common::http::status::unauthorized, why + "\n"), nullptr};
}

}  // namespace

AgentService::AgentService(boost::asio::io_context& io, Dispatcher& dispatcher, common::SecretLookup secrets,
                           AgentServiceOptions options)
    : io_(io), dispatcher_(dispatcher), secrets_(std::move(secrets)), options_(options), ticker_(io) {}

AgentService::~AgentService() { ticker_.cancel(); }

void AgentService::mount(common::HttpRouter& router) {
  router.upgrade("/agent", [this](const common::HttpRequest& req) { return onUpgrade(req); });
  scheduleTick();
}

void AgentService::scheduleTick() {
  ticker_.expires_after(options_.tickInterval);
  ticker_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    // Re-armed first: a tick that throws (logged by the loop) must not stop
    // availability and queue deadlines for good.
    scheduleTick();
    dispatcher_.onTick();
  });
}

common::UpgradeDecision AgentService::onUpgrade(const common::HttpRequest& req) {
  std::string token(common::bearerToken(req[common::http::field::authorization]));
  const bool fromHeader = !token.empty();
  if (token.empty()) token = common::queryParameter(req, "access_token").value_or("");
  if (token.empty()) return unauthorized(req, "no access token: pass Authorization: Bearer or access_token");
  // A JWT has three dot-separated parts; team API keys contain no dot. A
  // long-lived key is taken from the header only (URLs end up in logs).
  if (teamKeys_ && token.find('.') == std::string::npos) {
    if (!fromHeader) return unauthorized(req, "a team API key goes in Authorization: Bearer, not in the URL");
    return onTeamKey(req, token);
  }
  auto grants = common::verifyAccessToken(token, secrets_, common::unixSeconds());
  if (!grants) return unauthorized(req, grants.error().message);
  if (!grants->video || !grants->video->agent) return unauthorized(req, "token lacks the agent grant");
  // Worker tokens carry the agent grant alone (as @livekit/agents makes them).
  // A job token also has it, with roomJoin: accepting it here would turn any
  // team worker's job into a platform credential that sees every team's jobs.
  if (grants->video->roomJoin || !grants->video->room.empty()) {
    return unauthorized(req, "a room token (roomJoin) cannot register a worker: use a token with only the agent grant");
  }
  auto session =
      std::make_shared<WorkerSession>(io_, dispatcher_, WorkerCredential{grants->apiKey, {}}, options_.registerTimeout);
  return {std::nullopt, session};
}

common::UpgradeDecision AgentService::onTeamKey(const common::HttpRequest& req, const std::string& key) {
  // One indexed lookup per worker connection, on this thread: workers connect
  // rarely, and the upgrade decision is synchronous.
  std::optional<std::string> teamId;
  try {
    teamId = teamKeys_(key);
  } catch (const std::exception& e) {
    common::logger("dispatch")->error("refused /agent upgrade: cannot check a team API key: {}", e.what());
    return {common::makeResponse(req, common::http::status::service_unavailable,
                                 "cannot check the API key now; retry later\n"),
            nullptr};
  }
  if (!teamId) return unauthorized(req, "unknown or revoked API key");
  common::logger("dispatch")->info("/agent: a worker of team {} is connecting", *teamId);
  auto session = std::make_shared<WorkerSession>(io_, dispatcher_, WorkerCredential{teamSigningKey_, *teamId},
                                                 options_.registerTimeout);
  return {std::nullopt, session};
}

}  // namespace convox::dispatcher
