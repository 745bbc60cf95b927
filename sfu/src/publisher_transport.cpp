#include "publisher_transport.hpp"

#include "common/logging.hpp"

#include <boost/json/parse.hpp>

#include <random>

namespace convox::sfu {

PublisherTransport::PublisherTransport(MediaWorker& worker, PublisherCallbacks callbacks)
    : worker_(worker), callbacks_(std::move(callbacks)) {}

void PublisherTransport::handleOffer(const std::string& sdp, uint32_t id) {
  auto parsed = rtc::parseSdp(sdp);
  if (!parsed) return callbacks_.failed("publisher offer: " + rtc::describe(parsed.error()));
  if (auto valid = rtc::validateForWebRtc(*parsed, rtc::SdpType::Offer); !valid) {
    return callbacks_.failed("publisher offer: " + rtc::describe(valid.error()));
  }
  offer_ = std::move(*parsed);
  pendingAnswerId_ = id;
  if (transport_) return answerIfReady();  // a renegotiation on the same transport

  const rtc::MediaSection* first = nullptr;
  bool wantsData = false;
  for (const auto& m : offer_.media) {
    if (m.isRejected()) continue;
    if (!first) first = &m;
    wantsData = wantsData || m.kind == rtc::MediaKind::Application;
  }
  if (!first) return callbacks_.failed("publisher offer has no usable section");
  const auto remote = rtc::effectiveTransport(offer_, *first);
  if (remote.fingerprints.empty()) return callbacks_.failed("publisher offer has no fingerprint");

  rtc::WebRtcTransportSettings settings;
  settings.ice.role = rtc::IceRole::Lite;
  settings.ice.localAddresses = worker_.settings().interfaces;
  settings.ice.announcedAddress = worker_.settings().announcedIp;
  settings.ice.portMin = worker_.settings().portMin;
  settings.ice.portMax = worker_.settings().portMax;
  settings.certificate = worker_.certificate();
  transport_ = std::make_unique<rtc::WebRtcTransport>(worker_.loop(), *this, settings);
  std::string error;
  if (!transport_->start(error)) return callbacks_.failed(error);
  rtc::RemoteTransportParameters params;
  params.iceUfrag = remote.iceUfrag;
  params.icePassword = remote.icePwd;
  params.fingerprintAlgorithm = remote.fingerprints[0].algorithm;
  params.fingerprint = rtc::formatFingerprintHex(remote.fingerprints[0].digest);
  params.localDtlsRole = remote.setup == rtc::SetupRole::Passive ? rtc::DtlsRole::Client : rtc::DtlsRole::Server;
  params.dataChannels = wantsData;
  if (!transport_->setRemoteParameters(params, error)) return callbacks_.failed(error);
  for (const auto& m : offer_.media) {
    for (const auto& c : m.candidates) transport_->addRemoteCandidate(rtc::writeIceCandidate(c));
  }
}

void PublisherTransport::addRemoteCandidate(const std::string& candidateInitJson) {
  if (!transport_) return;
  boost::system::error_code ec;
  auto json = boost::json::parse(candidateInitJson, ec);
  if (ec || !json.is_object()) return;
  const auto* candidate = json.as_object().if_contains("candidate");
  if (!candidate || !candidate->is_string() || candidate->as_string().empty()) return;
  transport_->addRemoteCandidate(std::string(candidate->as_string()));
}

void PublisherTransport::onGatheringDone() {
  gathered_ = true;
  answerIfReady();
}

void PublisherTransport::answerIfReady() {
  if (!gathered_ || !pendingAnswerId_) return;
  const auto id = *pendingAnswerId_;
  pendingAnswerId_.reset();
  callbacks_.answer(buildAnswer(), id);
}

std::string PublisherTransport::buildAnswer() const {
  rtc::SessionDescription a;
  a.origin.sessionId = 1;
  a.origin.sessionVersion = 1;
  a.transport.iceLite = true;
  a.msidSemantic = rtc::MsidSemantic{"WMS", {"*"}};
  rtc::Group bundle{"BUNDLE", {}};
  std::vector<rtc::IceCandidate> candidates;
  for (const auto& line : transport_->localCandidates()) {
    if (auto c = rtc::parseIceCandidate(line)) candidates.push_back(*c);
  }
  for (const auto& offered : offer_.media) {
    rtc::MediaSection m;
    m.kind = offered.kind;
    m.protocol = offered.protocol;
    m.mid = offered.mid;
    m.connection = rtc::Connection{};
    if (offered.kind == rtc::MediaKind::Application && !offered.isRejected()) {
      m.formats = {"webrtc-datachannel"};
      m.sctpPort = 5000;
      m.maxMessageSize = 262144;
      m.transport.iceUfrag = transport_->localIceUfrag();
      m.transport.icePwd = transport_->localIcePassword();
      m.transport.fingerprints = {{"sha-256", rtc::parseFingerprintHex(transport_->localFingerprint())}};
      const auto remoteSetup = rtc::effectiveTransport(offer_, offered).setup;
      m.transport.setup = remoteSetup == rtc::SetupRole::Passive ? rtc::SetupRole::Active : rtc::SetupRole::Passive;
      m.candidates = candidates;
      m.endOfCandidates = true;
      bundle.mids.push_back(m.mid);
    } else {
      // Media is declined until the SFU forwards it.
      m.port = 0;
      if (!offered.codecs.empty()) m.codecs = {offered.codecs[0]};
      m.formats = offered.formats;
      m.direction = rtc::Direction::Inactive;
    }
    a.media.push_back(std::move(m));
  }
  a.groups = {bundle};
  return rtc::writeSdp(a);
}

void PublisherTransport::onTransportState(rtc::TransportState state, const std::string& reason) {
  if (state == rtc::TransportState::Connected) callbacks_.connected();
  if (state == rtc::TransportState::Failed) callbacks_.failed(reason);
}

void PublisherTransport::onDataChannelOpen(uint16_t id, const std::string& label, const rtc::DataChannelOptions&) {
  channels_[id] = label;
}

void PublisherTransport::onDataChannelClosed(uint16_t id) { channels_.erase(id); }

void PublisherTransport::onDataChannelMessage(uint16_t id, std::span<const uint8_t> data, bool) {
  auto it = channels_.find(id);
  if (it == channels_.end()) return;
  const bool reliable = it->second == "_reliable";
  if (!reliable && it->second != "_lossy") return;  // _data_track and others are not forwarded yet
  callbacks_.data(std::string(data.begin(), data.end()), reliable);
}

void PublisherTransport::sendData(const std::string& bytes, bool reliable) {
  if (!transport_) return;
  const char* label = reliable ? "_reliable" : "_lossy";
  for (const auto& [id, name] : channels_) {
    if (name == label) {
      transport_->sendData(id, {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, true);
      return;
    }
  }
}

void PublisherTransport::close() {
  if (transport_) transport_->close();
}

}  // namespace convox::sfu
