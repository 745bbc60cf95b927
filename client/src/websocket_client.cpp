#include "client/websocket_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/url/parse.hpp>

#include <deque>

namespace convox::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

boost::system::result<WebSocketUrl, std::string> parseWebSocketUrl(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return "invalid URL '" + std::string(text) + "'";
  WebSocketUrl url;
  const auto scheme = parsed->scheme();
  if (scheme == "wss" || scheme == "https") {
    url.tls = true;
  } else if (scheme != "ws" && scheme != "http") {
    return "URL '" + std::string(text) + "': the scheme must be ws, wss, http or https";
  }
  url.host = parsed->host_address();
  if (url.host.empty()) return "URL '" + std::string(text) + "' has no host";
  url.port = parsed->has_port() ? std::string(parsed->port()) : (url.tls ? "443" : "80");
  url.path = std::string(parsed->encoded_path());
  while (!url.path.empty() && url.path.back() == '/') url.path.pop_back();
  return url;
}

namespace {

using PlainStream = websocket::stream<beast::tcp_stream>;
using TlsStream = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

template <class Stream>
class Connection final : public WebSocketClient, public std::enable_shared_from_this<Connection<Stream>> {
 public:
  Connection(asio::io_context& io, WebSocketUrl url, WebSocketOptions options, Handlers handlers,
             std::shared_ptr<ssl::context> tls)
      : resolver_(io),
        tls_(std::move(tls)),
        ws_(makeStream(io, tls_.get())),
        url_(std::move(url)),
        options_(std::move(options)),
        handlers_(std::move(handlers)) {}

  void connect(const std::string& target) override {
    target_ = target;
    resolver_.async_resolve(url_.host, url_.port,
                            [self = this->shared_from_this()](const boost::system::error_code& ec,
                                                              const tcp::resolver::results_type& results) {
                              if (ec) return self->fail("resolve " + self->url_.host, ec);
                              self->connectTcp(results);
                            });
  }

  void send(std::string frame) override {
    if (finished_ || closing_) return;
    queuedBytes_ += frame.size();
    if (queuedBytes_ > options_.maxQueuedBytes) return fail("send queue over its limit (peer not reading)", {});
    outbox_.push_back(std::move(frame));
    writeNext();
  }

  void close() override {
    if (finished_ || closing_) return;
    closing_ = true;
    if (open_) return writeNext();
    finished_ = true;
    resolver_.cancel();
    beast::get_lowest_layer(ws_).close();
  }

  bool open() const override { return open_ && !closing_; }

 private:
  static Stream makeStream(asio::io_context& io, ssl::context* tls) {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      return Stream(io, *tls);
    } else {
      (void)tls;
      return Stream(io);
    }
  }

  void connectTcp(const tcp::resolver::results_type& results) {
    beast::get_lowest_layer(ws_).expires_after(options_.connectTimeout);
    beast::get_lowest_layer(ws_).async_connect(
        results, [self = this->shared_from_this()](const boost::system::error_code& ec, const tcp::endpoint&) {
          if (ec) return self->fail("connect", ec);
          beast::get_lowest_layer(self->ws_).socket().set_option(tcp::no_delay(true));
          if constexpr (std::is_same_v<Stream, TlsStream>) {
            self->handshakeTls();
          } else {
            self->upgrade();
          }
        });
  }

  void handshakeTls() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      auto& tls = ws_.next_layer();
      // SNI, and the certificate must name the host we asked for.
      if (!SSL_set_tlsext_host_name(tls.native_handle(), url_.host.c_str())) {
        return fail("TLS: cannot set the server name", {});
      }
      tls.set_verify_callback(ssl::host_name_verification(url_.host));
      tls.async_handshake(ssl::stream_base::client,
                          [self = this->shared_from_this()](const boost::system::error_code& ec) {
                            if (ec) return self->fail("TLS handshake with " + self->url_.host, ec);
                            self->upgrade();
                          });
    }
  }

  void upgrade() {
    beast::get_lowest_layer(ws_).expires_never();
    // Pings when idle, and a peer that stops answering them is gone: a
    // half-open connection (a NAT drop, a crashed server) is noticed.
    websocket::stream_base::timeout timeout{};
    timeout.handshake_timeout = options_.connectTimeout;
    timeout.idle_timeout = std::chrono::seconds(20);
    timeout.keep_alive_pings = true;
    ws_.set_option(timeout);
    auto headers = options_.headers;
    ws_.set_option(websocket::stream_base::decorator([headers](websocket::request_type& request) {
      for (const auto& [name, value] : headers) request.set(name, value);
    }));
    ws_.binary(!options_.textFrames);
    auto response = std::make_shared<websocket::response_type>();
    const std::string host = url_.host + ":" + url_.port;
    ws_.async_handshake(*response, host, target_,
                        [self = this->shared_from_this(), response](const boost::system::error_code& ec) {
                          if (ec) {
                            return self->fail("upgrade refused (HTTP " + std::to_string(response->result_int()) +
                                                  (response->body().empty() ? "" : ": " + response->body()) + ")",
                                              ec);
                          }
                          self->open_ = true;
                          if (self->handlers_.onOpen && !self->closing_) self->handlers_.onOpen();
                          if (self->finished_) return;
                          self->readNext();
                          self->writeNext();
                        });
  }

  void writeNext() {
    if (!open_ || writing_ || finished_) return;
    if (outbox_.empty()) {
      if (!closing_) return;
      // Everything queued (a leave, say) is out: now the close handshake.
      finished_ = true;
      open_ = false;
      ws_.async_close(websocket::close_code::normal,
                      [self = this->shared_from_this()](const boost::system::error_code&) {
                        beast::get_lowest_layer(self->ws_).close();
                      });
      return;
    }
    writing_ = true;
    ws_.async_write(asio::buffer(outbox_.front()),
                    [self = this->shared_from_this()](const boost::system::error_code& ec, size_t) {
                      self->writing_ = false;
                      if (ec) return self->fail("write", ec);
                      self->queuedBytes_ -= self->outbox_.front().size();
                      self->outbox_.pop_front();
                      self->writeNext();
                    });
  }

  void readNext() {
    ws_.async_read(readBuffer_, [self = this->shared_from_this()](const boost::system::error_code& ec, size_t) {
      if (ec == websocket::error::closed) return self->fail("closed by the server", {});
      if (ec) return self->fail("read", ec);
      const auto data = self->readBuffer_.cdata();
      const std::string_view frame(static_cast<const char*>(data.data()), data.size());
      if (!self->finished_ && !self->closing_ && self->handlers_.onMessage) self->handlers_.onMessage(frame);
      self->readBuffer_.consume(self->readBuffer_.size());
      if (!self->finished_) self->readNext();
    });
  }

  void fail(const std::string& what, const boost::system::error_code& ec) {
    if (finished_) return;
    finished_ = true;
    open_ = false;
    beast::get_lowest_layer(ws_).close();
    if (handlers_.onClose && !closing_) handlers_.onClose(ec ? what + ": " + ec.message() : what);
  }

  tcp::resolver resolver_;
  std::shared_ptr<ssl::context> tls_;  // before ws_, which refers to it
  Stream ws_;
  beast::flat_buffer readBuffer_;
  std::deque<std::string> outbox_;
  size_t queuedBytes_ = 0;
  WebSocketUrl url_;
  WebSocketOptions options_;
  Handlers handlers_;
  std::string target_;
  bool open_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool finished_ = false;
};

std::shared_ptr<ssl::context> clientTlsContext(const WebSocketOptions& options, std::string& error) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  context->set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  if (options.caFile.empty()) {
    context->set_default_verify_paths(ec);
  } else {
    context->load_verify_file(options.caFile, ec);
  }
  if (ec) {
    error = "TLS trust store: " + ec.message();
    return nullptr;
  }
  return context;
}

// A connection that could not be set up: it reports why on connect().
class FailedConnection final : public WebSocketClient {
 public:
  FailedConnection(asio::io_context& io, std::string reason, Handlers handlers)
      : io_(io), reason_(std::move(reason)), handlers_(std::move(handlers)) {}
  void connect(const std::string&) override {
    asio::post(io_, [onClose = handlers_.onClose, reason = reason_] {
      if (onClose) onClose(reason);
    });
  }
  void send(std::string) override {}
  void close() override { handlers_.onClose = nullptr; }
  bool open() const override { return false; }

 private:
  asio::io_context& io_;
  std::string reason_;
  Handlers handlers_;
};

}  // namespace

std::shared_ptr<WebSocketClient> WebSocketClient::create(asio::io_context& io, const WebSocketUrl& url,
                                                         WebSocketOptions options, Handlers handlers) {
  if (!url.tls)
    return std::make_shared<Connection<PlainStream>>(io, url, std::move(options), std::move(handlers), nullptr);
  std::string error;
  auto tls = clientTlsContext(options, error);
  if (!tls) return std::make_shared<FailedConnection>(io, error, std::move(handlers));
  return std::make_shared<Connection<TlsStream>>(io, url, std::move(options), std::move(handlers), std::move(tls));
}

}  // namespace convox::client
