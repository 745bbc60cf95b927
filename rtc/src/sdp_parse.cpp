// SDP parsing: line splitting, session and m-line structure, and one handler
// per attribute behind a table. Every failure names the line and says why.
#include "rtc/sdp.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace convox::rtc {
namespace {

constexpr auto npos = std::string_view::npos;

bool failWith(std::string& why, std::string reason) {
  why = std::move(reason);
  return false;
}

std::string quoted(std::string_view text) { return "'" + std::string(text.substr(0, 64)) + "'"; }

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  while (true) {
    const auto start = text.find_first_not_of(" \t");
    if (start == npos) return out;
    const auto end = text.find_first_of(" \t", start);
    out.push_back(text.substr(start, end == npos ? npos : end - start));
    if (end == npos) return out;
    text = text.substr(end);
  }
}

// The first word and the trimmed rest of the text.
std::pair<std::string_view, std::string_view> splitFirst(std::string_view text) {
  text = trim(text);
  const auto space = text.find_first_of(" \t");
  if (space == npos) return {text, {}};
  return {text.substr(0, space), trim(text.substr(space))};
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  while (true) {
    const auto at = text.find(separator);
    out.push_back(text.substr(0, at));
    if (at == npos) return out;
    text = text.substr(at + 1);
  }
}

template <class T>
bool number(std::string_view text, T& out, uint64_t min = 0, uint64_t max = std::numeric_limits<T>::max()) {
  if (text.empty() || text.size() > 20 || text.find_first_not_of("0123456789") != npos) return false;
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) return false;
  out = static_cast<T>(value);
  return true;
}

bool isTokenChar(char c) {  // RFC 8866 token-char
  const auto u = static_cast<unsigned char>(c);
  return u == 0x21 || (u >= 0x23 && u <= 0x27) || u == 0x2A || u == 0x2B || u == 0x2D || u == 0x2E ||
         (u >= 0x30 && u <= 0x39) || (u >= 0x41 && u <= 0x5A) || (u >= 0x5E && u <= 0x7E);
}
bool isToken(std::string_view text) { return !text.empty() && std::all_of(text.begin(), text.end(), isTokenChar); }

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

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) { return lower(x) == lower(y); });
}

// Finds the enumerator whose wire spelling is `text`.
template <class E, size_t N>
std::optional<E> fromString(std::string_view text, const std::array<E, N>& values) {
  for (const E value : values) {
    if (toString(value) == text) return value;
  }
  return std::nullopt;
}

constexpr std::array kDirections{Direction::SendRecv, Direction::SendOnly, Direction::RecvOnly, Direction::Inactive};
constexpr std::array kSetupRoles{SetupRole::ActPass, SetupRole::Active, SetupRole::Passive, SetupRole::HoldConn};
constexpr std::array kCandidateTypes{CandidateType::Host, CandidateType::Srflx, CandidateType::Prflx,
                                     CandidateType::Relay};
constexpr std::array kTcpTypes{TcpCandidateType::Active, TcpCandidateType::Passive, TcpCandidateType::So};
constexpr std::array kRidDirections{RidDirection::Send, RidDirection::Recv};
constexpr std::array kKinds{MediaKind::Audio, MediaKind::Video, MediaKind::Application};

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

// --- line splitting ------------------------------------------------------------

struct Line {
  size_t number;
  char type;
  std::string_view value;
};

std::optional<SdpError> splitLines(std::string_view text, std::vector<Line>& lines) {
  if (text.size() > kMaxSdpBytes) return SdpError{0, "the description is larger than 256 KiB"};
  if (const auto nul = text.find('\0'); nul != npos) {
    return SdpError{static_cast<size_t>(std::count(text.begin(), text.begin() + nul, '\n')) + 1, "NUL byte in line"};
  }
  for (size_t number = 1; !text.empty(); ++number) {
    const auto end = text.find('\n');
    auto line = text.substr(0, end);
    text = end == npos ? std::string_view{} : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find('\r') != npos) return SdpError{number, "carriage return inside a line"};
    line = line.substr(0, line.find_last_not_of(" \t") + 1);  // npos + 1 == 0 for an all-blank line
    if (line.empty()) {
      if (text.find_first_not_of(" \t\r\n") == npos) break;  // blank lines at the very end are harmless
      return SdpError{number, "empty line"};
    }
    if (line.size() < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z') {
      return SdpError{number, "expected '<letter>=<value>', got " + quoted(line)};
    }
    lines.push_back({number, line[0], line.substr(2)});
  }
  if (lines.empty()) return SdpError{0, "the description is empty"};
  return std::nullopt;
}

// --- the description ---------------------------------------------------------

class Parser {
 public:
  boost::system::result<SessionDescription, SdpError> run(const std::vector<Line>& lines);

 private:
  using Handler = bool (Parser::*)(std::string_view name, std::string_view value);
  struct Rule {
    std::string_view name;
    std::string_view onceKey;  // rules sharing a non-empty key may match once per level
    Handler handler;
  };

  bool fail(std::string reason) { return failWith(why_, std::move(reason)); }
  bool once(std::string_view key, std::string_view what);
  bool headerLine(size_t index, const Line& line);
  bool sessionLine(const Line& line);
  bool mediaLine(const Line& line);
  bool sharedLine(const Line& line, std::string& info, std::optional<Connection>& connection,
                  std::vector<Bandwidth>& bandwidths);
  bool startMedia(std::string_view value);
  void finishMedia();
  bool attribute(std::string_view text);
  bool dispatch(std::span<const Rule> rules, std::string_view name, std::string_view value,
                std::vector<Attribute>& other);
  TransportAttributes& transport() { return media_ ? media_->transport : sdp_.transport; }
  Codec* codecFor(std::string_view payloadType, std::string_view attribute);

  bool onFlag(std::string_view name, std::string_view value);
  bool onDirection(std::string_view name, std::string_view value);
  bool onIceCredential(std::string_view name, std::string_view value);
  bool onIceOptions(std::string_view name, std::string_view value);
  bool onFingerprint(std::string_view name, std::string_view value);
  bool onSetup(std::string_view name, std::string_view value);
  bool onGroup(std::string_view name, std::string_view value);
  bool onMsidSemantic(std::string_view name, std::string_view value);
  bool onMid(std::string_view name, std::string_view value);
  bool onRtpmap(std::string_view name, std::string_view value);
  bool onFmtp(std::string_view name, std::string_view value);
  bool onRtcpFb(std::string_view name, std::string_view value);
  bool onNumber(std::string_view name, std::string_view value);
  bool onExtmap(std::string_view name, std::string_view value);
  bool onMsid(std::string_view name, std::string_view value);
  bool onSsrc(std::string_view name, std::string_view value);
  bool onSsrcGroup(std::string_view name, std::string_view value);
  bool onRid(std::string_view name, std::string_view value);
  bool onSimulcast(std::string_view name, std::string_view value);
  bool onCandidate(std::string_view name, std::string_view value);

  // Others.
  SessionDescription sdp_;
  MediaSection* media_ = nullptr;       // the section being parsed, inside sdp_.media
  std::vector<std::string_view> seen_;  // once-keys met at the current level
  // Indexes of the current section, so that a hostile offer with thousands
  // of a=ssrc or a=rid lines costs linear, not quadratic, time.
  std::unordered_map<uint32_t, size_t> ssrcIndex_;
  std::unordered_set<std::string_view> ridIds_;
  std::string why_;
  bool timingSeen_ = false;
};

boost::system::result<SessionDescription, SdpError> Parser::run(const std::vector<Line>& lines) {
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& line = lines[i];
    const bool ok = i < 3 ? headerLine(i, line) : media_ ? mediaLine(line) : sessionLine(line);
    if (!ok) return SdpError{line.number, why_};
  }
  finishMedia();
  if (lines.size() < 2) return SdpError{0, "missing o= line"};
  if (lines.size() < 3) return SdpError{0, "missing s= line"};
  if (!timingSeen_) return SdpError{0, "missing t= line"};
  return std::move(sdp_);
}

bool Parser::once(std::string_view key, std::string_view what) {
  if (std::find(seen_.begin(), seen_.end(), key) != seen_.end()) {
    return fail(key == what ? std::string(what) + " appears twice"
                            : std::string(what) + " conflicts with an earlier " + std::string(key) + " attribute");
  }
  seen_.push_back(key);
  return true;
}

bool Parser::headerLine(size_t index, const Line& line) {
  static constexpr std::string_view kOrder = "vos";
  if (line.type != kOrder[index]) {
    return fail("expected " + std::string(1, kOrder[index]) + "= here: SDP starts with v=, o=, s=");
  }
  if (line.type == 'v') return line.value == "0" || fail("unsupported SDP version " + quoted(line.value));
  if (line.type == 's') {
    sdp_.sessionName = line.value;
    return true;
  }
  const auto w = words(line.value);
  auto& origin = sdp_.origin;
  if (w.size() != 6) return fail("o= must be '<username> <session id> <version> IN IP4|IP6 <address>'");
  if (!number(w[1], origin.sessionId)) return fail("o= session id " + quoted(w[1]) + " is not a 64-bit number");
  if (!number(w[2], origin.sessionVersion)) return fail("o= version " + quoted(w[2]) + " is not a 64-bit number");
  if (w[3] != "IN" || (w[4] != "IP4" && w[4] != "IP6")) return fail("o= address type must be 'IN IP4' or 'IN IP6'");
  origin = {std::string(w[0]), origin.sessionId,  origin.sessionVersion,
            std::string(w[3]), std::string(w[4]), std::string(w[5])};
  return true;
}

bool Parser::sharedLine(const Line& line, std::string& info, std::optional<Connection>& connection,
                        std::vector<Bandwidth>& bandwidths) {
  if (line.type == 'i') {
    info = line.value;
    return once("i=", "i=");
  }
  if (line.type == 'c') {
    const auto w = words(line.value);
    if (w.size() != 3 || w[0] != "IN" || (w[1] != "IP4" && w[1] != "IP6")) {
      return fail("c= must be 'IN IP4|IP6 <address>'");
    }
    connection = Connection{std::string(w[0]), std::string(w[1]), std::string(w[2])};
    return once("c=", "c=");
  }
  const auto colon = line.value.find(':');
  Bandwidth bandwidth{std::string(line.value.substr(0, colon)), 0};
  if (colon == npos || !isToken(bandwidth.type) || !number(line.value.substr(colon + 1), bandwidth.value)) {
    return fail("b= must be '<type>:<32-bit number>'");
  }
  bandwidths.push_back(std::move(bandwidth));
  return true;
}

bool Parser::sessionLine(const Line& line) {
  switch (line.type) {
    case 'i':
    case 'c':
    case 'b':
      return sharedLine(line, sdp_.sessionInfo, sdp_.connection, sdp_.bandwidths);
    case 't': {
      const auto w = words(line.value);
      if (w.size() != 2 || !number(w[0], sdp_.timing.start) || !number(w[1], sdp_.timing.stop)) {
        return fail("t= must be '<start> <stop>' as 64-bit numbers");
      }
      if (timingSeen_) return fail("more than one t= line; repeated times are not supported");
      timingSeen_ = true;
      return true;
    }
    case 'a':
      return attribute(line.value);
    case 'm':
      return startMedia(line.value);
    case 'v':
    case 'o':
    case 's':
      return fail(std::string(1, line.type) + "= may appear only once, at the start");
    default:
      return fail("unsupported line type '" + std::string(1, line.type) + "='");
  }
}

bool Parser::mediaLine(const Line& line) {
  switch (line.type) {
    case 'i':
    case 'c':
    case 'b':
      return sharedLine(line, media_->title, media_->connection, media_->bandwidths);
    case 'a':
      return attribute(line.value);
    case 'm':
      return startMedia(line.value);
    default:
      return fail(std::string(1, line.type) + "= is not allowed inside a media section");
  }
}

bool Parser::startMedia(std::string_view value) {
  finishMedia();
  const auto w = words(value);
  if (w.size() < 4) return fail("an m-line needs a kind, a port, a protocol and at least one format");
  MediaSection section;
  const auto kind = fromString(w[0], kKinds);
  if (!kind) return fail("unsupported media kind " + quoted(w[0]));
  section.kind = *kind;
  if (w[1].find('/') != npos) return fail("port counts such as " + quoted(w[1]) + " are not supported");
  if (!number(w[1], section.port)) return fail("m-line port " + quoted(w[1]) + " is not 0-65535");
  constexpr std::array kProtocols{MediaProtocol::UdpTlsRtpSavpf, MediaProtocol::UdpDtlsSctp, MediaProtocol::DtlsSctp};
  const auto protocol = std::find_if(kProtocols.begin(), kProtocols.end(),
                                     [&](MediaProtocol p) { return equalsIgnoreCase(w[2], toString(p)); });
  if (protocol == kProtocols.end()) {
    return fail("unsupported protocol " + quoted(w[2]) + " (WebRTC uses UDP/TLS/RTP/SAVPF or UDP/DTLS/SCTP)");
  }
  section.protocol = *protocol;
  for (size_t i = 3; i < w.size(); ++i) {
    if (!section.isRtp()) {
      section.formats.emplace_back(w[i]);
      continue;
    }
    uint8_t payloadType = 0;
    if (!number(w[i], payloadType, 0, 127)) return fail("payload type " + quoted(w[i]) + " is not 0-127");
    if (findCodecByPayloadType(section, payloadType)) return fail("payload type " + quoted(w[i]) + " is listed twice");
    section.codecs.push_back(Codec{payloadType, {}, 0, 0, {}, {}, {}});
  }
  sdp_.media.push_back(std::move(section));
  media_ = &sdp_.media.back();
  seen_.clear();
  ssrcIndex_.clear();
  ridIds_.clear();
  return true;
}

void Parser::finishMedia() {
  const bool directionSet = std::find(seen_.begin(), seen_.end(), "direction") != seen_.end();
  if (media_ && sdp_.direction && !directionSet) media_->direction = *sdp_.direction;
}

bool Parser::attribute(std::string_view text) {
  const auto colon = text.find(':');
  const auto name = text.substr(0, colon);
  const auto value = colon == npos ? std::string_view{} : text.substr(colon + 1);
  if (!isToken(name)) return fail("invalid attribute name " + quoted(name));
  static constexpr std::array<Rule, 13> kSessionRules{{
      {"group", {}, &Parser::onGroup},
      {"msid-semantic", "a=msid-semantic", &Parser::onMsidSemantic},
      {"ice-lite", {}, &Parser::onFlag},
      {"ice-ufrag", "a=ice-ufrag", &Parser::onIceCredential},
      {"ice-pwd", "a=ice-pwd", &Parser::onIceCredential},
      {"ice-options", "a=ice-options", &Parser::onIceOptions},
      {"fingerprint", {}, &Parser::onFingerprint},
      {"setup", "a=setup", &Parser::onSetup},
      {"extmap-allow-mixed", {}, &Parser::onFlag},
      {"sendrecv", "direction", &Parser::onDirection},
      {"sendonly", "direction", &Parser::onDirection},
      {"recvonly", "direction", &Parser::onDirection},
      {"inactive", "direction", &Parser::onDirection},
  }};
  static constexpr std::array<Rule, 30> kMediaRules{{
      {"mid", "a=mid", &Parser::onMid},
      {"bundle-only", {}, &Parser::onFlag},
      {"ice-lite", {}, &Parser::onFlag},
      {"ice-ufrag", "a=ice-ufrag", &Parser::onIceCredential},
      {"ice-pwd", "a=ice-pwd", &Parser::onIceCredential},
      {"ice-options", "a=ice-options", &Parser::onIceOptions},
      {"fingerprint", {}, &Parser::onFingerprint},
      {"setup", "a=setup", &Parser::onSetup},
      {"sendrecv", "direction", &Parser::onDirection},
      {"sendonly", "direction", &Parser::onDirection},
      {"recvonly", "direction", &Parser::onDirection},
      {"inactive", "direction", &Parser::onDirection},
      {"rtcp-mux", {}, &Parser::onFlag},
      {"rtcp-rsize", {}, &Parser::onFlag},
      {"rtpmap", {}, &Parser::onRtpmap},
      {"fmtp", {}, &Parser::onFmtp},
      {"rtcp-fb", {}, &Parser::onRtcpFb},
      {"ptime", "a=ptime", &Parser::onNumber},
      {"maxptime", "a=maxptime", &Parser::onNumber},
      {"extmap-allow-mixed", {}, &Parser::onFlag},
      {"extmap", {}, &Parser::onExtmap},
      {"msid", {}, &Parser::onMsid},
      {"ssrc", {}, &Parser::onSsrc},
      {"ssrc-group", {}, &Parser::onSsrcGroup},
      {"rid", {}, &Parser::onRid},
      {"simulcast", "a=simulcast", &Parser::onSimulcast},
      {"sctp-port", "a=sctp-port", &Parser::onNumber},
      {"max-message-size", "a=max-message-size", &Parser::onNumber},
      {"candidate", {}, &Parser::onCandidate},
      {"end-of-candidates", {}, &Parser::onFlag},
  }};
  if (media_) return dispatch(kMediaRules, name, value, media_->otherAttributes);
  return dispatch(kSessionRules, name, value, sdp_.otherAttributes);
}

bool Parser::dispatch(std::span<const Rule> rules, std::string_view name, std::string_view value,
                      std::vector<Attribute>& other) {
  for (const auto& rule : rules) {
    if (rule.name != name) continue;
    if (!rule.onceKey.empty() && !once(rule.onceKey, "a=" + std::string(name))) return false;
    return (this->*rule.handler)(name, trim(value));
  }
  // Kept verbatim (value untrimmed) so that it is written back as it came.
  other.push_back({std::string(name), std::string(value)});
  return true;
}

Codec* Parser::codecFor(std::string_view payloadType, std::string_view attribute) {
  uint8_t type = 0;
  if (!media_->isRtp()) {
    fail("a=" + std::string(attribute) + " in a section that does not carry RTP");
  } else if (!number(payloadType, type, 0, 127)) {
    fail("a=" + std::string(attribute) + " payload type " + quoted(payloadType) + " is not 0-127");
  } else {
    for (auto& codec : media_->codecs) {
      if (codec.payloadType == type) return &codec;
    }
    fail("a=" + std::string(attribute) + " for payload type " + std::to_string(type) +
         ", which is not in the m-line format list");
  }
  return nullptr;
}

// --- attribute handlers ------------------------------------------------------

bool Parser::onFlag(std::string_view name, std::string_view value) {
  if (!value.empty()) return fail("a=" + std::string(name) + " takes no value");
  if (name == "ice-lite") transport().iceLite = true;
  if (name == "extmap-allow-mixed") (media_ ? media_->extmapAllowMixed : sdp_.extmapAllowMixed) = true;
  if (name == "bundle-only") media_->bundleOnly = true;
  if (name == "rtcp-mux") media_->rtcpMux = true;
  if (name == "rtcp-rsize") media_->rtcpReducedSize = true;
  if (name == "end-of-candidates") media_->endOfCandidates = true;
  return true;
}

bool Parser::onDirection(std::string_view name, std::string_view value) {
  if (!value.empty()) return fail("a=" + std::string(name) + " takes no value");
  const auto direction = fromString(name, kDirections);
  if (media_) {
    media_->direction = *direction;
  } else {
    sdp_.direction = direction;
  }
  return true;
}

bool Parser::onIceCredential(std::string_view name, std::string_view value) {
  if (!isIceChars(value)) return fail("a=" + std::string(name) + " must be letters, digits, '+' or '/'");
  (name == "ice-ufrag" ? transport().iceUfrag : transport().icePwd) = value;
  return true;
}

bool Parser::onIceOptions(std::string_view, std::string_view value) {
  const auto options = words(value);
  if (options.empty() || !std::all_of(options.begin(), options.end(), isToken)) {
    return fail("a=ice-options must list option tokens");
  }
  transport().iceOptions.assign(options.begin(), options.end());
  return true;
}

bool Parser::onFingerprint(std::string_view, std::string_view value) {
  return parseFingerprintValue(value, transport().fingerprints.emplace_back(), why_);
}

bool Parser::onSetup(std::string_view, std::string_view value) {
  transport().setup = fromString(value, kSetupRoles);
  return transport().setup || fail("unknown a=setup role " + quoted(value));
}

bool Parser::onGroup(std::string_view, std::string_view value) {
  const auto w = words(value);
  if (w.empty() || !std::all_of(w.begin(), w.end(), isToken)) return fail("a=group must be '<semantics> <mid>...'");
  sdp_.groups.push_back({std::string(w[0]), {w.begin() + 1, w.end()}});
  return true;
}

bool Parser::onMsidSemantic(std::string_view, std::string_view value) {
  const auto w = words(value);
  if (w.empty()) return fail("a=msid-semantic needs a semantic such as WMS");
  sdp_.msidSemantic = MsidSemantic{std::string(w[0]), {w.begin() + 1, w.end()}};
  return true;
}

bool Parser::onMid(std::string_view, std::string_view value) {
  if (!isToken(value)) return fail("a=mid " + quoted(value) + " is not a token");
  media_->mid = value;
  return true;
}

bool Parser::onRtpmap(std::string_view name, std::string_view value) {
  const auto w = words(value);
  const auto parts = w.size() == 2 ? split(w[1], '/') : std::vector<std::string_view>{};
  if (parts.size() < 2 || parts.size() > 3) return fail("a=rtpmap must be '<pt> <name>/<clock rate>[/<channels>]'");
  auto* codec = codecFor(w[0], name);
  if (!codec) return false;
  if (!codec->name.empty()) return fail("second a=rtpmap for payload type " + std::to_string(codec->payloadType));
  if (!isToken(parts[0])) return fail("invalid encoding name " + quoted(parts[0]));
  if (!number(parts[1], codec->clockRate, 1)) return fail("clock rate " + quoted(parts[1]) + " is out of range");
  if (parts.size() == 3 && !number(parts[2], codec->channels, 1)) {
    return fail("channel count " + quoted(parts[2]) + " is not 1-65535");
  }
  codec->name = parts[0];
  return true;
}

bool Parser::onFmtp(std::string_view name, std::string_view value) {
  const auto [payloadType, params] = splitFirst(value);
  auto* codec = codecFor(payloadType, name);
  if (!codec) return false;
  if (params.empty()) return fail("a=fmtp for payload type " + std::string(payloadType) + " has no parameters");
  if (!codec->fmtpRaw.empty()) return fail("second a=fmtp for payload type " + std::string(payloadType));
  codec->fmtpRaw = params;
  codec->fmtp = parseFmtpParameters(params);
  return true;
}

bool Parser::onRtcpFb(std::string_view name, std::string_view value) {
  const auto [payloadType, rest] = splitFirst(value);
  const auto [type, parameter] = splitFirst(rest);
  if (!isToken(type)) return fail("a=rtcp-fb must be '<pt>|* <type> [<parameter>]'");
  RtcpFeedback feedback{std::string(type), std::string(parameter)};
  if (payloadType == "*" && media_->isRtp()) {
    media_->wildcardFeedback.push_back(std::move(feedback));
    return true;
  }
  auto* codec = codecFor(payloadType, name);
  if (codec) codec->feedback.push_back(std::move(feedback));
  return codec != nullptr;
}

bool Parser::onNumber(std::string_view name, std::string_view value) {
  bool ok = false;
  if (name == "ptime") ok = number(value, media_->ptime.emplace(), 1);
  if (name == "maxptime") ok = number(value, media_->maxPtime.emplace(), 1);
  if (name == "sctp-port") ok = number(value, media_->sctpPort.emplace(), 1);
  if (name == "max-message-size") ok = number(value, media_->maxMessageSize.emplace());
  return ok || fail("a=" + std::string(name) + " value " + quoted(value) + " is not a number in range");
}

bool Parser::onExtmap(std::string_view, std::string_view value) {
  const auto [idText, rest] = splitFirst(value);
  const auto [uri, attributes] = splitFirst(rest);
  Extmap extmap;
  const auto slash = idText.find('/');
  if (!number(idText.substr(0, slash), extmap.id, 1, 255)) {
    return fail("extmap id " + quoted(idText.substr(0, slash)) + " is not 1-255");
  }
  if (slash != npos && !(extmap.direction = fromString(idText.substr(slash + 1), kDirections))) {
    return fail("unknown extmap direction " + quoted(idText.substr(slash + 1)));
  }
  if (uri.empty()) return fail("a=extmap has no URI");
  for (const auto& other : media_->extmaps) {
    if (other.id == extmap.id) return fail("extmap id " + std::to_string(extmap.id) + " is used twice");
  }
  extmap.uri = uri;
  extmap.attributes = attributes;
  media_->extmaps.push_back(std::move(extmap));
  return true;
}

bool Parser::onMsid(std::string_view, std::string_view value) {
  const auto w = words(value);
  if (w.empty() || w.size() > 2 || !std::all_of(w.begin(), w.end(), isToken)) {
    return fail("a=msid must be '<stream id> [<track id>]'");
  }
  media_->msids.push_back({std::string(w[0]), w.size() == 2 ? std::string(w[1]) : std::string()});
  return true;
}

bool Parser::onSsrc(std::string_view, std::string_view value) {
  const auto [ssrcText, attribute] = splitFirst(value);
  uint32_t ssrc = 0;
  if (!number(ssrcText, ssrc)) return fail("ssrc " + quoted(ssrcText) + " is not a 32-bit number");
  const auto colon = attribute.find(':');
  const auto name = attribute.substr(0, colon);
  if (!isToken(name)) return fail("a=ssrc needs '<ssrc> <attribute>[:<value>]'");
  const auto [index, added] = ssrcIndex_.emplace(ssrc, media_->ssrcs.size());
  if (added) media_->ssrcs.push_back({ssrc, {}});
  media_->ssrcs[index->second].attributes.push_back(
      {std::string(name), colon == npos ? std::string() : std::string(attribute.substr(colon + 1))});
  return true;
}

bool Parser::onSsrcGroup(std::string_view, std::string_view value) {
  const auto w = words(value);
  if (w.size() < 2 || !isToken(w[0])) return fail("a=ssrc-group must be '<semantics> <ssrc>...'");
  SsrcGroup group{std::string(w[0]), {}};
  for (size_t i = 1; i < w.size(); ++i) {
    if (!number(w[i], group.ssrcs.emplace_back())) return fail("ssrc " + quoted(w[i]) + " is not a 32-bit number");
  }
  media_->ssrcGroups.push_back(std::move(group));
  return true;
}

bool Parser::onRid(std::string_view, std::string_view value) {
  const auto w = words(value);
  const auto direction = w.size() >= 2 ? fromString(w[1], kRidDirections) : std::nullopt;
  if (w.size() > 3 || !direction) return fail("a=rid must be '<id> send|recv [<restrictions>]'");
  if (!isRidId(w[0])) return fail("rid id " + quoted(w[0]) + " must be letters, digits, '-' or '_'");
  if (!ridIds_.insert(w[0]).second) return fail("a=rid:" + std::string(w[0]) + " appears twice");
  media_->rids.push_back(
      {std::string(w[0]), *direction, w.size() == 3 ? parseFmtpParameters(w[2]) : std::vector<Parameter>{}});
  return true;
}

bool Parser::onSimulcast(std::string_view, std::string_view value) {
  const auto w = words(value);
  if (w.empty() || w.size() % 2 != 0 || w.size() > 4)
    return fail("a=simulcast must be 'send <streams>' and/or 'recv <streams>'");
  auto& simulcast = media_->simulcast.emplace();
  for (size_t i = 0; i < w.size(); i += 2) {
    const auto direction = fromString(w[i], kRidDirections);
    if (!direction) return fail("a=simulcast direction " + quoted(w[i]) + " is not send or recv");
    auto& streams = *direction == RidDirection::Send ? simulcast.send : simulcast.recv;
    if (!streams.empty()) return fail("a=simulcast lists " + std::string(w[i]) + " twice");
    for (const auto streamText : split(w[i + 1], ';')) {
      auto& stream = streams.emplace_back();
      for (auto rid : split(streamText, ',')) {
        const bool paused = !rid.empty() && rid.front() == '~';
        if (paused) rid.remove_prefix(1);
        if (!isRidId(rid)) return fail("invalid rid " + quoted(rid) + " in a=simulcast");
        stream.push_back({std::string(rid), paused});
      }
    }
  }
  return true;
}

bool Parser::onCandidate(std::string_view, std::string_view value) {
  return parseCandidateValue(value, media_->candidates.emplace_back(), why_);
}

}  // namespace

boost::system::result<SessionDescription, SdpError> parseSdp(std::string_view text) {
  std::vector<Line> lines;
  if (auto error = splitLines(text, lines)) return *std::move(error);
  return Parser().run(lines);
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
