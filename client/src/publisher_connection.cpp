#include "publisher_connection.hpp"

#include "rtc/rtcp_packet.hpp"
#include "rtc/sdp_transport.hpp"
#include "rtc/srtp_session.hpp"

#include <algorithm>
#include <chrono>

namespace convox::client {

namespace {

constexpr uint8_t kOpusPayloadType = 111;
constexpr uint8_t kMidExtensionId = 4;
constexpr std::chrono::milliseconds kReportInterval{1000};

}  // namespace

PublisherConnection::PublisherConnection(Room& room) : room_(room) {}

PublisherConnection::~PublisherConnection() { close(); }

bool PublisherConnection::start(std::string& error) {
  rtc::WebRtcTransportSettings settings;
  settings.ice.role = rtc::IceRole::Controlling;
  settings.ice.localAddresses = room_.options_.iceAddresses;
  settings.certificate = room_.options_.certificate;
  settings.dataChannels = room_.options_.dataChannels;
  // A publisher may hear nothing back; the full ICE agent's own checks tell us if the server goes.
  settings.inactivityTimeout = std::chrono::milliseconds(0);
  transport_ = std::make_unique<rtc::WebRtcTransport>(room_.loop_, *this, settings);
  if (room_.options_.dataChannels) dataMid_ = std::to_string(nextMid_++);
  return transport_->start(error);
}

void PublisherConnection::negotiate() {
  const bool anything = !dataMid_.empty() || std::any_of(room_.tracks_.begin(), room_.tracks_.end(),
                                                         [](const auto& t) { return !t->sid_.empty(); });
  if (!anything) return;  // an offer with no sections cannot connect
  wanted_ = true;
  if (!transport_ || !gathered_ || awaitingAnswer_) return;
  wanted_ = false;
  awaitingAnswer_ = true;
  livekit::SignalRequest request;
  auto& offer = *request.mutable_offer();
  offer.set_type("offer");
  offer.set_sdp(buildOffer());
  offer.set_id(++offerId_);
  room_.sendSignal(request);
}

std::string PublisherConnection::buildOffer() {
  rtc::SessionDescription o;
  o.origin.sessionId = 0x434f4e56;  // "CONV"
  o.origin.sessionVersion = offerId_ + 1;
  o.msidSemantic = rtc::MsidSemantic{"WMS", {"*"}};
  rtc::Group bundle{"BUNDLE", {}};
  if (!dataMid_.empty()) {
    rtc::MediaSection data;
    data.kind = rtc::MediaKind::Application;
    data.protocol = rtc::MediaProtocol::UdpDtlsSctp;
    data.mid = dataMid_;
    data.formats = {"webrtc-datachannel"};
    data.sctpPort = 5000;
    data.maxMessageSize = 262144;
    rtc::describeLocalTransport(*transport_, data, rtc::SetupRole::ActPass, true);
    data.transport.iceOptions = {"trickle"};
    bundle.mids.push_back(data.mid);
    o.media.push_back(std::move(data));
  }
  for (auto& track : room_.tracks_) {
    if (track->sid_.empty()) continue;  // not published yet
    if (track->mid_.empty()) track->mid_ = std::to_string(nextMid_++);
    rtc::MediaSection audio;
    audio.kind = rtc::MediaKind::Audio;
    audio.mid = track->mid_;
    rtc::describeLocalTransport(*transport_, audio, rtc::SetupRole::ActPass, true);
    audio.transport.iceOptions = {"trickle"};
    rtc::Codec opus = rtc::webRtcOpus(kOpusPayloadType);
    if (track->options_.dtx) opus.fmtp.push_back({"usedtx", "1"});
    audio.codecs = {opus};
    audio.rtcpMux = true;
    audio.rtcpReducedSize = true;
    audio.direction = rtc::Direction::SendOnly;
    audio.extmaps = {{kMidExtensionId, std::nullopt, "urn:ietf:params:rtp-hdrext:sdes:mid", ""}};
    for (const auto& extension : track->options_.extensions) audio.extmaps.push_back(extension);
    const std::string stream = room_.localSid().empty() ? "convox" : room_.localSid();
    audio.msids = {{stream, track->cid_}};
    audio.ssrcs = {{track->ssrc_, {{"cname", room_.localIdentity()}, {"msid", stream + " " + track->cid_}}}};
    bundle.mids.push_back(audio.mid);
    o.media.push_back(std::move(audio));
  }
  o.groups = {bundle};
  return rtc::writeSdp(o);
}

void PublisherConnection::onAnswer(const livekit::SessionDescription& answer) {
  // The SDKs ignore an answer to an older offer (PROTOCOL-livekit §2.3).
  if (!awaitingAnswer_ || (answer.id() != 0 && answer.id() != offerId_)) return;
  awaitingAnswer_ = false;
  auto parsed = rtc::parseRemoteDescription(answer.sdp(), rtc::SdpType::Answer);
  if (!parsed) return room_.fail("publisher " + parsed.error());
  auto applied = rtc::applyRemoteDescription(*transport_, *parsed, rtc::SdpType::Answer, rtc::SetupRole::ActPass);
  if (!applied) return room_.fail("publisher " + applied.error());
  for (auto& track : room_.tracks_) {
    if (track->mid_.empty()) continue;
    const auto* section = rtc::findMediaByMid(*parsed, track->mid_);
    track->negotiated_ = section && !section->isRejected() && rtc::findCodec(*section, "opus");
  }
  if (wanted_) negotiate();
}

void PublisherConnection::restartIce() {
  if (!transport_) return;
  std::string error;
  if (!transport_->restartLocalIce(error)) return room_.fail("publisher ICE restart: " + error);
  negotiate();
}

void PublisherConnection::addRemoteCandidate(const std::string& candidate) {
  if (transport_) transport_->addRemoteCandidate(candidate);
}

bool PublisherConnection::sendData(const std::string& bytes, bool reliable) {
  const auto& channel = reliable ? reliable_ : lossy_;
  if (!transport_ || !channel) return false;
  return transport_->sendData(*channel, {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, true);
}

bool PublisherConnection::sendRtp(std::span<uint8_t> buffer, size_t length) {
  return connected() && transport_->sendRtp(buffer, length);
}

void PublisherConnection::close() {
  if (reportTimer_) room_.loop_.cancelTimer(std::exchange(reportTimer_, 0));
  if (transport_) transport_->close();
}

void PublisherConnection::onGatheringDone() {
  gathered_ = true;
  if (wanted_) negotiate();
}

void PublisherConnection::onTransportState(rtc::TransportState state, const std::string& reason) {
  state_ = state;
  if (state == rtc::TransportState::Connected) {
    if (room_.options_.dataChannels && !reliable_) {
      reliable_ = transport_->openDataChannel("_reliable", {});
      rtc::DataChannelOptions lossy;
      lossy.ordered = false;
      lossy.maxRetransmits = 0;
      lossy_ = transport_->openDataChannel("_lossy", lossy);
      if (reliable_) channels_[*reliable_] = true;
      if (lossy_) channels_[*lossy_] = false;
    }
    if (!reportTimer_) {
      reportTimer_ = room_.loop_.addTimer(kReportInterval, [this] { sendSenderReports(); });
    }
    room_.listener_.onConnected();
  } else if (state == rtc::TransportState::Failed) {
    room_.fail("publisher connection failed: " + reason);
  }
}

void PublisherConnection::onDataChannelOpen(uint16_t id, const std::string& label, const rtc::DataChannelOptions&) {
  // The server may open its own _reliable/_lossy here (subscriber_primary=false); read both.
  channels_[id] = label != "_lossy";
}

void PublisherConnection::onDataChannelMessage(uint16_t id, std::span<const uint8_t> data, bool) {
  livekit::DataPacket packet;
  if (!packet.ParseFromArray(data.data(), static_cast<int>(data.size()))) return;  // not ours to judge: drop
  const auto channel = channels_.find(id);
  room_.listener_.onData(packet, channel == channels_.end() || channel->second);
}

void PublisherConnection::onDataChannelClosed(uint16_t id) {
  channels_.erase(id);
  if (reliable_ == id) reliable_.reset();
  if (lossy_ == id) lossy_.reset();
}

void PublisherConnection::onRtcp(std::span<uint8_t>) {}

void PublisherConnection::sendSenderReports() {
  reportTimer_ = room_.loop_.addTimer(kReportInterval, [this] { sendSenderReports(); });
  if (!connected()) return;
  for (const auto& track : room_.tracks_) {
    if (track->packetsSent_ == 0) continue;
    rtc::SenderInfo info;
    info.ntpTimestamp = rtc::ntpNow();
    info.rtpTimestamp = track->timestamp_;
    info.packetCount = static_cast<uint32_t>(track->packetsSent_);
    info.octetCount = static_cast<uint32_t>(track->octetsSent_);
    auto size = rtc::buildSenderReport(track->ssrc_, info, {}, std::span<uint8_t>(rtcpBuffer_).first(1000));
    if (size) transport_->sendRtcp(rtcpBuffer_, *size);
  }
}

}  // namespace convox::client
