#pragma once

// One LiveKit signal connection as an SDK makes it: a WebSocket to
// /rtc?access_token=..., one binary protobuf SignalRequest per frame out, one
// SignalResponse per frame in. Callback style on an io_context that the load
// tool polls from its media thread, so every handler runs on that thread.

#include "proto/livekit_rtc.pb.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <string>

namespace convox::bench {

struct SignalEndpoint {
  std::string host;
  std::string port;
  std::string pathPrefix;  // the URL's path, to which "/rtc" is appended
};

// ws://host:port[/prefix]; nullopt and `error` set for anything else.
std::optional<SignalEndpoint> parseSignalUrl(const std::string& url, std::string& error);

class SignalClient : public std::enable_shared_from_this<SignalClient> {
 public:
  using MessageHandler = std::function<void(const livekit::SignalResponse&)>;
  using CloseHandler = std::function<void(const std::string& reason)>;

  SignalClient(boost::asio::io_context& io, MessageHandler onMessage, CloseHandler onClose);

  // `query` is appended to /rtc after '?', e.g. "access_token=...&auto_subscribe=1".
  void connect(const SignalEndpoint& endpoint, const std::string& query);
  void send(const livekit::SignalRequest& request);
  // Sends what is queued, then closes; no close callback follows.
  void close();
  bool open() const { return open_; }

 private:
  void fail(const std::string& what, const boost::system::error_code& ec);
  void readNext();
  void writeNext();

  boost::asio::ip::tcp::resolver resolver_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer readBuffer_;
  std::deque<std::string> outbox_;
  MessageHandler onMessage_;
  CloseHandler onClose_;
  std::string host_;
  std::string target_;
  bool open_ = false;
  bool writing_ = false;
  bool closing_ = false;   // close() called: flush the outbox, then close
  bool finished_ = false;  // closed or failed: no more callbacks
};

}  // namespace convox::bench
