#include "websocket_session.hpp"

#include "common/logging.hpp"

#include <boost/asio/post.hpp>

namespace convox::common::detail {

namespace websocket = boost::beast::websocket;

WebSocketSession::WebSocketSession(boost::beast::tcp_stream stream, std::shared_ptr<WebSocketHandler> handler,
                                   const HttpServerLimits& limits, std::string remoteAddress, std::string route)
    : ws_(std::move(stream)),
      handler_(std::move(handler)),
      maxQueueBytes_(limits.maxWebSocketSendQueueBytes),
      remoteAddress_(std::move(remoteAddress)),
      route_(std::move(route)) {
  ws_.read_message_max(limits.maxWebSocketMessageBytes);
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = std::chrono::seconds(10);
  timeouts.idle_timeout = limits.webSocketIdleTimeout;
  timeouts.keep_alive_pings = true;
  ws_.set_option(timeouts);
  ws_.set_option(
      websocket::stream_base::decorator([](websocket::response_type& res) { res.set(http::field::server, "convox"); }));
}

template <typename Call>
bool WebSocketSession::guarded(const char* what, Call&& call) noexcept {
  try {
    call();
    return true;
  } catch (const std::exception& e) {
    logger("http")->error("websocket {} {}: {} handler threw: {}", route_, remoteAddress_, what, e.what());
  } catch (...) {
    logger("http")->error("websocket {} {}: {} handler threw a non-exception", route_, remoteAddress_, what);
  }
  return false;
}

void WebSocketSession::run(HttpRequest upgradeRequest) {
  boost::beast::get_lowest_layer(ws_).expires_never();
  auto req = std::make_shared<HttpRequest>(std::move(upgradeRequest));
  ws_.async_accept(*req, [self = shared_from_this(), req](boost::beast::error_code ec) {
    if (ec) {
      self->finish(close_code::kInternalError, "handshake failed");
      return;
    }
    self->open_ = true;
    if (!self->guarded("open", [&] { self->handler_->onOpen(self); }))
      self->close(close_code::kInternalError, "internal error");
    self->readNext();
  });
}

void WebSocketSession::readNext() {
  ws_.async_read(readBuffer_, [self = shared_from_this()](boost::beast::error_code ec, size_t) {
    if (ec) {
      if (ec == websocket::error::message_too_big) {
        // Beast answers with close code 1009 itself.
        self->finish(close_code::kTooBig, "message too big");
      } else if (ec == websocket::error::closed) {
        const auto& r = self->ws_.reason();
        self->finish(r.code, std::string_view(r.reason.data(), r.reason.size()));
      } else if (self->closeSent_) {
        self->finish(self->closeReason_.code, self->closeReason_.reason.c_str());
      } else {
        self->finish(close_code::kGoingAway, ec.message());
      }
      return;
    }
    if (self->handler_ && !self->closeRequested_) {
      const auto data = self->readBuffer_.cdata();
      const bool handled = self->guarded("message", [&] {
        self->handler_->onMessage(std::string_view(static_cast<const char*>(data.data()), data.size()),
                                  self->ws_.got_binary());
      });
      if (!handled) self->close(close_code::kInternalError, "internal error");
    }
    self->readBuffer_.clear();
    self->readNext();
  });
}

void WebSocketSession::sendBinary(std::string bytes) {
  boost::asio::post(ws_.get_executor(),
                    [self = shared_from_this(), b = std::move(bytes)]() mutable { self->enqueue(std::move(b), true); });
}

void WebSocketSession::sendText(std::string text) {
  boost::asio::post(ws_.get_executor(),
                    [self = shared_from_this(), t = std::move(text)]() mutable { self->enqueue(std::move(t), false); });
}

void WebSocketSession::close(uint16_t code, std::string reason) {
  boost::asio::post(ws_.get_executor(), [self = shared_from_this(), code, r = std::move(reason)]() mutable {
    if (self->closeRequested_) return;
    self->closeRequested_ = true;
    // A close reason is at most 123 bytes on the wire.
    if (r.size() > 123) r.resize(123);
    self->closeReason_ = websocket::close_reason(static_cast<websocket::close_code>(code), r);
    if (!self->writing_) self->startClose();
  });
}

void WebSocketSession::enqueue(std::string data, bool binary) {
  if (closeRequested_ || !open_) return;
  queuedBytes_ += data.size();
  if (queuedBytes_ > maxQueueBytes_) {
    logger("http")->warn("websocket {}: send queue over {} bytes, disconnecting a slow peer", remoteAddress_,
                         maxQueueBytes_);
    queue_.clear();
    queuedBytes_ = 0;
    closeRequested_ = true;
    closeReason_ = websocket::close_reason(static_cast<websocket::close_code>(close_code::kPolicyViolation),
                                           "send queue overflow");
    if (!writing_) startClose();
    return;
  }
  queue_.emplace_back(std::move(data), binary);
  if (!writing_) writeNext();
}

void WebSocketSession::writeNext() {
  if (queue_.empty()) {
    writing_ = false;
    if (closeRequested_) startClose();
    return;
  }
  writing_ = true;
  ws_.binary(queue_.front().second);
  ws_.async_write(boost::asio::buffer(queue_.front().first),
                  [self = shared_from_this()](boost::beast::error_code ec, size_t n) {
                    self->queuedBytes_ -= std::min(self->queuedBytes_, n);
                    self->queue_.pop_front();
                    if (ec) {
                      self->writing_ = false;
                      self->queue_.clear();
                      self->queuedBytes_ = 0;
                      return;  // the read side sees the failure and finishes
                    }
                    self->writeNext();
                  });
}

void WebSocketSession::startClose() {
  if (closeSent_ || !ws_.is_open()) return;
  closeSent_ = true;
  writing_ = true;
  ws_.async_close(closeReason_, [self = shared_from_this()](boost::beast::error_code) { self->writing_ = false; });
}

void WebSocketSession::finish(uint16_t code, std::string_view reason) {
  if (auto handler = std::move(handler_)) {
    // Dropping our reference breaks the handler <-> connection cycle.
    if (open_) guarded("close", [&] { handler->onClose(code, reason); });
  }
  open_ = false;
}

}  // namespace convox::common::detail
