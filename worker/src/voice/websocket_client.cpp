#include "voice/websocket_client.hpp"

#include "voice/tls_context.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <strings.h>
#include <deque>

namespace convox::voice {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

std::string WebSocketEnd::header(std::string_view name) const {
  for (const auto& [n, v] : httpHeaders) {
    if (n.size() == name.size() && strncasecmp(n.data(), name.data(), n.size()) == 0) return v;
  }
  return {};
}

std::string WebSocketEnd::describe() const {
  if (httpStatus != 0) return "HTTP " + std::to_string(httpStatus);
  if (error.empty() && closeCode != 0) {
    return "close " + std::to_string(closeCode) + (closeReason.empty() ? "" : " " + closeReason);
  }
  return error.empty() ? "closed" : error;
}

namespace {

constexpr size_t kMaxRefusalBody = 4096;
constexpr size_t kMaxSpareBuffers = 8;

// ws:// and wss:// are http:// and https:// to the URL parser common/ has.
std::optional<common::HttpTarget> parseWebSocketTarget(const std::string& url, std::string& error) {
  std::string asHttp;
  if (url.starts_with("ws://")) {
    asHttp = "http://" + url.substr(5);
  } else if (url.starts_with("wss://")) {
    asHttp = "https://" + url.substr(6);
  } else {
    error = "not a ws:// or wss:// URL";
    return std::nullopt;
  }
  return common::parseHttpTarget(asHttp, error);
}

struct Outgoing {
  std::string bytes;
  bool binary = false;
  bool close = false;
  websocket::close_reason reason;
};

template <typename Next>
class Socket final : public WebSocketClient, public std::enable_shared_from_this<Socket<Next>> {
 public:
  Socket(asio::io_context& io, common::HttpTarget target, WebSocketRequest request, WebSocketHandlers handlers,
         std::shared_ptr<asio::ssl::context> tls)
      : io_(io),
        tls_(std::move(tls)),
        resolver_(io),
        deadline_(io),
        ws_(makeStream(io, tls_)),
        target_(std::move(target)),
        request_(std::move(request)),
        handlers_(std::make_shared<const WebSocketHandlers>(std::move(handlers))) {}

  void start() {
    if constexpr (kTls) {
      if (!SSL_set_tlsext_host_name(ws_.next_layer().native_handle(), target_.host.c_str())) {
        return end(failure("cannot set TLS server name"));
      }
      ws_.next_layer().set_verify_callback(asio::ssl::host_name_verification(target_.host));
    }
    deadline_.expires_after(request_.connectTimeout);
    deadline_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec || self->opened_ || self->ended_) return;
      self->timedOut_ = true;
      self->resolver_.cancel();
      beast::error_code ignored;
      self->tcp().socket().close(ignored);
    });
    resolver_.async_resolve(target_.host, target_.port,
                            [self = this->shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
                              if (ec) return self->fail("resolve", ec);
                              self->connect(r);
                            });
  }

  void sendText(std::string_view text) override { enqueue(text.data(), text.size(), false); }
  void sendBinary(std::span<const uint8_t> bytes) override {
    enqueue(reinterpret_cast<const char*>(bytes.data()), bytes.size(), true);
  }

  void close(uint16_t code, std::string_view reason) override {
    if (closing_ || ended_) return;
    closing_ = true;
    Outgoing out;
    out.close = true;
    out.reason.code = code;
    out.reason.reason.assign(reason.data(), reason.size());
    queue_.push_back(std::move(out));
    if (!opened_) return;  // the queue starts when the upgrade is done
    writeNext();
  }

  void detach() override {
    close(websocket::close_code::normal, "");
    // Released later: detach() may run inside one of them, or from an object
    // that only they keep alive.
    asio::post(io_, [h = std::move(handlers_)] {});
  }

  void cancel() override {
    if (ended_) return;
    ended_ = true;
    resolver_.cancel();
    deadline_.cancel();
    beast::error_code ignored;
    tcp().socket().close(ignored);
    asio::post(io_, [h = std::move(handlers_)] {});
  }

  bool open() const override { return opened_ && !closing_ && !ended_; }

 private:
  static constexpr bool kTls = !std::is_same_v<Next, beast::tcp_stream>;

  auto& tcp() { return beast::get_lowest_layer(ws_); }

  static websocket::stream<Next> makeStream(asio::io_context& io, const std::shared_ptr<asio::ssl::context>& tls) {
    if constexpr (kTls) {
      return websocket::stream<Next>(io, *tls);
    } else {
      return websocket::stream<Next>(io);
    }
  }

  void connect(const tcp::resolver::results_type& resolved) {
    if (ended_) return;
    auto [endpoints, refusal] = common::allowedEndpoints(resolved, target_.host, request_.refuse);
    if (endpoints.empty()) return end(failure(refusal.empty() ? "resolve: no addresses" : refusal));
    tcp().async_connect(endpoints, [self = this->shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
      if (ec) return self->fail("connect", ec);
      // Small messages back to back (a context's init, then its text; audio
      // frames): without this Nagle holds the second until the first is
      // acknowledged, and a delayed ACK makes that ~40 ms a message.
      beast::error_code nodelay;
      self->tcp().socket().set_option(tcp::no_delay(true), nodelay);
      if constexpr (kTls) {
        self->ws_.next_layer().async_handshake(asio::ssl::stream_base::client, [self](beast::error_code hec) {
          if (hec) return self->fail("TLS handshake", hec);
          self->upgrade();
        });
      } else {
        self->upgrade();
      }
    });
  }

  void upgrade() {
    if (ended_) return;
    // The deadline timer bounds the upgrade; Beast's own timeouts start
    // after it (the close handshake, the idle pings).
    ws_.set_option(
        websocket::stream_base::timeout{websocket::stream_base::none(), websocket::stream_base::none(), false});
    ws_.set_option(websocket::stream_base::decorator([headers = request_.headers](websocket::request_type& req) {
      req.set(http::field::user_agent, "convox");
      for (const auto& [name, value] : headers) req.set(name, value);
    }));
    ws_.async_handshake(response_, target_.hostField, target_.path,
                        [self = this->shared_from_this()](beast::error_code ec) {
                          if (ec == websocket::error::upgrade_declined) return self->refused();
                          if (ec) return self->fail("upgrade", ec);
                          self->opened();
                        });
  }

  void refused() {
    if (ended_) return;
    WebSocketEnd e;
    e.httpStatus = response_.result_int();
    for (const auto& field : response_) e.httpHeaders.emplace_back(field.name_string(), field.value());
    e.httpBody = response_.body().substr(0, kMaxRefusalBody);
    e.error = "upgrade refused: HTTP " + std::to_string(e.httpStatus);
    end(std::move(e));
  }

  void opened() {
    if (ended_) return;
    opened_ = true;
    deadline_.cancel();
    const bool pings = request_.idleTimeout.count() > 0;
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = request_.connectTimeout;
    timeouts.idle_timeout =
        pings ? std::chrono::steady_clock::duration(request_.idleTimeout) : websocket::stream_base::none();
    timeouts.keep_alive_pings = pings;
    ws_.set_option(timeouts);
    ws_.read_message_max(size_t{16} * 1024 * 1024);
    if (const auto handlers = handlers_; handlers && handlers->onOpen) {
      handlers->onOpen();
      if (ended_) return;
    }
    read();
    writeNext();
  }

  void read() {
    ws_.async_read(buffer_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (self->ended_) return;
      if (ec) return self->readFailed(ec);
      // The reference (not a copy of the function) keeps the handler alive
      // should it detach or cancel this socket.
      if (const auto handlers = self->handlers_; handlers && handlers->onMessage) {
        const auto data = self->buffer_.cdata();
        handlers->onMessage(std::string_view(static_cast<const char*>(data.data()), data.size()),
                            self->ws_.got_binary());
        if (self->ended_) return;
      }
      self->buffer_.consume(self->buffer_.size());
      self->read();
    });
  }

  void readFailed(const beast::error_code& ec) {
    if (ec == asio::error::operation_aborted && closing_) return;  // the close's handler reports
    if (ec == websocket::error::closed) {
      WebSocketEnd e;
      e.opened = true;
      e.closeCode = static_cast<uint16_t>(ws_.reason().code);
      e.closeReason = std::string(ws_.reason().reason.data(), ws_.reason().reason.size());
      return end(std::move(e));
    }
    if (ec == beast::error::timeout)
      return end(failure(closing_ ? "timeout: the close handshake" : "timeout: no frame"));
    if (ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::ssl::error::stream_truncated) {
      return end(failure("read: the connection closed without a close frame"));
    }
    end(failure("read: " + ec.message()));
  }

  void enqueue(const char* data, size_t size, bool binary) {
    if (closing_ || ended_) return;
    Outgoing out;
    if (!spare_.empty()) {
      out.bytes = std::move(spare_.back());
      spare_.pop_back();
    }
    out.bytes.assign(data, size);
    out.binary = binary;
    queue_.push_back(std::move(out));
    if (opened_) writeNext();
  }

  void writeNext() {
    if (writing_ || queue_.empty() || ended_) return;
    writing_ = true;
    auto& out = queue_.front();
    if (out.close) {
      ws_.async_close(out.reason, [self = this->shared_from_this()](beast::error_code ec) {
        self->writing_ = false;
        if (self->ended_) return;
        // Beast's close reads up to the peer's close frame itself (a read
        // in progress ends with operation_aborted): the close ends it.
        if (!ec || ec == websocket::error::closed) return self->readFailed(websocket::error::closed);
        self->readFailed(ec);
      });
      return;
    }
    ws_.binary(out.binary);
    ws_.async_write(asio::buffer(out.bytes), [self = this->shared_from_this()](beast::error_code ec, size_t) {
      self->writing_ = false;
      if (self->ended_) return;
      if (ec) return self->fail("write", ec);
      auto done = std::move(self->queue_.front());
      self->queue_.pop_front();
      if (self->spare_.size() < kMaxSpareBuffers) self->spare_.push_back(std::move(done.bytes));
      self->writeNext();
    });
  }

  static WebSocketEnd failure(std::string error) {
    WebSocketEnd e;
    e.error = std::move(error);
    return e;
  }

  void fail(const char* step, const beast::error_code& ec) {
    if (ended_) return;
    if (timedOut_) {
      return end(failure("timeout: not connected within " + std::to_string(request_.connectTimeout.count()) + " ms"));
    }
    end(failure(std::string(step) + ": " + ec.message()));
  }

  void end(WebSocketEnd e) {
    if (ended_) return;
    e.opened = opened_;
    ended_ = true;
    deadline_.cancel();
    beast::error_code ignored;
    tcp().socket().close(ignored);
    const auto handlers = std::move(handlers_);
    handlers_.reset();
    if (handlers && handlers->onEnd) handlers->onEnd(e);
  }

  // Passed by argument.
  asio::io_context& io_;
  // Allocated by this.
  std::shared_ptr<asio::ssl::context> tls_;  // before ws_, which refers to it
  tcp::resolver resolver_;
  asio::steady_timer deadline_;
  websocket::stream<Next> ws_;
  common::HttpTarget target_;
  WebSocketRequest request_;
  // Shared so that a handler running when the socket lets go of them
  // (detach, cancel, end) outlives that call without being copied.
  std::shared_ptr<const WebSocketHandlers> handlers_;
  websocket::response_type response_;
  beast::flat_buffer buffer_;
  std::deque<Outgoing> queue_;
  std::vector<std::string> spare_;  // written messages' buffers, reused by the next ones
  // Others.
  bool opened_ = false;
  bool closing_ = false;
  bool writing_ = false;
  bool timedOut_ = false;
  bool ended_ = false;
};

// An invalid request: its error is posted; cancel() stops it.
class FailedSocket final : public WebSocketClient {
 public:
  void sendText(std::string_view) override {}
  void sendBinary(std::span<const uint8_t>) override {}
  void close(uint16_t, std::string_view) override {}
  void detach() override { *cancelled_ = true; }
  void cancel() override { *cancelled_ = true; }
  bool open() const override { return false; }
  std::shared_ptr<bool> cancelled_ = std::make_shared<bool>(false);
};

}  // namespace

std::shared_ptr<WebSocketClient> connectWebSocket(asio::io_context& io, WebSocketRequest request,
                                                  WebSocketHandlers handlers) {
  std::string error;
  auto target = parseWebSocketTarget(request.url, error);
  std::shared_ptr<asio::ssl::context> tls;
  if (target && target->tls) tls = clientTlsContext(request.caFile, error);
  if (!target || (target->tls && !tls)) {
    auto failed = std::make_shared<FailedSocket>();
    asio::post(io, [cancelled = failed->cancelled_, onEnd = std::move(handlers.onEnd), error] {
      if (*cancelled || !onEnd) return;
      WebSocketEnd e;
      e.error = error;
      onEnd(e);
    });
    return failed;
  }
  if (target->tls) {
    auto s = std::make_shared<Socket<beast::ssl_stream<beast::tcp_stream>>>(io, std::move(*target), std::move(request),
                                                                            std::move(handlers), std::move(tls));
    s->start();
    return s;
  }
  auto s = std::make_shared<Socket<beast::tcp_stream>>(io, std::move(*target), std::move(request), std::move(handlers),
                                                       nullptr);
  s->start();
  return s;
}

}  // namespace convox::voice
