#pragma once

// Janus's JSON API over one WebSocket (subprotocol "janus-protocol"): one
// session, plugin handles, requests matched to their replies by
// transaction, and keepalives. A plugin's asynchronous request is answered
// with an "ack" and later an "event" of the same transaction; a
// synchronous one with a "success" that carries plugindata. Messages with
// no transaction (trickle, webrtcup, hangup, ...) go to the handle named by
// their "sender".

#include "client/websocket_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace convox::bench {

class JanusSession {
 public:
  using Reply = std::function<void(const boost::json::object& message)>;
  using Failure = std::function<void(const std::string& reason)>;

  JanusSession(boost::asio::io_context& io, const client::WebSocketUrl& url, Failure onFailure);
  ~JanusSession();
  JanusSession(const JanusSession&) = delete;
  JanusSession& operator=(const JanusSession&) = delete;

  // Connects and creates the session; then onReady.
  void open(std::function<void()> onReady);
  // Attaches a handle of `plugin`; `events` gets its messages that answer no request.
  void attach(const std::string& plugin, Reply events, std::function<void(uint64_t handle)> onAttached);
  // A plugin request; onReply gets the "success" or the "event" (never the
  // ack). Errors of the API itself fail the session.
  void message(uint64_t handle, boost::json::object body, std::optional<boost::json::object> jsep, Reply onReply);
  // Sends a keepalive when one is due (Janus drops a silent session).
  void tick(int64_t nowNanos);
  void close();

 private:
  void send(boost::json::object request, Reply onReply);
  void onFrame(std::string_view frame);

  std::shared_ptr<client::WebSocketClient> ws_;
  Failure onFailure_;
  uint64_t session_ = 0;
  uint64_t nextTransaction_ = 1;
  int64_t nextKeepAlive_ = 0;
  std::map<std::string, Reply> pending_;
  std::map<uint64_t, Reply> handleEvents_;
  bool closed_ = false;
};

// The "data" of a plugin's reply (plugindata.data), or an empty object.
const boost::json::object& pluginData(const boost::json::object& message);
// The reply's jsep SDP, if it carries one.
std::optional<std::string> jsepSdp(const boost::json::object& message);

}  // namespace convox::bench
