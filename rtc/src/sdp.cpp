// Helpers shared by the parser and the writer, and the WebRTC support check.
#include "rtc/sdp.hpp"

#include "sdp_grammar.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

namespace convox::rtc {
namespace {

using detail::equalsIgnoreCase;
using detail::split;
using detail::trim;

// Kept apart from detail::number, which refuses more than 20 digits: an apt=
// with many leading zeros has always been accepted here.
std::optional<uint8_t> payloadTypeOf(std::string_view text) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || value > 127) return std::nullopt;
  return static_cast<uint8_t>(value);
}

}  // namespace

std::string describe(const SdpError& error) {
  if (error.line == 0) return error.reason;
  return "line " + std::to_string(error.line) + ": " + error.reason;
}

std::string_view toString(MediaKind kind) {
  switch (kind) {
    case MediaKind::Audio:
      return "audio";
    case MediaKind::Video:
      return "video";
    case MediaKind::Application:
      return "application";
  }
  return "?";
}

std::string_view toString(MediaProtocol protocol) {
  switch (protocol) {
    case MediaProtocol::UdpTlsRtpSavpf:
      return "UDP/TLS/RTP/SAVPF";
    case MediaProtocol::UdpDtlsSctp:
      return "UDP/DTLS/SCTP";
    case MediaProtocol::DtlsSctp:
      return "DTLS/SCTP";
  }
  return "?";
}

std::string_view toString(Direction direction) {
  switch (direction) {
    case Direction::SendRecv:
      return "sendrecv";
    case Direction::SendOnly:
      return "sendonly";
    case Direction::RecvOnly:
      return "recvonly";
    case Direction::Inactive:
      return "inactive";
  }
  return "?";
}

std::string_view toString(SetupRole role) {
  switch (role) {
    case SetupRole::ActPass:
      return "actpass";
    case SetupRole::Active:
      return "active";
    case SetupRole::Passive:
      return "passive";
    case SetupRole::HoldConn:
      return "holdconn";
  }
  return "?";
}

std::string_view toString(CandidateTransport transport) { return transport == CandidateTransport::Udp ? "udp" : "tcp"; }

std::string_view toString(CandidateType type) {
  switch (type) {
    case CandidateType::Host:
      return "host";
    case CandidateType::Srflx:
      return "srflx";
    case CandidateType::Prflx:
      return "prflx";
    case CandidateType::Relay:
      return "relay";
  }
  return "?";
}

std::string_view toString(TcpCandidateType type) {
  switch (type) {
    case TcpCandidateType::Active:
      return "active";
    case TcpCandidateType::Passive:
      return "passive";
    case TcpCandidateType::So:
      return "so";
  }
  return "?";
}

std::string_view toString(RidDirection direction) { return direction == RidDirection::Send ? "send" : "recv"; }

std::vector<Parameter> parseFmtpParameters(std::string_view text) {
  std::vector<Parameter> params;
  for (auto item : split(text, ';')) {
    item = trim(item);
    if (item.empty()) continue;
    const auto equals = item.find('=');
    if (equals == std::string_view::npos) {
      params.push_back({std::string(item), {}});
    } else {
      params.push_back({std::string(trim(item.substr(0, equals))), std::string(trim(item.substr(equals + 1)))});
    }
  }
  return params;
}

std::string writeFmtpParameters(const std::vector<Parameter>& params) {
  std::string text;
  for (const auto& param : params) {
    if (!text.empty()) text += ';';
    text += param.key;
    if (!param.value.empty()) text += '=' + param.value;
  }
  return text;
}

std::optional<std::string_view> Codec::fmtpValue(std::string_view key) const {
  for (const auto& param : fmtp) {
    if (equalsIgnoreCase(param.key, key)) return std::string_view(param.value);
  }
  return std::nullopt;
}

std::optional<uint8_t> Codec::rtxApt() const {
  const auto apt = fmtpValue("apt");
  return apt ? payloadTypeOf(*apt) : std::nullopt;
}

std::vector<uint8_t> Codec::redPayloadTypes() const {
  // RFC 2198's fmtp is one bare item of slash-separated payload types.
  if (fmtp.size() != 1 || !fmtp[0].value.empty()) return {};
  std::vector<uint8_t> types;
  for (const auto item : split(fmtp[0].key, '/')) {
    const auto type = payloadTypeOf(item);
    if (!type) return {};
    types.push_back(*type);
  }
  return types;
}

std::optional<std::string_view> Ssrc::attribute(std::string_view name) const {
  for (const auto& attr : attributes) {
    if (attr.name == name) return std::string_view(attr.value);
  }
  return std::nullopt;
}

const Group* SessionDescription::bundleGroup() const {
  for (const auto& group : groups) {
    if (group.semantics == "BUNDLE") return &group;
  }
  return nullptr;
}

const MediaSection* firstActiveSection(const SessionDescription& description) {
  for (const auto& m : description.media) {
    if (!m.isRejected()) return &m;
  }
  return nullptr;
}

TransportAttributes effectiveTransport(const SessionDescription& description, const MediaSection& section) {
  TransportAttributes merged = section.transport;
  const auto& session = description.transport;
  if (merged.iceUfrag.empty()) merged.iceUfrag = session.iceUfrag;
  if (merged.icePwd.empty()) merged.icePwd = session.icePwd;
  if (merged.iceOptions.empty()) merged.iceOptions = session.iceOptions;
  merged.iceLite = merged.iceLite || session.iceLite;
  if (merged.fingerprints.empty()) merged.fingerprints = session.fingerprints;
  if (!merged.setup) merged.setup = session.setup;
  return merged;
}

const MediaSection* findMediaByMid(const SessionDescription& description, std::string_view mid) {
  for (const auto& section : description.media) {
    if (section.mid == mid) return &section;
  }
  return nullptr;
}

const Codec* findCodec(const MediaSection& section, std::string_view name) {
  for (const auto& codec : section.codecs) {
    if (!codec.name.empty() && equalsIgnoreCase(codec.name, name)) return &codec;
  }
  return nullptr;
}

Codec webRtcOpus(uint8_t payloadType) {
  Codec opus;
  opus.payloadType = payloadType;
  opus.name = "opus";
  opus.clockRate = 48000;
  opus.channels = 2;
  opus.fmtp = {{"minptime", "10"}, {"useinbandfec", "1"}};
  return opus;
}

const Codec* findCodecByPayloadType(const MediaSection& section, uint8_t payloadType) {
  for (const auto& codec : section.codecs) {
    if (codec.payloadType == payloadType) return &codec;
  }
  return nullptr;
}

// --- validateForWebRtc -------------------------------------------------------

namespace {

using Problem = std::optional<SdpError>;

SdpError problem(std::string reason) { return SdpError{0, std::move(reason)}; }

std::string sectionName(const MediaSection& section, size_t index) {
  return "m-line " + std::to_string(index) + " (mid '" + section.mid + "')";
}

Problem checkMidsAndBundle(const SessionDescription& description) {
  std::set<std::string_view> mids;
  for (size_t i = 0; i < description.media.size(); ++i) {
    const auto& mid = description.media[i].mid;
    if (mid.empty()) return problem("m-line " + std::to_string(i) + " has no a=mid");
    if (!mids.insert(mid).second) return problem("mid '" + mid + "' is used by more than one m-line");
  }
  const auto* bundle = description.bundleGroup();
  if (!bundle) return problem("no a=group:BUNDLE; only max-bundle is supported");
  const auto bundles = std::count_if(description.groups.begin(), description.groups.end(),
                                     [](const Group& g) { return g.semantics == "BUNDLE"; });
  if (bundles > 1) return problem("more than one BUNDLE group is not supported");
  for (const auto& mid : bundle->mids) {
    if (!mids.count(mid)) return problem("the BUNDLE group names mid '" + mid + "', which has no m-line");
  }
  const std::set<std::string_view> bundled(bundle->mids.begin(), bundle->mids.end());
  for (size_t i = 0; i < description.media.size(); ++i) {
    const auto& section = description.media[i];
    if (section.isRejected()) continue;
    if (!bundled.count(section.mid)) {
      return problem(sectionName(section, i) + " is not in the BUNDLE group");
    }
  }
  return std::nullopt;
}

// Everything bundled shares one transport, so its parameters must agree.
Problem checkBundleConsistency(const SessionDescription& description) {
  const MediaSection* first = nullptr;
  TransportAttributes firstTransport;
  std::map<uint16_t, std::string_view> extmapUris;
  for (size_t i = 0; i < description.media.size(); ++i) {
    const auto& section = description.media[i];
    if (section.isRejected()) continue;
    const auto transport = effectiveTransport(description, section);
    if (!first) {
      first = &section;
      firstTransport = transport;
    } else if (transport.iceUfrag != firstTransport.iceUfrag || transport.icePwd != firstTransport.icePwd) {
      return problem(sectionName(section, i) + " has other ICE credentials than mid '" + first->mid +
                     "' in its bundle");
    }
    for (const auto& extmap : section.extmaps) {
      const auto [it, inserted] = extmapUris.emplace(extmap.id, extmap.uri);
      if (!inserted && it->second != extmap.uri) {
        return problem("extmap id " + std::to_string(extmap.id) + " means both " + std::string(it->second) + " and " +
                       extmap.uri + " in bundled sections");
      }
    }
  }
  return std::nullopt;
}

Problem checkTransport(const TransportAttributes& transport, SdpType type, const std::string& where) {
  if (transport.iceUfrag.empty()) return problem(where + " has no a=ice-ufrag");
  if (transport.icePwd.empty()) return problem(where + " has no a=ice-pwd");
  if (transport.iceUfrag.size() < 4 || transport.iceUfrag.size() > 256) {
    return problem(where + ": a=ice-ufrag must be 4 to 256 characters (RFC 8839)");
  }
  if (transport.icePwd.size() < 22 || transport.icePwd.size() > 256) {
    return problem(where + ": a=ice-pwd must be 22 to 256 characters (RFC 8839)");
  }
  if (transport.fingerprints.empty()) return problem(where + " has no a=fingerprint");
  const bool hasSha256 = std::any_of(transport.fingerprints.begin(), transport.fingerprints.end(),
                                     [](const Fingerprint& f) { return f.algorithm == "sha-256"; });
  if (!hasSha256) {
    return problem(where + " has no sha-256 fingerprint (found " + transport.fingerprints.front().algorithm + ")");
  }
  if (!transport.setup) return problem(where + " has no a=setup");
  if (*transport.setup == SetupRole::HoldConn) return problem(where + ": a=setup:holdconn is not supported");
  if (type == SdpType::Answer && *transport.setup == SetupRole::ActPass) {
    return problem(where + ": an answer must say a=setup:active or a=setup:passive, not actpass");
  }
  return std::nullopt;
}

Problem checkRtp(const MediaSection& section, const std::string& where) {
  if (!section.rtcpMux) return problem(where + " has no a=rtcp-mux; RTCP on a separate port is not supported");
  if (section.codecs.empty()) return problem(where + " has no payload types");
  for (const auto& codec : section.codecs) {
    if (!equalsIgnoreCase(codec.name, "rtx")) continue;
    const auto apt = codec.rtxApt();
    if (!apt || !findCodecByPayloadType(section, *apt)) {
      return problem(where + ": rtx payload type " + std::to_string(codec.payloadType) +
                     " has no apt= naming a payload type of the m-line");
    }
  }
  if (!section.simulcast) return std::nullopt;
  std::set<std::pair<std::string_view, RidDirection>> declared;
  for (const auto& rid : section.rids) declared.emplace(rid.id, rid.direction);
  const auto checkRids = [&](const std::vector<SimulcastStream>& streams, RidDirection direction) -> Problem {
    for (const auto& stream : streams) {
      for (const auto& alternative : stream) {
        if (!declared.count({alternative.rid, direction})) {
          return problem(where + ": simulcast rid '" + alternative.rid + "' has no a=rid:" + alternative.rid + " " +
                         std::string(toString(direction)));
        }
      }
    }
    return std::nullopt;
  };
  if (auto bad = checkRids(section.simulcast->send, RidDirection::Send)) return bad;
  return checkRids(section.simulcast->recv, RidDirection::Recv);
}

Problem checkSection(const SessionDescription& description, size_t index, SdpType type) {
  const auto& section = description.media[index];
  const auto where = sectionName(section, index);
  const bool wantsRtp = section.kind != MediaKind::Application;
  if (wantsRtp != section.isRtp() || section.protocol == MediaProtocol::DtlsSctp) {
    return problem(where + ": protocol " + std::string(toString(section.protocol)) + " is not supported for " +
                   std::string(toString(section.kind)));
  }
  if (section.isRejected()) return std::nullopt;
  if (auto bad = checkTransport(effectiveTransport(description, section), type, where)) return bad;
  if (section.isRtp()) return checkRtp(section, where);
  if (std::find(section.formats.begin(), section.formats.end(), "webrtc-datachannel") == section.formats.end()) {
    return problem(where + ": an application section must offer webrtc-datachannel");
  }
  if (!section.sctpPort) return problem(where + " has no a=sctp-port");
  return std::nullopt;
}

}  // namespace

boost::system::result<void, SdpError> validateForWebRtc(const SessionDescription& description, SdpType type) {
  if (description.media.empty()) return problem("the description has no m-lines, so ICE cannot connect");
  if (auto bad = checkMidsAndBundle(description)) return *bad;
  for (size_t i = 0; i < description.media.size(); ++i) {
    if (auto bad = checkSection(description, i, type)) return *bad;
  }
  if (auto bad = checkBundleConsistency(description)) return *bad;
  return {};
}

}  // namespace convox::rtc
