#include "worker_session.hpp"

#include "common/logging.hpp"
#include "dispatcher/worker_message_codec.hpp"

namespace convox::dispatcher {

namespace {
auto log() { return common::logger("dispatch"); }
}  // namespace

WorkerSession::WorkerSession(boost::asio::io_context& io, Dispatcher& dispatcher, WorkerCredential credential,
                             std::chrono::seconds registerTimeout)
    : dispatcher_(dispatcher),
      credential_(std::move(credential)),
      registerTimeout_(registerTimeout),
      registerTimer_(io) {}

void WorkerSession::onOpen(std::shared_ptr<common::WebSocketConnection> connection) {
  connection_ = std::move(connection);
  registerTimer_.expires_after(registerTimeout_);
  registerTimer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || !self->workerId_.empty()) return;
    log()->info("worker at {} sent no register within {} s; closing", self->connection_->remoteAddress(),
                self->registerTimeout_.count());
    self->close(common::close_code::kPolicyViolation, "no register message in time");
  });
}

void WorkerSession::onMessage(std::string_view data, bool binary) {
  if (closing_) return;
  livekit::WorkerMessage message;
  auto decoded = decodeWorkerMessage(data, binary, message);
  if (!decoded.ok) {
    log()->warn("worker {} at {}: {}; closing", workerId_.empty() ? "(unregistered)" : workerId_,
                connection_->remoteAddress(), decoded.error);
    close(common::close_code::kInvalidPayload, decoded.error);
    return;
  }
  if (workerId_.empty()) {
    textFrames_ = !binary;
    onFirstMessage(message);
    return;
  }
  if (auto error = dispatcher_.onWorkerMessage(workerId_, message)) {
    log()->warn("worker {}: {}; closing", workerId_, error->reason);
    close(common::close_code::kPolicyViolation, error->reason);
  }
}

void WorkerSession::onFirstMessage(const livekit::WorkerMessage& message) {
  if (message.has_ping()) {  // allowed while registering, as in LiveKit
    livekit::ServerMessage pong;
    pong.mutable_pong()->set_last_timestamp(message.ping().timestamp());
    send(pong);
    return;
  }
  if (!message.has_register_()) {
    close(common::close_code::kPolicyViolation, "the first message must be register");
    return;
  }
  auto registered = dispatcher_.registerWorker(shared_from_this(), credential_, message.register_());
  if (!registered) {
    log()->info("worker at {} refused: {}", connection_->remoteAddress(), registered.error().reason);
    close(common::close_code::kPolicyViolation, registered.error().reason);
    return;
  }
  workerId_ = *registered;
  registerTimer_.cancel();
}

void WorkerSession::onClose(uint16_t code, std::string_view reason) {
  registerTimer_.cancel();
  closing_ = true;
  if (!workerId_.empty()) {
    log()->debug("worker {}: connection closed ({} {})", workerId_, code, reason);
    dispatcher_.onWorkerClosed(workerId_);
  }
  connection_.reset();
}

void WorkerSession::send(const livekit::ServerMessage& message) {
  if (!connection_ || closing_) return;
  auto frame = encodeServerMessage(message, textFrames_);
  if (textFrames_) {
    connection_->sendText(std::move(frame));
  } else {
    connection_->sendBinary(std::move(frame));
  }
}

void WorkerSession::close(uint16_t code, std::string reason) {
  if (!connection_ || closing_) return;
  closing_ = true;
  connection_->close(code, std::move(reason));
}

}  // namespace convox::dispatcher
