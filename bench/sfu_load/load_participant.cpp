#include "load_participant.hpp"

#include "common/access_token.hpp"
#include "common/ids.hpp"
#include "rtc/dtls_certificate.hpp"
#include "rtc/ice_candidate_init.hpp"

#include <chrono>

namespace convox::bench {

namespace {
constexpr int64_t kRtcpIntervalNanos = 1'000'000'000;
constexpr int64_t kTokenTtlSeconds = 6 * 3600;
}  // namespace

int64_t steadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

LoadParticipant::LoadParticipant(LoadContext& context, std::string room, std::string identity)
    : context_(context), room_(std::move(room)), identity_(std::move(identity)) {}

LoadParticipant::~LoadParticipant() {
  if (signal_) signal_->close();
  if (transport_) transport_->close();
}

void LoadParticipant::join() {
  common::ClaimGrants grants;
  grants.identity = identity_;
  grants.name = identity_;
  common::VideoGrant video;
  video.room = room_;
  video.roomJoin = true;
  grants.video = video;
  const auto token =
      common::signAccessToken(grants, context_.apiKey, context_.apiSecret, common::unixSeconds(), kTokenTtlSeconds);
  signal_ = std::make_shared<SignalClient>(
      *context_.io, [this](const livekit::SignalResponse& m) { onSignalMessage(m); },
      [this](const std::string& reason) {
        if (!left_) fail("signal connection: " + reason);
      });
  std::string query = "access_token=" + token + "&auto_subscribe=" + (autoSubscribe() ? "1" : "0") +
                      "&sdk=cpp&version=0.1.0&protocol=17";
  signal_->connect(context_.endpoint, query);
}

void LoadParticipant::leave() {
  if (left_) return;
  left_ = true;
  if (signal_ && signal_->open()) {
    livekit::SignalRequest request;
    request.mutable_leave()->set_reason(livekit::CLIENT_INITIATED);
    request.mutable_leave()->set_action(livekit::LeaveRequest::DISCONNECT);
    signal_->send(request);
  }
  if (signal_) signal_->close();
  if (transport_) transport_->close();
}

void LoadParticipant::send(const livekit::SignalRequest& request) {
  if (signal_) signal_->send(request);
}

void LoadParticipant::fail(const std::string& reason) {
  if (failure_.empty()) failure_ = reason;
}

void LoadParticipant::onSignalMessage(const livekit::SignalResponse& message) {
  switch (message.message_case()) {
    case livekit::SignalResponse::kJoin: {
      const auto interval = message.join().ping_interval();
      pingIntervalNanos_ = int64_t{interval > 0 ? interval : 5} * 1'000'000'000;
      nextPingNanos_ = steadyNanos() + pingIntervalNanos_;
      onJoined();
      return;
    }
    case livekit::SignalResponse::kLeave:
      fail("the server sent a leave (reason " + std::to_string(message.leave().reason()) + ")");
      return;
    case livekit::SignalResponse::kTrickle:
      onTrickle(message.trickle());
      return;
    default:
      onSignal(message);
  }
}

void LoadParticipant::onTrickle(const livekit::TrickleRequest& trickle) {
  if (!transport_) return;
  const auto init = rtc::parseIceCandidateInit(trickle.candidateinit());
  if (init && !init->candidate.empty()) transport_->addRemoteCandidate(init->candidate);
}

void LoadParticipant::tick(int64_t nowNanos) {
  if (left_) return;
  if (pingIntervalNanos_ > 0 && nowNanos >= nextPingNanos_) {
    nextPingNanos_ = nowNanos + pingIntervalNanos_;
    livekit::SignalRequest request;
    request.mutable_ping_req()->set_timestamp(common::unixMillis());
    send(request);
  }
  if (connected() && nowNanos >= nextRtcpNanos_) {
    nextRtcpNanos_ = nowNanos + kRtcpIntervalNanos;
    onRtcpDue();
  }
}

bool LoadParticipant::startTransport() {
  rtc::WebRtcTransportSettings settings;
  settings.ice.role = rtc::IceRole::Controlling;
  settings.ice.localAddresses = {context_.iceAddress};
  settings.certificate = context_.certificate;
  settings.dataChannels = false;
  // A publisher hears nothing back for audio; ICE consent tells us if the server goes.
  settings.inactivityTimeout = std::chrono::milliseconds(0);
  transport_ = std::make_unique<rtc::WebRtcTransport>(*context_.loop, *this, settings);
  std::string error;
  if (!transport_->start(error)) {
    fail("transport: " + error);
    return false;
  }
  return true;
}

void LoadParticipant::describeTransport(rtc::MediaSection& section, rtc::SetupRole setup) const {
  rtc::describeLocalTransport(*transport_, section, setup, true);
  section.transport.iceOptions = {"trickle"};
}

bool LoadParticipant::applyRemoteDescription(const rtc::SessionDescription& remote, rtc::SdpType type,
                                             rtc::SetupRole localSetup) {
  auto applied = rtc::applyRemoteDescription(*transport_, remote, type, localSetup);
  if (!applied) fail("the server's " + applied.error());
  return applied.has_value();
}

void LoadParticipant::onGatheringDone() { gathered_ = true; }

void LoadParticipant::onTransportState(rtc::TransportState state, const std::string& reason) {
  state_ = state;
  if (state == rtc::TransportState::Failed && !left_) fail("peer connection failed: " + reason);
}

}  // namespace convox::bench
