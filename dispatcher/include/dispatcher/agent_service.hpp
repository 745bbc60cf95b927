#pragma once

// The agent worker endpoint: GET /agent with a WebSocket upgrade, a token
// with the agent grant (Authorization: Bearer, or ?access_token=), then one
// WorkerMessage / ServerMessage per frame. Also drives the dispatcher's
// deadlines from a short periodic timer.

#include "common/http_server.hpp"
#include "common/jwt.hpp"
#include "dispatcher/dispatcher.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>

namespace convox::dispatcher {

struct AgentServiceOptions {
  std::chrono::seconds registerTimeout{10};     // for the first message after the upgrade
  std::chrono::milliseconds tickInterval{100};  // granularity of availability and queue timeouts
};

class AgentService {
 public:
  AgentService(boost::asio::io_context& io, Dispatcher& dispatcher, common::SecretLookup secrets,
               AgentServiceOptions options = {});
  ~AgentService();
  AgentService(const AgentService&) = delete;
  AgentService& operator=(const AgentService&) = delete;

  // Mounts /agent and starts the timer. The service must outlive the router.
  void mount(common::HttpRouter& router);
  void stop() { ticker_.cancel(); }

 private:
  common::UpgradeDecision onUpgrade(const common::HttpRequest& req);
  void scheduleTick();

  // Passed by argument.
  boost::asio::io_context& io_;
  Dispatcher& dispatcher_;
  // Others.
  common::SecretLookup secrets_;
  AgentServiceOptions options_;
  boost::asio::steady_timer ticker_;
};

}  // namespace convox::dispatcher
