#include "sfu/signal_service.hpp"

#include "common/access_token.hpp"
#include "common/ids.hpp"
#include "common/logging.hpp"
#include "media_worker.hpp"
#include "signal_session.hpp"
#include "signal_socket.hpp"

namespace convox::sfu {

namespace {

constexpr std::string_view kCors = "*";

common::HttpResponse withCors(common::HttpResponse res) {
  res.set(common::http::field::access_control_allow_origin, kCors);
  return res;
}

std::unique_ptr<SignalSocketMetrics> makeSocketMetrics(prometheus::Registry& metrics) {
  auto& open = prometheus::BuildGauge()
                   .Name("convox_signal_connections")
                   .Help("Open /rtc signal WebSocket connections")
                   .Register(metrics)
                   .Add({});
  auto& resumes =
      prometheus::BuildCounter()
          .Name("convox_signal_resumes_total")
          .Help("Sessions resumed on a new signal socket, by whether the old socket had closed or still looked open")
          .Register(metrics);
  return std::make_unique<SignalSocketMetrics>(
      SignalSocketMetrics{open, resumes.Add({{"old_socket", "closed"}}), resumes.Add({{"old_socket", "open"}})});
}

bool truthy(const std::optional<std::string>& v) { return v && (*v == "1" || *v == "true"); }

}  // namespace

struct SignalService::Admission {
  std::optional<common::ClaimGrants> grants;
  unsigned status = 200;
  std::string message;
};

SignalService::SignalService(boost::asio::io_context& io, RoomManager& rooms, common::SecretLookup secrets,
                             SignalServiceOptions options, prometheus::Registry& metrics)
    : io_(io),
      rooms_(rooms),
      secrets_(std::move(secrets)),
      options_(std::move(options)),
      socketMetrics_(makeSocketMetrics(metrics)),
      media_(std::make_unique<MediaWorkerPool>(options_.media, options_.media.threads)) {}

SignalService::~SignalService() = default;

void SignalService::mount(common::HttpRouter& router) {
  router.upgrade("/rtc", [this](const common::HttpRequest& req) { return onUpgrade(req); });
  router.exact("/rtc/validate", [this](const common::HttpRequest& req) { return onValidate(req); });
  // Single-PC signalling (v1) is not implemented: a 404 on both the upgrade
  // and its validate URL is what makes the SDKs fall back to /rtc.
  auto notFound = [](const common::HttpRequest& req) {
    return withCors(common::makeResponse(req, common::http::status::not_found, "signal v1 is not supported\n"));
  };
  router.upgrade("/rtc/v1", [notFound](const common::HttpRequest& req) {
    return common::UpgradeDecision{notFound(req), nullptr};
  });
  router.exact("/rtc/v1", notFound);
  router.exact("/rtc/v1/validate", notFound);
}

SignalService::Admission SignalService::authorise(const common::HttpRequest& req) const {
  std::string token(common::bearerToken(req[common::http::field::authorization]));
  if (token.empty()) token = common::queryParameter(req, "access_token").value_or("");
  if (token.empty()) return {std::nullopt, 401, "no access token: pass access_token or Authorization: Bearer"};
  auto grants = common::verifyAccessToken(token, secrets_, common::unixSeconds());
  if (!grants) return {std::nullopt, 401, grants.error().message};
  if (auto denied = common::checkRoomJoin(*grants); !denied.empty()) return {std::nullopt, 401, denied};
  // A resume is a participant already in the room: room limits were checked when it joined.
  const bool resuming = truthy(common::queryParameter(req, "reconnect"));
  if (auto refused = resuming ? std::nullopt : rooms_.admit(*grants)) {
    return {std::nullopt, refused->httpStatus, refused->message};
  }
  return {std::move(*grants), 200, {}};
}

common::UpgradeDecision SignalService::onUpgrade(const common::HttpRequest& req) {
  auto admission = authorise(req);
  if (!admission.grants) {
    common::logger("signal")->info("refused /rtc upgrade: {} {}", admission.status, admission.message);
    auto res = common::makeResponse(req, static_cast<common::http::status>(admission.status), admission.message + "\n");
    return {withCors(std::move(res)), nullptr};
  }
  if (truthy(common::queryParameter(req, "reconnect"))) {
    // The same participant coming back on a new socket: its session, if it
    // can still be resumed when the socket opens, takes the socket over.
    auto sid = common::queryParameter(req, "sid").value_or("");
    auto session = std::dynamic_pointer_cast<SignalSession>(
        rooms_.sessionFor(admission.grants->video->room, admission.grants->identity, sid));
    return {std::nullopt, SignalSocket::resuming(std::move(session), std::move(sid), *socketMetrics_)};
  }
  JoinParameters join;
  const auto autoSubscribe = common::queryParameter(req, "auto_subscribe");
  join.autoSubscribe = !autoSubscribe || truthy(autoSubscribe);
  auto session = std::make_shared<SignalSession>(io_, rooms_, *media_, std::move(*admission.grants), options_, join);
  return {std::nullopt, SignalSocket::joining(std::move(session), *socketMetrics_)};
}

common::HttpResponse SignalService::onValidate(const common::HttpRequest& req) const {
  auto admission = authorise(req);
  if (!admission.grants) {
    return withCors(
        common::makeResponse(req, static_cast<common::http::status>(admission.status), admission.message + "\n"));
  }
  return withCors(common::makeResponse(req, common::http::status::ok, "success"));
}

}  // namespace convox::sfu
