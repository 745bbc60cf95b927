#include "echo_session.hpp"

#include "rtc/rtp_packet.hpp"
#include "rtc/sdp_transport.hpp"

#include <cmath>
#include <random>

namespace convox::tools {

namespace {

constexpr size_t kAnalysisSamples = rtc::kOpusSampleRate;  // measure one second at a time
constexpr uint64_t kWarmupFrames = 25;                     // skip the first half second

uint32_t randomSsrc() {
  std::random_device rd;
  return rd() | 1u;
}

}  // namespace

double dominantFrequency(std::span<const int16_t> pcm) {
  double best = 0;
  double bestHz = 0;
  for (double hz = 50; hz <= 4000; hz += 5) {
    const double w = 2 * M_PI * hz / rtc::kOpusSampleRate;
    const double coeff = 2 * std::cos(w);
    double s1 = 0, s2 = 0;
    for (int16_t x : pcm) {
      const double s = x + coeff * s1 - s2;
      s2 = s1;
      s1 = s;
    }
    const double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    if (power > best) {
      best = power;
      bestHz = hz;
    }
  }
  return bestHz;
}

EchoSession::EchoSession(rtc::EventLoop& loop, std::shared_ptr<const rtc::DtlsCertificate> certificate,
                         EchoOptions options)
    : loop_(loop),
      certificate_(std::move(certificate)),
      options_(std::move(options)),
      ssrc_(randomSsrc()),
      pcm_(rtc::kOpusFrameSamples * 2),
      sendBuffer_(1500) {}

void EchoSession::start(const std::string& offerSdp, AnswerCallback onAnswer) {
  onAnswer_ = std::move(onAnswer);
  auto parsed = rtc::parseRemoteDescription(offerSdp, rtc::SdpType::Offer);
  if (!parsed) return onAnswer_(false, parsed.error());
  offer_ = std::move(*parsed);
  for (const auto& m : offer_.media) {
    if (m.isRejected() || m.kind != rtc::MediaKind::Audio) continue;
    if (const auto* opus = rtc::findCodec(m, "opus")) opusPayloadType_ = opus->payloadType;
  }
  std::string error;
  decoder_ = rtc::OpusFrameDecoder::create(1, error);
  encoder_ = rtc::OpusFrameEncoder::create({}, error);
  rtc::WebRtcTransportSettings settings;
  settings.ice.role = rtc::IceRole::Lite;
  settings.ice.localAddresses = options_.iceAddresses;
  settings.certificate = certificate_;
  settings.srtpProfiles = options_.srtpProfiles;
  transport_ = std::make_unique<rtc::WebRtcTransport>(loop_, *this, settings);
  if (!transport_->start(error)) return onAnswer_(false, error);

  const auto* first = rtc::firstActiveSection(offer_);
  const auto offered = first ? rtc::effectiveTransport(offer_, *first).setup : std::nullopt;
  localSetup_ = rtc::answerSetupRole(offered.value_or(rtc::SetupRole::ActPass), rtc::SetupRole::Passive);
  if (auto applied = rtc::applyRemoteDescription(*transport_, offer_, rtc::SdpType::Offer, localSetup_); !applied) {
    return onAnswer_(false, applied.error());
  }
}

void EchoSession::onGatheringDone() {
  if (onAnswer_) {
    auto answer = buildAnswer();
    auto callback = std::move(onAnswer_);
    onAnswer_ = nullptr;
    callback(true, std::move(answer));
  }
}

std::string EchoSession::buildAnswer() const {
  rtc::SessionDescription a;
  a.origin.sessionId = ssrc_;
  a.origin.sessionVersion = 1;
  a.transport.iceLite = true;
  a.msidSemantic = rtc::MsidSemantic{"WMS", {"*"}};
  rtc::Group bundle{"BUNDLE", {}};
  bool audioTaken = false, dataTaken = false;
  for (const auto& offered : offer_.media) {
    rtc::MediaSection m;
    m.kind = offered.kind;
    m.protocol = offered.protocol;
    m.mid = offered.mid;
    m.connection = rtc::Connection{};
    const auto* opus = offered.kind == rtc::MediaKind::Audio ? rtc::findCodec(offered, "opus") : nullptr;
    const bool takeAudio = opus && !audioTaken && !offered.isRejected();
    const bool takeData = offered.kind == rtc::MediaKind::Application && !dataTaken && !offered.isRejected();
    if (takeAudio) {
      audioTaken = true;
      rtc::Codec codec = *opus;
      codec.feedback.clear();
      codec.fmtp = {{"minptime", "10"}, {"useinbandfec", "1"}};
      codec.fmtpRaw.clear();
      m.codecs = {codec};
      m.rtcpMux = true;
      m.direction = rtc::Direction::SendRecv;
      m.msids = {{"convox-echo", "echo-audio"}};
      m.ssrcs = {{ssrc_, {{"cname", "convox-echo"}}}};
    } else if (takeData) {
      dataTaken = true;
      m.formats = {"webrtc-datachannel"};
      m.sctpPort = 5000;
      m.maxMessageSize = 262144;
    } else {
      // Rejected: port 0, and left out of the bundle.
      m.port = 0;
      m.codecs = offered.codecs.empty() ? std::vector<rtc::Codec>{} : std::vector<rtc::Codec>{offered.codecs[0]};
      m.formats = offered.formats;
      m.direction = rtc::Direction::Inactive;
      a.media.push_back(std::move(m));
      continue;
    }
    rtc::describeLocalTransport(*transport_, m, localSetup_, true);
    bundle.mids.push_back(m.mid);
    a.media.push_back(std::move(m));
  }
  a.groups = {bundle};
  return rtc::writeSdp(a);
}

void EchoSession::onTransportState(rtc::TransportState, const std::string&) {}

void EchoSession::forward(std::span<const uint8_t> packet) {
  // One copy into scratch (the receive buffer has no room for the SRTP tag),
  // rewrite the SSRC in place, protect in place, send.
  if (packet.size() + rtc::kSrtpMaxTrailer > sendBuffer_.size()) return;
  std::copy(packet.begin(), packet.end(), sendBuffer_.begin());
  auto rtp = rtc::RtpPacketView::parse(std::span<uint8_t>(sendBuffer_).first(packet.size()));
  if (!rtp) return;
  rtp->setSsrc(ssrc_);
  transport_->sendRtp(sendBuffer_, packet.size());
}

void EchoSession::onRtp(std::span<uint8_t> packet) {
  if (options_.forwardOnly) return forward(packet);
  auto rtp = rtc::RtpPacketView::parse(packet);
  if (!rtp || rtp->payloadType() != opusPayloadType_ || !decoder_ || !encoder_) return;
  const int samples = decoder_->decode(rtp->payload(), pcm_);
  if (samples <= 0) return;
  const std::span<const int16_t> frame(pcm_.data(), static_cast<size_t>(samples));
  if (++framesReceived_ > kWarmupFrames) analyse(frame);

  // Back on our own track: our SSRC, sequence and clock.
  rtc::RtpHeader header;
  header.payloadType = opusPayloadType_;
  header.sequenceNumber = sequence_++;
  header.timestamp = timestamp_;
  header.ssrc = ssrc_;
  timestamp_ += static_cast<uint32_t>(samples);
  auto headerSize = rtc::buildRtpHeader(header, {}, sendBuffer_);
  if (!headerSize || samples != rtc::kOpusFrameSamples) return;
  const auto room = std::span<uint8_t>(sendBuffer_).subspan(*headerSize, rtc::kOpusMaxPacketBytes);
  const int encoded = encoder_->encode(frame, room);
  if (encoded <= 0) return;
  transport_->sendRtp(sendBuffer_, *headerSize + static_cast<size_t>(encoded));
}

void EchoSession::analyse(std::span<const int16_t> pcm) {
  analysis_.insert(analysis_.end(), pcm.begin(), pcm.end());
  if (analysis_.size() < kAnalysisSamples) return;
  measuredHz_ = dominantFrequency(analysis_);
  analysis_.clear();
  for (auto id : channels_) sendText(id, "freq:" + std::to_string(static_cast<int>(std::lround(measuredHz_))));
}

void EchoSession::onDataChannelOpen(uint16_t id, const std::string&, const rtc::DataChannelOptions&) {
  channels_.push_back(id);
}

void EchoSession::onDataChannelMessage(uint16_t id, std::span<const uint8_t> data, bool binary) {
  if (binary) {
    transport_->sendData(id, data, true);
    return;
  }
  sendText(id, "echo:" + std::string(data.begin(), data.end()));
}

void EchoSession::sendText(uint16_t id, const std::string& text) {
  transport_->sendData(id, {reinterpret_cast<const uint8_t*>(text.data()), text.size()}, false);
}

std::string EchoSession::srtpProfileName() const {
  const auto p = transport_ ? transport_->srtpProfile() : std::nullopt;
  return p ? std::string(rtc::srtpProfileName(*p)) : "";
}

}  // namespace convox::tools
