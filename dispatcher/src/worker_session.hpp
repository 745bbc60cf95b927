#pragma once

// One agent worker's /agent WebSocket: waits for `register`, then hands
// every message to the dispatcher, and is the dispatcher's WorkerConnection.

#include "common/http_server.hpp"
#include "dispatcher/dispatcher.hpp"

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace convox::dispatcher {

class WorkerSession final : public common::WebSocketHandler,
                            public WorkerConnection,
                            public std::enable_shared_from_this<WorkerSession> {
 public:
  WorkerSession(boost::asio::io_context& io, Dispatcher& dispatcher, WorkerCredential credential,
                std::chrono::seconds registerTimeout);

  // WebSocketHandler
  void onOpen(std::shared_ptr<common::WebSocketConnection> connection) override;
  void onMessage(std::string_view data, bool binary) override;
  void onClose(uint16_t code, std::string_view reason) override;

  // WorkerConnection
  void send(const livekit::ServerMessage& message) override;
  void close(uint16_t code, std::string reason) override;

 private:
  void onFirstMessage(const livekit::WorkerMessage& message);

  // Passed by argument.
  Dispatcher& dispatcher_;
  // Others.
  const WorkerCredential credential_;
  const std::chrono::seconds registerTimeout_;
  std::shared_ptr<common::WebSocketConnection> connection_;
  boost::asio::steady_timer registerTimer_;
  std::string workerId_;     // set once registered
  bool textFrames_ = false;  // the worker speaks protojson; answer in kind
  bool closing_ = false;
};

}  // namespace convox::dispatcher
