#include "rtc/sdp.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace convox::rtc;

namespace {

std::string readSample(const std::string& name) {
  std::ifstream in(std::string(CONVOX_TEST_DATA_DIR) + "/sdp/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

SessionDescription parseSample(const std::string& name) {
  auto parsed = parseSdp(readSample(name));
  EXPECT_TRUE(parsed.has_value()) << name << ": " << (parsed ? "" : describe(parsed.error()));
  return parsed ? *parsed : SessionDescription{};
}

std::string replaceAll(std::string text, std::string_view from, std::string_view to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

const Extmap* findExtmap(const MediaSection& section, uint16_t id) {
  for (const auto& extmap : section.extmaps) {
    if (extmap.id == id) return &extmap;
  }
  return nullptr;
}

std::string validationError(const SessionDescription& description, SdpType type) {
  auto result = validateForWebRtc(description, type);
  return result ? std::string("<valid>") : result.error().reason;
}

// The smallest description the parser accepts, for the rejection cases.
constexpr std::string_view kMinimal =
    "v=0\r\n"
    "o=- 1 1 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "a=rtpmap:111 opus/48000/2\r\n";

}  // namespace

// --- Chrome publisher offer ---------------------------------------------------

TEST(SdpParse, ChromeOfferSessionLevel) {
  const auto sdp = parseSample("chrome_publisher_offer.sdp");
  EXPECT_EQ(sdp.origin.username, "-");
  EXPECT_EQ(sdp.origin.sessionId, 5619823379781045991u);
  EXPECT_EQ(sdp.origin.sessionVersion, 2u);
  EXPECT_EQ(sdp.origin.address, "127.0.0.1");
  EXPECT_EQ(sdp.sessionName, "-");
  EXPECT_EQ(sdp.timing, (Timing{0, 0}));
  ASSERT_NE(sdp.bundleGroup(), nullptr);
  EXPECT_EQ(sdp.bundleGroup()->mids, (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_TRUE(sdp.extmapAllowMixed);
  ASSERT_TRUE(sdp.msidSemantic);
  EXPECT_EQ(sdp.msidSemantic->semantic, "WMS");
  EXPECT_EQ(sdp.msidSemantic->ids, std::vector<std::string>{"998cd28b-209e-4aad-b1ca-a5ec4be7535d"});
  ASSERT_EQ(sdp.media.size(), 3u);
  EXPECT_EQ(sdp.media[0].kind, MediaKind::Application);
  EXPECT_EQ(sdp.media[1].kind, MediaKind::Audio);
  EXPECT_EQ(sdp.media[2].kind, MediaKind::Video);
}

TEST(SdpParse, ChromeOfferAudioHasOpusAndRed) {
  const auto sdp = parseSample("chrome_publisher_offer.sdp");
  const auto& audio = sdp.media[1];
  EXPECT_EQ(audio.mid, "1");
  EXPECT_EQ(audio.port, 9);
  EXPECT_EQ(audio.protocol, MediaProtocol::UdpTlsRtpSavpf);
  EXPECT_EQ(audio.direction, Direction::SendOnly);
  EXPECT_TRUE(audio.rtcpMux);
  EXPECT_TRUE(audio.rtcpReducedSize);
  std::vector<int> payloadTypes;
  for (const auto& codec : audio.codecs) payloadTypes.push_back(codec.payloadType);
  EXPECT_EQ(payloadTypes, (std::vector<int>{111, 63, 9, 0, 8, 13, 110, 126}));

  const auto* opus = findCodec(audio, "OPUS");
  ASSERT_NE(opus, nullptr);
  EXPECT_EQ(opus->payloadType, 111);
  EXPECT_EQ(opus->clockRate, 48000u);
  EXPECT_EQ(opus->channels, 2);
  EXPECT_EQ(opus->fmtp, (std::vector<Parameter>{{"minptime", "10"}, {"useinbandfec", "1"}}));
  EXPECT_EQ(opus->fmtpValue("UseInbandFec"), "1");
  EXPECT_EQ(opus->feedback, (std::vector<RtcpFeedback>{{"transport-cc", ""}}));

  // What we offer is what Chrome offers, feedback aside.
  Codec ours = webRtcOpus(111);
  EXPECT_EQ(ours.name, "opus");
  EXPECT_EQ(ours.clockRate, opus->clockRate);
  EXPECT_EQ(ours.channels, opus->channels);
  EXPECT_EQ(ours.fmtp, opus->fmtp);
  EXPECT_EQ(webRtcOpus(109).payloadType, 109);

  const auto* red = findCodec(audio, "red");
  ASSERT_NE(red, nullptr);
  EXPECT_EQ(red->payloadType, 63);
  EXPECT_EQ(red->fmtpRaw, "111/111");
  EXPECT_EQ(red->redPayloadTypes(), (std::vector<uint8_t>{111, 111}));
  EXPECT_EQ(findCodec(audio, "G722")->channels, 0);

  ASSERT_EQ(audio.extmaps.size(), 4u);
  EXPECT_EQ(audio.extmaps[0].id, 1);
  EXPECT_EQ(audio.extmaps[0].uri, "urn:ietf:params:rtp-hdrext:ssrc-audio-level");
  EXPECT_FALSE(audio.extmaps[0].direction);
  ASSERT_EQ(audio.msids.size(), 1u);
  EXPECT_EQ(audio.msids[0].trackId, "f2fc94cc-edba-4450-8bf0-b644e434e95c");
  ASSERT_EQ(audio.ssrcs.size(), 1u);
  EXPECT_EQ(audio.ssrcs[0].ssrc, 3770094418u);
  EXPECT_EQ(audio.ssrcs[0].attribute("cname"), "Y3ePdzY1QwbEy5sV");
  EXPECT_EQ(audio.ssrcs[0].attribute("msid"),
            "998cd28b-209e-4aad-b1ca-a5ec4be7535d f2fc94cc-edba-4450-8bf0-b644e434e95c");
  // a=rtcp is tolerated: kept as an unmodelled attribute.
  EXPECT_EQ(audio.otherAttributes, (std::vector<Attribute>{{"rtcp", "9 IN IP4 0.0.0.0"}}));
}

TEST(SdpParse, ChromeOfferVideoCodecsAndRtx) {
  const auto sdp = parseSample("chrome_publisher_offer.sdp");
  const auto& video = sdp.media[2];
  ASSERT_EQ(video.codecs.size(), 13u);
  EXPECT_EQ(findCodec(video, "vp8")->payloadType, 96);
  EXPECT_EQ(findCodec(video, "vp9")->payloadType, 98);  // the first VP9, in preference order
  EXPECT_EQ(findCodec(video, "Vp9")->fmtpValue("profile-id"), "0");
  EXPECT_EQ(findCodec(video, "AV1"), nullptr);
  const auto* h264 = findCodecByPayloadType(video, 104);
  ASSERT_NE(h264, nullptr);
  EXPECT_EQ(h264->name, "H264");
  EXPECT_EQ(h264->fmtpValue("profile-level-id"), "42e01f");
  EXPECT_EQ(h264->fmtpValue("packetization-mode"), "1");

  std::map<int, int> rtxToMedia;
  for (const auto& codec : video.codecs) {
    if (codec.name == "rtx") rtxToMedia[codec.payloadType] = codec.rtxApt().value_or(255);
  }
  EXPECT_EQ(rtxToMedia, (std::map<int, int>{{97, 96}, {103, 102}, {105, 104}, {99, 98}, {101, 100}, {117, 116}}));

  const auto* vp8 = findCodec(video, "VP8");
  ASSERT_EQ(vp8->feedback.size(), 5u);
  EXPECT_EQ(vp8->feedback[2], (RtcpFeedback{"ccm", "fir"}));
  EXPECT_EQ(vp8->feedback[4], (RtcpFeedback{"nack", "pli"}));
  EXPECT_TRUE(findCodec(video, "ulpfec")->fmtp.empty());
}

TEST(SdpParse, ChromeOfferVideoSimulcastWithRidsAndNoSsrcs) {
  const auto sdp = parseSample("chrome_publisher_offer.sdp");
  const auto& video = sdp.media[2];
  EXPECT_TRUE(video.ssrcs.empty());
  EXPECT_TRUE(video.ssrcGroups.empty());
  ASSERT_EQ(video.rids.size(), 3u);
  EXPECT_EQ(video.rids[0], (Rid{"q", RidDirection::Send, {}}));
  EXPECT_EQ(video.rids[1].id, "h");
  EXPECT_EQ(video.rids[2].id, "f");
  ASSERT_TRUE(video.simulcast);
  const std::vector<SimulcastStream> expected{{{"q", false}}, {{"h", false}}, {{"f", false}}};
  EXPECT_EQ(video.simulcast->send, expected);
  EXPECT_TRUE(video.simulcast->recv.empty());
  ASSERT_NE(findExtmap(video, 10), nullptr);
  EXPECT_EQ(findExtmap(video, 10)->uri, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id");
  EXPECT_EQ(findExtmap(video, 11)->uri, "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id");
  EXPECT_EQ(findExtmap(video, 4)->uri, "urn:ietf:params:rtp-hdrext:sdes:mid");
  EXPECT_EQ(findExtmap(video, 14)->uri, "urn:ietf:params:rtp-hdrext:toffset");
}

TEST(SdpParse, ChromeOfferDataChannelTransportAndCandidates) {
  const auto sdp = parseSample("chrome_publisher_offer.sdp");
  const auto& data = sdp.media[0];
  EXPECT_EQ(data.protocol, MediaProtocol::UdpDtlsSctp);
  EXPECT_EQ(data.formats, std::vector<std::string>{"webrtc-datachannel"});
  EXPECT_TRUE(data.codecs.empty());
  EXPECT_EQ(data.sctpPort, 5000);
  EXPECT_EQ(data.maxMessageSize, 262144u);
  ASSERT_TRUE(data.connection);
  EXPECT_EQ(data.connection->address, "0.0.0.0");

  EXPECT_EQ(data.transport.iceUfrag, "Go0U");
  EXPECT_EQ(data.transport.icePwd, "yy+2aExJO9aYbHlQlWeZLMN/");
  EXPECT_EQ(data.transport.iceOptions, std::vector<std::string>{"trickle"});
  EXPECT_EQ(data.transport.setup, SetupRole::ActPass);
  ASSERT_EQ(data.transport.fingerprints.size(), 1u);
  const auto& fingerprint = data.transport.fingerprints[0];
  EXPECT_EQ(fingerprint.algorithm, "sha-256");
  ASSERT_EQ(fingerprint.digest.size(), 32u);
  EXPECT_EQ(fingerprint.digest[0], 0xBA);
  EXPECT_EQ(fingerprint.digest[1], 0x92);
  EXPECT_EQ(fingerprint.digest[31], 0x65);

  ASSERT_EQ(data.candidates.size(), 3u);
  const auto& host = data.candidates[0];
  EXPECT_EQ(host.foundation, "3381210564");
  EXPECT_EQ(host.component, 1);
  EXPECT_EQ(host.transport, CandidateTransport::Udp);
  EXPECT_EQ(host.priority, 2122260223u);
  EXPECT_EQ(host.address, "5116512f-d526-41cd-9f4d-0752af7aff66.local");
  EXPECT_EQ(host.port, 54400);
  EXPECT_EQ(host.type, CandidateType::Host);
  EXPECT_EQ(host.generation, 0u);
  EXPECT_EQ(host.networkId, 1u);
  EXPECT_EQ(host.networkCost, 10u);
  const auto& srflx = data.candidates[1];
  EXPECT_EQ(srflx.type, CandidateType::Srflx);
  EXPECT_EQ(srflx.relatedAddress, "0.0.0.0");
  EXPECT_EQ(srflx.relatedPort, 0);
  const auto& tcp = data.candidates[2];
  EXPECT_EQ(tcp.transport, CandidateTransport::Tcp);
  EXPECT_EQ(tcp.tcpType, TcpCandidateType::Active);
  EXPECT_EQ(tcp.port, 9);
  EXPECT_FALSE(data.endOfCandidates);
}

// --- Chrome answer and Firefox offer ------------------------------------------

TEST(SdpParse, ChromeAnswerToSubscriberOffer) {
  const auto sdp = parseSample("chrome_subscriber_answer.sdp");
  ASSERT_EQ(sdp.media.size(), 3u);
  ASSERT_TRUE(sdp.msidSemantic);
  EXPECT_TRUE(sdp.msidSemantic->ids.empty());
  for (const auto& section : sdp.media) EXPECT_EQ(section.transport.setup, SetupRole::Active) << section.mid;
  EXPECT_EQ(sdp.media[1].direction, Direction::RecvOnly);
  EXPECT_EQ(sdp.media[2].direction, Direction::RecvOnly);
  EXPECT_TRUE(sdp.media[1].msids.empty());
  EXPECT_EQ(findCodec(sdp.media[1], "opus")->fmtpValue("stereo"), "1");
  EXPECT_EQ(findCodecByPayloadType(sdp.media[2], 97)->rtxApt(), 96);
  EXPECT_EQ(validationError(sdp, SdpType::Answer), "<valid>");
}

TEST(SdpParse, FirefoxOfferInheritsSessionLevelTransport) {
  const auto sdp = parseSample("firefox_offer.sdp");
  EXPECT_EQ(sdp.origin.username, "mozilla...THIS_IS_SDPARTA-115.9.1");
  ASSERT_EQ(sdp.transport.fingerprints.size(), 1u);
  EXPECT_EQ(sdp.transport.fingerprints[0].digest[0], 0x00);
  EXPECT_EQ(sdp.transport.iceOptions, std::vector<std::string>{"trickle"});
  EXPECT_EQ(sdp.msidSemantic->ids, std::vector<std::string>{"*"});
  const auto& audio = sdp.media[0];
  EXPECT_TRUE(audio.transport.fingerprints.empty());
  const auto effective = effectiveTransport(sdp, audio);
  EXPECT_EQ(effective.fingerprints, sdp.transport.fingerprints);
  EXPECT_EQ(effective.iceOptions, std::vector<std::string>{"trickle"});
  EXPECT_EQ(effective.iceUfrag, "55912ec0");
  EXPECT_EQ(effective.setup, SetupRole::ActPass);
  EXPECT_EQ(validationError(sdp, SdpType::Offer), "<valid>");
}

TEST(SdpParse, FirefoxOfferCodecsCandidatesAndSsrcs) {
  const auto sdp = parseSample("firefox_offer.sdp");
  const auto& audio = sdp.media[0];
  // a=fmtp comes before a=rtpmap in Firefox's order.
  EXPECT_EQ(findCodec(audio, "opus")->fmtpValue("maxplaybackrate"), "48000");
  EXPECT_EQ(findCodec(audio, "telephone-event")->fmtp, (std::vector<Parameter>{{"0-15", ""}}));
  EXPECT_EQ(findCodec(audio, "G722")->channels, 1);
  ASSERT_EQ(audio.extmaps.size(), 3u);
  EXPECT_EQ(audio.extmaps[1].direction, Direction::RecvOnly);
  EXPECT_EQ(audio.msids[0].streamId, "{fad7bcca-8a7a-4aee-8732-d3b041ce752b}");
  ASSERT_EQ(audio.candidates.size(), 4u);
  EXPECT_EQ(audio.candidates[0].transport, CandidateTransport::Udp);  // written "UDP"
  EXPECT_EQ(audio.candidates[1].tcpType, TcpCandidateType::Active);
  EXPECT_EQ(audio.candidates[2].relatedAddress, "198.51.100.7");
  EXPECT_EQ(audio.candidates[2].relatedPort, 50214);
  EXPECT_EQ(audio.candidates[3].address, "2001:db8::7");
  EXPECT_TRUE(audio.endOfCandidates);

  const auto& video = sdp.media[1];
  EXPECT_EQ(findCodecByPayloadType(video, 124)->rtxApt(), 120);
  EXPECT_EQ(findCodecByPayloadType(video, 98)->rtxApt(), 97);
  EXPECT_EQ(findCodec(video, "VP8")->feedback.size(), 5u);
  ASSERT_EQ(video.ssrcGroups.size(), 1u);
  EXPECT_EQ(video.ssrcGroups[0], (SsrcGroup{"FID", {2573018035u, 3748765597u}}));
  EXPECT_EQ(video.ssrcs.size(), 2u);
  EXPECT_EQ(sdp.media[2].maxMessageSize, 1073741823u);
  EXPECT_EQ(sdp.media[2].direction, Direction::SendRecv);
}

TEST(SdpParse, LineFeedsAndAMissingFinalNewlineAreTolerated) {
  const auto crlf = readSample("chrome_publisher_offer.sdp");
  auto lf = replaceAll(crlf, "\r\n", "\n");
  lf.pop_back();  // no final newline
  const auto fromCrlf = parseSdp(crlf);
  const auto fromLf = parseSdp(lf);
  ASSERT_TRUE(fromCrlf && fromLf);
  EXPECT_EQ(*fromCrlf, *fromLf);
  EXPECT_TRUE(parseSdp(crlf + "\r\n\r\n").has_value());  // blank lines at the very end
}

TEST(SdpParse, SessionDirectionIsTheDefaultOfSectionsWithoutOne) {
  const auto parsed =
      parseSdp(std::string(kMinimal.substr(0, kMinimal.find("m="))) + "a=inactive\r\n" +
               std::string(kMinimal.substr(kMinimal.find("m="))) + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendonly\r\n");
  ASSERT_TRUE(parsed) << describe(parsed.error());
  EXPECT_EQ(parsed->direction, Direction::Inactive);
  EXPECT_EQ(parsed->media[0].direction, Direction::Inactive);
  EXPECT_EQ(parsed->media[1].direction, Direction::SendOnly);
}

TEST(SdpParse, UnknownAttributesAreKeptInOrder) {
  const auto parsed =
      parseSdp(std::string(kMinimal) +
               "a=x-google-flag:conference\r\na=sctpmap:5000 webrtc-datachannel 1024\r\na=label: a b\r\n"
               "a=remote-candidates\r\n");
  ASSERT_TRUE(parsed) << describe(parsed.error());
  const std::vector<Attribute> expected{{"x-google-flag", "conference"},
                                        {"sctpmap", "5000 webrtc-datachannel 1024"},
                                        {"label", " a b"},
                                        {"remote-candidates", ""}};
  EXPECT_EQ(parsed->media[0].otherAttributes, expected);
  const auto text = writeSdp(*parsed);
  EXPECT_NE(text.find("a=x-google-flag:conference\r\na=sctpmap:5000 webrtc-datachannel 1024\r\na=label: a b\r\n"
                      "a=remote-candidates\r\n"),
            std::string::npos);
}

TEST(SdpParse, LessCommonLinesAreModelled) {
  const std::string text =
      "v=0\r\n"
      "o=- 1 1 IN IP6 ::1\r\n"
      "s=-\r\n"
      "i=a session\r\n"
      "c=IN IP6 ::\r\n"
      "b=CT:5000\r\n"
      "t=0 0\r\n"
      "a=ice-lite\r\n"
      "m=video 0 UDP/TLS/RTP/SAVPF 96 97\r\n"
      "i=camera\r\n"
      "b=AS:2500\r\n"
      "b=TIAS:2500000\r\n"
      "a=bundle-only\r\n"
      "a=ice-lite\r\n"
      "a=ptime:20\r\n"
      "a=maxptime:120\r\n"
      "a=rtcp-fb:* ccm fir\r\n"
      "a=extmap-allow-mixed\r\n"
      "a=extmap:12/sendonly urn:example:ext some attributes\r\n"
      "a=msid:-\r\n"
      "a=ssrc:5 flag\r\n"
      "a=rid:hi send pt=96,97;max-width=1280\r\n"
      "a=rid:lo recv\r\n"
      "a=simulcast:recv lo send ~hi\r\n";
  const auto parsed = parseSdp(text);
  ASSERT_TRUE(parsed) << describe(parsed.error());
  EXPECT_EQ(parsed->origin.addressType, "IP6");
  EXPECT_EQ(parsed->sessionInfo, "a session");
  EXPECT_EQ(parsed->connection, (Connection{"IN", "IP6", "::"}));
  EXPECT_EQ(parsed->bandwidths, (std::vector<Bandwidth>{{"CT", 5000}}));
  EXPECT_TRUE(parsed->transport.iceLite);
  const auto& video = parsed->media[0];
  EXPECT_EQ(video.port, 0);
  EXPECT_TRUE(video.bundleOnly);
  EXPECT_FALSE(video.isRejected());
  EXPECT_TRUE(video.transport.iceLite);
  EXPECT_EQ(video.title, "camera");
  EXPECT_EQ(video.bandwidths, (std::vector<Bandwidth>{{"AS", 2500}, {"TIAS", 2500000}}));
  EXPECT_EQ(video.ptime, 20u);
  EXPECT_EQ(video.maxPtime, 120u);
  EXPECT_EQ(video.wildcardFeedback, (std::vector<RtcpFeedback>{{"ccm", "fir"}}));
  EXPECT_TRUE(video.extmapAllowMixed);
  EXPECT_EQ(video.extmaps[0], (Extmap{12, Direction::SendOnly, "urn:example:ext", "some attributes"}));
  EXPECT_EQ(video.msids, (std::vector<Msid>{{"-", ""}}));
  EXPECT_EQ(video.ssrcs[0].attribute("flag"), "");
  EXPECT_EQ(video.rids[0].restrictions, (std::vector<Parameter>{{"pt", "96,97"}, {"max-width", "1280"}}));
  EXPECT_EQ(video.rids[1].direction, RidDirection::Recv);
  ASSERT_TRUE(video.simulcast);
  EXPECT_EQ(video.simulcast->send, (std::vector<SimulcastStream>{{{"hi", true}}}));
  EXPECT_EQ(video.simulcast->recv, (std::vector<SimulcastStream>{{{"lo", false}}}));
  EXPECT_TRUE(video.codecs[0].name.empty());  // no a=rtpmap: kept, unnamed
  auto reparsed = parseSdp(writeSdp(*parsed));
  ASSERT_TRUE(reparsed) << describe(reparsed.error());
  EXPECT_EQ(*reparsed, *parsed);
}

// --- round trips ---------------------------------------------------------------

TEST(SdpRoundTrip, EverySampleSurvivesWriteThenParse) {
  for (const auto* name : {"chrome_publisher_offer.sdp", "chrome_subscriber_answer.sdp", "firefox_offer.sdp"}) {
    const auto original = parseSample(name);
    const auto text = writeSdp(original);
    auto reparsed = parseSdp(text);
    ASSERT_TRUE(reparsed) << name << ": " << describe(reparsed.error());
    EXPECT_EQ(*reparsed, original) << name;
    EXPECT_EQ(writeSdp(*reparsed), text) << name;
  }
}

TEST(SdpRoundTrip, ChromeOfferIsWrittenBackLineForLineInItsOwnOrder) {
  // Order aside, the written offer holds every line of Chrome's, byte for
  // byte, except msid-semantic, which is written as Firefox writes it.
  const auto text = writeSdp(parseSample("chrome_publisher_offer.sdp"));
  std::istringstream lines(readSample("chrome_publisher_offer.sdp"));
  std::string line;
  size_t count = 0;
  while (std::getline(lines, line)) {
    ++count;
    if (line.starts_with("a=msid-semantic: WMS ")) line.replace(0, 21, "a=msid-semantic:WMS ");
    EXPECT_NE(text.find(line + "\n"), std::string::npos) << line;
  }
  EXPECT_EQ(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')), count);
}

TEST(SdpRoundTrip, FmtpKeepsItsSpellingUntilEdited) {
  auto parsed = parseSdp(std::string(kMinimal) + "a=fmtp:111 minptime=10; useinbandfec=1\r\n");
  ASSERT_TRUE(parsed) << describe(parsed.error());
  EXPECT_NE(writeSdp(*parsed).find("a=fmtp:111 minptime=10; useinbandfec=1\r\n"), std::string::npos);
  parsed->media[0].codecs[0].fmtp.push_back({"usedtx", "1"});
  EXPECT_NE(writeSdp(*parsed).find("a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1\r\n"), std::string::npos);
}

// --- canonical writing ---------------------------------------------------------

TEST(SdpWrite, DescriptionBuiltInCodeIsWrittenInCanonicalOrder) {
  SessionDescription sdp;
  sdp.origin.sessionId = 1234;
  sdp.origin.sessionVersion = 2;
  sdp.groups.push_back({"BUNDLE", {"0", "1"}});
  sdp.msidSemantic = MsidSemantic{"WMS", {"*"}};
  sdp.transport.iceLite = true;
  sdp.transport.fingerprints.push_back({"sha-256", {0x01, 0xAB, 0xFF}});

  MediaSection audio;
  audio.connection = Connection{};
  audio.mid = "0";
  audio.transport.iceUfrag = "ufrg";
  audio.transport.icePwd = "0123456789abcdefghijkl";
  audio.transport.setup = SetupRole::Passive;
  audio.direction = Direction::SendOnly;
  audio.rtcpMux = true;
  Codec opus{111, "opus", 48000, 2, {{"transport-cc", ""}}, {{"minptime", "10"}, {"useinbandfec", "1"}}, {}};
  Codec red{63, "red", 48000, 2, {}, {{"111/111", ""}}, {}};
  audio.codecs = {red, opus};
  audio.extmaps.push_back({4, std::nullopt, "urn:ietf:params:rtp-hdrext:sdes:mid", {}});
  audio.msids.push_back({"PA_a|TR_b", "TR_b"});
  audio.ssrcs.push_back({42, {{"cname", "c"}, {"msid", "PA_a|TR_b TR_b"}}});
  IceCandidate host;
  host.foundation = "1";
  host.priority = 2130706431;
  host.address = "127.0.0.1";
  host.port = 7882;
  audio.candidates.push_back(host);
  audio.endOfCandidates = true;
  audio.otherAttributes.push_back({"x-note", "kept"});
  sdp.media.push_back(audio);

  MediaSection data;
  data.kind = MediaKind::Application;
  data.protocol = MediaProtocol::UdpDtlsSctp;
  data.formats = {"webrtc-datachannel"};
  data.mid = "1";
  data.sctpPort = 5000;
  data.maxMessageSize = 65536;
  sdp.media.push_back(data);

  const std::string expected =
      "v=0\r\n"
      "o=- 1234 2 IN IP4 127.0.0.1\r\n"
      "s=-\r\n"
      "t=0 0\r\n"
      "a=group:BUNDLE 0 1\r\n"
      "a=msid-semantic:WMS *\r\n"
      "a=ice-lite\r\n"
      "a=fingerprint:sha-256 01:AB:FF\r\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 63 111\r\n"
      "c=IN IP4 0.0.0.0\r\n"
      "a=mid:0\r\n"
      "a=ice-ufrag:ufrg\r\n"
      "a=ice-pwd:0123456789abcdefghijkl\r\n"
      "a=setup:passive\r\n"
      "a=sendonly\r\n"
      "a=rtcp-mux\r\n"
      "a=rtpmap:63 red/48000/2\r\n"
      "a=fmtp:63 111/111\r\n"
      "a=rtpmap:111 opus/48000/2\r\n"
      "a=rtcp-fb:111 transport-cc\r\n"
      "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
      "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
      "a=msid:PA_a|TR_b TR_b\r\n"
      "a=ssrc:42 cname:c\r\n"
      "a=ssrc:42 msid:PA_a|TR_b TR_b\r\n"
      "a=candidate:1 1 udp 2130706431 127.0.0.1 7882 typ host\r\n"
      "a=end-of-candidates\r\n"
      "a=x-note:kept\r\n"
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
      "a=mid:1\r\n"
      "a=sctp-port:5000\r\n"
      "a=max-message-size:65536\r\n";
  EXPECT_EQ(writeSdp(sdp), expected);
}

TEST(SdpWrite, RidsSimulcastExtmapDirectionAndSsrcGroups) {
  MediaSection video;
  video.kind = MediaKind::Video;
  video.codecs.push_back({96, "VP8", 90000, 0, {{"nack", "pli"}}, {}, {}});
  video.wildcardFeedback.push_back({"transport-cc", ""});
  video.extmaps.push_back({10, Direction::RecvOnly, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id", {}});
  video.ssrcGroups.push_back({"FID", {1, 2}});
  video.rids.push_back({"q", RidDirection::Recv, {}});
  video.rids.push_back({"f", RidDirection::Recv, {{"max-width", "1280"}, {"pt", "96"}}});
  video.simulcast = Simulcast{{}, {{{"q", false}}, {{"f", true}, {"h", false}}}};
  SessionDescription sdp;
  sdp.media.push_back(video);
  const auto text = writeSdp(sdp);
  const auto body = text.substr(text.find("m=video"));
  EXPECT_EQ(body,
            "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
            "a=sendrecv\r\n"
            "a=rtpmap:96 VP8/90000\r\n"
            "a=rtcp-fb:96 nack pli\r\n"
            "a=rtcp-fb:* transport-cc\r\n"
            "a=extmap:10/recvonly urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"
            "a=ssrc-group:FID 1 2\r\n"
            "a=rid:q recv\r\n"
            "a=rid:f recv max-width=1280;pt=96\r\n"
            "a=simulcast:recv q;~f,h\r\n");
  auto reparsed = parseSdp(text);
  ASSERT_TRUE(reparsed) << describe(reparsed.error());
  EXPECT_EQ(*reparsed, sdp);
}

// --- rejections ------------------------------------------------------------------

struct RejectCase {
  std::string name;
  std::string text;
  size_t line;
  std::string reason;  // a part of the reason
};

TEST(SdpReject, EachMalformedInputSaysWhereAndWhy) {
  const std::string base(kMinimal);
  const auto with = [&](std::string_view extra) { return base + std::string(extra); };
  const std::vector<RejectCase> cases{
      {"empty", "", 0, "the description is empty"},
      {"nul byte", std::string("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=a\0b\r\n", 36), 3, "NUL byte"},
      {"not x= form", with("hello\r\n"), 7, "expected '<letter>=<value>'"},
      {"upper-case type", "V=0\r\n", 1, "expected '<letter>=<value>'"},
      {"first line not v", "o=- 1 1 IN IP4 1.2.3.4\r\n", 1, "expected v= here"},
      {"version", "v=1\r\n", 1, "unsupported SDP version '1'"},
      {"origin fields", "v=0\r\no=- 1 IN IP4 1.2.3.4\r\n", 2, "o= must be"},
      {"session id range", "v=0\r\no=- 99999999999999999999 1 IN IP4 1.2.3.4\r\ns=-\r\n", 2,
       "session id '99999999999999999999' is not a 64-bit number"},
      {"missing s", "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n", 0, "missing s= line"},
      {"missing t", "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n", 0, "missing t= line"},
      {"two t", "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nt=0 0\r\n", 5, "more than one t= line"},
      {"repeat times", "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nr=7d 1h 0 25h\r\n", 5,
       "unsupported line type 'r='"},
      {"carriage return", with("a=foo\rbar\r\n"), 7, "carriage return inside a line"},
      {"empty line", base + "\r\na=rtcp-mux\r\n", 7, "empty line"},
      {"media kind", with("m=text 9 UDP/TLS/RTP/SAVPF 96\r\n"), 7, "unsupported media kind 'text'"},
      {"protocol", with("m=audio 9 RTP/AVP 0\r\n"), 7, "unsupported protocol 'RTP/AVP'"},
      {"port range", with("m=audio 70000 UDP/TLS/RTP/SAVPF 0\r\n"), 7, "port '70000' is not 0-65535"},
      {"port count", with("m=audio 9/2 UDP/TLS/RTP/SAVPF 0\r\n"), 7, "port counts"},
      {"payload type range", with("m=audio 9 UDP/TLS/RTP/SAVPF 128\r\n"), 7, "payload type '128' is not 0-127"},
      {"payload type twice", with("m=audio 9 UDP/TLS/RTP/SAVPF 0 0\r\n"), 7, "listed twice"},
      {"no formats", with("m=audio 9 UDP/TLS/RTP/SAVPF\r\n"), 7, "at least one format"},
      {"rtpmap not in m-line", with("a=rtpmap:96 VP8/90000\r\n"), 7,
       "a=rtpmap for payload type 96, which is not in the m-line format list"},
      {"fmtp not in m-line", with("a=fmtp:100 apt=96\r\n"), 7,
       "a=fmtp for payload type 100, which is not in the m-line format list"},
      {"rtcp-fb not in m-line", with("a=rtcp-fb:97 nack\r\n"), 7, "not in the m-line format list"},
      {"second rtpmap", with("a=rtpmap:111 opus/48000\r\n"), 7, "second a=rtpmap for payload type 111"},
      {"clock rate", with("m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/0\r\n"), 8, "clock rate '0'"},
      {"fingerprint hex", with("a=fingerprint:sha-256 ZZ:01\r\n"), 7, "fingerprint has bad hex 'ZZ'"},
      {"fingerprint odd digits", with("a=fingerprint:sha-256 1:02\r\n"), 7, "bad hex '1'"},
      {"fingerprint length",
       with("a=fingerprint:sha-256 "
            "00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E\r\n"),
       7, "a sha-256 fingerprint has 32 bytes, not 31"},
      {"setup", with("a=setup:both\r\n"), 7, "unknown a=setup role 'both'"},
      {"ice-ufrag chars", with("a=ice-ufrag:ab!c\r\n"), 7, "a=ice-ufrag must be letters, digits"},
      {"candidate address", with("a=candidate:1 1 udp 1 example.com 9 typ host\r\n"), 7,
       "candidate address 'example.com' is not an IP address or an mDNS .local name"},
      {"candidate typ", with("a=candidate:1 1 udp 1 1.2.3.4 9 type host\r\n"), 7, "expected 'typ'"},
      {"candidate priority", with("a=candidate:1 1 udp 4294967296 1.2.3.4 9 typ host\r\n"), 7,
       "priority '4294967296' is not a 32-bit number"},
      {"extmap id", with("a=extmap:0 urn:x\r\n"), 7, "extmap id '0' is not 1-255"},
      {"extmap twice", with("a=extmap:1 urn:x\r\na=extmap:1 urn:y\r\n"), 8, "extmap id 1 is used twice"},
      {"ssrc range", with("a=ssrc:4294967296 cname:x\r\n"), 7, "ssrc '4294967296' is not a 32-bit number"},
      {"mid twice", with("a=mid:0\r\na=mid:1\r\n"), 8, "a=mid appears twice"},
      {"directions", with("a=sendonly\r\na=recvonly\r\n"), 8,
       "a=recvonly conflicts with an earlier direction attribute"},
      {"flag value", with("a=rtcp-mux:yes\r\n"), 7, "a=rtcp-mux takes no value"},
      {"simulcast rid", with("a=simulcast:send q;h!\r\n"), 7, "invalid rid 'h!' in a=simulcast"},
      {"simulcast direction", with("a=simulcast:both q\r\n"), 7, "is not send or recv"},
      {"rid direction", with("a=rid:q sideways\r\n"), 7, "a=rid must be"},
      {"sctp-port", with("a=sctp-port:0\r\n"), 7, "a=sctp-port value '0' is not a number in range"},
      {"attribute name", with("a=bad name\r\n"), 7, "invalid attribute name 'bad name'"},
      {"session-level v", with("v=0\r\n"), 7, "not allowed inside a media section"},
  };
  for (const auto& c : cases) {
    const auto result = parseSdp(c.text);
    ASSERT_FALSE(result.has_value()) << c.name;
    EXPECT_EQ(result.error().line, c.line) << c.name << ": " << describe(result.error());
    EXPECT_NE(result.error().reason.find(c.reason), std::string::npos) << c.name << ": " << result.error().reason;
  }
}

TEST(SdpReject, TooLargeInputIsRefusedBeforeParsing) {
  std::string huge(kMinimal);
  while (huge.size() <= kMaxSdpBytes) huge += "a=x-padding:0123456789012345678901234567890123456789\r\n";
  const auto result = parseSdp(huge);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(describe(result.error()), "the description is larger than 256 KiB");
}

TEST(SdpReject, DescribeNamesTheLine) {
  const auto result = parseSdp(std::string(kMinimal) + "a=rtpmap:96 VP8/90000\r\n");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(describe(result.error()), "line 7: a=rtpmap for payload type 96, which is not in the m-line format list");
}

// --- validation --------------------------------------------------------------------

TEST(SdpValidate, SamplesAreSupported) {
  EXPECT_EQ(validationError(parseSample("chrome_publisher_offer.sdp"), SdpType::Offer), "<valid>");
  EXPECT_EQ(validationError(parseSample("chrome_subscriber_answer.sdp"), SdpType::Answer), "<valid>");
  EXPECT_EQ(validationError(parseSample("firefox_offer.sdp"), SdpType::Offer), "<valid>");
}

TEST(SdpValidate, UnsupportedDescriptionsAreRejectedWithAReason) {
  const auto offer = parseSample("chrome_publisher_offer.sdp");
  const auto check = [&](std::string_view expected, auto&& mutate, SdpType type = SdpType::Offer) {
    auto copy = offer;
    mutate(copy);
    const auto reason = validationError(copy, type);
    EXPECT_NE(reason.find(expected), std::string::npos) << "expected '" << expected << "', got '" << reason << "'";
  };
  check(
      "an answer must say a=setup:active or a=setup:passive, not actpass", [](auto&) {}, SdpType::Answer);
  check("no m-lines", [](SessionDescription& d) { d.media.clear(); });
  check("m-line 1 has no a=mid", [](SessionDescription& d) { d.media[1].mid.clear(); });
  check("mid '0' is used by more than one m-line", [](SessionDescription& d) { d.media[2].mid = "0"; });
  check("no a=group:BUNDLE", [](SessionDescription& d) { d.groups.clear(); });
  check("m-line 2 (mid '2') is not in the BUNDLE group", [](SessionDescription& d) { d.groups[0].mids.pop_back(); });
  check("names mid '7', which has no m-line", [](SessionDescription& d) { d.groups[0].mids.push_back("7"); });
  check("m-line 0 (mid '0') has no a=ice-ufrag", [](SessionDescription& d) { d.media[0].transport.iceUfrag.clear(); });
  check("has no a=ice-pwd", [](SessionDescription& d) { d.media[1].transport.icePwd.clear(); });
  check("a=ice-pwd must be 22 to 256", [](SessionDescription& d) { d.media[1].transport.icePwd = "short"; });
  check("has no a=fingerprint", [](SessionDescription& d) { d.media[0].transport.fingerprints.clear(); });
  check("has no sha-256 fingerprint (found sha-1)", [](SessionDescription& d) {
    d.media[0].transport.fingerprints[0] = Fingerprint{"sha-1", std::vector<uint8_t>(20, 0xAA)};
  });
  check("has no a=setup", [](SessionDescription& d) { d.media[2].transport.setup.reset(); });
  check("a=setup:holdconn is not supported",
        [](SessionDescription& d) { d.media[2].transport.setup = SetupRole::HoldConn; });
  check("m-line 1 (mid '1') has no a=rtcp-mux", [](SessionDescription& d) { d.media[1].rtcpMux = false; });
  check("protocol UDP/DTLS/SCTP is not supported for audio",
        [](SessionDescription& d) { d.media[1].protocol = MediaProtocol::UdpDtlsSctp; });
  check("protocol DTLS/SCTP is not supported for application",
        [](SessionDescription& d) { d.media[0].protocol = MediaProtocol::DtlsSctp; });
  check("has no a=sctp-port", [](SessionDescription& d) { d.media[0].sctpPort.reset(); });
  check("must offer webrtc-datachannel", [](SessionDescription& d) { d.media[0].formats = {"5000"}; });
  check("simulcast rid 'f' has no a=rid:f send", [](SessionDescription& d) { d.media[2].rids.pop_back(); });
  check("rtx payload type 97 has no apt=", [](SessionDescription& d) { d.media[2].codecs[1].fmtp.clear(); });
  check("has other ICE credentials than mid '0'",
        [](SessionDescription& d) { d.media[2].transport.iceUfrag = "Zz9z"; });
  check("extmap id 4 means both", [](SessionDescription& d) { d.media[2].extmaps[8].uri = "urn:example:other"; });
}

TEST(SdpValidate, RejectedSectionsNeedNoTransport) {
  auto answer = parseSample("chrome_subscriber_answer.sdp");
  answer.media[2].port = 0;
  answer.media[2].transport = {};
  answer.groups[0].mids = {"0", "1"};
  EXPECT_EQ(validationError(answer, SdpType::Answer), "<valid>");
  answer.media[2].bundleOnly = true;  // bundle-only with port 0 is not rejected: it must be bundled
  EXPECT_NE(validationError(answer, SdpType::Answer).find("is not in the BUNDLE group"), std::string::npos);
}

// --- trickled candidates and fingerprints --------------------------------------------

TEST(SdpCandidate, ParsesWithOrWithoutPrefixes) {
  const std::string text =
      "candidate:3381210564 1 udp 2122260223 10.77.0.1 54400 typ host generation 0 ufrag Go0U network-id 1 "
      "network-cost 10";
  const auto bare = parseIceCandidate(text.substr(10));
  const auto prefixed = parseIceCandidate(text);
  const auto attribute = parseIceCandidate("a=" + text + "\r\n");
  ASSERT_TRUE(bare && prefixed && attribute);
  EXPECT_EQ(*bare, *prefixed);
  EXPECT_EQ(*bare, *attribute);
  EXPECT_EQ(bare->address, "10.77.0.1");
  EXPECT_EQ(bare->ufrag, "Go0U");
  EXPECT_EQ(writeIceCandidate(*bare), text);
}

TEST(SdpCandidate, RelayAndUnknownExtensionsAreKept) {
  const std::string text =
      "candidate:842163049 1 udp 41885439 2001:db8::1 3478 typ relay raddr 203.0.113.5 rport 61000 generation 0 "
      "x-future yes x-other 7";
  const auto candidate = parseIceCandidate(text);
  ASSERT_TRUE(candidate) << describe(candidate.error());
  EXPECT_EQ(candidate->type, CandidateType::Relay);
  EXPECT_EQ(candidate->relatedAddress, "203.0.113.5");
  EXPECT_EQ(candidate->relatedPort, 61000);
  EXPECT_EQ(candidate->extensions, (std::vector<Parameter>{{"x-future", "yes"}, {"x-other", "7"}}));
  EXPECT_EQ(writeIceCandidate(*candidate), text);
}

TEST(SdpCandidate, BadCandidatesAreRejected) {
  const auto reasonOf = [](std::string_view text) {
    const auto result = parseIceCandidate(text);
    return result ? std::string("<valid>") : result.error().reason;
  };
  EXPECT_NE(reasonOf("").find("empty candidate"), std::string::npos);
  EXPECT_NE(reasonOf("candidate:").find("empty candidate"), std::string::npos);
  EXPECT_NE(reasonOf("candidate:1 1 udp 1").find("needs foundation"), std::string::npos);
  EXPECT_NE(reasonOf("candidate:1 1 ssltcp 1 1.2.3.4 443 typ host").find("unsupported candidate transport"),
            std::string::npos);
  EXPECT_NE(reasonOf("candidate:1 1 udp 1 1.2.3.4 9 typ host rport 70000").find("rport '70000' is invalid"),
            std::string::npos);
  EXPECT_NE(reasonOf("candidate:1 1 udp 1 1.2.3.4 9 typ host generation").find("has no value"), std::string::npos);
  EXPECT_NE(reasonOf("candidate:1 0 udp 1 1.2.3.4 9 typ host").find("component '0' is not 1-256"), std::string::npos);
  EXPECT_NE(reasonOf("candidate:1 1 udp 1 1.2.3.256 9 typ host").find("not an IP address"), std::string::npos);
  EXPECT_NE(reasonOf("candidate:1 1 udp 1 .local 9 typ host").find("not an IP address"), std::string::npos);
  EXPECT_NE(reasonOf("candidate:1 1 udp 1 1.2.3.4 9 typ host tcptype up").find("tcptype 'up' is invalid"),
            std::string::npos);
  EXPECT_NE(reasonOf("candidate:1 1 udp 1 1.2.3.4 9 typ host ufrag a ufrag b").find("'ufrag' twice"),
            std::string::npos);
}

TEST(SdpFingerprint, ParsesAnyCaseAndWritesUpperCase) {
  const auto fingerprint = parseFingerprint("SHA-1 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33");
  ASSERT_TRUE(fingerprint) << describe(fingerprint.error());
  EXPECT_EQ(fingerprint->algorithm, "sha-1");
  EXPECT_EQ(fingerprint->digest[10], 0xAA);
  EXPECT_EQ(writeFingerprint(*fingerprint), "sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33");
  const auto unknown = parseFingerprint("sha-3000 01:02");
  ASSERT_TRUE(unknown);  // kept: only the hash functions we know have a fixed size
  EXPECT_EQ(unknown->digest, (std::vector<uint8_t>{1, 2}));
  EXPECT_FALSE(parseFingerprint("sha-256").has_value());
  EXPECT_FALSE(parseFingerprint("sha-256 :01").has_value());
  EXPECT_FALSE(parseFingerprint("sha-256 +1:02").has_value());
}

TEST(SdpHelpers, FmtpParametersSplitAndJoin) {
  const auto params = parseFmtpParameters(" minptime=10; useinbandfec = 1;;111/111 ");
  EXPECT_EQ(params, (std::vector<Parameter>{{"minptime", "10"}, {"useinbandfec", "1"}, {"111/111", ""}}));
  EXPECT_EQ(writeFmtpParameters(params), "minptime=10;useinbandfec=1;111/111");
  Codec red{63, "red", 48000, 2, {}, {{"111/abc", ""}}, {}};
  EXPECT_TRUE(red.redPayloadTypes().empty());
  Codec rtx{97, "rtx", 90000, 0, {}, {{"apt", "300"}}, {}};
  EXPECT_FALSE(rtx.rtxApt());
}

TEST(SdpHelpers, FindMediaByMidAndMediaLevelOverrides) {
  auto sdp = parseSample("firefox_offer.sdp");
  ASSERT_NE(findMediaByMid(sdp, "2"), nullptr);
  EXPECT_EQ(findMediaByMid(sdp, "2")->kind, MediaKind::Application);
  EXPECT_EQ(findMediaByMid(sdp, "9"), nullptr);
  sdp.media[0].transport.iceOptions = {"renomination"};
  sdp.media[0].transport.fingerprints.push_back({"sha-256", std::vector<uint8_t>(32, 7)});
  const auto effective = effectiveTransport(sdp, sdp.media[0]);
  EXPECT_EQ(effective.iceOptions, std::vector<std::string>{"renomination"});
  ASSERT_EQ(effective.fingerprints.size(), 1u);
  EXPECT_EQ(effective.fingerprints[0].digest[0], 7);
}
