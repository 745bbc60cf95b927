// SDP parsing: line splitting, and the session and m-line structure. The a=
// lines go to their handlers in sdp_attributes.cpp. Every failure names the
// line and says why.
#include "rtc/sdp.hpp"

#include "sdp_grammar.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace convox::rtc {
namespace {

using namespace detail;

constexpr std::array kKinds{MediaKind::Audio, MediaKind::Video, MediaKind::Application};

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
  bool fail(std::string reason) { return state_.fail(std::move(reason)); }
  bool once(std::string_view key, std::string_view what) { return state_.once(key, what); }
  bool headerLine(size_t index, const Line& line);
  bool sessionLine(const Line& line);
  bool mediaLine(const Line& line);
  bool sharedLine(const Line& line, std::string& info, std::optional<Connection>& connection,
                  std::vector<Bandwidth>& bandwidths);
  bool startMedia(std::string_view value);
  void finishMedia();

  // Others.
  ParseState state_;
  bool timingSeen_ = false;
};

boost::system::result<SessionDescription, SdpError> Parser::run(const std::vector<Line>& lines) {
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& line = lines[i];
    const bool ok = i < 3 ? headerLine(i, line) : state_.media ? mediaLine(line) : sessionLine(line);
    if (!ok) return SdpError{line.number, state_.why};
  }
  finishMedia();
  if (lines.size() < 2) return SdpError{0, "missing o= line"};
  if (lines.size() < 3) return SdpError{0, "missing s= line"};
  if (!timingSeen_) return SdpError{0, "missing t= line"};
  return std::move(state_.sdp);
}

bool Parser::headerLine(size_t index, const Line& line) {
  static constexpr std::string_view kOrder = "vos";
  if (line.type != kOrder[index]) {
    return fail("expected " + std::string(1, kOrder[index]) + "= here: SDP starts with v=, o=, s=");
  }
  if (line.type == 'v') return line.value == "0" || fail("unsupported SDP version " + quoted(line.value));
  if (line.type == 's') {
    state_.sdp.sessionName = line.value;
    return true;
  }
  const auto w = words(line.value);
  auto& origin = state_.sdp.origin;
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
      return sharedLine(line, state_.sdp.sessionInfo, state_.sdp.connection, state_.sdp.bandwidths);
    case 't': {
      const auto w = words(line.value);
      if (w.size() != 2 || !number(w[0], state_.sdp.timing.start) || !number(w[1], state_.sdp.timing.stop)) {
        return fail("t= must be '<start> <stop>' as 64-bit numbers");
      }
      if (timingSeen_) return fail("more than one t= line; repeated times are not supported");
      timingSeen_ = true;
      return true;
    }
    case 'a':
      return parseAttribute(state_, line.value);
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
      return sharedLine(line, state_.media->title, state_.media->connection, state_.media->bandwidths);
    case 'a':
      return parseAttribute(state_, line.value);
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
  state_.sdp.media.push_back(std::move(section));
  state_.media = &state_.sdp.media.back();
  state_.seen.clear();
  state_.ssrcIndex.clear();
  state_.ridIds.clear();
  return true;
}

void Parser::finishMedia() {
  const bool directionSet = std::find(state_.seen.begin(), state_.seen.end(), "direction") != state_.seen.end();
  if (state_.media && state_.sdp.direction && !directionSet) state_.media->direction = *state_.sdp.direction;
}

}  // namespace

boost::system::result<SessionDescription, SdpError> parseSdp(std::string_view text) {
  std::vector<Line> lines;
  if (auto error = splitLines(text, lines)) return *std::move(error);
  return Parser().run(lines);
}

}  // namespace convox::rtc
