#pragma once

// LiveKit client signalling over HTTP/WebSocket:
//   /rtc              WebSocket, one SignalRequest/SignalResponse per binary frame
//   /rtc/validate     GET: would this join succeed, and if not, why
//   /rtc/v1[/validate] 404 with CORS, so clients fall back to /rtc (dual PC)

#include "common/config.hpp"
#include "common/http_server.hpp"
#include "common/jwt.hpp"
#include "sfu/room_manager.hpp"

#include <prometheus/registry.h>

namespace convox::sfu {

struct SignalServiceOptions {
  common::SignalSettings signal;
  std::string serverVersion;  // LiveKit protocol-level version reported to clients
  std::string nodeId;
};

class SignalService {
 public:
  SignalService(boost::asio::io_context& io, RoomManager& rooms, common::SecretLookup secrets,
                SignalServiceOptions options, prometheus::Registry& metrics);

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
  prometheus::Gauge* connectionsGauge_;
};

}  // namespace convox::sfu
