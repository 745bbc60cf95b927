#include "common/http_server.hpp"

#include "common/logging.hpp"
#include "websocket_session.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/url/parse.hpp>

#include <array>

namespace convox::common {

namespace beast = boost::beast;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

HttpResponse makeResponse(const HttpRequest& req, http::status status, std::string body, std::string_view contentType) {
  HttpResponse res{status, req.version()};
  res.set(http::field::server, "convox");
  res.set(http::field::content_type, contentType);
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

std::optional<std::string> queryParameter(const HttpRequest& req, std::string_view name) {
  auto url = boost::urls::parse_origin_form(req.target());
  if (!url) return std::nullopt;
  auto params = url->params();
  auto it = params.find(name);
  if (it == params.end()) return std::nullopt;
  return std::string((*it).value);
}

HttpHandler getOnly(HttpHandler handler) {
  return [handler = std::move(handler)](const HttpRequest& req) {
    if (req.method() == http::verb::get || req.method() == http::verb::head) return handler(req);
    auto res = makeResponse(req, http::status::method_not_allowed, "method not allowed\n");
    res.set(http::field::allow, "GET, HEAD");
    return res;
  };
}

void HttpRouter::exact(std::string path, HttpHandler handler) {
  routes_.push_back({std::move(path), false, std::move(handler), {}, {}});
}

void HttpRouter::prefix(std::string pathPrefix, HttpHandler handler) {
  routes_.push_back({std::move(pathPrefix), true, std::move(handler), {}, {}});
}

void HttpRouter::prefix(std::string pathPrefix, HttpHandler handler, asio::any_io_executor blockingExecutor) {
  routes_.push_back({std::move(pathPrefix), true, std::move(handler), {}, std::move(blockingExecutor)});
}

void HttpRouter::upgrade(std::string path, UpgradeHandler handler) {
  routes_.push_back({std::move(path), false, {}, std::move(handler), {}});
}

HttpRouter::Match HttpRouter::find(std::string_view path, bool isUpgrade) const {
  const Route* best = nullptr;
  for (const auto& r : routes_) {
    if (isUpgrade != static_cast<bool>(r.ws)) continue;
    const bool hit = r.isPrefix ? path.starts_with(r.pattern) : path == r.pattern;
    if (!hit) continue;
    // An exact route beats a prefix; a longer prefix beats a shorter one.
    if (!best || (!r.isPrefix && best->isPrefix) ||
        (r.isPrefix == best->isPrefix && r.pattern.size() > best->pattern.size())) {
      best = &r;
    }
  }
  if (!best) return {};
  return {&best->pattern, best->http ? &best->http : nullptr, best->ws ? &best->ws : nullptr,
          best->blocking ? &best->blocking : nullptr};
}

namespace {

std::string_view pathOf(const HttpRequest& req) {
  std::string_view target = req.target();
  return target.substr(0, target.find('?'));
}

struct ServerState {
  HttpRouter router;
  HttpServerLimits limits;
  RequestObserver observer;
};

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket socket, std::shared_ptr<const ServerState> state)
      : stream_(std::move(socket)), state_(std::move(state)) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  void run() { readRequest(); }

 private:
  void readRequest() {
    parser_.emplace();
    parser_->body_limit(state_->limits.maxBodyBytes);
    parser_->header_limit(static_cast<uint32_t>(state_->limits.maxHeaderBytes));
    stream_.expires_after(state_->limits.requestTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->onRead(ec); });
  }

  void onRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout) return shutdown();
    if (ec) {
      // Answer what the client can act on before closing: a connection
      // closed without a word looks like a network fault.
      HttpRequest head;
      head.version(11);
      if (ec == http::error::body_limit) {
        return reply(makeResponse(head, http::status::payload_too_large, "request body too large\n"), "(too large)",
                     false);
      }
      if (ec == http::error::header_limit) {
        return reply(makeResponse(head, http::status::request_header_fields_too_large, "request headers too large\n"),
                     "(headers too large)", false);
      }
      if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
          ec != http::error::partial_message && ec != http::error::short_read) {
        return reply(makeResponse(head, http::status::bad_request, "malformed request: " + ec.message() + "\n"),
                     "(malformed)", false);
      }
      return shutdown();
    }
    HttpRequest req = parser_->release();
    const auto path = pathOf(req);
    const bool isUpgrade = beast::websocket::is_upgrade(req);
    auto match = state_->router.find(path, isUpgrade);
    if (isUpgrade && match.ws) {
      UpgradeDecision decision = decideUpgrade(*match.ws, *match.route, req);
      if (decision.accept) {
        observe(*match.route, 101);
        auto session = std::make_shared<detail::WebSocketSession>(std::move(stream_), std::move(decision.accept),
                                                                  state_->limits, remote_, *match.route);
        session->run(std::move(req));
        return;
      }
      auto res = decision.reject ? std::move(*decision.reject)
                                 : makeResponse(req, http::status::bad_request, "upgrade refused\n");
      res.keep_alive(false);
      return reply(std::move(res), *match.route, false);
    }
    if (!match.http) {
      // An upgrade to a plain HTTP route is served as plain HTTP.
      match = state_->router.find(path, false);
    }
    if (!match.http) {
      return reply(makeResponse(req, http::status::not_found, "not found\n"), "(unmatched)", req.keep_alive());
    }
    if (match.blocking) {
      // Nothing touches the stream until the response comes back to its
      // strand: the next request is read only after this one is written.
      asio::post(*match.blocking, [self = shared_from_this(), match, req = std::move(req)]() mutable {
        auto res = respond(*match.http, *match.route, req);
        asio::post(self->stream_.get_executor(), [self, route = match.route, res = std::move(res)]() mutable {
          self->replyKeepingAlive(std::move(res), *route);
        });
      });
      return;
    }
    replyKeepingAlive(respond(*match.http, *match.route, req), *match.route);
  }

  static UpgradeDecision decideUpgrade(const UpgradeHandler& handler, const std::string& route,
                                       const HttpRequest& req) {
    try {
      return handler(req);
    } catch (const std::exception& e) {
      logger("http")->error("upgrade handler for {} threw: {}", route, e.what());
    } catch (...) {
      logger("http")->error("upgrade handler for {} threw a non-exception", route);
    }
    return {makeResponse(req, http::status::internal_server_error, "internal error\n"), nullptr};
  }

  static HttpResponse respond(const HttpHandler& handler, const std::string& route, const HttpRequest& req) {
    HttpResponse res;
    try {
      res = handler(req);
    } catch (const std::exception& e) {
      logger("http")->error("handler for {} threw: {}", route, e.what());
      res = makeResponse(req, http::status::internal_server_error, "internal error\n");
    } catch (...) {
      logger("http")->error("handler for {} threw a non-exception", route);
      res = makeResponse(req, http::status::internal_server_error, "internal error\n");
    }
    if (req.method() == http::verb::head) res.body().clear();
    return res;
  }

  void replyKeepingAlive(HttpResponse res, const std::string& route) {
    const bool keepAlive = res.keep_alive();
    reply(std::move(res), route, keepAlive);
  }

  void reply(HttpResponse res, const std::string& route, bool keepAlive) {
    observe(route, res.result_int());
    auto sp = std::make_shared<HttpResponse>(std::move(res));
    sp->keep_alive(keepAlive);
    http::async_write(stream_, *sp, [self = shared_from_this(), sp, keepAlive](beast::error_code ec, size_t) {
      if (ec || !keepAlive) return self->shutdown();
      self->readRequest();
    });
  }

  void observe(const std::string& route, unsigned status) {
    if (state_->observer) state_->observer(route, status);
  }

  void shutdown() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    // Lingering close: read and discard what the client is still sending
    // (say, the rest of a body we refused as too large). Closing with unread
    // data would reset the connection before the client reads our answer.
    stream_.expires_after(std::chrono::seconds(5));
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(drainBuffer_), [self = shared_from_this()](beast::error_code ec, size_t) {
      if (!ec) self->drain();
    });
  }

  beast::tcp_stream stream_;
  std::shared_ptr<const ServerState> state_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string remote_;
  std::array<char, 8192> drainBuffer_{};
};

}  // namespace

class HttpServer::Impl : public std::enable_shared_from_this<HttpServer::Impl> {
 public:
  Impl(asio::io_context& io, std::shared_ptr<const ServerState> state)
      : io_(io), acceptor_(io), state_(std::move(state)) {}

  void listen(const std::string& address, uint16_t port) {
    tcp::endpoint ep{asio::ip::make_address(address), port};
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    accept();
  }

  void accept() {
    acceptor_.async_accept(asio::make_strand(io_), [self = shared_from_this()](beast::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) std::make_shared<HttpSession>(std::move(s), self->state_)->run();
      self->accept();
    });
  }

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  std::shared_ptr<const ServerState> state_;
};

HttpServer::HttpServer(asio::io_context& io, HttpRouter router, HttpServerLimits limits, RequestObserver observer)
    : impl_(std::make_shared<Impl>(
          io, std::make_shared<const ServerState>(ServerState{std::move(router), limits, std::move(observer)}))) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::listen(const std::string& address, uint16_t port) { impl_->listen(address, port); }

uint16_t HttpServer::port() const { return impl_->acceptor_.local_endpoint().port(); }

void HttpServer::stop() {
  beast::error_code ec;
  impl_->acceptor_.close(ec);
}

}  // namespace convox::common
