#pragma once

// SDP (RFC 8866) as WebRTC uses it (JSEP, RFC 8829): a plain data model, a
// parser, a canonical writer and a check for what this SFU supports.
//
// The parser is strict about syntax and lenient about order: browsers put
// attributes in different orders (Firefox writes a=fmtp before a=rtpmap), so
// only the line grammar is enforced. Attributes we do not model are kept in
// order and written back, so nothing is dropped on the way through. Whether a
// description is usable (ICE, DTLS, BUNDLE, rtcp-mux) is a separate step,
// validateForWebRtc(), so that a parse error always means "this is not SDP".

#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace convox::rtc {

// Larger input is refused before parsing: a real offer with many tracks and
// candidates is a few tens of KiB, and the limit bounds the parser's work.
inline constexpr size_t kMaxSdpBytes = size_t{256} * 1024;

struct SdpError {
  size_t line = 0;     // 1-based line of the problem; 0 when it concerns the whole description
  std::string reason;  // never empty
  bool operator==(const SdpError&) const = default;
};

// "line 12: <reason>", or just the reason when no line applies.
std::string describe(const SdpError& error);

enum class SdpType : uint8_t { Offer, Answer };
enum class MediaKind : uint8_t { Audio, Video, Application };
enum class MediaProtocol : uint8_t {
  UdpTlsRtpSavpf,  // UDP/TLS/RTP/SAVPF
  UdpDtlsSctp,     // UDP/DTLS/SCTP
  DtlsSctp,        // DTLS/SCTP (legacy data channels, with a=sctpmap)
};
enum class Direction : uint8_t { SendRecv, SendOnly, RecvOnly, Inactive };
enum class SetupRole : uint8_t { ActPass, Active, Passive, HoldConn };
enum class CandidateTransport : uint8_t { Udp, Tcp };
enum class CandidateType : uint8_t { Host, Srflx, Prflx, Relay };
enum class TcpCandidateType : uint8_t { Active, Passive, So };
enum class RidDirection : uint8_t { Send, Recv };

// The spelling used on the wire, e.g. "UDP/TLS/RTP/SAVPF", "sendonly", "srflx".
std::string_view toString(MediaKind kind);
std::string_view toString(MediaProtocol protocol);
std::string_view toString(Direction direction);
std::string_view toString(SetupRole role);
std::string_view toString(CandidateTransport transport);
std::string_view toString(CandidateType type);
std::string_view toString(TcpCandidateType type);
std::string_view toString(RidDirection direction);

// One `key=value` item of an a=fmtp or a=rid parameter list. A bare item
// without '=' (red's "111/111", telephone-event's "0-16") has an empty value.
struct Parameter {
  std::string key;
  std::string value;
  bool operator==(const Parameter&) const = default;
};

struct Origin {
  std::string username = "-";
  uint64_t sessionId = 0;
  uint64_t sessionVersion = 0;
  std::string netType = "IN";
  std::string addressType = "IP4";
  std::string address = "127.0.0.1";
  bool operator==(const Origin&) const = default;
};

struct Connection {  // c=
  std::string netType = "IN";
  std::string addressType = "IP4";
  std::string address = "0.0.0.0";
  bool operator==(const Connection&) const = default;
};

struct Bandwidth {  // b=<type>:<value>
  std::string type;
  uint32_t value = 0;
  bool operator==(const Bandwidth&) const = default;
};

struct Timing {  // t=
  uint64_t start = 0;
  uint64_t stop = 0;
  bool operator==(const Timing&) const = default;
};

struct Group {  // a=group:BUNDLE 0 1 2
  std::string semantics;
  std::vector<std::string> mids;
  bool operator==(const Group&) const = default;
};

struct MsidSemantic {  // a=msid-semantic: WMS *
  std::string semantic;
  std::vector<std::string> ids;
  bool operator==(const MsidSemantic&) const = default;
};

struct Fingerprint {            // a=fingerprint:sha-256 AB:CD:...
  std::string algorithm;        // lower case, e.g. "sha-256"
  std::vector<uint8_t> digest;  // the certificate hash bytes
  bool operator==(const Fingerprint&) const = default;
};

// The ICE and DTLS attributes that may appear at session level and are then
// inherited by every media section that does not set its own.
struct TransportAttributes {
  std::string iceUfrag;  // empty when absent
  std::string icePwd;    // empty when absent
  std::vector<std::string> iceOptions;
  bool iceLite = false;
  std::vector<Fingerprint> fingerprints;
  std::optional<SetupRole> setup;
  bool operator==(const TransportAttributes&) const = default;
};

struct IceCandidate {
  std::string foundation;
  uint16_t component = 1;
  CandidateTransport transport = CandidateTransport::Udp;
  uint32_t priority = 0;
  std::string address;  // IPv4, IPv6 or an mDNS "<uuid>.local" name
  uint16_t port = 0;
  CandidateType type = CandidateType::Host;
  std::string relatedAddress;  // raddr; empty when absent
  std::optional<uint16_t> relatedPort;
  std::optional<TcpCandidateType> tcpType;
  std::optional<uint32_t> generation;
  std::string ufrag;  // empty when absent
  std::optional<uint32_t> networkId;
  std::optional<uint32_t> networkCost;
  std::vector<Parameter> extensions;  // other name/value pairs, in order
  bool operator==(const IceCandidate&) const = default;
};

struct RtcpFeedback {  // a=rtcp-fb:<pt> nack pli
  std::string type;
  std::string parameter;  // empty when absent
  bool operator==(const RtcpFeedback&) const = default;
};

struct Codec {
  uint8_t payloadType = 0;
  std::string name;  // as written ("opus", "VP8"); empty for a static payload type without a=rtpmap
  uint32_t clockRate = 0;
  uint16_t channels = 0;  // 0 when the rtpmap has no channel count
  std::vector<RtcpFeedback> feedback;
  std::vector<Parameter> fmtp;
  // The a=fmtp value as received. The writer emits it verbatim while it still
  // says the same as `fmtp`, so codec-specific spelling survives a round trip;
  // once `fmtp` is edited it is rebuilt from `fmtp` instead.
  std::string fmtpRaw;

  std::optional<std::string_view> fmtpValue(std::string_view key) const;  // key compared case-insensitively
  std::optional<uint8_t> rtxApt() const;                                  // "apt=" of an rtx codec
  std::vector<uint8_t> redPayloadTypes() const;                           // red's "111/111"; empty if malformed
  bool operator==(const Codec&) const = default;
};

struct Extmap {  // a=extmap:<id>[/<direction>] <uri> [<attributes>]
  uint16_t id = 0;
  std::optional<Direction> direction;
  std::string uri;
  std::string attributes;  // empty when absent
  bool operator==(const Extmap&) const = default;
};

struct Msid {  // a=msid:<stream id> <track id>
  std::string streamId;
  std::string trackId;  // empty when absent
  bool operator==(const Msid&) const = default;
};

struct SsrcAttribute {  // the "<name>[:<value>]" part of a=ssrc
  std::string name;
  std::string value;
  bool operator==(const SsrcAttribute&) const = default;
};

// All a=ssrc lines of one SSRC, in order of appearance.
struct Ssrc {
  uint32_t ssrc = 0;
  std::vector<SsrcAttribute> attributes;
  std::optional<std::string_view> attribute(std::string_view name) const;  // e.g. "cname"
  bool operator==(const Ssrc&) const = default;
};

struct SsrcGroup {  // a=ssrc-group:FID 1 2
  std::string semantics;
  std::vector<uint32_t> ssrcs;
  bool operator==(const SsrcGroup&) const = default;
};

struct Rid {  // a=rid:<id> send|recv [pt=..;max-width=..]
  std::string id;
  RidDirection direction = RidDirection::Send;
  std::vector<Parameter> restrictions;
  bool operator==(const Rid&) const = default;
};

struct SimulcastRid {
  std::string rid;
  bool paused = false;  // written as "~rid"
  bool operator==(const SimulcastRid&) const = default;
};

// a=simulcast:send q;h;f — each stream (';') lists its alternative rids (',')
// in preference order.
using SimulcastStream = std::vector<SimulcastRid>;
struct Simulcast {
  std::vector<SimulcastStream> send;
  std::vector<SimulcastStream> recv;
  bool operator==(const Simulcast&) const = default;
};

// An attribute that is not modelled: a=<name>[:<value>].
struct Attribute {
  std::string name;
  std::string value;
  bool operator==(const Attribute&) const = default;
};

struct MediaSection {
  MediaKind kind = MediaKind::Audio;
  uint16_t port = 9;
  MediaProtocol protocol = MediaProtocol::UdpTlsRtpSavpf;
  std::vector<Codec> codecs;         // RTP sections: one per m-line payload type, in m-line (preference) order
  std::vector<std::string> formats;  // SCTP sections: the m-line formats, e.g. "webrtc-datachannel"
  std::string title;                 // i=
  std::optional<Connection> connection;
  std::vector<Bandwidth> bandwidths;

  std::string mid;
  bool bundleOnly = false;
  TransportAttributes transport;
  Direction direction = Direction::SendRecv;  // RFC 8866 default when absent
  bool rtcpMux = false;
  bool rtcpReducedSize = false;
  std::vector<RtcpFeedback> wildcardFeedback;  // a=rtcp-fb:* ...
  std::optional<uint32_t> ptime;
  std::optional<uint32_t> maxPtime;
  bool extmapAllowMixed = false;
  std::vector<Extmap> extmaps;
  std::vector<Msid> msids;
  std::vector<SsrcGroup> ssrcGroups;
  std::vector<Ssrc> ssrcs;
  std::vector<Rid> rids;
  std::optional<Simulcast> simulcast;
  std::optional<uint16_t> sctpPort;
  std::optional<uint64_t> maxMessageSize;
  std::vector<IceCandidate> candidates;
  bool endOfCandidates = false;
  std::vector<Attribute> otherAttributes;  // in order of appearance

  bool isRtp() const { return protocol == MediaProtocol::UdpTlsRtpSavpf; }
  // A port of zero rejects the section unless it is bundle-only (RFC 8843).
  bool isRejected() const { return port == 0 && !bundleOnly; }
  bool operator==(const MediaSection&) const = default;
};

struct SessionDescription {
  Origin origin;
  std::string sessionName = "-";
  std::string sessionInfo;  // i=
  std::optional<Connection> connection;
  std::vector<Bandwidth> bandwidths;
  Timing timing;

  std::vector<Group> groups;
  std::optional<MsidSemantic> msidSemantic;
  bool extmapAllowMixed = false;
  TransportAttributes transport;
  // A session-level direction is the default of sections that set none; the
  // parser has already applied it to them.
  std::optional<Direction> direction;
  std::vector<Attribute> otherAttributes;  // in order of appearance
  std::vector<MediaSection> media;

  const Group* bundleGroup() const;  // the first a=group:BUNDLE, or nullptr
  bool operator==(const SessionDescription&) const = default;
};

// Parses an offer or an answer. Accepts CRLF or LF line ends and a missing
// final line end. Never throws.
boost::system::result<SessionDescription, SdpError> parseSdp(std::string_view text);

// Writes CRLF-terminated lines in canonical order (session lines, then per
// section: m, i, c, b, mid, ICE, DTLS, direction, RTCP, codecs, extmaps,
// msid, ssrcs, rids, simulcast, SCTP, candidates, other attributes). Data
// sections get a direction only when it differs from the default, as Chrome
// writes them. Equal descriptions give equal text.
std::string writeSdp(const SessionDescription& description);

// Rejects, with a reason naming the section, what this SFU does not support:
// no media, a missing mid, BUNDLE missing or not covering every section,
// missing ICE credentials, no sha-256 fingerprint, a missing or (for the
// type) invalid setup role, RTP without rtcp-mux, a protocol that does not
// fit the media kind, simulcast rids without a=rid lines.
boost::system::result<void, SdpError> validateForWebRtc(const SessionDescription& description, SdpType type);

// Session-level transport attributes overridden by the section's own.
TransportAttributes effectiveTransport(const SessionDescription& description, const MediaSection& section);

const MediaSection* findMediaByMid(const SessionDescription& description, std::string_view mid);
// The first section not rejected (port 0), whose transport a bundle uses; null if none.
const MediaSection* firstActiveSection(const SessionDescription& description);

// The first codec (in preference order) with this encoding name, compared
// case-insensitively ("vp8" finds "VP8"); nullptr if there is none.
const Codec* findCodec(const MediaSection& section, std::string_view name);
// Opus as WebRTC endpoints offer it: opus/48000/2 with minptime=10 and
// useinbandfec=1 (RFC 7587 §7), at `payloadType`.
Codec webRtcOpus(uint8_t payloadType);
const Codec* findCodecByPayloadType(const MediaSection& section, uint8_t payloadType);

// A trickled candidate, as in RTCIceCandidateInit.candidate: with or without
// a leading "a=" and "candidate:". An empty string (end of candidates) is an
// error, as there is no candidate in it.
boost::system::result<IceCandidate, SdpError> parseIceCandidate(std::string_view text);
// "candidate:<foundation> <component> ..." without "a=", as trickle sends it.
std::string writeIceCandidate(const IceCandidate& candidate);

// Splits an a=fmtp value ("minptime=10; useinbandfec=1") into its items, e.g.
// a LiveKit Codec.fmtp_line; writing joins them with ';' and no spaces.
std::vector<Parameter> parseFmtpParameters(std::string_view text);
std::string writeFmtpParameters(const std::vector<Parameter>& params);

// "sha-256 AB:CD:..." as in a=fingerprint, e.g. from a DTLS certificate.
boost::system::result<Fingerprint, SdpError> parseFingerprint(std::string_view text);
std::string writeFingerprint(const Fingerprint& fingerprint);

}  // namespace convox::rtc
