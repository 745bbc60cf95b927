#include "websocket_server.hpp"

#include "chat_completions_server.hpp"

#include <gtest/gtest.h>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <strings.h>
#include <deque>
#include <fstream>

namespace convox::voice::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

std::string WsUpgradeRequest::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n.size() == name.size() && strncasecmp(n.data(), name.data(), n.size()) == 0) return v;
  }
  return {};
}

namespace {

template <typename Next>
class ServerSide final : public WsConnection, public std::enable_shared_from_this<ServerSide<Next>> {
 public:
  ServerSide(WebSocketServer& server, std::shared_ptr<bool> alive, websocket::stream<Next> ws)
      : server_(server), alive_(std::move(alive)), ws_(std::move(ws)) {}

  void start() {
    http::async_read(ws_.next_layer(), buffer_, request_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       if (ec || !*self->alive_) return self->finish();
                       self->upgrade_.target = std::string(self->request_.target());
                       for (const auto& f : self->request_)
                         self->upgrade_.headers.emplace_back(f.name_string(), f.value());
                       self->server_.noteUpgrade(self->upgrade_);
                       if (self->server_.stallUpgrades) return;
                       std::optional<WsRefusal> refusal;
                       if (self->server_.onUpgrade) refusal = self->server_.onUpgrade(self->upgrade_);
                       if (refusal) return self->refuse(*refusal);
                       self->ws_.async_accept(self->request_, [self](beast::error_code aec) {
                         if (aec || !*self->alive_) return self->finish();
                         self->open_ = true;
                         if (self->server_.onOpen) self->server_.onOpen(*self);
                         self->read();
                         self->writeNext();
                       });
                     });
  }

  void sendText(std::string text) override { push({std::move(text), false}); }
  void sendBinary(std::string bytes) override { push({std::move(bytes), true}); }
  void close(uint16_t code, std::string reason) override {
    closeCode_ = code;
    closeReason_ = std::move(reason);
    closeQueued_ = true;
    writeNext();
  }
  void cut() override {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).socket().close(ignored);
    finish();
  }

 private:
  void refuse(const WsRefusal& r) {
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), 11);
    for (const auto& [n, v] : r.headers) res->set(n, v);
    res->body() = r.body;
    res->prepare_payload();
    res->keep_alive(false);
    http::async_write(ws_.next_layer(), *res, [self = this->shared_from_this(), res](beast::error_code, size_t) {
      beast::error_code ignored;
      beast::get_lowest_layer(self->ws_).socket().shutdown(tcp::socket::shutdown_send, ignored);
      self->finish();
    });
  }

  void push(WsMessage m) {
    out_.push_back(std::move(m));
    writeNext();
  }

  void writeNext() {
    if (!open_ || writing_ || ended_) return;
    if (out_.empty()) {
      if (!closeQueued_ || closeSent_) return;
      closeSent_ = true;
      writing_ = true;
      websocket::close_reason reason;
      reason.code = closeCode_;
      reason.reason.assign(closeReason_.data(), closeReason_.size());
      ws_.async_close(reason, [self = this->shared_from_this()](beast::error_code) { self->writing_ = false; });
      return;
    }
    writing_ = true;
    ws_.binary(out_.front().binary);
    ws_.async_write(asio::buffer(out_.front().data), [self = this->shared_from_this()](beast::error_code ec, size_t) {
      self->writing_ = false;
      if (ec) return self->finish();
      self->out_.pop_front();
      self->writeNext();
    });
  }

  void read() {
    ws_.async_read(in_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (!*self->alive_) return;
      if (ec) {
        if (ec == websocket::error::closed) self->clientCloseCode_ = static_cast<uint16_t>(self->ws_.reason().code);
        return self->finish();
      }
      WsMessage m{beast::buffers_to_string(self->in_.data()), self->ws_.got_binary()};
      self->in_.consume(self->in_.size());
      self->received_.push_back(m);
      if (self->server_.onMessage) self->server_.onMessage(*self, self->received_.back());
      if (!self->ended_) self->read();
    });
  }

  void finish() {
    if (ended_ || !*alive_) return;
    ended_ = true;
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    if (server_.onEnd) server_.onEnd(*this);
  }

  WebSocketServer& server_;
  std::shared_ptr<bool> alive_;
  websocket::stream<Next> ws_;
  beast::flat_buffer buffer_;
  beast::flat_buffer in_;
  http::request<http::string_body> request_;
  std::deque<WsMessage> out_;
  uint16_t closeCode_ = 0;
  std::string closeReason_;
  bool closeQueued_ = false;
  bool closeSent_ = false;
  bool open_ = false;
  bool writing_ = false;
};

}  // namespace

WebSocketServer::WebSocketServer(asio::io_context& io, asio::ssl::context* tls)
    : io_(io), tls_(tls), acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
  accept();
}

WebSocketServer::~WebSocketServer() {
  *alive_ = false;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

std::string WebSocketServer::baseUrl() const {
  return std::string(tls_ ? "wss" : "ws") + "://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
}

void WebSocketServer::accept() {
  acceptor_.async_accept([this, alive = alive_](boost::system::error_code ec, tcp::socket socket) {
    if (ec || !*alive) return;
    socket.set_option(tcp::no_delay(true));
    if (tls_ == nullptr) {
      auto c = std::make_shared<ServerSide<beast::tcp_stream>>(*this, alive_,
                                                               websocket::stream<beast::tcp_stream>(std::move(socket)));
      connections_.push_back(c);
      c->start();
    } else {
      using Tls = beast::ssl_stream<beast::tcp_stream>;
      auto ws = std::make_shared<websocket::stream<Tls>>(std::move(socket), *tls_);
      ws->next_layer().async_handshake(asio::ssl::stream_base::server, [this, alive, ws](beast::error_code hec) {
        if (hec || !*alive) return;
        auto c = std::make_shared<ServerSide<Tls>>(*this, alive_, std::move(*ws));
        connections_.push_back(c);
        c->start();
      });
    }
    accept();
  });
}

std::string useLoopbackCertificate(asio::ssl::context& serverTls) {
  const auto cert = makeLoopbackCertificate();
  serverTls.use_certificate_chain(asio::buffer(cert.certPem));
  serverTls.use_private_key(asio::buffer(cert.keyPem), asio::ssl::context::pem);
  std::string caFile = ::testing::TempDir() + "convox_ws_test_ca.pem";
  std::ofstream(caFile) << cert.certPem;
  return caFile;
}

}  // namespace convox::voice::testing
