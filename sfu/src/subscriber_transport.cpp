#include "subscriber_transport.hpp"

#include "common/logging.hpp"
#include "rtc/receive_stats.hpp"
#include "rtc/rtcp_feedback.hpp"
#include "rtc/rtcp_packet.hpp"
#include "rtc/sdp_transport.hpp"
#include "rtc/srtp_session.hpp"
#include "track_negotiation.hpp"
#include "up_track.hpp"

#include <array>
#include <chrono>
#include <random>

namespace convox::sfu {

namespace {

uint32_t randomSsrc() {
  thread_local std::mt19937 generator{std::random_device{}()};
  std::uniform_int_distribution<uint32_t> any(1, 0xfffffff0u);
  return any(generator);
}

}  // namespace

SubscriberTransport::SubscriberTransport(MediaWorker& worker, std::shared_ptr<MediaRoom> room,
                                         std::string participantSid, SubscriberCallbacks callbacks)
    : worker_(worker),
      room_(std::move(room)),
      participantSid_(std::move(participantSid)),
      callbacks_(std::move(callbacks)) {}

SubscriberTransport::~SubscriberTransport() { close(); }

void SubscriberTransport::subscribe(const SubscribeRequest& request) {
  if (closed_) return;
  if (!qualityRegistered_) {
    // Here rather than in the constructor: this runs on the media thread.
    qualityRegistered_ = true;
    room_->addQualitySource(this);
  }
  for (const auto& s : sections_) {
    if (s.downTrack && s.trackSid == request.trackSid) return;  // already subscribed
  }
  auto up = room_->find(request.trackSid);
  if (!up || up->closed()) {
    common::logger("media")->debug("participant {}: track {} is not live; not subscribed", participantSid_,
                                   request.trackSid);
    return;
  }
  Section section;
  section.mid = std::to_string(nextMid_++);
  section.kind = up->kind() == TrackKind::Audio ? rtc::MediaKind::Audio : rtc::MediaKind::Video;
  section.codec = subscriberCodec(up->codec(), request.stereo);
  section.rtx = subscriberRtxCodec(section.codec);
  if (up->parameters().redPayloadType != 0) section.red = subscriberRedCodec(section.codec);
  section.trackSid = request.trackSid;
  section.publisherSid = request.publisherSid;
  DownTrackParameters params;
  params.ssrc = randomSsrc();
  params.payloadType = section.codec.payloadType;
  params.clockRate = section.codec.clockRate;
  params.mid = section.mid;
  if (section.red) params.redPayloadType = section.red->payloadType;
  if (section.rtx) {
    params.rtxSsrc = randomSsrc();
    params.rtxPayloadType = section.rtx->payloadType;
  }
  section.downTrack = std::make_unique<DownTrack>(up, *this, params);
  // Settings may come before the subscription (livekit-client sends them as
  // soon as it knows the publication).
  if (auto it = settings_.find(request.trackSid); it != settings_.end()) {
    section.downTrack->applySettings(it->second, steadyMicros());
  } else {
    section.downTrack->updateTarget(steadyMicros());
  }
  sections_.push_back(std::move(section));
  negotiateSoon();
}

void SubscriberTransport::unsubscribe(const std::string& trackSid) {
  bool changed = false;
  for (auto& s : sections_) {
    if (s.downTrack && s.trackSid == trackSid) {
      s.downTrack.reset();
      changed = true;
    }
  }
  if (changed) negotiateSoon();
}

void SubscriberTransport::updateSettings(const std::string& trackSid, const DownTrackSettings& settings) {
  // Kept only for tracks live in the room (so a client cannot grow the map
  // with made-up sids); those of tracks gone since are dropped here, as a
  // track never subscribed to leaves no section to clear its entry.
  if (closed_ || !room_->find(trackSid)) return;
  std::erase_if(settings_, [this](const auto& entry) { return !room_->find(entry.first); });
  settings_[trackSid] = settings;
  for (auto& s : sections_) {
    if (s.downTrack && s.trackSid == trackSid) s.downTrack->applySettings(settings, steadyMicros());
  }
}

void SubscriberTransport::onUpTrackClosed(DownTrack& downTrack) {
  // Called from inside the up-track; the section is cleared on the next turn.
  const auto mid = downTrack.parameters().mid;
  worker_.loop().post([weak = weak_from_this(), mid] {
    auto self = weak.lock();
    if (!self || self->closed_) return;
    for (auto& s : self->sections_) {
      if (s.mid == mid && s.downTrack) {
        self->settings_.erase(s.trackSid);
        s.downTrack.reset();
        self->negotiateSoon();
      }
    }
  });
}

void SubscriberTransport::negotiateSoon() {
  if (negotiationScheduled_) return;
  negotiationScheduled_ = true;
  // Subscriptions made together (a join into a busy room) share one offer.
  worker_.loop().post([weak = weak_from_this()] {
    if (auto self = weak.lock()) {
      self->negotiationScheduled_ = false;
      self->negotiate();
    }
  });
}

bool SubscriberTransport::startTransport() {
  transport_ = std::make_unique<rtc::WebRtcTransport>(worker_.loop(), *this, worker_.transportSettings(false));
  std::string error;
  if (!transport_->start(error)) {
    callbacks_.failed("subscriber transport: " + error);
    return false;
  }
  return true;
}

void SubscriberTransport::negotiate() {
  if (closed_ || sections_.empty()) return;
  if (!transport_ && !startTransport()) return;
  if (!gathered_ || awaitingAnswer_) {
    renegotiate_ = true;
    return;
  }
  renegotiate_ = false;
  awaitingAnswer_ = true;
  std::map<std::string, std::string> midToTrack;
  for (const auto& s : sections_) {
    if (s.downTrack) midToTrack[s.mid] = s.trackSid;
  }
  auto offer = buildOffer();
  common::logger("media")->trace("subscriber offer:\n{}", offer);
  callbacks_.offer(std::move(offer), ++offerId_, std::move(midToTrack));
}

void SubscriberTransport::onGatheringDone() {
  gathered_ = true;
  if (renegotiate_) negotiate();
}

std::string SubscriberTransport::buildOffer() const {
  rtc::SessionDescription o;
  o.origin.sessionId = 2;
  o.origin.sessionVersion = offerId_ + 1;
  o.transport.iceLite = true;
  o.msidSemantic = rtc::MsidSemantic{"WMS", {"*"}};
  rtc::Group bundle{"BUNDLE", {}};
  for (const auto& s : sections_) {
    rtc::MediaSection m;
    m.kind = s.kind;
    m.protocol = rtc::MediaProtocol::UdpTlsRtpSavpf;
    m.mid = s.mid;
    rtc::describeLocalTransport(*transport_, m, rtc::SetupRole::ActPass, gathered_);
    m.rtcpMux = true;
    m.rtcpReducedSize = true;
    m.codecs = {s.codec};
    if (s.red) m.codecs.insert(m.codecs.begin(), *s.red);
    if (s.rtx) m.codecs.push_back(*s.rtx);
    if (s.downTrack) {
      m.direction = rtc::Direction::SendOnly;
      // Stream id "PA|TR", track id "TR": what both SDKs parse (PROTOCOL-livekit §2.6).
      const auto streamId = s.publisherSid + "|" + s.trackSid;
      m.msids = {{streamId, s.trackSid}};
      rtc::Ssrc ssrc;
      ssrc.ssrc = s.downTrack->parameters().ssrc;
      ssrc.attributes = {{"cname", s.publisherSid}, {"msid", streamId + " " + s.trackSid}};
      m.ssrcs = {ssrc};
      if (const uint32_t rtxSsrc = s.downTrack->parameters().rtxSsrc; s.rtx && rtxSsrc != 0) {
        rtc::Ssrc rtx = ssrc;
        rtx.ssrc = rtxSsrc;
        m.ssrcs.push_back(rtx);
        m.ssrcGroups = {{"FID", {ssrc.ssrc, rtxSsrc}}};
      }
    } else {
      m.direction = rtc::Direction::Inactive;
    }
    bundle.mids.push_back(s.mid);
    o.media.push_back(std::move(m));
  }
  o.groups = {bundle};
  return rtc::writeSdp(o);
}

void SubscriberTransport::handleAnswer(const std::string& sdp, uint32_t) {
  if (closed_ || !transport_) return;
  common::logger("media")->trace("subscriber answer:\n{}", sdp);
  auto parsed = rtc::parseRemoteDescription(sdp, rtc::SdpType::Answer);
  if (!parsed) return callbacks_.failed("subscriber " + parsed.error());
  awaitingAnswer_ = false;
  // New credentials in an answer are the reply to our ICE-restart offer.
  auto applied = rtc::applyRemoteDescription(*transport_, *parsed, rtc::SdpType::Answer, rtc::SetupRole::ActPass);
  if (!applied) return callbacks_.failed("subscriber " + applied.error());
  if (applied->iceRestarted) common::logger("media")->debug("subscriber ICE restart");
  remoteSet_ = true;
  for (const auto& m : parsed->media) {
    for (auto& s : sections_) {
      if (s.mid != m.mid || !s.downTrack) continue;
      if (s.rtx) s.downTrack->setRtxNegotiated(answerKeeps(m, *s.rtx));
      if (s.red) s.downTrack->setRedNegotiated(answerKeeps(m, *s.red));
    }
  }
  if (std::exchange(restartIceAfterAnswer_, false)) return restartIce();
  if (renegotiate_) negotiate();
}

void SubscriberTransport::restartIce() {
  if (closed_ || !transport_ || !remoteSet_) return;  // nothing negotiated yet: the first offer is fresh
  if (awaitingAnswer_) {
    restartIceAfterAnswer_ = true;
    return;
  }
  std::string error;
  if (!transport_->restartLocalIce(error)) return callbacks_.failed("subscriber ICE restart: " + error);
  // The next offer carries the new credentials; it goes out at once even if
  // no subscription changed.
  negotiateSoon();
}

void SubscriberTransport::addRemoteCandidate(const std::string& candidate) {
  if (transport_) transport_->addRemoteCandidate(candidate);
}

namespace {

constexpr std::chrono::milliseconds kSenderReportInterval{1000};

}  // namespace

void SubscriberTransport::sendSenderReports() {
  if (closed_ || !transport_ || transport_->state() != rtc::TransportState::Connected) return;
  const auto now = steadyMicros();
  const auto ntp = rtc::ntpNow();
  std::array<uint8_t, 64 + rtc::kSrtpMaxTrailer> buffer{};
  for (const auto& s : sections_) {
    if (!s.downTrack) continue;
    auto info = s.downTrack->senderInfo(now);
    if (!info) continue;
    info->ntpTimestamp = ntp;
    auto size =
        rtc::buildSenderReport(s.downTrack->parameters().ssrc, *info, {}, std::span<uint8_t>(buffer.data(), 64));
    if (size) transport_->sendRtcp(buffer, *size);
  }
}

void SubscriberTransport::armSenderReports() {
  worker_.loop().addTimer(kSenderReportInterval, [weak = weak_from_this()] {
    auto self = weak.lock();
    if (!self || self->closed_) return;
    self->sendSenderReports();
    self->armSenderReports();
  });
}

void SubscriberTransport::onTransportState(rtc::TransportState state, const std::string& reason) {
  if (state == rtc::TransportState::Connected && !reportsArmed_) {
    reportsArmed_ = true;
    armSenderReports();
  }
  if (state == rtc::TransportState::Connected && callbacks_.connected) callbacks_.connected();
  if (state == rtc::TransportState::Failed) callbacks_.failed(reason);
}

void SubscriberTransport::sendRtp(std::span<uint8_t> buffer, size_t length) {
  if (transport_ && transport_->state() == rtc::TransportState::Connected) transport_->sendRtp(buffer, length);
}

DownTrack* SubscriberTransport::findBySsrc(uint32_t ssrc) {
  for (auto& s : sections_) {
    if (s.downTrack && s.downTrack->parameters().ssrc == ssrc) return s.downTrack.get();
  }
  return nullptr;
}

void SubscriberTransport::onRtcp(std::span<uint8_t> bytes) {
  rtc::RtcpCompoundIterator it(bytes);
  rtc::RtcpPacketView packet;
  const auto now = steadyMicros();
  while (it.next(packet)) {
    if (packet.type() == rtc::RtcpType::Rr) {
      if (auto rr = rtc::ReceiverReportView::parse(packet)) {
        for (size_t i = 0; i < rr->reportCount(); ++i) onReportBlock(rr->reportBlock(i));
      }
      continue;
    }
    if (packet.type() == rtc::RtcpType::Sr) {
      if (auto sr = rtc::SenderReportView::parse(packet)) {
        for (size_t i = 0; i < sr->reportCount(); ++i) onReportBlock(sr->reportBlock(i));
      }
      continue;
    }
    if (packet.type() == rtc::RtcpType::Rtpfb && packet.format() == 1) {  // generic NACK
      if (auto nack = rtc::NackView::parse(packet)) {
        if (auto* d = findBySsrc(nack->mediaSsrc())) d->onNack(*nack, now);
      }
      continue;
    }
    if (packet.type() != rtc::RtcpType::Psfb) continue;
    if (packet.format() == rtc::psfb::kPli) {
      if (auto pli = rtc::PliView::parse(packet)) {
        if (auto* d = findBySsrc(pli->mediaSsrc())) d->onKeyframeRequest(now);
      }
    } else if (packet.format() == rtc::psfb::kFir) {
      if (auto fir = rtc::FirView::parse(packet)) {
        for (size_t i = 0; i < fir->entryCount(); ++i) {
          if (auto* d = findBySsrc(fir->entry(i).ssrc)) d->onKeyframeRequest(now);
        }
      }
    }
  }
}

void SubscriberTransport::onReportBlock(const rtc::ReportBlock& block) {
  for (auto& s : sections_) {
    if (!s.downTrack || s.downTrack->parameters().ssrc != block.ssrc) continue;
    s.report.fractionLost = block.fractionLost;
    s.report.jitter = block.jitter;
    s.report.roundTripMicros = rtc::roundTripMicros(block, rtc::ntpNow());
    s.report.fresh = true;
    return;
  }
}

void SubscriberTransport::sampleQuality(QualityInputs& into) {
  for (auto& s : sections_) {
    if (!s.downTrack || !s.report.fresh) continue;
    s.report.fresh = false;
    const uint32_t rate = s.downTrack->parameters().clockRate;
    const double jitterMillis = rate == 0 ? 0.0 : 1000.0 * s.report.jitter / rate;
    std::optional<double> rtt;
    if (s.report.roundTripMicros) rtt = static_cast<double>(*s.report.roundTripMicros) / 1000.0;
    into.addReceiverReport(s.report.fractionLost, jitterMillis, rtt);
  }
}

void SubscriberTransport::close() {
  if (closed_) return;
  closed_ = true;
  if (qualityRegistered_) room_->removeQualitySource(this);
  sections_.clear();  // detaches every down-track from its up-track
  if (transport_) transport_->close();
}

}  // namespace convox::sfu
