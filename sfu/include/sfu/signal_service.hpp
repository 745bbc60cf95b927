#pragma once

// LiveKit client signalling over HTTP/WebSocket:
//   /rtc              WebSocket, one SignalRequest/SignalResponse per binary frame
//   /rtc/validate     GET: would this join succeed, and if not, why
//   /rtc/v1[/validate] 404 with CORS, so clients fall back to /rtc (dual PC)

#include "common/config.hpp"
#include "common/http_server.hpp"
#include "common/jwt.hpp"
#include "rtc/srtp_session.hpp"
#include "sfu/room_manager.hpp"

#include <prometheus/registry.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace convox::sfu {

// Where media transports listen.
struct MediaSettings {
  std::vector<std::string> interfaces;  // ICE local addresses; empty = all
  std::optional<std::string> announcedIp;
  uint16_t portMin = 0;
  uint16_t portMax = 0;
  unsigned threads = 0;  // media threads; 0 = one per core
  rtc::SrtpImplementation srtp = rtc::SrtpImplementation::OpenSsl;
  // One UDP socket per media thread for all its connections (UdpMux)
  // instead of a libnice agent and socket per connection.
  bool sharedUdpSocket = false;
  // With the shared socket: the ICE-TCP port (rtc.tcp_port, RFC 6544
  // passive), one listener for all media threads; 0 = no TCP candidates.
  uint16_t tcpPort = 0;
};

class MediaWorkerPool;
struct SignalSocketMetrics;

struct SignalServiceOptions {
  common::SignalSettings signal;
  MediaSettings media;
  std::string serverVersion;  // LiveKit protocol-level version reported to clients
  std::string nodeId;
};

class SignalService {
 public:
  SignalService(boost::asio::io_context& io, RoomManager& rooms, common::SecretLookup secrets,
                SignalServiceOptions options, prometheus::Registry& metrics);
  ~SignalService();

  void mount(common::HttpRouter& router);

 private:
  struct Admission;
  Admission authorise(const common::HttpRequest& req) const;
  common::UpgradeDecision onUpgrade(const common::HttpRequest& req);
  common::HttpResponse onValidate(const common::HttpRequest& req) const;

  // Passed by argument.
  boost::asio::io_context& io_;
  RoomManager& rooms_;
  // Others.
  common::SecretLookup secrets_;
  SignalServiceOptions options_;
  std::unique_ptr<SignalSocketMetrics> socketMetrics_;
  std::unique_ptr<MediaWorkerPool> media_;
};

}  // namespace convox::sfu
