#include "subscriber_connection.hpp"

#include "rtc/rtcp_packet.hpp"
#include "rtc/sdp_transport.hpp"

#include <algorithm>
#include <chrono>
#include <random>

namespace convox::client {

namespace {

constexpr std::chrono::milliseconds kReportInterval{1000};

int64_t steadyMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Codecs that ride along with the media one: redundancy, retransmission, FEC.
bool isHelperCodec(const rtc::Codec& codec) {
  std::string name = codec.name;
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name == "red" || name == "rtx" || name == "ulpfec" || name == "flexfec-03";
}

// "PA_x|TR_y": the publisher and the track (PROTOCOL-livekit §2.6).
std::pair<std::string, std::string> splitStreamId(const std::string& streamId) {
  const auto bar = streamId.find('|');
  if (bar == std::string::npos) return {streamId, {}};
  return {streamId.substr(0, bar), streamId.substr(bar + 1)};
}

}  // namespace

SubscriberConnection::SubscriberConnection(Room& room) : room_(room) {
  localSsrc_ = static_cast<uint32_t>(std::random_device{}()) | 1u;
}

SubscriberConnection::~SubscriberConnection() { close(); }

void SubscriberConnection::onOffer(const livekit::SessionDescription& offer) {
  pending_ = offer;
  if (!transport_) {
    rtc::WebRtcTransportSettings settings;
    settings.ice.role = rtc::IceRole::Controlling;
    settings.ice.localAddresses = room_.options_.iceAddresses;
    settings.certificate = room_.options_.certificate;
    settings.inactivityTimeout = std::chrono::milliseconds(0);
    transport_ = std::make_unique<rtc::WebRtcTransport>(room_.loop_, *this, settings);
    std::string error;
    if (!transport_->start(error)) return room_.fail("subscriber transport: " + error);
  }
  answerPending();
}

void SubscriberConnection::addRemoteCandidate(const std::string& candidate) {
  if (transport_) transport_->addRemoteCandidate(candidate);
}

void SubscriberConnection::close() {
  if (reportTimer_) room_.loop_.cancelTimer(std::exchange(reportTimer_, 0));
  if (transport_) transport_->close();
}

void SubscriberConnection::learnIdentity(const std::string& participantSid, const std::string& identity) {
  for (auto& track : tracks_) {
    if (track.participantSid == participantSid) track.participantIdentity = identity;
  }
}

void SubscriberConnection::onGatheringDone() {
  gathered_ = true;
  answerPending();
}

void SubscriberConnection::answerPending() {
  if (!pending_ || !gathered_) return;
  const auto message = std::move(*pending_);
  pending_.reset();
  auto offer = rtc::parseRemoteDescription(message.sdp(), rtc::SdpType::Offer);
  if (!offer) return room_.fail("subscriber " + offer.error());
  // Applied before answering: an ICE restart in the offer gives us new
  // credentials, which the answer must carry.
  auto applied = rtc::applyRemoteDescription(*transport_, *offer, rtc::SdpType::Offer, rtc::SetupRole::Active);
  if (!applied) return room_.fail("subscriber " + applied.error());
  livekit::SignalRequest request;
  auto& answer = *request.mutable_answer();
  answer.set_type("answer");
  answer.set_sdp(buildAnswer(*offer));
  answer.set_id(message.id());
  room_.sendSignal(request);
  reconcileTracks(*offer, message);
}

std::string SubscriberConnection::buildAnswer(const rtc::SessionDescription& offer) {
  rtc::SessionDescription a;
  a.origin.sessionId = localSsrc_;
  a.origin.sessionVersion = offer.origin.sessionVersion;
  a.msidSemantic = rtc::MsidSemantic{"WMS", {"*"}};
  rtc::Group bundle{"BUNDLE", {}};
  for (const auto& offered : offer.media) {
    rtc::MediaSection m;
    m.kind = offered.kind;
    m.protocol = offered.protocol;
    m.mid = offered.mid;
    const rtc::Codec* primary = nullptr;
    for (const auto& codec : offered.codecs) {
      if (!isHelperCodec(codec)) {
        primary = &codec;
        break;
      }
    }
    const bool dataSection = offered.kind == rtc::MediaKind::Application && !offered.isRejected();
    if (offered.isRejected() || (!dataSection && !primary)) {
      m.port = 0;
      m.codecs = offered.codecs.empty() ? std::vector<rtc::Codec>{} : std::vector<rtc::Codec>{offered.codecs[0]};
      m.formats = offered.formats;
      m.direction = rtc::Direction::Inactive;
      m.connection = rtc::Connection{};
      a.media.push_back(std::move(m));
      continue;
    }
    rtc::describeLocalTransport(*transport_, m, rtc::SetupRole::Active, true);
    if (dataSection) {
      m.formats = {"webrtc-datachannel"};
      m.sctpPort = offered.sctpPort.value_or(5000);
      m.maxMessageSize = 262144;
    } else {
      m.rtcpMux = true;
      m.rtcpReducedSize = offered.rtcpReducedSize;
      rtc::Codec codec = *primary;
      codec.feedback.clear();  // we send no NACKs or PLIs
      m.codecs.clear();
      if (room_.options_.acceptRed && offered.kind == rtc::MediaKind::Audio) {
        if (const auto* red = rtc::findCodec(offered, "red")) m.codecs.push_back(*red);
      }
      m.codecs.push_back(codec);
      m.extmaps = offered.extmaps;
      m.direction = offered.direction == rtc::Direction::SendOnly || offered.direction == rtc::Direction::SendRecv
                        ? rtc::Direction::RecvOnly
                        : rtc::Direction::Inactive;
    }
    bundle.mids.push_back(m.mid);
    a.media.push_back(std::move(m));
  }
  a.groups = {bundle};
  return rtc::writeSdp(a);
}

void SubscriberConnection::reconcileTracks(const rtc::SessionDescription& offer,
                                           const livekit::SessionDescription& message) {
  std::vector<RemoteTrack> now;
  for (const auto& m : offer.media) {
    if (!m.isRtp() || m.isRejected() || m.ssrcs.empty()) continue;
    if (m.direction != rtc::Direction::SendOnly && m.direction != rtc::Direction::SendRecv) continue;
    RemoteTrack track;
    track.mid = m.mid;
    track.kind = m.kind;
    track.ssrc = m.ssrcs[0].ssrc;
    if (!m.msids.empty()) {
      auto [participant, trackSid] = splitStreamId(m.msids[0].streamId);
      track.participantSid = participant;
      track.trackSid = !trackSid.empty() ? trackSid : m.msids[0].trackId;
    }
    if (track.trackSid.empty()) {
      if (auto it = message.mid_to_track_id().find(m.mid); it != message.mid_to_track_id().end()) {
        track.trackSid = it->second;
      }
    }
    for (const auto& codec : m.codecs) {
      if (isHelperCodec(codec)) continue;
      track.payloadType = codec.payloadType;
      track.codec = codec.name;
      track.clockRate = codec.clockRate;
      break;
    }
    if (room_.options_.acceptRed) {
      if (const auto* red = rtc::findCodec(m, "red")) track.redPayloadType = red->payloadType;
    }
    track.participantIdentity = room_.identityOf(track.participantSid);
    now.push_back(std::move(track));
  }
  // Gone first, then new ones, each reported once.
  for (size_t i = tracks_.size(); i-- > 0;) {
    const auto& old = tracks_[i];
    const bool kept = std::any_of(now.begin(), now.end(), [&](const RemoteTrack& t) { return t.ssrc == old.ssrc; });
    if (kept) continue;
    const RemoteTrack gone = old;
    tracks_.erase(tracks_.begin() + static_cast<long>(i));
    received_.erase(received_.begin() + static_cast<long>(i));
    room_.listener_.onTrackUnsubscribed(gone);
  }
  for (auto& track : now) {
    const bool known =
        std::any_of(tracks_.begin(), tracks_.end(), [&](const RemoteTrack& t) { return t.ssrc == track.ssrc; });
    if (known) continue;
    Received received;
    received.ssrc = track.ssrc;
    received.stats.reset(track.ssrc, track.clockRate == 0 ? 48000 : track.clockRate);
    tracks_.push_back(track);
    received_.push_back(received);
    room_.listener_.onTrackSubscribed(tracks_.back());
  }
}

void SubscriberConnection::onTransportState(rtc::TransportState state, const std::string& reason) {
  connected_ = state == rtc::TransportState::Connected;
  if (state == rtc::TransportState::Connected && !reportTimer_) {
    reportTimer_ = room_.loop_.addTimer(kReportInterval, [this] { sendReceiverReports(); });
  } else if (state == rtc::TransportState::Failed) {
    room_.fail("subscriber connection failed: " + reason);
  }
}

void SubscriberConnection::onRtp(std::span<uint8_t> bytes) {
  auto packet = rtc::RtpPacketView::parse(bytes);
  if (!packet) return;
  const uint32_t ssrc = packet->ssrc();
  for (size_t i = 0; i < tracks_.size(); ++i) {
    if (tracks_[i].ssrc != ssrc) continue;
    received_[i].stats.onPacket(packet->sequenceNumber(), packet->timestamp(), steadyMicros());
    room_.listener_.onRtp(tracks_[i], *packet);
    return;
  }
}

void SubscriberConnection::onDataChannelMessage(uint16_t, std::span<const uint8_t> data, bool) {
  livekit::DataPacket packet;
  if (packet.ParseFromArray(data.data(), static_cast<int>(data.size()))) room_.listener_.onData(packet, true);
}

void SubscriberConnection::sendReceiverReports() {
  reportTimer_ = room_.loop_.addTimer(kReportInterval, [this] { sendReceiverReports(); });
  // Receiver reports keep the server's transport from timing us out, as a browser's would.
  std::array<rtc::ReportBlock, rtc::kMaxReportBlocks> blocks{};
  size_t count = 0;
  const auto now = steadyMicros();
  for (auto& r : received_) {
    if (!r.stats.started() || count == blocks.size()) continue;
    blocks[count++] = r.stats.makeReportBlock(now);
  }
  auto size = rtc::buildReceiverReport(localSsrc_, std::span<const rtc::ReportBlock>(blocks.data(), count),
                                       std::span<uint8_t>(rtcpBuffer_).first(1000));
  if (size && transport_) transport_->sendRtcp(rtcpBuffer_, *size);
}

}  // namespace convox::client
