#pragma once

// The agent worker endpoint: GET /agent with a WebSocket upgrade and a
// credential (Authorization: Bearer, or ?access_token=), then one
// WorkerMessage / ServerMessage per frame. The credential is either a LiveKit
// token with the agent grant (a platform worker, as @livekit/agents sends) or,
// once setTeamKeys() is called, a team's API key (a worker of that team only).
// Also drives the dispatcher's deadlines from a short periodic timer.

#include "common/http_server.hpp"
#include "common/jwt.hpp"
#include "dispatcher/dispatcher.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace convox::dispatcher {

struct AgentServiceOptions {
  std::chrono::seconds registerTimeout{10};     // for the first message after the upgrade
  std::chrono::milliseconds tickInterval{100};  // granularity of availability and queue timeouts
};

// The team id of a live team API key, or nullopt for an unknown or revoked
// one; throws if the store cannot answer. Called on the io_context thread.
using TeamKeyLookup = std::function<std::optional<std::string>(std::string_view apiKey)>;

class AgentService {
 public:
  AgentService(boost::asio::io_context& io, Dispatcher& dispatcher, common::SecretLookup secrets,
               AgentServiceOptions options = {});
  ~AgentService();
  AgentService(const AgentService&) = delete;
  AgentService& operator=(const AgentService&) = delete;

  // Accepts team API keys on /agent; `signingKey` (one of the server's keys)
  // signs the job tokens of those workers.
  void setTeamKeys(TeamKeyLookup lookup, std::string signingKey) {
    teamKeys_ = std::move(lookup);
    teamSigningKey_ = std::move(signingKey);
  }

  // Mounts /agent and starts the timer. The service must outlive the router.
  void mount(common::HttpRouter& router);
  void stop() { ticker_.cancel(); }

 private:
  common::UpgradeDecision onUpgrade(const common::HttpRequest& req);
  common::UpgradeDecision onTeamKey(const common::HttpRequest& req, const std::string& key);
  void scheduleTick();

  // Passed by argument.
  boost::asio::io_context& io_;
  Dispatcher& dispatcher_;
  // Others.
  common::SecretLookup secrets_;
  AgentServiceOptions options_;
  TeamKeyLookup teamKeys_;
  std::string teamSigningKey_;
  boost::asio::steady_timer ticker_;
};

}  // namespace convox::dispatcher
