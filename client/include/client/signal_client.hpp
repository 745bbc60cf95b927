#pragma once

// One LiveKit signal connection as the SDKs make it (PROTOCOL-livekit §1-2):
// a WebSocket to <url>/rtc?access_token=..., one binary SignalRequest per
// frame out, one SignalResponse per frame in, and the keep-alive: a
// ping_req every ping_interval once joined, and the connection given up
// when nothing arrives for ping_timeout.

#include "client/websocket_client.hpp"
#include "proto/livekit_rtc.pb.h"

#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <optional>
#include <string>

namespace convox::client {

class SignalListener {
 public:
  virtual ~SignalListener() = default;
  virtual void onSignalMessage(const livekit::SignalResponse& message) = 0;
  // Once per connection: a failure, the server closing, or a ping timeout.
  virtual void onSignalClosed(const std::string& reason) = 0;
};

struct SignalOptions {
  bool autoSubscribe = true;
  // A resume (§2.12): the server answers with a ReconnectResponse instead of a join.
  bool reconnect = false;
  std::string participantSid;
  int reconnectReason = 0;
  std::string sdk = "cpp";
  std::string sdkVersion = "0.1.0";
  int protocol = 16;
  WebSocketOptions socket;
};

class SignalClient {
 public:
  SignalClient(boost::asio::io_context& io, SignalListener& listener);
  ~SignalClient();
  SignalClient(const SignalClient&) = delete;
  SignalClient& operator=(const SignalClient&) = delete;

  // Starts connecting; a bad URL is refused at once (false, `error` set).
  bool connect(const std::string& url, const std::string& token, const SignalOptions& options, std::string& error);
  void send(const livekit::SignalRequest& request);
  // A client-initiated leave (reason CLIENT_INITIATED, action DISCONNECT), then close.
  void leave();
  // Closes after sending what is queued; no onSignalClosed follows.
  void close();
  bool open() const { return socket_ && socket_->open(); }
  // From the last pong_resp, if any.
  std::optional<int64_t> roundTripMillis() const { return rttMillis_; }

 private:
  void onFrame(std::string_view frame);
  void onClosed(const std::string& reason);
  void armPing();
  void armPingTimeout();

  boost::asio::io_context& io_;
  SignalListener& listener_;
  std::shared_ptr<WebSocketClient> socket_;
  boost::asio::steady_timer pingTimer_;
  boost::asio::steady_timer timeoutTimer_;
  std::chrono::seconds pingInterval_{0};
  std::chrono::seconds pingTimeout_{0};
  std::optional<int64_t> rttMillis_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool closed_ = false;
};

}  // namespace convox::client
