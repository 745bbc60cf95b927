#include "publisher_transport.hpp"

#include "common/logging.hpp"
#include "rtc/receiver_report.hpp"
#include "rtc/rtcp_feedback.hpp"
#include "rtc/rtcp_packet.hpp"
#include "rtc/srtp_session.hpp"

#include <array>
#include <chrono>

namespace convox::sfu {

namespace {

bool sending(const rtc::MediaSection& m) {
  return !m.isRejected() && (m.direction == rtc::Direction::SendOnly || m.direction == rtc::Direction::SendRecv);
}

// The track id the section's msid names (the AddTrackRequest cid).
std::string msidTrack(const rtc::MediaSection& m) {
  if (!m.msids.empty()) return m.msids[0].trackId;
  for (const auto& ssrc : m.ssrcs) {
    if (auto msid = ssrc.attribute("msid")) {
      const auto space = msid->find(' ');
      if (space != std::string_view::npos) return std::string(msid->substr(space + 1));
    }
  }
  return {};
}

// Our SSRC as the sender of feedback and reports on this transport.
constexpr uint32_t kFeedbackSsrc = 1;
constexpr std::string_view kReportCname = "convox-sfu";
constexpr std::chrono::milliseconds kReceiverReportInterval{1000};
// Blocks per report: a publisher's layers fit many times over.
constexpr size_t kMaxReportBlocksPerReport = 62;
// Transport-wide feedback: periodically, and sooner when many packets wait
// (a fast ramp-up needs feedback at a steady rate, as LiveKit sends it).
constexpr std::chrono::milliseconds kTransportFeedbackInterval{50};
constexpr size_t kTransportFeedbackBurst = 100;

}  // namespace

PublisherTransport::PublisherTransport(MediaWorker& worker, std::shared_ptr<MediaRoom> room,
                                       PublisherCallbacks callbacks)
    : worker_(worker), room_(std::move(room)), callbacks_(std::move(callbacks)) {}

void PublisherTransport::expectTrack(PublishRequest request) {
  auto cid = request.cid;
  expected_[cid] = std::move(request);
}

void PublisherTransport::setTrackMuted(const std::string& sid, bool muted) {
  for (auto& [mid, section] : sections_) {
    if (section.track->sid() == sid) section.track->setMuted(muted);
  }
}

void PublisherTransport::reconcileTracks() {
  for (const auto& m : offer_.media) {
    if (!m.isRtp()) continue;
    auto known = sections_.find(m.mid);
    if (known != sections_.end()) {
      if (!sending(m) || msidTrack(m).empty()) unpublishSection(m.mid);
      continue;
    }
    if (!sending(m)) continue;
    const auto cid = msidTrack(m);
    auto it = expected_.find(cid);
    if (it == expected_.end()) {
      // As LiveKit: the first waiting request of the same kind.
      it = std::find_if(expected_.begin(), expected_.end(), [&](const auto& e) { return e.second.kind == m.kind; });
    }
    if (it == expected_.end()) continue;
    auto request = std::move(it->second);
    expected_.erase(it);
    publishSection(m, std::move(request));
  }
}

void PublisherTransport::publishSection(const rtc::MediaSection& offered, PublishRequest request) {
  auto codec = choosePublisherCodec(offered, request);
  if (!codec) {
    common::logger("media")->warn("track {}: the offer has no codec we forward; section {} declined", request.sid,
                                  offered.mid);
    return;
  }
  UpTrackParameters params;
  params.sid = request.sid;
  params.publisherSid = request.publisherSid;
  params.kind = offered.kind == rtc::MediaKind::Audio ? TrackKind::Audio : TrackKind::Video;
  params.codec = *codec;
  const auto red = choosePublisherRed(offered, *codec, request);
  if (red) params.redPayloadType = red->payloadType;
  params.audioLevelId = extensionId(offered, kAudioLevelExtension);
  params.simulcast = offered.simulcast && offered.simulcast->send.size() > 1;
  params.layers = request.layers;
  std::weak_ptr<PublisherTransport> weak = weak_from_this();
  auto track = std::make_shared<UpTrack>(std::move(params), [weak](uint32_t ssrc) {
    if (auto self = weak.lock()) self->sendKeyframeRequest(ssrc);
  });
  track->setNackSender([weak](uint32_t ssrc, std::span<const uint16_t> lost) {
    if (auto self = weak.lock()) self->sendNack(ssrc, lost);
  });
  PublishedSection section;
  section.track = track;
  section.codec = *codec;
  section.red = red;
  section.midExtension = extensionId(offered, kMidExtension);
  section.ridExtension = extensionId(offered, kRidExtension);
  if (const uint8_t id = extensionId(offered, kTransportWideCcExtension); id != 0) {
    twccExtension_ = id;
    armTransportFeedback();
  }
  for (const auto& ssrc : offered.ssrcs) {
    // The first SSRC of an FID group is the media; the second is RTX, which we did not accept.
    bool repair = false;
    for (const auto& group : offered.ssrcGroups) {
      if (group.semantics == "FID" && group.ssrcs.size() == 2 && group.ssrcs[1] == ssrc.ssrc) repair = true;
    }
    if (!repair) section.ssrcs.push_back(ssrc.ssrc);
  }
  const auto cid = request.cid;
  const auto sid = request.sid;
  section.request = std::move(request);
  room_->add(track);
  sections_[offered.mid] = std::move(section);
  unbound_.clear();  // the new section may claim an SSRC that had no home
  common::logger("media")->info("track {} published on section {} ({} {})", sid, offered.mid, codec->name,
                                codec->clockRate);
  callbacks_.trackPublished(cid, sid, offered.mid);
}

void PublisherTransport::unpublishSection(const std::string& mid) {
  auto it = sections_.find(mid);
  if (it == sections_.end()) return;
  auto track = it->second.track;
  sections_.erase(it);
  std::erase_if(bindings_, [&](const SsrcBinding& b) { return b.track == track.get(); });
  room_->remove(track->sid());
  track->close();
  callbacks_.trackUnpublished(track->sid());
}

const PublisherTransport::SsrcBinding* PublisherTransport::bind(const rtc::RtpPacketView& packet) {
  const uint32_t ssrc = packet.ssrc();
  for (auto& [mid, section] : sections_) {
    const bool listed = std::find(section.ssrcs.begin(), section.ssrcs.end(), ssrc) != section.ssrcs.end();
    bool matched = listed;
    std::string_view rid;
    if (!matched && section.midExtension != 0) {
      if (auto value = packet.findExtension(section.midExtension)) {
        auto packetMid = rtc::parseStringExtension(*value);
        matched = packetMid && *packetMid == mid;
      }
    }
    if (!matched) continue;
    int layer = 0;
    if (section.track->parameters().simulcast) {
      if (section.ridExtension == 0) return nullptr;
      auto value = packet.findExtension(section.ridExtension);
      if (!value) return nullptr;  // an RTX or probing stream: wait for a packet that names its rid
      auto parsedRid = rtc::parseStringExtension(*value);
      if (!parsedRid) return nullptr;
      rid = *parsedRid;
      layer = layerForRid(section.request, *rtc::findMediaByMid(offer_, mid), rid);
      if (layer < 0) return nullptr;
    }
    bindings_.push_back({ssrc, section.track.get(), section.codec.payloadType,
                         section.red ? section.red->payloadType : uint8_t{0}, layer});
    common::logger("media")->debug("track {}: ssrc {} is layer {}{}", section.track->sid(), ssrc, layer,
                                   rid.empty() ? "" : " (rid " + std::string(rid) + ")");
    return &bindings_.back();
  }
  return nullptr;
}

void PublisherTransport::onRtp(std::span<uint8_t> bytes) {
  auto packet = rtc::RtpPacketView::parse(bytes);
  if (!packet) return;
  const uint32_t ssrc = packet->ssrc();
  const int64_t now = steadyMicros();
  // Every packet counts for the sender's estimate, RTX and padding probes too.
  if (twccExtension_ != 0) {
    if (auto value = packet->findExtension(twccExtension_); value && value->size() >= 2) {
      twcc_.record(static_cast<uint16_t>(((*value)[0] << 8) | (*value)[1]), now);
      twccMediaSsrc_ = ssrc;
      if (twcc_.pending() >= kTransportFeedbackBurst) sendTransportFeedback();
    }
  }
  const SsrcBinding* binding = nullptr;
  for (const auto& b : bindings_) {
    if (b.ssrc == ssrc) {
      binding = &b;
      break;
    }
  }
  if (!binding && bindings_.size() < 16 && unbound_.worthTrying(ssrc, now)) {
    binding = bind(*packet);
    if (binding) {
      unbound_.bound(ssrc);
    } else {
      unbound_.failed(ssrc, now);
    }
  }
  if (!binding) return;
  const uint8_t payloadType = packet->payloadType();
  if (payloadType != binding->payloadType && (binding->redPayloadType == 0 || payloadType != binding->redPayloadType)) {
    return;  // RTX, padding streams
  }
  binding->track->onRtp(*packet, binding->layer, now);
}

void PublisherTransport::onRtcp(std::span<uint8_t> bytes) {
  // The publisher's Sender Reports, echoed as LSR/DLSR in our Receiver
  // Reports. Its receiver reports cover nothing (it receives no media here).
  rtc::RtcpCompoundIterator it(bytes);
  rtc::RtcpPacketView packet;
  while (it.next(packet)) {
    if (packet.type() != rtc::RtcpType::Sr) continue;
    auto sr = rtc::SenderReportView::parse(packet);
    if (!sr) continue;
    const uint32_t ssrc = sr->senderSsrc();
    for (const auto& b : bindings_) {
      if (b.ssrc == ssrc) {
        b.track->onSenderReport(ssrc, sr->senderInfo().ntpTimestamp, steadyMicros());
        break;
      }
    }
  }
}

void PublisherTransport::repeat(std::chrono::milliseconds interval, void (PublisherTransport::*task)()) {
  worker_.loop().addTimer(interval, [weak = weak_from_this(), interval, task] {
    auto self = weak.lock();
    if (!self || self->closed_) return;
    (self.get()->*task)();
    self->repeat(interval, task);
  });
}

void PublisherTransport::sendReceiverReports() {
  if (!transport_ || transport_->state() != rtc::TransportState::Connected) return;
  const auto now = steadyMicros();
  std::array<rtc::ReportBlock, kMaxReportBlocksPerReport> blocks{};
  size_t count = 0;
  for (auto& [mid, section] : sections_) {
    count += section.track->makeReportBlocks(now, std::span(blocks).subspan(count));
  }
  if (count == 0) return;
  std::array<uint8_t, 1400 + rtc::kSrtpMaxTrailer> buffer{};
  auto size = rtc::buildReceiverReportCompound(kFeedbackSsrc, kReportCname, std::span(blocks).first(count),
                                               std::span<uint8_t>(buffer.data(), 1400));
  if (size) transport_->sendRtcp(buffer, *size);
}

void PublisherTransport::armTransportFeedback() {
  // Only for a connected client that negotiated transport-cc: a timer on
  // every transport would cost each media thread a wake-up per 50 ms apiece.
  if (feedbackArmed_ || twccExtension_ == 0 || !transport_ || transport_->state() != rtc::TransportState::Connected) {
    return;
  }
  feedbackArmed_ = true;
  repeat(kTransportFeedbackInterval, &PublisherTransport::sendTransportFeedback);
}

void PublisherTransport::sendTransportFeedback() {
  if (!transport_ || transport_->state() != rtc::TransportState::Connected) return;
  std::array<uint8_t, TwccRecorder::kMaxFeedbackBytes + rtc::kSrtpMaxTrailer> buffer{};
  const auto out = std::span<uint8_t>(buffer.data(), TwccRecorder::kMaxFeedbackBytes);
  while (const size_t size = twcc_.buildFeedback(kFeedbackSsrc, twccMediaSsrc_, out)) {
    transport_->sendRtcp(buffer, size);
  }
}

void PublisherTransport::sendKeyframeRequest(uint32_t ssrc) {
  if (!transport_) return;
  std::array<uint8_t, 64 + rtc::kSrtpMaxTrailer> buffer{};
  auto size = rtc::buildPli(kFeedbackSsrc, ssrc, std::span<uint8_t>(buffer.data(), 64));
  if (size) transport_->sendRtcp(buffer, *size);
}

void PublisherTransport::sendNack(uint32_t ssrc, std::span<const uint16_t> lost) {
  if (!transport_) return;
  std::array<uint8_t, 512 + rtc::kSrtpMaxTrailer> buffer{};
  auto size = rtc::buildNack(kFeedbackSsrc, ssrc, lost, std::span<uint8_t>(buffer.data(), 512));
  if (size) transport_->sendRtcp(buffer, *size);
}

void PublisherTransport::handleOffer(const std::string& sdp, uint32_t id) {
  auto parsed = rtc::parseRemoteDescription(sdp, rtc::SdpType::Offer);
  if (!parsed) return callbacks_.failed("publisher " + parsed.error());
  common::logger("media")->trace("publisher offer:\n{}", sdp);
  offer_ = std::move(*parsed);
  pendingAnswerId_ = id;
  reconcileTracks();
  std::string error;
  if (!transport_) {
    transport_ = std::make_unique<rtc::WebRtcTransport>(worker_.loop(), *this, worker_.transportSettings(true));
    if (!transport_->start(error)) return callbacks_.failed(error);
    // The role holds for the transport's life: a re-offer says actpass again.
    if (const auto* first = rtc::firstActiveSection(offer_)) {
      const auto offered = rtc::effectiveTransport(offer_, *first).setup.value_or(rtc::SetupRole::ActPass);
      localSetup_ = rtc::answerSetupRole(offered, rtc::SetupRole::Passive);
    }
  }
  // New ICE credentials in a re-offer mean the client restarted ICE (it does
  // on resume, or when its network changed): ours restart too, so the
  // answer carries new credentials.
  auto applied = rtc::applyRemoteDescription(*transport_, offer_, rtc::SdpType::Offer, localSetup_);
  if (!applied) return callbacks_.failed("publisher " + applied.error());
  if (applied->iceRestarted) common::logger("media")->debug("publisher ICE restart");
  answerIfReady();
}

void PublisherTransport::addRemoteCandidate(const std::string& candidate) {
  if (transport_) transport_->addRemoteCandidate(candidate);
}

void PublisherTransport::onGatheringDone() {
  gathered_ = true;
  answerIfReady();
}

void PublisherTransport::answerIfReady() {
  if (!gathered_ || !pendingAnswerId_) return;
  const auto id = *pendingAnswerId_;
  pendingAnswerId_.reset();
  auto answer = buildAnswer();
  common::logger("media")->trace("publisher answer:\n{}", answer);
  callbacks_.answer(std::move(answer), id);
}

std::string PublisherTransport::buildAnswer() const {
  rtc::SessionDescription a;
  a.origin.sessionId = 1;
  a.origin.sessionVersion = 1;
  a.transport.iceLite = true;
  a.msidSemantic = rtc::MsidSemantic{"WMS", {"*"}};
  rtc::Group bundle{"BUNDLE", {}};
  for (const auto& offered : offer_.media) {
    rtc::MediaSection m;
    const auto published = sections_.find(offered.mid);
    // A section that carries no published track (the Rust SDK offers
    // recvonly transceivers up front, to reuse when it publishes) is kept
    // in the bundle as inactive rather than rejected: rejecting the first
    // one would move the BUNDLE tag, and later reuse needs it alive.
    std::optional<rtc::Codec> idleCodec;
    if (offered.isRtp() && published == sections_.end() && !offered.isRejected()) {
      idleCodec = choosePublisherCodec(offered, PublishRequest{});
    }
    const bool accepted = !offered.isRejected() && (offered.kind == rtc::MediaKind::Application ||
                                                    published != sections_.end() || idleCodec.has_value());
    if (offered.kind == rtc::MediaKind::Application) {
      m.kind = offered.kind;
      m.protocol = offered.protocol;
      m.mid = offered.mid;
      m.formats = {"webrtc-datachannel"};
      m.sctpPort = 5000;
      m.maxMessageSize = 262144;
    } else if (published != sections_.end() && accepted) {
      m = answerPublisherSection(offered, published->second.codec, published->second.request, published->second.red);
    } else if (accepted) {
      m = answerPublisherSection(offered, *idleCodec, PublishRequest{});
      m.direction = rtc::Direction::Inactive;
      m.simulcast.reset();
      m.rids.clear();
    } else {
      m.kind = offered.kind;
      m.protocol = offered.protocol;
      m.mid = offered.mid;
      if (!offered.codecs.empty()) m.codecs = {offered.codecs[0]};
      m.formats = offered.formats;
      m.direction = rtc::Direction::Inactive;
    }
    m.connection = rtc::Connection{};
    if (accepted) {
      rtc::describeLocalTransport(*transport_, m, localSetup_, gathered_);
      bundle.mids.push_back(m.mid);
    } else {
      m.port = 0;
    }
    a.media.push_back(std::move(m));
  }
  a.groups = {bundle};
  return rtc::writeSdp(a);
}

void PublisherTransport::onTransportState(rtc::TransportState state, const std::string& reason) {
  if (state == rtc::TransportState::Connected && !reportsArmed_) {
    reportsArmed_ = true;
    repeat(kReceiverReportInterval, &PublisherTransport::sendReceiverReports);
    armTransportFeedback();
  }
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
  closed_ = true;
  // The publisher is gone: its tracks leave the room with it.
  for (auto& [mid, section] : sections_) {
    room_->remove(section.track->sid());
    section.track->close();
  }
  sections_.clear();
  bindings_.clear();
  unbound_.clear();
  if (transport_) {
    const auto& c = transport_->counters();
    common::logger("media")->debug("publisher transport closed: rtp {} rtcp {} in, {} srtp failures, {} dropped",
                                   c.rtpReceived, c.rtcpReceived, c.srtpFailures, c.dropped);
    transport_->close();
  }
}

}  // namespace convox::sfu
