#include "signal_socket.hpp"

#include "sfu/signal_codec.hpp"
#include "signal_session.hpp"

namespace convox::sfu {

std::shared_ptr<SignalSocket> SignalSocket::joining(std::shared_ptr<SignalSession> session,
                                                    SignalSocketMetrics& metrics) {
  return std::shared_ptr<SignalSocket>(new SignalSocket(std::move(session), std::nullopt, metrics));
}

std::shared_ptr<SignalSocket> SignalSocket::resuming(std::shared_ptr<SignalSession> session, std::string sid,
                                                     SignalSocketMetrics& metrics) {
  return std::shared_ptr<SignalSocket>(new SignalSocket(std::move(session), std::move(sid), metrics));
}

SignalSocket::SignalSocket(std::shared_ptr<SignalSession> session, std::optional<std::string> resumeSid,
                           SignalSocketMetrics& metrics)
    : session_(std::move(session)), resumeSid_(std::move(resumeSid)), metrics_(metrics) {}

void SignalSocket::onOpen(std::shared_ptr<common::WebSocketConnection> connection) {
  metrics_.open.Increment();
  connection_ = std::move(connection);
  if (!resumeSid_) return session_->join(connection_);
  // Checked again here: the session may have ended since the upgrade.
  if (!session_ || !session_->resumable(*resumeSid_)) return refuseResume();
  (session_->connected() ? metrics_.resumedOverLiveSocket : metrics_.resumedAfterDrop).Increment();
  session_->resume(connection_);
}

void SignalSocket::onMessage(std::string_view data, bool binary) {
  // A replaced socket may still deliver what was in flight; the session has moved on.
  if (session_ && session_->usesConnection(*connection_)) session_->onMessage(data, binary);
}

void SignalSocket::onClose(uint16_t code, std::string_view reason) {
  metrics_.open.Decrement();
  if (session_) session_->onConnectionClosed(*connection_, code, reason);
  session_.reset();
  connection_.reset();
}

void SignalSocket::refuseResume() {
  // Nothing to resume (the participant left, or the window closed): a leave
  // asking for a full reconnect makes the SDK rejoin from scratch.
  session_.reset();
  livekit::SignalResponse leave;
  leave.mutable_leave()->set_reason(livekit::STATE_MISMATCH);
  leave.mutable_leave()->set_action(livekit::LeaveRequest::RECONNECT);
  connection_->sendBinary(encodeSignalResponse(leave));
  connection_->close(common::close_code::kNormal, "nothing to resume; rejoin");
}

}  // namespace convox::sfu
