// SDP writing in one canonical order, so that equal descriptions are equal
// text and tests can compare output exactly.
#include "rtc/sdp.hpp"

#include <type_traits>

namespace convox::rtc {
namespace {

class Writer {
 public:
  std::string take() { return std::move(out_); }

  void line(char type, std::string_view value) {
    out_ += type;
    out_ += '=';
    out_ += value;
    out_ += "\r\n";
  }

  void attribute(std::string_view name, std::string_view value = {}) {
    out_ += "a=";
    out_ += name;
    if (!value.empty()) {
      out_ += ':';
      out_ += value;
    }
    out_ += "\r\n";
  }

  void flag(std::string_view name, bool set) {
    if (set) attribute(name);
  }

  void session(const SessionDescription& d);
  // `defaultDirection` is what a parser infers for a section without one.
  void media(const MediaSection& m, Direction defaultDirection);

 private:
  void connectionAndBandwidth(const std::optional<Connection>& connection, const std::vector<Bandwidth>& bandwidths);
  void transport(const TransportAttributes& t);
  void codecs(const MediaSection& m);
  void rtpStreams(const MediaSection& m);
  void simulcast(const Simulcast& s);
  void candidates(const MediaSection& m);
  void others(const std::vector<Attribute>& attributes);

  std::string out_;
};

template <class T>
std::string joined(const std::vector<T>& items, std::string_view separator) {
  std::string text;
  for (const auto& item : items) {
    if (!text.empty()) text += separator;
    if constexpr (std::is_arithmetic_v<T>) {
      text += std::to_string(item);
    } else {
      text += item;
    }
  }
  return text;
}

void Writer::session(const SessionDescription& d) {
  const auto& o = d.origin;
  line('v', "0");
  line('o', o.username + ' ' + std::to_string(o.sessionId) + ' ' + std::to_string(o.sessionVersion) + ' ' + o.netType +
                ' ' + o.addressType + ' ' + o.address);
  line('s', d.sessionName);
  if (!d.sessionInfo.empty()) line('i', d.sessionInfo);
  connectionAndBandwidth(d.connection, d.bandwidths);
  line('t', std::to_string(d.timing.start) + ' ' + std::to_string(d.timing.stop));
  for (const auto& group : d.groups) {
    attribute("group", group.mids.empty() ? group.semantics : group.semantics + ' ' + joined(group.mids, " "));
  }
  flag("extmap-allow-mixed", d.extmapAllowMixed);
  if (d.msidSemantic) {
    const auto& ms = *d.msidSemantic;
    attribute("msid-semantic", ms.ids.empty() ? ms.semantic : ms.semantic + ' ' + joined(ms.ids, " "));
  }
  transport(d.transport);
  if (d.direction) attribute(toString(*d.direction));
  others(d.otherAttributes);
}

void Writer::media(const MediaSection& m, Direction defaultDirection) {
  std::string mline =
      std::string(toString(m.kind)) + ' ' + std::to_string(m.port) + ' ' + std::string(toString(m.protocol));
  for (const auto& codec : m.codecs) mline += ' ' + std::to_string(codec.payloadType);
  for (const auto& format : m.formats) mline += ' ' + format;
  line('m', mline);
  if (!m.title.empty()) line('i', m.title);
  connectionAndBandwidth(m.connection, m.bandwidths);
  if (!m.mid.empty()) attribute("mid", m.mid);
  flag("bundle-only", m.bundleOnly);
  transport(m.transport);
  // Chrome writes no direction for data sections; the default needs none.
  if (m.isRtp() || m.direction != defaultDirection) attribute(toString(m.direction));
  flag("rtcp-mux", m.rtcpMux);
  flag("rtcp-rsize", m.rtcpReducedSize);
  codecs(m);
  flag("extmap-allow-mixed", m.extmapAllowMixed);
  for (const auto& e : m.extmaps) {
    std::string value = std::to_string(e.id);
    if (e.direction) value += '/' + std::string(toString(*e.direction));
    value += ' ' + e.uri;
    if (!e.attributes.empty()) value += ' ' + e.attributes;
    attribute("extmap", value);
  }
  rtpStreams(m);
  if (m.sctpPort) attribute("sctp-port", std::to_string(*m.sctpPort));
  if (m.maxMessageSize) attribute("max-message-size", std::to_string(*m.maxMessageSize));
  candidates(m);
  others(m.otherAttributes);
}

void Writer::connectionAndBandwidth(const std::optional<Connection>& connection,
                                    const std::vector<Bandwidth>& bandwidths) {
  if (connection) line('c', connection->netType + ' ' + connection->addressType + ' ' + connection->address);
  for (const auto& b : bandwidths) line('b', b.type + ':' + std::to_string(b.value));
}

void Writer::transport(const TransportAttributes& t) {
  flag("ice-lite", t.iceLite);
  if (!t.iceUfrag.empty()) attribute("ice-ufrag", t.iceUfrag);
  if (!t.icePwd.empty()) attribute("ice-pwd", t.icePwd);
  if (!t.iceOptions.empty()) attribute("ice-options", joined(t.iceOptions, " "));
  for (const auto& fingerprint : t.fingerprints) attribute("fingerprint", writeFingerprint(fingerprint));
  if (t.setup) attribute("setup", toString(*t.setup));
}

void Writer::codecs(const MediaSection& m) {
  const auto feedback = [](const RtcpFeedback& fb) {
    return fb.parameter.empty() ? fb.type : fb.type + ' ' + fb.parameter;
  };
  for (const auto& c : m.codecs) {
    const auto pt = std::to_string(c.payloadType);
    if (!c.name.empty()) {
      std::string rtpmap = pt + ' ' + c.name + '/' + std::to_string(c.clockRate);
      if (c.channels != 0) rtpmap += '/' + std::to_string(c.channels);
      attribute("rtpmap", rtpmap);
    }
    for (const auto& fb : c.feedback) attribute("rtcp-fb", pt + ' ' + feedback(fb));
    // The received spelling is kept while it still says the same as `fmtp`.
    const bool rawIsCurrent = !c.fmtpRaw.empty() && parseFmtpParameters(c.fmtpRaw) == c.fmtp;
    auto fmtp = pt + ' ';
    fmtp += rawIsCurrent ? c.fmtpRaw : writeFmtpParameters(c.fmtp);
    if (fmtp.size() > pt.size() + 1) attribute("fmtp", fmtp);
  }
  for (const auto& fb : m.wildcardFeedback) attribute("rtcp-fb", "* " + feedback(fb));
  if (m.ptime) attribute("ptime", std::to_string(*m.ptime));
  if (m.maxPtime) attribute("maxptime", std::to_string(*m.maxPtime));
}

void Writer::rtpStreams(const MediaSection& m) {
  for (const auto& msid : m.msids) {
    attribute("msid", msid.trackId.empty() ? msid.streamId : msid.streamId + ' ' + msid.trackId);
  }
  for (const auto& group : m.ssrcGroups) attribute("ssrc-group", group.semantics + ' ' + joined(group.ssrcs, " "));
  for (const auto& ssrc : m.ssrcs) {
    for (const auto& a : ssrc.attributes) {
      attribute("ssrc", std::to_string(ssrc.ssrc) + ' ' + (a.value.empty() ? a.name : a.name + ':' + a.value));
    }
  }
  for (const auto& rid : m.rids) {
    std::string value = rid.id + ' ' + std::string(toString(rid.direction));
    const auto restrictions = writeFmtpParameters(rid.restrictions);
    if (!restrictions.empty()) value += ' ' + restrictions;
    attribute("rid", value);
  }
  if (m.simulcast) simulcast(*m.simulcast);
}

void Writer::simulcast(const Simulcast& s) {
  const auto list = [](const std::vector<SimulcastStream>& streams) {
    std::string text;
    for (const auto& stream : streams) {
      if (!text.empty()) text += ';';
      std::string alternatives;
      for (const auto& rid : stream) {
        if (!alternatives.empty()) alternatives += ',';
        alternatives += (rid.paused ? "~" : "") + rid.rid;
      }
      text += alternatives;
    }
    return text;
  };
  std::string value;
  if (!s.send.empty()) value = "send " + list(s.send);
  if (!s.recv.empty()) value += (value.empty() ? "recv " : " recv ") + list(s.recv);
  attribute("simulcast", value);
}

void Writer::candidates(const MediaSection& m) {
  for (const auto& candidate : m.candidates) {
    out_ += "a=";
    out_ += writeIceCandidate(candidate);
    out_ += "\r\n";
  }
  flag("end-of-candidates", m.endOfCandidates);
}

void Writer::others(const std::vector<Attribute>& attributes) {
  for (const auto& a : attributes) attribute(a.name, a.value);
}

}  // namespace

std::string writeSdp(const SessionDescription& description) {
  Writer writer;
  writer.session(description);
  for (const auto& section : description.media) {
    writer.media(section, description.direction.value_or(Direction::SendRecv));
  }
  return writer.take();
}

std::string writeIceCandidate(const IceCandidate& c) {
  std::string text = "candidate:" + c.foundation + ' ' + std::to_string(c.component) + ' ' +
                     std::string(toString(c.transport)) + ' ' + std::to_string(c.priority) + ' ' + c.address + ' ' +
                     std::to_string(c.port) + " typ " + std::string(toString(c.type));
  const auto add = [&text](std::string_view name, std::string_view value) {
    text += ' ';
    text += name;
    text += ' ';
    text += value;
  };
  if (!c.relatedAddress.empty()) add("raddr", c.relatedAddress);
  if (c.relatedPort) add("rport", std::to_string(*c.relatedPort));
  if (c.tcpType) add("tcptype", toString(*c.tcpType));
  if (c.generation) add("generation", std::to_string(*c.generation));
  if (!c.ufrag.empty()) add("ufrag", c.ufrag);
  if (c.networkId) add("network-id", std::to_string(*c.networkId));
  if (c.networkCost) add("network-cost", std::to_string(*c.networkCost));
  for (const auto& extension : c.extensions) add(extension.key, extension.value);
  return text;
}

std::string writeFingerprint(const Fingerprint& fingerprint) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string text = fingerprint.algorithm + ' ';
  for (size_t i = 0; i < fingerprint.digest.size(); ++i) {
    if (i != 0) text += ':';
    text += kHex[fingerprint.digest[i] >> 4];
    text += kHex[fingerprint.digest[i] & 0x0F];
  }
  return text;
}

}  // namespace convox::rtc
