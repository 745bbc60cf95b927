#include "signal_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/url/parse.hpp>

#include <chrono>

namespace convox::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

std::optional<SignalEndpoint> parseSignalUrl(const std::string& url, std::string& error) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    error = "invalid URL '" + url + "'";
    return std::nullopt;
  }
  const auto scheme = parsed->scheme();
  if (scheme != "ws" && scheme != "http") {
    error = "URL '" + url + "': only ws:// (plain, loopback) is supported";
    return std::nullopt;
  }
  SignalEndpoint e;
  e.host = parsed->host();
  e.port = parsed->has_port() ? std::string(parsed->port()) : "80";
  e.pathPrefix = std::string(parsed->encoded_path());
  while (!e.pathPrefix.empty() && e.pathPrefix.back() == '/') e.pathPrefix.pop_back();
  return e;
}

SignalClient::SignalClient(asio::io_context& io, MessageHandler onMessage, CloseHandler onClose)
    : resolver_(io), ws_(io), onMessage_(std::move(onMessage)), onClose_(std::move(onClose)) {}

void SignalClient::connect(const SignalEndpoint& endpoint, const std::string& query) {
  host_ = endpoint.host + ":" + endpoint.port;
  target_ = endpoint.pathPrefix + "/rtc?" + query;
  resolver_.async_resolve(
      endpoint.host, endpoint.port,
      [self = shared_from_this()](const boost::system::error_code& ec, const tcp::resolver::results_type& results) {
        if (ec) return self->fail("resolve", ec);
        beast::get_lowest_layer(self->ws_).expires_after(std::chrono::seconds(10));
        beast::get_lowest_layer(self->ws_).async_connect(
            results, [self](const boost::system::error_code& ec2, const tcp::endpoint&) {
              if (ec2) return self->fail("connect", ec2);
              beast::get_lowest_layer(self->ws_).expires_never();
              beast::get_lowest_layer(self->ws_).socket().set_option(tcp::no_delay(true));
              self->ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
              self->ws_.binary(true);
              auto response = std::make_shared<websocket::response_type>();
              self->ws_.async_handshake(
                  *response, self->host_, self->target_, [self, response](const boost::system::error_code& ec3) {
                    if (ec3) {
                      return self->fail("upgrade refused (HTTP " + std::to_string(response->result_int()) + ": " +
                                            response->body() + ")",
                                        ec3);
                    }
                    self->open_ = true;
                    self->readNext();
                    self->writeNext();
                  });
            });
      });
}

void SignalClient::send(const livekit::SignalRequest& request) {
  if (finished_ || closing_) return;
  outbox_.push_back(request.SerializeAsString());
  writeNext();
}

void SignalClient::writeNext() {
  if (!open_ || writing_ || finished_) return;
  if (outbox_.empty()) {
    if (!closing_) return;
    // Everything queued (a leave, say) is out: now the close handshake.
    finished_ = true;
    open_ = false;
    ws_.async_close(websocket::close_code::normal, [self = shared_from_this()](const boost::system::error_code&) {
      beast::get_lowest_layer(self->ws_).close();
    });
    return;
  }
  writing_ = true;
  ws_.async_write(asio::buffer(outbox_.front()),
                  [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                    self->writing_ = false;
                    if (ec) return self->fail("write", ec);
                    self->outbox_.pop_front();
                    self->writeNext();
                  });
}

void SignalClient::readNext() {
  ws_.async_read(readBuffer_, [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
    if (ec) return self->fail("read", ec);
    livekit::SignalResponse message;
    const auto bytes = beast::buffers_to_string(self->readBuffer_.data());
    self->readBuffer_.consume(self->readBuffer_.size());
    if (!message.ParseFromString(bytes)) {
      self->fail("a frame that is not a SignalResponse", {});
      return;
    }
    if (self->finished_ || self->closing_) return;
    self->onMessage_(message);
    if (!self->finished_) self->readNext();
  });
}

void SignalClient::fail(const std::string& what, const boost::system::error_code& ec) {
  if (finished_) return;
  finished_ = true;
  open_ = false;
  beast::get_lowest_layer(ws_).close();
  if (onClose_) onClose_(ec ? what + ": " + ec.message() : what);
}

void SignalClient::close() {
  if (finished_ || closing_) return;
  closing_ = true;
  if (open_) return writeNext();
  finished_ = true;
  resolver_.cancel();
  beast::get_lowest_layer(ws_).close();
}

}  // namespace convox::bench
