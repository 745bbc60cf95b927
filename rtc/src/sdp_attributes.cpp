// SDP attributes: one handler per a= line behind a table, and the values that
// also come from outside an SDP (trickled candidates, certificate
// fingerprints). Every failure says why.
#include "rtc/sdp.hpp"

#include "sdp_grammar.hpp"

#include <arpa/inet.h>

#include <span>

namespace convox::rtc {
namespace {

using namespace detail;

constexpr std::array kDirections{Direction::SendRecv, Direction::SendOnly, Direction::RecvOnly, Direction::Inactive};
constexpr std::array kSetupRoles{SetupRole::ActPass, SetupRole::Active, SetupRole::Passive, SetupRole::HoldConn};
constexpr std::array kCandidateTypes{CandidateType::Host, CandidateType::Srflx, CandidateType::Prflx,
                                     CandidateType::Relay};
constexpr std::array kTcpTypes{TcpCandidateType::Active, TcpCandidateType::Passive, TcpCandidateType::So};
constexpr std::array kRidDirections{RidDirection::Send, RidDirection::Recv};

bool isAlnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isIceChars(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return isAlnum(c) || c == '+' || c == '/'; });
}
bool isRidId(std::string_view text) {  // RFC 8851 rid-id
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return isAlnum(c) || c == '-' || c == '_'; });
}

bool isIpAddress(std::string_view text) {
  if (text.empty() || text.size() > 45) return false;
  const std::string copy(text);  // inet_pton needs a terminated string
  std::array<unsigned char, 16> buffer{};
  return inet_pton(AF_INET, copy.c_str(), buffer.data()) == 1 || inet_pton(AF_INET6, copy.c_str(), buffer.data()) == 1;
}

// Browsers hide host addresses behind "<uuid>.local" names (RFC 8828 mode 3).
bool isMdnsName(std::string_view text) {
  constexpr std::string_view kSuffix = ".local";
  if (text.size() <= kSuffix.size() || text.size() > 253 || text.substr(text.size() - kSuffix.size()) != kSuffix) {
    return false;
  }
  for (const auto label : split(text.substr(0, text.size() - kSuffix.size()), '.')) {
    if (label.empty() || label.size() > 63) return false;
    if (!std::all_of(label.begin(), label.end(), [](char c) { return isAlnum(c) || c == '-'; })) return false;
  }
  return true;
}

// --- values that also come from outside an SDP (trickle, certificates) ----

bool parseFingerprintValue(std::string_view text, Fingerprint& out, std::string& why) {
  const auto parts = words(text);
  if (parts.size() != 2) return failWith(why, "a=fingerprint must be '<hash function> <hex bytes>'");
  out.algorithm.clear();
  for (const char c : parts[0]) out.algorithm += lower(c);
  if (!isToken(out.algorithm)) return failWith(why, "invalid fingerprint hash function " + quoted(parts[0]));
  const auto hexBytes = split(parts[1], ':');
  if (hexBytes.size() > 64) return failWith(why, "fingerprint is longer than 64 bytes");
  out.digest.clear();
  for (const auto hex : hexBytes) {
    uint8_t byte = 0;
    const auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), byte, 16);
    if (hex.size() != 2 || ec != std::errc() || end != hex.data() + 2) {
      return failWith(why, "fingerprint has bad hex " + quoted(hex) + " (expected two hex digits per byte)");
    }
    out.digest.push_back(byte);
  }
  static constexpr std::array<std::pair<std::string_view, size_t>, 7> kSizes{
      {{"sha-1", 20}, {"sha-224", 28}, {"sha-256", 32}, {"sha-384", 48}, {"sha-512", 64}, {"md5", 16}, {"md2", 16}}};
  for (const auto& [name, size] : kSizes) {
    if (name == out.algorithm && size != out.digest.size()) {
      return failWith(why, "a " + out.algorithm + " fingerprint has " + std::to_string(size) + " bytes, not " +
                               std::to_string(out.digest.size()));
    }
  }
  return true;
}

bool parseCandidateExtension(std::string_view name, std::string_view value, IceCandidate& c, std::string& why) {
  const auto duplicate = [&] { return failWith(why, "candidate has '" + std::string(name) + "' twice"); };
  const auto badValue = [&] {
    return failWith(why, "candidate " + std::string(name) + " " + quoted(value) + " is invalid");
  };
  if (name == "raddr") {
    if (!c.relatedAddress.empty()) return duplicate();
    if (!isIpAddress(value) && !isMdnsName(value)) return badValue();
    c.relatedAddress = value;
  } else if (name == "rport") {
    if (c.relatedPort) return duplicate();
    if (!number(value, c.relatedPort.emplace())) return badValue();
  } else if (name == "tcptype") {
    if (c.tcpType) return duplicate();
    if (!(c.tcpType = fromString(value, kTcpTypes))) return badValue();
  } else if (name == "generation" || name == "network-id" || name == "network-cost") {
    auto& field = name == "generation" ? c.generation : name == "network-id" ? c.networkId : c.networkCost;
    if (field) return duplicate();
    if (!number(value, field.emplace())) return badValue();
  } else if (name == "ufrag") {
    if (!c.ufrag.empty()) return duplicate();
    c.ufrag = value;
  } else {
    c.extensions.push_back({std::string(name), std::string(value)});
  }
  return true;
}

bool parseCandidateValue(std::string_view text, IceCandidate& c, std::string& why) {
  const auto w = words(text);
  if (w.size() < 8) {
    return failWith(why, "a candidate needs foundation, component, transport, priority, address, port, typ");
  }
  if (w[0].size() > 32 || !isIceChars(w[0])) return failWith(why, "invalid candidate foundation " + quoted(w[0]));
  c.foundation = w[0];
  if (!number(w[1], c.component, 1, 256)) return failWith(why, "candidate component " + quoted(w[1]) + " is not 1-256");
  if (equalsIgnoreCase(w[2], "udp")) {
    c.transport = CandidateTransport::Udp;
  } else if (equalsIgnoreCase(w[2], "tcp")) {
    c.transport = CandidateTransport::Tcp;
  } else {
    return failWith(why, "unsupported candidate transport " + quoted(w[2]));
  }
  if (!number(w[3], c.priority)) return failWith(why, "candidate priority " + quoted(w[3]) + " is not a 32-bit number");
  if (!isIpAddress(w[4]) && !isMdnsName(w[4])) {
    return failWith(why, "candidate address " + quoted(w[4]) + " is not an IP address or an mDNS .local name");
  }
  c.address = w[4];
  if (!number(w[5], c.port)) return failWith(why, "candidate port " + quoted(w[5]) + " is not 0-65535");
  if (w[6] != "typ") return failWith(why, "expected 'typ' after the candidate port, got " + quoted(w[6]));
  const auto type = fromString(w[7], kCandidateTypes);
  if (!type) return failWith(why, "unknown candidate type " + quoted(w[7]));
  c.type = *type;
  if (w.size() % 2 != 0) return failWith(why, "candidate attribute " + quoted(w.back()) + " has no value");
  for (size_t i = 8; i < w.size(); i += 2) {
    if (!parseCandidateExtension(w[i], w[i + 1], c, why)) return false;
  }
  return true;
}

// --- attribute handlers --------------------------------------------------------
//
// Each gets the attribute name and its trimmed value. Handlers listed only in
// kMediaRules may assume `s.media`.

Codec* codecFor(ParseState& s, std::string_view payloadType, std::string_view attribute) {
  uint8_t type = 0;
  if (!s.media->isRtp()) {
    s.fail("a=" + std::string(attribute) + " in a section that does not carry RTP");
  } else if (!number(payloadType, type, 0, 127)) {
    s.fail("a=" + std::string(attribute) + " payload type " + quoted(payloadType) + " is not 0-127");
  } else {
    for (auto& codec : s.media->codecs) {
      if (codec.payloadType == type) return &codec;
    }
    s.fail("a=" + std::string(attribute) + " for payload type " + std::to_string(type) +
           ", which is not in the m-line format list");
  }
  return nullptr;
}

bool onFlag(ParseState& s, std::string_view name, std::string_view value) {
  if (!value.empty()) return s.fail("a=" + std::string(name) + " takes no value");
  if (name == "ice-lite") s.transport().iceLite = true;
  if (name == "extmap-allow-mixed") (s.media ? s.media->extmapAllowMixed : s.sdp.extmapAllowMixed) = true;
  if (name == "bundle-only") s.media->bundleOnly = true;
  if (name == "rtcp-mux") s.media->rtcpMux = true;
  if (name == "rtcp-rsize") s.media->rtcpReducedSize = true;
  if (name == "end-of-candidates") s.media->endOfCandidates = true;
  return true;
}

bool onDirection(ParseState& s, std::string_view name, std::string_view value) {
  if (!value.empty()) return s.fail("a=" + std::string(name) + " takes no value");
  const auto direction = fromString(name, kDirections);
  if (s.media) {
    s.media->direction = *direction;
  } else {
    s.sdp.direction = direction;
  }
  return true;
}

bool onIceCredential(ParseState& s, std::string_view name, std::string_view value) {
  if (!isIceChars(value)) return s.fail("a=" + std::string(name) + " must be letters, digits, '+' or '/'");
  (name == "ice-ufrag" ? s.transport().iceUfrag : s.transport().icePwd) = value;
  return true;
}

bool onIceOptions(ParseState& s, std::string_view, std::string_view value) {
  const auto options = words(value);
  if (options.empty() || !std::all_of(options.begin(), options.end(), isToken)) {
    return s.fail("a=ice-options must list option tokens");
  }
  s.transport().iceOptions.assign(options.begin(), options.end());
  return true;
}

bool onFingerprint(ParseState& s, std::string_view, std::string_view value) {
  return parseFingerprintValue(value, s.transport().fingerprints.emplace_back(), s.why);
}

bool onSetup(ParseState& s, std::string_view, std::string_view value) {
  s.transport().setup = fromString(value, kSetupRoles);
  return s.transport().setup || s.fail("unknown a=setup role " + quoted(value));
}

bool onGroup(ParseState& s, std::string_view, std::string_view value) {
  const auto w = words(value);
  if (w.empty() || !std::all_of(w.begin(), w.end(), isToken)) return s.fail("a=group must be '<semantics> <mid>...'");
  s.sdp.groups.push_back({std::string(w[0]), {w.begin() + 1, w.end()}});
  return true;
}

bool onMsidSemantic(ParseState& s, std::string_view, std::string_view value) {
  const auto w = words(value);
  if (w.empty()) return s.fail("a=msid-semantic needs a semantic such as WMS");
  s.sdp.msidSemantic = MsidSemantic{std::string(w[0]), {w.begin() + 1, w.end()}};
  return true;
}

bool onMid(ParseState& s, std::string_view, std::string_view value) {
  if (!isToken(value)) return s.fail("a=mid " + quoted(value) + " is not a token");
  s.media->mid = value;
  return true;
}

bool onRtpmap(ParseState& s, std::string_view name, std::string_view value) {
  const auto w = words(value);
  const auto parts = w.size() == 2 ? split(w[1], '/') : std::vector<std::string_view>{};
  if (parts.size() < 2 || parts.size() > 3) return s.fail("a=rtpmap must be '<pt> <name>/<clock rate>[/<channels>]'");
  auto* codec = codecFor(s, w[0], name);
  if (!codec) return false;
  if (!codec->name.empty()) return s.fail("second a=rtpmap for payload type " + std::to_string(codec->payloadType));
  if (!isToken(parts[0])) return s.fail("invalid encoding name " + quoted(parts[0]));
  if (!number(parts[1], codec->clockRate, 1)) return s.fail("clock rate " + quoted(parts[1]) + " is out of range");
  if (parts.size() == 3 && !number(parts[2], codec->channels, 1)) {
    return s.fail("channel count " + quoted(parts[2]) + " is not 1-65535");
  }
  codec->name = parts[0];
  return true;
}

bool onFmtp(ParseState& s, std::string_view name, std::string_view value) {
  const auto [payloadType, params] = splitFirst(value);
  auto* codec = codecFor(s, payloadType, name);
  if (!codec) return false;
  if (params.empty()) return s.fail("a=fmtp for payload type " + std::string(payloadType) + " has no parameters");
  if (!codec->fmtpRaw.empty()) return s.fail("second a=fmtp for payload type " + std::string(payloadType));
  codec->fmtpRaw = params;
  codec->fmtp = parseFmtpParameters(params);
  return true;
}

bool onRtcpFb(ParseState& s, std::string_view name, std::string_view value) {
  const auto [payloadType, rest] = splitFirst(value);
  const auto [type, parameter] = splitFirst(rest);
  if (!isToken(type)) return s.fail("a=rtcp-fb must be '<pt>|* <type> [<parameter>]'");
  RtcpFeedback feedback{std::string(type), std::string(parameter)};
  if (payloadType == "*" && s.media->isRtp()) {
    s.media->wildcardFeedback.push_back(std::move(feedback));
    return true;
  }
  auto* codec = codecFor(s, payloadType, name);
  if (codec) codec->feedback.push_back(std::move(feedback));
  return codec != nullptr;
}

bool onNumber(ParseState& s, std::string_view name, std::string_view value) {
  bool ok = false;
  if (name == "ptime") ok = number(value, s.media->ptime.emplace(), 1);
  if (name == "maxptime") ok = number(value, s.media->maxPtime.emplace(), 1);
  if (name == "sctp-port") ok = number(value, s.media->sctpPort.emplace(), 1);
  if (name == "max-message-size") ok = number(value, s.media->maxMessageSize.emplace());
  return ok || s.fail("a=" + std::string(name) + " value " + quoted(value) + " is not a number in range");
}

bool onExtmap(ParseState& s, std::string_view, std::string_view value) {
  const auto [idText, rest] = splitFirst(value);
  const auto [uri, attributes] = splitFirst(rest);
  Extmap extmap;
  const auto slash = idText.find('/');
  if (!number(idText.substr(0, slash), extmap.id, 1, 255)) {
    return s.fail("extmap id " + quoted(idText.substr(0, slash)) + " is not 1-255");
  }
  if (slash != npos && !(extmap.direction = fromString(idText.substr(slash + 1), kDirections))) {
    return s.fail("unknown extmap direction " + quoted(idText.substr(slash + 1)));
  }
  if (uri.empty()) return s.fail("a=extmap has no URI");
  for (const auto& other : s.media->extmaps) {
    if (other.id == extmap.id) return s.fail("extmap id " + std::to_string(extmap.id) + " is used twice");
  }
  extmap.uri = uri;
  extmap.attributes = attributes;
  s.media->extmaps.push_back(std::move(extmap));
  return true;
}

bool onMsid(ParseState& s, std::string_view, std::string_view value) {
  const auto w = words(value);
  if (w.empty() || w.size() > 2 || !std::all_of(w.begin(), w.end(), isToken)) {
    return s.fail("a=msid must be '<stream id> [<track id>]'");
  }
  s.media->msids.push_back({std::string(w[0]), w.size() == 2 ? std::string(w[1]) : std::string()});
  return true;
}

bool onSsrc(ParseState& s, std::string_view, std::string_view value) {
  const auto [ssrcText, attribute] = splitFirst(value);
  uint32_t ssrc = 0;
  if (!number(ssrcText, ssrc)) return s.fail("ssrc " + quoted(ssrcText) + " is not a 32-bit number");
  const auto colon = attribute.find(':');
  const auto name = attribute.substr(0, colon);
  if (!isToken(name)) return s.fail("a=ssrc needs '<ssrc> <attribute>[:<value>]'");
  const auto [index, added] = s.ssrcIndex.emplace(ssrc, s.media->ssrcs.size());
  if (added) s.media->ssrcs.push_back({ssrc, {}});
  s.media->ssrcs[index->second].attributes.push_back(
      {std::string(name), colon == npos ? std::string() : std::string(attribute.substr(colon + 1))});
  return true;
}

bool onSsrcGroup(ParseState& s, std::string_view, std::string_view value) {
  const auto w = words(value);
  if (w.size() < 2 || !isToken(w[0])) return s.fail("a=ssrc-group must be '<semantics> <ssrc>...'");
  SsrcGroup group{std::string(w[0]), {}};
  for (size_t i = 1; i < w.size(); ++i) {
    if (!number(w[i], group.ssrcs.emplace_back())) return s.fail("ssrc " + quoted(w[i]) + " is not a 32-bit number");
  }
  s.media->ssrcGroups.push_back(std::move(group));
  return true;
}

bool onRid(ParseState& s, std::string_view, std::string_view value) {
  const auto w = words(value);
  const auto direction = w.size() >= 2 ? fromString(w[1], kRidDirections) : std::nullopt;
  if (w.size() > 3 || !direction) return s.fail("a=rid must be '<id> send|recv [<restrictions>]'");
  if (!isRidId(w[0])) return s.fail("rid id " + quoted(w[0]) + " must be letters, digits, '-' or '_'");
  if (!s.ridIds.insert(w[0]).second) return s.fail("a=rid:" + std::string(w[0]) + " appears twice");
  s.media->rids.push_back(
      {std::string(w[0]), *direction, w.size() == 3 ? parseFmtpParameters(w[2]) : std::vector<Parameter>{}});
  return true;
}

bool onSimulcast(ParseState& s, std::string_view, std::string_view value) {
  const auto w = words(value);
  if (w.empty() || w.size() % 2 != 0 || w.size() > 4)
    return s.fail("a=simulcast must be 'send <streams>' and/or 'recv <streams>'");
  auto& simulcast = s.media->simulcast.emplace();
  for (size_t i = 0; i < w.size(); i += 2) {
    const auto direction = fromString(w[i], kRidDirections);
    if (!direction) return s.fail("a=simulcast direction " + quoted(w[i]) + " is not send or recv");
    auto& streams = *direction == RidDirection::Send ? simulcast.send : simulcast.recv;
    if (!streams.empty()) return s.fail("a=simulcast lists " + std::string(w[i]) + " twice");
    for (const auto streamText : split(w[i + 1], ';')) {
      auto& stream = streams.emplace_back();
      for (auto rid : split(streamText, ',')) {
        const bool paused = !rid.empty() && rid.front() == '~';
        if (paused) rid.remove_prefix(1);
        if (!isRidId(rid)) return s.fail("invalid rid " + quoted(rid) + " in a=simulcast");
        stream.push_back({std::string(rid), paused});
      }
    }
  }
  return true;
}

bool onCandidate(ParseState& s, std::string_view, std::string_view value) {
  return parseCandidateValue(value, s.media->candidates.emplace_back(), s.why);
}

// --- dispatch ------------------------------------------------------------------

using Handler = bool (*)(ParseState& state, std::string_view name, std::string_view value);
struct Rule {
  std::string_view name;
  std::string_view onceKey;  // rules sharing a non-empty key may match once per level
  Handler handler;
};

constexpr std::array<Rule, 13> kSessionRules{{
    {"group", {}, &onGroup},
    {"msid-semantic", "a=msid-semantic", &onMsidSemantic},
    {"ice-lite", {}, &onFlag},
    {"ice-ufrag", "a=ice-ufrag", &onIceCredential},
    {"ice-pwd", "a=ice-pwd", &onIceCredential},
    {"ice-options", "a=ice-options", &onIceOptions},
    {"fingerprint", {}, &onFingerprint},
    {"setup", "a=setup", &onSetup},
    {"extmap-allow-mixed", {}, &onFlag},
    {"sendrecv", "direction", &onDirection},
    {"sendonly", "direction", &onDirection},
    {"recvonly", "direction", &onDirection},
    {"inactive", "direction", &onDirection},
}};

constexpr std::array<Rule, 30> kMediaRules{{
    {"mid", "a=mid", &onMid},
    {"bundle-only", {}, &onFlag},
    {"ice-lite", {}, &onFlag},
    {"ice-ufrag", "a=ice-ufrag", &onIceCredential},
    {"ice-pwd", "a=ice-pwd", &onIceCredential},
    {"ice-options", "a=ice-options", &onIceOptions},
    {"fingerprint", {}, &onFingerprint},
    {"setup", "a=setup", &onSetup},
    {"sendrecv", "direction", &onDirection},
    {"sendonly", "direction", &onDirection},
    {"recvonly", "direction", &onDirection},
    {"inactive", "direction", &onDirection},
    {"rtcp-mux", {}, &onFlag},
    {"rtcp-rsize", {}, &onFlag},
    {"rtpmap", {}, &onRtpmap},
    {"fmtp", {}, &onFmtp},
    {"rtcp-fb", {}, &onRtcpFb},
    {"ptime", "a=ptime", &onNumber},
    {"maxptime", "a=maxptime", &onNumber},
    {"extmap-allow-mixed", {}, &onFlag},
    {"extmap", {}, &onExtmap},
    {"msid", {}, &onMsid},
    {"ssrc", {}, &onSsrc},
    {"ssrc-group", {}, &onSsrcGroup},
    {"rid", {}, &onRid},
    {"simulcast", "a=simulcast", &onSimulcast},
    {"sctp-port", "a=sctp-port", &onNumber},
    {"max-message-size", "a=max-message-size", &onNumber},
    {"candidate", {}, &onCandidate},
    {"end-of-candidates", {}, &onFlag},
}};

bool dispatch(ParseState& s, std::span<const Rule> rules, std::string_view name, std::string_view value,
              std::vector<Attribute>& other) {
  for (const auto& rule : rules) {
    if (rule.name != name) continue;
    if (!rule.onceKey.empty() && !s.once(rule.onceKey, "a=" + std::string(name))) return false;
    return rule.handler(s, name, trim(value));
  }
  // Kept verbatim (value untrimmed) so that it is written back as it came.
  other.push_back({std::string(name), std::string(value)});
  return true;
}

}  // namespace

bool detail::parseAttribute(ParseState& state, std::string_view text) {
  const auto colon = text.find(':');
  const auto name = text.substr(0, colon);
  const auto value = colon == npos ? std::string_view{} : text.substr(colon + 1);
  if (!isToken(name)) return state.fail("invalid attribute name " + quoted(name));
  if (state.media) return dispatch(state, kMediaRules, name, value, state.media->otherAttributes);
  return dispatch(state, kSessionRules, name, value, state.sdp.otherAttributes);
}

boost::system::result<IceCandidate, SdpError> parseIceCandidate(std::string_view text) {
  // Trickled text may carry the line end of the SDP it was cut from.
  while (!text.empty() && std::string_view(" \t\r\n").find(text.back()) != npos) text.remove_suffix(1);
  text = trim(text);
  if (text.substr(0, 2) == "a=") text.remove_prefix(2);
  if (text.substr(0, 10) == "candidate:") text.remove_prefix(10);
  if (text.empty()) return SdpError{0, "empty candidate (an end-of-candidates marker carries none)"};
  if (text.find_first_of(std::string_view("\0\r\n", 3)) != npos) return SdpError{0, "control character in candidate"};
  IceCandidate candidate;
  std::string why;
  if (!parseCandidateValue(text, candidate, why)) return SdpError{0, std::move(why)};
  return candidate;
}

boost::system::result<Fingerprint, SdpError> parseFingerprint(std::string_view text) {
  Fingerprint fingerprint;
  std::string why;
  if (!parseFingerprintValue(text, fingerprint, why)) return SdpError{0, std::move(why)};
  return fingerprint;
}

}  // namespace convox::rtc
