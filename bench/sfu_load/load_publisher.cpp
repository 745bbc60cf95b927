#include "load_publisher.hpp"

#include "rtc/byte_io.hpp"
#include "rtc/opus_codec.hpp"
#include "rtc/rtcp_packet.hpp"
#include "rtc/rtp_packet.hpp"
#include "rtc/srtp_session.hpp"

#include <chrono>
#include <cstring>
#include <random>

namespace convox::bench {

namespace {
constexpr uint8_t kOpusPayloadType = 111;
constexpr int64_t kFrameNanos = 20'000'000;
// Behind by more than this (a stalled machine): skip ahead rather than burst.
constexpr int64_t kMaxCatchUpNanos = 200'000'000;
constexpr const char* kSectionMid = "0";

// NTP time (RFC 3550 §4) for sender reports.
uint64_t ntpNow() {
  const auto since = std::chrono::system_clock::now().time_since_epoch();
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(since).count();
  const uint64_t seconds = static_cast<uint64_t>(micros / 1'000'000) + 2'208'988'800ull;
  const uint64_t fraction = (static_cast<uint64_t>(micros % 1'000'000) << 32) / 1'000'000;
  return (seconds << 32) | fraction;
}
}  // namespace

LoadPublisher::LoadPublisher(LoadContext& context, std::string room, std::string identity, int64_t phaseNanos)
    : LoadParticipant(context, std::move(room), identity), cid_(identity + "-audio"), phaseNanos_(phaseNanos) {
  ssrc_ = static_cast<uint32_t>(std::random_device{}()) | 1u;
  sequence_ = static_cast<uint16_t>(std::random_device{}());
}

void LoadPublisher::onJoined() {
  livekit::SignalRequest request;
  auto& add = *request.mutable_add_track();
  add.set_cid(cid_);
  add.set_name("tone");
  add.set_type(livekit::AUDIO);
  add.set_source(livekit::MICROPHONE);
  send(request);
  startTransport();
}

void LoadPublisher::onSignal(const livekit::SignalResponse& message) {
  if (message.has_track_published() && message.track_published().cid() == cid_) {
    trackSid_ = message.track_published().track().sid();
    offerIfReady();
  } else if (message.has_answer()) {
    applyAnswer(message.answer().sdp());
  } else if (message.has_request_response() && message.request_response().reason() != livekit::RequestResponse::OK) {
    fail("request refused: " + message.request_response().message());
  }
}

void LoadPublisher::onGatheringDone() {
  LoadParticipant::onGatheringDone();
  offerIfReady();
}

void LoadPublisher::offerIfReady() {
  if (offered_ || !gathered_ || trackSid_.empty()) return;
  offered_ = true;
  livekit::SignalRequest request;
  auto& offer = *request.mutable_offer();
  offer.set_type("offer");
  offer.set_sdp(buildOffer());
  offer.set_id(1);
  send(request);
}

std::string LoadPublisher::buildOffer() const {
  rtc::SessionDescription o;
  o.origin.sessionId = ssrc_;
  o.origin.sessionVersion = 1;
  o.msidSemantic = rtc::MsidSemantic{"WMS", {"*"}};
  rtc::MediaSection audio;
  audio.kind = rtc::MediaKind::Audio;
  audio.mid = kSectionMid;
  describeTransport(audio, rtc::SetupRole::ActPass);
  rtc::Codec opus;
  opus.payloadType = kOpusPayloadType;
  opus.name = "opus";
  opus.clockRate = rtc::kOpusSampleRate;
  opus.channels = 2;
  opus.fmtp = {{"minptime", "10"}, {"useinbandfec", "1"}};
  audio.codecs = {opus};
  audio.rtcpMux = true;
  audio.direction = rtc::Direction::SendOnly;
  audio.extmaps = {{kMidExtensionId, std::nullopt, "urn:ietf:params:rtp-hdrext:sdes:mid", ""},
                   {kSendTimeExtensionId, std::nullopt, "urn:convox:bench:send-time-ns", ""}};
  const std::string stream = "convox-load";
  audio.msids = {{stream, cid_}};
  audio.ssrcs = {{ssrc_, {{"cname", identity()}, {"msid", stream + " " + cid_}}}};
  o.media = {audio};
  o.groups = {{"BUNDLE", {kSectionMid}}};
  return rtc::writeSdp(o);
}

void LoadPublisher::applyAnswer(const std::string& sdp) {
  auto answer = rtc::parseRemoteDescription(sdp, rtc::SdpType::Answer);
  if (!answer) return fail("publisher " + answer.error());
  const auto* audio = rtc::findMediaByMid(*answer, kSectionMid);
  if (!audio || audio->isRejected() || !rtc::findCodec(*audio, "opus")) {
    return fail("publisher answer does not accept the Opus section");
  }
  applyRemoteDescription(*answer, rtc::SdpType::Answer, rtc::SetupRole::ActPass);
}

void LoadPublisher::tick(int64_t nowNanos) {
  LoadParticipant::tick(nowNanos);
  if (!connected()) return;
  if (nextFrameNanos_ == 0) nextFrameNanos_ = nowNanos + phaseNanos_;
  if (nowNanos - nextFrameNanos_ > kMaxCatchUpNanos) nextFrameNanos_ = nowNanos;
  while (nextFrameNanos_ <= nowNanos) {
    sendFrame(steadyNanos());
    nextFrameNanos_ += kFrameNanos;
  }
}

void LoadPublisher::sendFrame(int64_t nowNanos) {
  const auto& frame = context_.opusFrames[frameIndex_++ % context_.opusFrames.size()];
  std::array<uint8_t, 8> sendTime{};
  rtc::storeBe64(sendTime.data(), static_cast<uint64_t>(nowNanos));
  const std::array<rtc::RtpExtensionEntry, 2> extensions{
      rtc::RtpExtensionEntry{kMidExtensionId, {reinterpret_cast<const uint8_t*>(kSectionMid), 1}},
      rtc::RtpExtensionEntry{kSendTimeExtensionId, sendTime}};
  rtc::RtpHeader header;
  header.marker = packetsSent_ == 0;
  header.payloadType = kOpusPayloadType;
  header.sequenceNumber = sequence_++;
  header.timestamp = timestamp_;
  header.ssrc = ssrc_;
  timestamp_ += rtc::kOpusFrameSamples;
  auto headerSize = rtc::buildRtpHeader(header, extensions, packet_);
  if (!headerSize || *headerSize + frame.size() + rtc::kSrtpMaxTrailer > packet_.size()) return;
  std::memcpy(packet_.data() + *headerSize, frame.data(), frame.size());
  if (transport_->sendRtp(packet_, *headerSize + frame.size())) {
    ++packetsSent_;
    octetsSent_ += frame.size();
  }
}

void LoadPublisher::onRtcpDue() {
  rtc::SenderInfo info;
  info.ntpTimestamp = ntpNow();
  info.rtpTimestamp = timestamp_;
  info.packetCount = static_cast<uint32_t>(packetsSent_);
  info.octetCount = static_cast<uint32_t>(octetsSent_);
  auto size = rtc::buildSenderReport(ssrc_, info, {}, std::span<uint8_t>(rtcpBuffer_).first(1000));
  if (size) transport_->sendRtcp(rtcpBuffer_, *size);
}

}  // namespace convox::bench
