#include "janus_peers.hpp"

#include "rtc/byte_io.hpp"
#include "rtc/opus_codec.hpp"
#include "rtc/rtcp_packet.hpp"
#include "rtc/rtp_packet.hpp"
#include "rtc/sdp_transport.hpp"

#include <boost/json/array.hpp>

#include <chrono>
#include <random>

namespace convox::bench {

namespace json = boost::json;

namespace {

constexpr int64_t kReportNanos = 1'000'000'000;
constexpr int64_t kListingNanos = 250'000'000;
constexpr uint8_t kMidExtensionId = 4;
constexpr int64_t kRoomExists = 427;  // VideoRoom's JANUS_VIDEOROOM_ERROR_ROOM_EXISTS

uint32_t randomSsrc() { return static_cast<uint32_t>(std::random_device{}()) | 1u; }

int64_t errorCode(const json::object& data) {
  const auto* code = data.if_contains("error_code");
  return code && code->is_int64() ? code->as_int64() : 0;
}

std::string errorText(const json::object& data) {
  const auto* text = data.if_contains("error");
  return text && text->is_string() ? std::string(text->as_string()) : "error " + std::to_string(errorCode(data));
}

}  // namespace

JanusPeer::JanusPeer(LoadContext& context, uint64_t room, std::string identity)
    : LoadPeer(std::move(identity)), context_(context), room_(room) {}

JanusPeer::~JanusPeer() { leave(); }

void JanusPeer::join() {
  auto url = client::parseWebSocketUrl(context_.url);
  if (!url) return fail(url.error());
  session_ = std::make_unique<JanusSession>(*context_.io, *url, [this](const std::string& reason) {
    if (!left_) fail(reason);
  });
  session_->open([this] {
    session_->attach(
        "janus.plugin.videoroom", [this](const json::object& m) { onHandleEvent(m); },
        [this](uint64_t handle) {
          handle_ = handle;
          onAttached();
        });
  });
}

void JanusPeer::leave() {
  if (left_) return;
  left_ = true;
  if (transport_) transport_->close();
  if (session_) session_->close();
}

bool JanusPeer::startTransport(rtc::IceRole role) {
  rtc::WebRtcTransportSettings settings;
  settings.ice.role = role;
  settings.ice.localAddresses = {context_.iceAddress};
  settings.certificate = context_.certificate;
  settings.dataChannels = false;
  settings.inactivityTimeout = std::chrono::milliseconds(0);
  transport_ = std::make_unique<rtc::WebRtcTransport>(*context_.loop, *this, settings);
  std::string error;
  if (!transport_->start(error)) {
    fail("transport: " + error);
    return false;
  }
  return true;
}

std::optional<rtc::SessionDescription> JanusPeer::describedBy(const json::object& reply, rtc::SdpType type,
                                                              const std::string& request) {
  const auto& data = pluginData(reply);
  if (errorCode(data) != 0) {
    fail("Janus " + request + ": " + errorText(data));
    return std::nullopt;
  }
  const auto sdp = jsepSdp(reply);
  auto parsed = sdp ? rtc::parseRemoteDescription(*sdp, type)
                    : boost::system::result<rtc::SessionDescription, std::string>(boost::system::in_place_error,
                                                                                  "no SDP in the reply");
  if (!parsed) {
    fail("Janus " + request + ": " + parsed.error());
    return std::nullopt;
  }
  return std::move(*parsed);
}

void JanusPeer::onTransportState(rtc::TransportState state, const std::string& reason) {
  connected_ = state == rtc::TransportState::Connected;
  if (state == rtc::TransportState::Failed) fail("peer connection failed: " + reason);
}

bool JanusPeer::upkeep(int64_t nowNanos) {
  if (session_) session_->tick(nowNanos);
  if (!connected_) return false;
  if (nextReport_ == 0) nextReport_ = nowNanos + kReportNanos;
  if (nowNanos >= nextReport_) {
    nextReport_ += kReportNanos;
    sendReport(std::span<uint8_t>(rtcpBuffer_).first(1000));
  }
  return true;
}

void JanusPeer::onHandleEvent(const json::object& message) {
  const auto* kind = message.if_contains("janus");
  if (!kind || !kind->is_string()) return;
  if (kind->as_string() == "hangup" && !left_) return fail("Janus hung up the peer connection");
  if (kind->as_string() != "trickle" || !transport_) return;
  const auto* candidate = message.if_contains("candidate");
  if (!candidate || !candidate->is_object()) return;
  const auto& c = candidate->as_object();
  if (const auto* done = c.if_contains("completed"); done && done->is_bool() && done->as_bool()) {
    transport_->remoteGatheringDone();
  } else if (const auto* line = c.if_contains("candidate"); line && line->is_string()) {
    transport_->addRemoteCandidate(std::string(line->as_string()));
  }
}

JanusPublisher::JanusPublisher(LoadContext& context, uint64_t room, int publishersPerRoom, std::string identity,
                               int64_t phaseNanos)
    : JanusPeer(context, room, std::move(identity)),
      publishersPerRoom_(publishersPerRoom),
      pacer_(phaseNanos),
      ssrc_(randomSsrc()) {}

void JanusPublisher::onAttached() {
  if (!startTransport(rtc::IceRole::Controlling)) return;
  // The room is made by whichever of its publishers asks first.
  json::object create{
      {"request", "create"}, {"room", room_},          {"publishers", publishersPerRoom_}, {"audiocodec", "opus"},
      {"videocodec", "vp8"}, {"audiolevel_ext", true}, {"description", "convox-sfu-load"}};
  session_->message(handle_, std::move(create), std::nullopt, [this](const json::object& reply) {
    const auto& data = pluginData(reply);
    if (errorCode(data) != 0 && errorCode(data) != kRoomExists) return fail("Janus create room: " + errorText(data));
    offered_ = true;  // the offer goes once our candidates are gathered
  });
}

void JanusPublisher::tick(int64_t nowNanos) {
  if (offered_ && gathered_ && !answered_) publish();
  if (!upkeep(nowNanos) || !answered_) return;
  pacer_.tick(nowNanos, context_.opusFrames, [&](const std::vector<uint8_t>& frame) { sendFrame(frame); });
}

void JanusPublisher::publish() {
  answered_ = true;  // one offer; a failure to answer fails the run
  json::object body{{"request", "joinandconfigure"}, {"room", room_}, {"ptype", "publisher"}, {"display", identity()}};
  json::object jsep{{"type", "offer"}, {"sdp", buildOffer()}};
  session_->message(handle_, std::move(body), std::move(jsep), [this](const json::object& reply) {
    auto parsed = describedBy(reply, rtc::SdpType::Answer, "joinandconfigure");
    if (!parsed) return;
    auto applied = rtc::applyRemoteDescription(*transport_, *parsed, rtc::SdpType::Answer, rtc::SetupRole::ActPass);
    if (!applied) return fail("Janus answer: " + applied.error());
  });
}

std::string JanusPublisher::buildOffer() const {
  rtc::SessionDescription o;
  o.origin.sessionId = ssrc_;
  o.origin.sessionVersion = 1;
  o.msidSemantic = rtc::MsidSemantic{"WMS", {"*"}};
  rtc::MediaSection audio;
  audio.kind = rtc::MediaKind::Audio;
  audio.mid = "0";
  rtc::describeLocalTransport(*transport_, audio, rtc::SetupRole::ActPass, true);
  audio.codecs = {rtc::webRtcOpus(kOpusPayloadType)};
  audio.rtcpMux = true;
  audio.rtcpReducedSize = true;
  audio.direction = rtc::Direction::SendOnly;
  audio.extmaps = {{kMidExtensionId, std::nullopt, "urn:ietf:params:rtp-hdrext:sdes:mid", ""},
                   {kSendTimeExtensionId, std::nullopt, "urn:convox:bench:send-time-ns", ""}};
  audio.msids = {{identity(), "tone"}};
  audio.ssrcs = {{ssrc_, {{"cname", identity()}}}};
  o.groups = {rtc::Group{"BUNDLE", {audio.mid}}};
  o.media.push_back(std::move(audio));
  return rtc::writeSdp(o);
}

void JanusPublisher::sendFrame(const std::vector<uint8_t>& frame) {
  static constexpr uint8_t kMid[] = {'0'};
  std::array<uint8_t, 8> sendTime{};
  rtc::storeBe64(sendTime.data(), static_cast<uint64_t>(steadyNanos()));
  const std::array<rtc::RtpExtensionEntry, 2> extensions{rtc::RtpExtensionEntry{kMidExtensionId, kMid},
                                                         rtc::RtpExtensionEntry{kSendTimeExtensionId, sendTime}};
  rtc::RtpHeader header;
  header.marker = sent_ == 0;
  header.payloadType = kOpusPayloadType;
  header.sequenceNumber = sequence_++;
  header.timestamp = timestamp_;
  header.ssrc = ssrc_;
  timestamp_ += rtc::kOpusFrameSamples;
  auto headerSize = rtc::buildRtpHeader(header, extensions, packet_);
  if (!headerSize || *headerSize + frame.size() + rtc::kSrtpMaxTrailer > packet_.size()) return;
  std::copy(frame.begin(), frame.end(), packet_.begin() + static_cast<long>(*headerSize));
  if (!transport_->sendRtp(packet_, *headerSize + frame.size())) return;
  ++sent_;
  octets_ += frame.size();
}

void JanusPublisher::sendReport(std::span<uint8_t> buffer) {
  if (sent_ == 0) return;
  rtc::SenderInfo info;
  info.ntpTimestamp = rtc::ntpNow();
  info.rtpTimestamp = timestamp_;
  info.packetCount = static_cast<uint32_t>(sent_);
  info.octetCount = static_cast<uint32_t>(octets_);
  if (auto size = rtc::buildSenderReport(ssrc_, info, {}, buffer)) transport_->sendRtcp(buffer, *size);
}

JanusSubscriber::JanusSubscriber(LoadContext& context, uint64_t room, std::string identity, size_t expectedStreams)
    : JanusPeer(context, room, std::move(identity)), expectedStreams_(expectedStreams), localSsrc_(randomSsrc()) {
  streams_.reserve(expectedStreams);
}

void JanusSubscriber::tick(int64_t nowNanos) {
  if (handle_ != 0 && !joined_) askForPublishers(nowNanos);
  if (offer_ && gathered_ && !answered_) answer();
  upkeep(nowNanos);
}

// A feed can be subscribed to once it publishes: until every publisher of
// the room does, ask again.
void JanusSubscriber::askForPublishers(int64_t nowNanos) {
  if (listing_ || nowNanos < nextListing_) return;
  listing_ = true;
  nextListing_ = nowNanos + kListingNanos;
  json::object body{{"request", "listparticipants"}, {"room", room_}};
  session_->message(handle_, std::move(body), std::nullopt, [this](const json::object& reply) {
    listing_ = false;
    const auto& data = pluginData(reply);
    std::vector<uint64_t> feeds;
    if (const auto* list = data.if_contains("participants"); list && list->is_array()) {
      for (const auto& p : list->as_array()) {
        if (!p.is_object()) continue;
        const auto* publishing = p.as_object().if_contains("publisher");
        const auto* id = p.as_object().if_contains("id");
        if (publishing && publishing->is_bool() && publishing->as_bool() && id && id->is_number()) {
          feeds.push_back(id->to_number<uint64_t>());
        }
      }
    }
    if (feeds.size() >= expectedStreams_ && !joined_) subscribe(feeds);
  });
}

void JanusSubscriber::subscribe(const std::vector<uint64_t>& feeds) {
  joined_ = true;
  json::array streams;
  for (const uint64_t feed : feeds) streams.push_back(json::object{{"feed", feed}});
  json::object body{{"request", "join"}, {"room", room_}, {"ptype", "subscriber"}, {"streams", std::move(streams)}};
  session_->message(handle_, std::move(body), std::nullopt, [this](const json::object& reply) {
    auto parsed = describedBy(reply, rtc::SdpType::Offer, "subscribe");
    if (!parsed) return;
    if (!startTransport(rtc::IceRole::Controlled)) return;
    auto applied = rtc::applyRemoteDescription(*transport_, *parsed, rtc::SdpType::Offer, rtc::SetupRole::Active);
    if (!applied) return fail("Janus offer: " + applied.error());
    for (const auto& m : parsed->media) {
      if (m.ssrcs.empty()) continue;
      streams_.expect(m.ssrcs[0].ssrc);
      stats_.emplace_back().reset(m.ssrcs[0].ssrc, 48000);
    }
    offer_ = std::move(*parsed);
  });
}

// Recvonly Opus for each audio section Janus offers; anything else refused.
void JanusSubscriber::answer() {
  answered_ = true;
  rtc::SessionDescription a;
  a.origin.sessionId = localSsrc_;
  a.origin.sessionVersion = offer_->origin.sessionVersion;
  rtc::Group bundle{"BUNDLE", {}};
  for (const auto& offered : offer_->media) {
    rtc::MediaSection m;
    m.kind = offered.kind;
    m.protocol = offered.protocol;
    m.mid = offered.mid;
    const rtc::Codec* opus = rtc::findCodec(offered, "opus");
    if (offered.isRejected() || offered.kind != rtc::MediaKind::Audio || !opus) {
      m.port = 0;
      m.formats = offered.formats;
      m.codecs = offered.codecs.empty() ? std::vector<rtc::Codec>{} : std::vector<rtc::Codec>{offered.codecs[0]};
      m.direction = rtc::Direction::Inactive;
      m.connection = rtc::Connection{};
      a.media.push_back(std::move(m));
      continue;
    }
    rtc::describeLocalTransport(*transport_, m, rtc::SetupRole::Active, true);
    m.rtcpMux = true;
    m.codecs = {*opus};
    m.codecs[0].feedback.clear();
    // mid and audio level only: no transport-wide feedback, which Convox's
    // subscriber connections do not negotiate either (the same work on both).
    for (const auto& e : offered.extmaps) {
      if (e.uri == "urn:ietf:params:rtp-hdrext:sdes:mid" || e.uri == "urn:ietf:params:rtp-hdrext:ssrc-audio-level") {
        m.extmaps.push_back(e);
      }
    }
    m.direction = rtc::Direction::RecvOnly;
    bundle.mids.push_back(m.mid);
    a.media.push_back(std::move(m));
  }
  a.groups = {bundle};
  json::object body{{"request", "start"}, {"room", room_}};
  json::object jsep{{"type", "answer"}, {"sdp", rtc::writeSdp(a)}};
  session_->message(handle_, std::move(body), std::move(jsep), [this](const json::object& reply) {
    const auto& data = pluginData(reply);
    if (errorCode(data) != 0) fail("Janus start: " + errorText(data));
  });
}

void JanusSubscriber::onRtp(std::span<uint8_t> bytes) {
  auto packet = rtc::RtpPacketView::parse(bytes);
  if (!packet) return;
  const int64_t now = steadyNanos();
  std::optional<int64_t> sent;
  if (auto ext = packet->findExtension(kSendTimeExtensionId); ext && ext->size() == 8) {
    sent = static_cast<int64_t>(rtc::loadBe64(ext->data()));
  }
  streams_.onPacket(packet->ssrc(), packet->sequenceNumber(), sent, now, context_.latency);
  for (auto& s : stats_) {
    if (s.ssrc() == packet->ssrc()) s.onPacket(packet->sequenceNumber(), packet->timestamp(), now / 1000);
  }
}

void JanusSubscriber::sendReport(std::span<uint8_t> buffer) {
  std::array<rtc::ReportBlock, rtc::kMaxReportBlocks> blocks{};
  size_t count = 0;
  const int64_t nowMicros = steadyNanos() / 1000;
  for (auto& s : stats_) {
    if (s.started() && count < blocks.size()) blocks[count++] = s.makeReportBlock(nowMicros);
  }
  auto size = rtc::buildReceiverReport(localSsrc_, std::span<const rtc::ReportBlock>(blocks.data(), count), buffer);
  if (size) transport_->sendRtcp(buffer, *size);
}

}  // namespace convox::bench
