#pragma once

// HTTP/1.1 and WebSocket server on Boost.Beast. Routes are exact paths or
// prefixes; a WebSocket route decides, from the upgrade request, whether to
// refuse with an HTTP response (401, 404, ...) or to accept with a handler.
// Handlers run on the server's io_context thread, except those of routes
// registered with a blocking executor: those run there (a thread pool), so a
// slow database never stalls the other connections, WebSockets included.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace convox::common {

namespace http = boost::beast::http;
using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;

// A response to `req` with keep-alive and version copied from it.
HttpResponse makeResponse(const HttpRequest& req, http::status status, std::string body,
                          std::string_view contentType = "text/plain; charset=utf-8");

// The value of query parameter `name` in the request target, percent-decoded.
std::optional<std::string> queryParameter(const HttpRequest& req, std::string_view name);

// The handle a WebSocket handler sends through. Every method may be called
// from any thread; work is posted to the connection's own executor.
class WebSocketConnection {
 public:
  virtual ~WebSocketConnection() = default;
  virtual void sendBinary(std::string bytes) = 0;
  virtual void sendText(std::string text) = 0;
  // Sends what is queued, then closes with `code` and `reason`.
  virtual void close(uint16_t code, std::string reason) = 0;
  virtual const std::string& remoteAddress() const = 0;
};

// Receives one connection's events, in order, on the io_context thread.
// onClose is called exactly once, after which no other call is made.
class WebSocketHandler {
 public:
  virtual ~WebSocketHandler() = default;
  virtual void onOpen(std::shared_ptr<WebSocketConnection> connection) = 0;
  virtual void onMessage(std::string_view data, bool binary) = 0;
  virtual void onClose(uint16_t code, std::string_view reason) = 0;
};

struct UpgradeDecision {
  std::optional<HttpResponse> reject;        // refuse the upgrade with this response
  std::shared_ptr<WebSocketHandler> accept;  // or accept it with this handler
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
using UpgradeHandler = std::function<UpgradeDecision(const HttpRequest&)>;
using RequestObserver = std::function<void(const std::string& route, unsigned status)>;

// `handler` for GET and HEAD; any other method is answered 405 with
// `Allow: GET, HEAD`.
HttpHandler getOnly(HttpHandler handler);

class HttpRouter {
 public:
  void exact(std::string path, HttpHandler handler);
  void prefix(std::string pathPrefix, HttpHandler handler);
  // `handler` runs on `blockingExecutor`; the response is written from the
  // connection's own strand. The executor's context must outlive the server's
  // io_context run (join the pool after io_context::run returns).
  void prefix(std::string pathPrefix, HttpHandler handler, boost::asio::any_io_executor blockingExecutor);
  void upgrade(std::string path, UpgradeHandler handler);

  struct Match {
    const std::string* route = nullptr;  // the pattern that matched, for metrics
    const HttpHandler* http = nullptr;
    const UpgradeHandler* ws = nullptr;
    const boost::asio::any_io_executor* blocking = nullptr;  // null: run on the io_context thread
  };
  Match find(std::string_view path, bool isUpgrade) const;

 private:
  struct Route {
    std::string pattern;
    bool isPrefix = false;
    HttpHandler http;
    UpgradeHandler ws;
    boost::asio::any_io_executor blocking;
  };
  std::vector<Route> routes_;
};

struct HttpServerLimits {
  size_t maxBodyBytes = 1 << 20;
  size_t maxHeaderBytes = size_t{16} * 1024;
  size_t maxWebSocketMessageBytes = 1 << 20;
  size_t maxWebSocketSendQueueBytes = 8 << 20;  // a slower peer is disconnected
  std::chrono::seconds requestTimeout{30};
  std::chrono::seconds webSocketIdleTimeout{20};  // pings are sent at half of it
};

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, HttpRouter router, HttpServerLimits limits, RequestObserver observer = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting; port 0 picks a free port.
  void listen(const std::string& address, uint16_t port);
  uint16_t port() const;
  void stop();

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

// WebSocket close codes used across the server (RFC 6455 §7.4.1).
namespace close_code {
inline constexpr uint16_t kNormal = 1000;
inline constexpr uint16_t kGoingAway = 1001;
inline constexpr uint16_t kUnsupportedData = 1003;
inline constexpr uint16_t kInvalidPayload = 1007;
inline constexpr uint16_t kPolicyViolation = 1008;
inline constexpr uint16_t kTooBig = 1009;
inline constexpr uint16_t kInternalError = 1011;
}  // namespace close_code

}  // namespace convox::common
