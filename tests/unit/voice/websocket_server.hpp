#pragma once

// A local WebSocket server (Boost.Beast) on loopback in the test's own
// io_context, plain or TLS, standing in for Deepgram and ElevenLabs: it
// records each upgrade request (target and headers) and every message a
// client sends, and the test scripts its answers from the handlers (send a
// message, close with a code and reason, cut the TCP connection, or say
// nothing: a stall). An upgrade can be refused with an HTTP status.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace convox::voice::testing {

struct WsUpgradeRequest {
  std::string target;  // path and query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string header(std::string_view name) const;  // "" if absent
};

struct WsRefusal {
  unsigned status = 401;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct WsMessage {
  std::string data;
  bool binary = false;
};

class WsConnection {
 public:
  virtual ~WsConnection() = default;
  virtual void sendText(std::string text) = 0;
  virtual void sendBinary(std::string bytes) = 0;
  virtual void close(uint16_t code, std::string reason) = 0;  // after the queued messages
  virtual void cut() = 0;                                     // drop the TCP connection, no close frame
  const std::vector<WsMessage>& received() const { return received_; }
  const WsUpgradeRequest& upgrade() const { return upgrade_; }
  // The client's close frame, when one arrived (0: none).
  uint16_t clientCloseCode() const { return clientCloseCode_; }
  bool ended() const { return ended_; }

 protected:
  std::vector<WsMessage> received_;
  WsUpgradeRequest upgrade_;
  uint16_t clientCloseCode_ = 0;
  bool ended_ = false;
};

class WebSocketServer {
 public:
  WebSocketServer(boost::asio::io_context& io, boost::asio::ssl::context* tls = nullptr);
  ~WebSocketServer();

  // ws(s)://127.0.0.1:<port>
  std::string baseUrl() const;

  // Scripting; each may be unset.
  std::function<std::optional<WsRefusal>(const WsUpgradeRequest&)> onUpgrade;  // a value refuses
  std::function<void(WsConnection&)> onOpen;
  std::function<void(WsConnection&, const WsMessage&)> onMessage;
  std::function<void(WsConnection&)> onEnd;  // the connection is over
  bool stallUpgrades = false;                // read the upgrade request, never answer it

  const std::vector<std::shared_ptr<WsConnection>>& connections() const { return connections_; }
  const std::vector<WsUpgradeRequest>& upgrades() const { return upgrades_; }
  void noteUpgrade(const WsUpgradeRequest& request) { upgrades_.push_back(request); }  // by the connections

 private:
  void accept();

  boost::asio::io_context& io_;
  boost::asio::ssl::context* tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<std::shared_ptr<WsConnection>> connections_;
  std::vector<WsUpgradeRequest> upgrades_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Writes the certificate of makeLoopbackCertificate() to a temporary PEM
// file (the client's caFile) and loads it into `serverTls`.
std::string useLoopbackCertificate(boost::asio::ssl::context& serverTls);

}  // namespace convox::voice::testing
