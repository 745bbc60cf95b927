#pragma once

#include "common/http_server.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include <memory>
#include <optional>
#include <string>

namespace convox::sfu {

class SignalSession;

// Counted per socket, in the server's registry.
struct SignalSocketMetrics {
  prometheus::Gauge& open;                     // sockets open now
  prometheus::Counter& resumedAfterDrop;       // resumes of a session whose socket had closed
  prometheus::Counter& resumedOverLiveSocket;  // resumes that replaced a socket still open to us
};

// One /rtc WebSocket. A participant's session outlives its sockets: a resume
// attaches a new socket, possibly while the old one still looks open to us
// (the client noticed it was dead first). Each socket therefore reports only
// for itself, and the session listens to the one it currently uses.
class SignalSocket final : public common::WebSocketHandler {
 public:
  // The socket of a participant joining now.
  static std::shared_ptr<SignalSocket> joining(std::shared_ptr<SignalSession> session, SignalSocketMetrics& metrics);
  // A reconnect (`reconnect=1&sid=...`): it takes `session` over if that is
  // still participant `sid`'s resumable session when the socket opens, and
  // otherwise asks the client to rejoin. `session` may be null.
  static std::shared_ptr<SignalSocket> resuming(std::shared_ptr<SignalSession> session, std::string sid,
                                                SignalSocketMetrics& metrics);

  void onOpen(std::shared_ptr<common::WebSocketConnection> connection) override;
  void onMessage(std::string_view data, bool binary) override;
  void onClose(uint16_t code, std::string_view reason) override;

 private:
  SignalSocket(std::shared_ptr<SignalSession> session, std::optional<std::string> resumeSid,
               SignalSocketMetrics& metrics);
  void refuseResume();

  std::shared_ptr<SignalSession> session_;
  const std::optional<std::string> resumeSid_;
  SignalSocketMetrics& metrics_;
  std::shared_ptr<common::WebSocketConnection> connection_;
};

}  // namespace convox::sfu
