#pragma once

// What the SFU accepts from publishers and offers to subscribers in SDP:
// codec choice, RTCP feedback, header extensions and simulcast, in one
// place (LiveKit: participant_sdp.go, config.go).

#include "forwarding/simulcast_selector.hpp"
#include "rtc/sdp.hpp"

#include <optional>
#include <string>
#include <vector>

namespace convox::sfu {

// What the publisher asked for in its AddTrackRequest, as far as SDP goes.
struct PublishRequest {
  std::string cid;
  std::string sid;
  std::string publisherSid;
  rtc::MediaKind kind = rtc::MediaKind::Audio;
  std::string videoCodec = "vp8";  // requested codec, lower case
  bool disableDtx = false;
  bool disableRed = false;
  bool stereo = false;
  std::vector<std::string> ridsByQuality;  // index = LiveKit quality (0 LOW..2 HIGH); empty = q, h, f
  std::vector<SimulcastLayer> layers;      // AddTrackRequest.layers: quality and size of each
};

inline constexpr const char* kMidExtension = "urn:ietf:params:rtp-hdrext:sdes:mid";
inline constexpr const char* kRidExtension = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
inline constexpr const char* kAudioLevelExtension = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
inline constexpr const char* kTransportWideCcExtension =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";

// The codec to receive from an offered publisher section; nullopt when the
// offer has none we forward.
std::optional<rtc::Codec> choosePublisherCodec(const rtc::MediaSection& offered, const PublishRequest& request);

// The media part of our answer to a publisher section (transport attributes
// and candidates are added by the caller).
// With `red`, it is answered before the codec, so the client sends RED.
rtc::MediaSection answerPublisherSection(const rtc::MediaSection& offered, const rtc::Codec& codec,
                                         const PublishRequest& request,
                                         const std::optional<rtc::Codec>& red = std::nullopt);

// The offered RFC 2198 red codec carrying the offered Opus (a=fmtp:63 111/111),
// unless the track disabled RED.
std::optional<rtc::Codec> choosePublisherRed(const rtc::MediaSection& offered, const rtc::Codec& opus,
                                             const PublishRequest& request);
// The red codec offered to subscribers of a RED track, over our Opus.
rtc::Codec subscriberRedCodec(const rtc::Codec& subscriberOpus);
// Whether an answered section kept `codec` (same payload type and name, and
// for rtx the same apt).
bool answerKeeps(const rtc::MediaSection& answered, const rtc::Codec& codec);

// The extension id the offer uses for `uri`, 0 when absent.
uint8_t extensionId(const rtc::MediaSection& section, std::string_view uri);

// The simulcast layer (0 LOW .. 2 HIGH) a rid stands for.
int layerForRid(const PublishRequest& request, const rtc::MediaSection& offered, std::string_view rid);

// The codec we offer to subscribers for a publisher's codec: the same codec
// under a fixed payload type, so bundled sections never disagree.
rtc::Codec subscriberCodec(const rtc::Codec& publisherCodec, bool stereo);
// The rtx codec (RFC 4588) offered with a subscriber's video codec, so NACKed
// packets go back on a stream of their own; none for audio.
std::optional<rtc::Codec> subscriberRtxCodec(const rtc::Codec& subscriberVideoCodec);

}  // namespace convox::sfu
