#include "client/signal_client.hpp"

#include <chrono>

namespace convox::client {

namespace {

int64_t nowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A token is base64url and dots; anything else is escaped all the same.
std::string queryEscape(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace

SignalClient::SignalClient(boost::asio::io_context& io, SignalListener& listener)
    : io_(io), listener_(listener), pingTimer_(io), timeoutTimer_(io) {}

SignalClient::~SignalClient() {
  *alive_ = false;
  close();
}

bool SignalClient::connect(const std::string& url, const std::string& token, const SignalOptions& options,
                           std::string& error) {
  auto parsed = parseWebSocketUrl(url);
  if (!parsed) {
    error = parsed.error();
    return false;
  }
  std::string target = parsed->path + "/rtc?access_token=" + queryEscape(token) +
                       "&auto_subscribe=" + (options.autoSubscribe ? "1" : "0") + "&sdk=" + queryEscape(options.sdk) +
                       "&version=" + queryEscape(options.sdkVersion) + "&protocol=" + std::to_string(options.protocol);
  if (options.reconnect) {
    target += "&reconnect=1&sid=" + queryEscape(options.participantSid) +
              "&reconnect_reason=" + std::to_string(options.reconnectReason);
  }
  // A resume replaces a connection that failed: nothing more from it.
  if (socket_) socket_->close();
  closed_ = false;
  std::weak_ptr<bool> alive = alive_;
  WebSocketClient::Handlers handlers;
  handlers.onMessage = [this, alive](std::string_view frame) {
    if (!alive.expired()) onFrame(frame);
  };
  handlers.onClose = [this, alive](const std::string& reason) {
    if (!alive.expired()) onClosed(reason);
  };
  socket_ = WebSocketClient::create(io_, *parsed, options.socket, std::move(handlers));
  socket_->connect(target);
  return true;
}

void SignalClient::send(const livekit::SignalRequest& request) {
  if (socket_) socket_->send(request.SerializeAsString());
}

void SignalClient::leave() {
  livekit::SignalRequest request;
  request.mutable_leave()->set_reason(livekit::CLIENT_INITIATED);
  request.mutable_leave()->set_action(livekit::LeaveRequest::DISCONNECT);
  send(request);
  close();
}

void SignalClient::close() {
  closed_ = true;
  pingTimer_.cancel();
  timeoutTimer_.cancel();
  if (socket_) socket_->close();
}

void SignalClient::onFrame(std::string_view frame) {
  livekit::SignalResponse message;
  if (!message.ParseFromArray(frame.data(), static_cast<int>(frame.size()))) {
    // Not a SignalResponse: the connection cannot be trusted to be in step.
    if (socket_) socket_->close();
    return onClosed("the server sent a frame that is not a SignalResponse");
  }
  // Any message proves the server alive (the SDKs reset their timeout on each).
  if (pingTimeout_.count() > 0) armPingTimeout();
  if (message.has_join() || message.has_reconnect()) {
    const auto interval = message.has_join() ? message.join().ping_interval() : 0;
    const auto timeout = message.has_join() ? message.join().ping_timeout() : 0;
    if (message.has_join() || pingInterval_.count() == 0) {
      pingInterval_ = std::chrono::seconds(interval > 0 ? interval : 5);
      pingTimeout_ = std::chrono::seconds(timeout > 0 ? timeout : 15);
    }
    armPing();
    armPingTimeout();
  } else if (message.has_pong_resp()) {
    rttMillis_ = nowMillis() - message.pong_resp().last_ping_timestamp();
  }
  listener_.onSignalMessage(message);
}

void SignalClient::onClosed(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  pingTimer_.cancel();
  timeoutTimer_.cancel();
  listener_.onSignalClosed(reason);
}

void SignalClient::armPing() {
  pingTimer_.expires_after(pingInterval_);
  std::weak_ptr<bool> alive = alive_;
  pingTimer_.async_wait([this, alive](const boost::system::error_code& ec) {
    if (ec || alive.expired() || closed_) return;
    livekit::SignalRequest request;
    request.mutable_ping_req()->set_timestamp(nowMillis());
    if (rttMillis_) request.mutable_ping_req()->set_rtt(*rttMillis_);
    send(request);
    armPing();
  });
}

void SignalClient::armPingTimeout() {
  timeoutTimer_.expires_after(pingTimeout_);
  std::weak_ptr<bool> alive = alive_;
  timeoutTimer_.async_wait([this, alive](const boost::system::error_code& ec) {
    if (ec || alive.expired() || closed_) return;
    if (socket_) socket_->close();
    onClosed("no message from the server for " + std::to_string(pingTimeout_.count()) + " s (ping timeout)");
  });
}

}  // namespace convox::client
