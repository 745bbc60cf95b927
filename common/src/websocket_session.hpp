#pragma once

#include "common/http_server.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <deque>

namespace convox::common::detail {

// One accepted WebSocket: reads messages into the handler, writes queued
// messages one at a time, enforces the message and send-queue limits.
class WebSocketSession final : public WebSocketConnection, public std::enable_shared_from_this<WebSocketSession> {
 public:
  WebSocketSession(boost::beast::tcp_stream stream, std::shared_ptr<WebSocketHandler> handler,
                   const HttpServerLimits& limits, std::string remoteAddress, std::string route);

  void run(HttpRequest upgradeRequest);

  void sendBinary(std::string bytes) override;
  void sendText(std::string text) override;
  void close(uint16_t code, std::string reason) override;
  const std::string& remoteAddress() const override { return remoteAddress_; }

 private:
  void enqueue(std::string data, bool binary);
  void readNext();
  void writeNext();
  void startClose();
  void finish(uint16_t code, std::string_view reason);
  // Runs a handler callback; an exception closes this connection (1011) and
  // is logged with the route, instead of unwinding into the io_context.
  template <typename Call>
  bool guarded(const char* what, Call&& call) noexcept;

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  std::shared_ptr<WebSocketHandler> handler_;
  const size_t maxQueueBytes_;
  const std::string remoteAddress_;
  const std::string route_;
  boost::beast::flat_buffer readBuffer_;
  std::deque<std::pair<std::string, bool>> queue_;
  size_t queuedBytes_ = 0;
  bool writing_ = false;
  bool open_ = false;
  bool closeRequested_ = false;
  bool closeSent_ = false;
  boost::beast::websocket::close_reason closeReason_;
};

}  // namespace convox::common::detail
