#pragma once

// A WebSocket handler for HttpServer tests: sends every message back. It
// holds its connection weakly: the connection holds the handler, and a
// strong pair would outlive a test whose loop stopped before the server
// finished the connection (LeakSanitizer reports it).

#include "common/http_server.hpp"

#include <memory>
#include <string>

namespace convox::testing {

class EchoSocket : public common::WebSocketHandler {
 public:
  void onOpen(std::shared_ptr<common::WebSocketConnection> connection) override { connection_ = std::move(connection); }
  void onMessage(std::string_view data, bool) override {
    if (auto connection = connection_.lock()) connection->sendText(std::string(data));
  }
  void onClose(uint16_t, std::string_view) override { connection_.reset(); }

 private:
  std::weak_ptr<common::WebSocketConnection> connection_;
};

}  // namespace convox::testing
