#include "track_negotiation.hpp"

#include <boost/algorithm/string/predicate.hpp>

#include <algorithm>
#include <array>

namespace convox::sfu {

namespace {

// Feedback we act on: NACK, PLI and FIR for video; none for audio (Opus
// carries its own FEC and we do not retransmit audio).
std::vector<rtc::RtcpFeedback> videoFeedback() { return {{"nack", ""}, {"nack", "pli"}, {"ccm", "fir"}}; }

bool acceptedExtension(rtc::MediaKind kind, std::string_view uri) {
  if (uri == kMidExtension || uri == kTransportWideCcExtension) return true;
  if (kind == rtc::MediaKind::Audio) return uri == kAudioLevelExtension;
  return uri == kRidExtension;
}

}  // namespace

std::optional<rtc::Codec> choosePublisherCodec(const rtc::MediaSection& offered, const PublishRequest& request) {
  if (offered.kind == rtc::MediaKind::Audio) {
    if (const auto* opus = rtc::findCodec(offered, "opus")) return *opus;
    return std::nullopt;
  }
  const std::string preferred = request.videoCodec.empty() ? "vp8" : request.videoCodec;
  for (const std::string& name : {preferred, std::string("vp8"), std::string("h264")}) {
    if (name == "h264") {
      // Constrained baseline, packetization mode 1: what every receiver decodes.
      const rtc::Codec* fallback = nullptr;
      for (const auto& c : offered.codecs) {
        if (!boost::algorithm::iequals(c.name, "h264")) continue;
        if (!fallback) fallback = &c;
        const auto mode = c.fmtpValue("packetization-mode");
        const auto profile = c.fmtpValue("profile-level-id");
        if (mode && *mode == "1" && profile && profile->substr(0, 4) == "42e0") return c;
      }
      if (fallback) return *fallback;
      continue;
    }
    if (name != "vp8") continue;  // VP9/AV1 are not forwarded yet
    if (const auto* c = rtc::findCodec(offered, name)) return *c;
  }
  return std::nullopt;
}

rtc::MediaSection answerPublisherSection(const rtc::MediaSection& offered, const rtc::Codec& codec,
                                         const PublishRequest& request, const std::optional<rtc::Codec>& red) {
  rtc::MediaSection m;
  m.kind = offered.kind;
  m.protocol = offered.protocol;
  m.mid = offered.mid;
  m.connection = rtc::Connection{};
  const bool sending = offered.direction == rtc::Direction::SendOnly || offered.direction == rtc::Direction::SendRecv;
  m.direction = sending ? rtc::Direction::RecvOnly : rtc::Direction::Inactive;
  m.rtcpMux = true;
  m.rtcpReducedSize = offered.rtcpReducedSize;
  rtc::Codec answered = codec;
  if (offered.kind == rtc::MediaKind::Video) {
    std::erase_if(answered.feedback, [](const rtc::RtcpFeedback& fb) {
      const auto wanted = videoFeedback();
      return fb.type != "transport-cc" && std::find(wanted.begin(), wanted.end(), fb) == wanted.end();
    });
  } else {
    // Transport-wide feedback (we send it) drives the publisher's bandwidth estimate.
    std::erase_if(answered.feedback, [](const rtc::RtcpFeedback& fb) { return fb.type != "transport-cc"; });
    answered.fmtpRaw.clear();
    answered.fmtp = {{"minptime", "10"}, {"useinbandfec", "1"}};
    if (!request.disableDtx) answered.fmtp.push_back({"usedtx", "1"});
    if (request.stereo) {
      answered.fmtp.push_back({"stereo", "1"});
      answered.fmtp.push_back({"maxaveragebitrate", "510000"});
    }
  }
  m.codecs = {answered};
  if (red) {
    rtc::Codec redAnswered = *red;
    redAnswered.feedback.clear();
    m.codecs.insert(m.codecs.begin(), redAnswered);
  }
  for (const auto& e : offered.extmaps) {
    if (acceptedExtension(offered.kind, e.uri)) m.extmaps.push_back(e);
  }
  m.extmapAllowMixed = offered.extmapAllowMixed;
  if (offered.simulcast && !offered.simulcast->send.empty()) {
    rtc::Simulcast simulcast;
    simulcast.recv = offered.simulcast->send;
    m.simulcast = simulcast;
    for (const auto& rid : offered.rids) {
      if (rid.direction != rtc::RidDirection::Send) continue;
      m.rids.push_back(rtc::Rid{rid.id, rtc::RidDirection::Recv, {}});
    }
  }
  return m;
}

uint8_t extensionId(const rtc::MediaSection& section, std::string_view uri) {
  for (const auto& e : section.extmaps) {
    if (e.uri == uri && e.id > 0 && e.id < 256) return static_cast<uint8_t>(e.id);
  }
  return 0;
}

int layerForRid(const PublishRequest& request, const rtc::MediaSection& offered, std::string_view rid) {
  for (size_t quality = 0; quality < request.ridsByQuality.size(); ++quality) {
    if (request.ridsByQuality[quality] == rid) return static_cast<int>(std::min<size_t>(quality, 2));
  }
  static constexpr std::array<std::string_view, 3> kLiveKitRids{"q", "h", "f"};
  for (size_t i = 0; i < kLiveKitRids.size(); ++i) {
    if (kLiveKitRids[i] == rid) return static_cast<int>(i);
  }
  // Another sender's rids: their order in a=simulcast, lowest first.
  if (offered.simulcast) {
    for (size_t i = 0; i < offered.simulcast->send.size() && i < 3; ++i) {
      for (const auto& alt : offered.simulcast->send[i]) {
        if (alt.rid == rid) return static_cast<int>(i);
      }
    }
  }
  return -1;
}

rtc::Codec subscriberCodec(const rtc::Codec& publisherCodec, bool stereo) {
  rtc::Codec c;
  c.name = publisherCodec.name;
  c.clockRate = publisherCodec.clockRate;
  c.channels = publisherCodec.channels;
  if (boost::algorithm::iequals(c.name, "opus")) {
    c.payloadType = 111;
    c.fmtp = {{"minptime", "10"}, {"useinbandfec", "1"}};
    if (stereo) c.fmtp.push_back({"sprop-stereo", "1"});
  } else if (boost::algorithm::iequals(c.name, "vp8")) {
    c.payloadType = 96;
    c.feedback = videoFeedback();
  } else {
    c.payloadType = 102;
    c.fmtp = publisherCodec.fmtp;
    c.feedback = videoFeedback();
  }
  return c;
}

std::optional<rtc::Codec> choosePublisherRed(const rtc::MediaSection& offered, const rtc::Codec& opus,
                                             const PublishRequest& request) {
  if (request.disableRed || offered.kind != rtc::MediaKind::Audio) return std::nullopt;
  for (const auto& c : offered.codecs) {
    if (!boost::algorithm::iequals(c.name, "red") || c.clockRate != 48000) continue;
    const auto blocks = c.redPayloadTypes();
    if (!blocks.empty() &&
        std::all_of(blocks.begin(), blocks.end(), [&](uint8_t pt) { return pt == opus.payloadType; })) {
      return c;
    }
  }
  return std::nullopt;
}

rtc::Codec subscriberRedCodec(const rtc::Codec& subscriberOpus) {
  rtc::Codec red;
  red.name = "red";
  red.clockRate = 48000;
  red.channels = 2;
  red.payloadType = 63;  // what Chrome uses
  const auto opus = std::to_string(subscriberOpus.payloadType);
  red.fmtp = {{opus + "/" + opus, ""}};
  return red;
}

bool answerKeeps(const rtc::MediaSection& answered, const rtc::Codec& codec) {
  const auto* kept = rtc::findCodecByPayloadType(answered, codec.payloadType);
  return kept && boost::algorithm::iequals(kept->name, codec.name) && kept->rtxApt() == codec.rtxApt();
}

std::optional<rtc::Codec> subscriberRtxCodec(const rtc::Codec& subscriberVideoCodec) {
  if (boost::algorithm::iequals(subscriberVideoCodec.name, "opus")) return std::nullopt;
  rtc::Codec rtx;
  rtx.name = "rtx";
  rtx.clockRate = subscriberVideoCodec.clockRate;
  rtx.payloadType = static_cast<uint8_t>(subscriberVideoCodec.payloadType + 1);  // 97 for VP8, 103 for H.264
  rtx.fmtp = {{"apt", std::to_string(subscriberVideoCodec.payloadType)}};
  return rtx;
}

}  // namespace convox::sfu
