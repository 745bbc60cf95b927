#pragma once

// A WebSocket client for binary protobuf frames (or text, for JSON APIs), plain (ws://) or TLS
// (wss://, peer verified against the system's CA store or a given bundle,
// with SNI and host-name checks). Callback style on an io_context: every
// handler runs on the thread that runs it. Used for LiveKit signalling
// (/rtc) and the agent protocol (/agent).

#include <boost/asio/io_context.hpp>
#include <boost/system/result.hpp>

#include <chrono>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace convox::client {

struct WebSocketUrl {
  bool tls = false;
  std::string host;
  std::string port;
  std::string path;  // without a trailing '/': "/rtc" is appended to it
};

// ws://, wss://, http:// (as ws) and https:// (as wss), as the SDKs accept.
boost::system::result<WebSocketUrl, std::string> parseWebSocketUrl(std::string_view url);

struct WebSocketOptions {
  std::string caFile;  // PEM bundle to trust instead of the system store; empty: system store
  std::vector<std::pair<std::string, std::string>> headers;  // on the upgrade request
  std::chrono::seconds connectTimeout{10};
  size_t maxQueuedBytes = 4 * 1024 * 1024;  // a peer that stops reading fails the connection
  bool textFrames = false;                  // send text frames (a JSON API such as Janus's) instead of binary
};

class WebSocketClient {
 public:
  struct Handlers {
    std::function<void()> onOpen;
    std::function<void(std::string_view frame)> onMessage;
    // Once, on any failure or when the peer closes; never after close().
    std::function<void(const std::string& reason)> onClose;
  };

  static std::shared_ptr<WebSocketClient> create(boost::asio::io_context& io, const WebSocketUrl& url,
                                                 WebSocketOptions options, Handlers handlers);
  virtual ~WebSocketClient() = default;

  // `target` is the path and query, e.g. "/rtc?access_token=...".
  virtual void connect(const std::string& target) = 0;
  // Queued until the connection is open; sent in order.
  virtual void send(std::string frame) = 0;
  // Sends what is queued, then closes; no onClose follows.
  virtual void close() = 0;
  virtual bool open() const = 0;
};

}  // namespace convox::client
