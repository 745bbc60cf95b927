#include "load_subscriber.hpp"

#include "rtc/byte_io.hpp"
#include "rtc/rtcp_packet.hpp"
#include "rtc/rtp_packet.hpp"

#include <algorithm>
#include <array>
#include <random>

namespace convox::bench {

LoadSubscriber::LoadSubscriber(LoadContext& context, std::string room, std::string identity, size_t expectedStreams)
    : LoadParticipant(context, std::move(room), std::move(identity)), expectedStreams_(expectedStreams) {
  ssrc_ = static_cast<uint32_t>(std::random_device{}()) | 1u;
  streams_.reserve(expectedStreams);
}

bool LoadSubscriber::ready() const { return connected() && liveStreams() >= expectedStreams_; }

size_t LoadSubscriber::liveStreams() const {
  size_t n = 0;
  for (const auto& s : streams_) n += s.counter.started() ? 1 : 0;
  return n;
}

void LoadSubscriber::openWindow() {
  for (auto& s : streams_) s.counter.openWindow();
}

int64_t LoadSubscriber::expectedInWindow() const {
  int64_t n = 0;
  for (const auto& s : streams_) n += s.counter.expectedInWindow();
  return n;
}

int64_t LoadSubscriber::receivedInWindow() const {
  int64_t n = 0;
  for (const auto& s : streams_) n += s.counter.receivedInWindow();
  return n;
}

void LoadSubscriber::onSignal(const livekit::SignalResponse& message) {
  if (!message.has_offer()) return;
  pendingOffer_ = message.offer();
  if (!transport_ && !startTransport()) return;
  answerPending();
}

void LoadSubscriber::onGatheringDone() {
  LoadParticipant::onGatheringDone();
  answerPending();
}

void LoadSubscriber::answerPending() {
  if (!pendingOffer_ || !gathered_) return;
  const auto offer = std::move(*pendingOffer_);
  pendingOffer_.reset();
  auto parsed = rtc::parseRemoteDescription(offer.sdp(), rtc::SdpType::Offer);
  if (!parsed) return fail("subscriber " + parsed.error());
  // Learn the streams the offer announces: one SSRC per sendonly section.
  for (const auto& m : parsed->media) {
    if (m.direction != rtc::Direction::SendOnly || m.ssrcs.empty()) continue;
    const uint32_t ssrc = m.ssrcs[0].ssrc;
    const bool known = std::any_of(streams_.begin(), streams_.end(), [&](const Stream& s) { return s.ssrc == ssrc; });
    if (known) continue;
    Stream stream;
    stream.ssrc = ssrc;
    auto track = offer.mid_to_track_id().find(m.mid);
    if (track != offer.mid_to_track_id().end()) stream.trackSid = track->second;
    streams_.push_back(std::move(stream));
  }
  livekit::SignalRequest request;
  auto& answer = *request.mutable_answer();
  answer.set_type("answer");
  answer.set_sdp(buildAnswer(*parsed));
  answer.set_id(offer.id());
  send(request);
  // Checks start once the remote side is set: the answer goes out first so
  // that the server usually knows our credentials when they arrive. We
  // answer a=setup:active, so we are the DTLS client.
  if (!remoteApplied_ && applyRemoteDescription(*parsed, rtc::SdpType::Offer, rtc::SetupRole::Active))
    remoteApplied_ = true;
}

std::string LoadSubscriber::buildAnswer(const rtc::SessionDescription& offer) const {
  rtc::SessionDescription a;
  a.origin.sessionId = ssrc_;
  a.origin.sessionVersion = offer.origin.sessionVersion;
  rtc::Group bundle{"BUNDLE", {}};
  for (const auto& offered : offer.media) {
    rtc::MediaSection m;
    m.kind = offered.kind;
    m.protocol = offered.protocol;
    m.mid = offered.mid;
    if (offered.isRejected() || !offered.isRtp()) {
      m.port = 0;
      m.codecs = offered.codecs;
      m.formats = offered.formats;
      m.direction = rtc::Direction::Inactive;
      m.connection = rtc::Connection{};
      a.media.push_back(std::move(m));
      continue;
    }
    describeTransport(m, rtc::SetupRole::Active);
    m.rtcpMux = true;
    m.rtcpReducedSize = offered.rtcpReducedSize;
    m.codecs = offered.codecs;
    m.direction = offered.direction == rtc::Direction::SendOnly ? rtc::Direction::RecvOnly : rtc::Direction::Inactive;
    bundle.mids.push_back(m.mid);
    a.media.push_back(std::move(m));
  }
  a.groups = {bundle};
  return rtc::writeSdp(a);
}

void LoadSubscriber::onRtp(std::span<uint8_t> bytes) {
  const int64_t now = steadyNanos();
  auto packet = rtc::RtpPacketView::parse(bytes);
  if (!packet) return;
  const uint32_t ssrc = packet->ssrc();
  for (auto& s : streams_) {
    if (s.ssrc != ssrc) continue;
    s.counter.onPacket(packet->sequenceNumber());
    if (auto sent = packet->findExtension(kSendTimeExtensionId); sent && sent->size() == 8) {
      context_.latency.record(now - static_cast<int64_t>(rtc::loadBe64(sent->data())));
    }
    return;
  }
}

void LoadSubscriber::onRtcpDue() {
  // Receiver reports keep the server's transport from timing us out, as a browser's would.
  std::array<rtc::ReportBlock, rtc::kMaxReportBlocks> blocks{};
  size_t count = 0;
  for (const auto& s : streams_) {
    if (!s.counter.started() || count == blocks.size()) continue;
    blocks[count].ssrc = s.ssrc;
    blocks[count].extendedHighestSequence = static_cast<uint32_t>(s.counter.highest());
    ++count;
  }
  auto size = rtc::buildReceiverReport(ssrc_, std::span<const rtc::ReportBlock>(blocks.data(), count),
                                       std::span<uint8_t>(rtcpBuffer_).first(1000));
  if (size) transport_->sendRtcp(rtcpBuffer_, *size);
}

}  // namespace convox::bench
