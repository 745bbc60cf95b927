// The SDP <-> transport glue: descriptions written with describeLocalTransport
// and applied with applyRemoteDescription connect two real transports on
// loopback, and the JSEP rules (setup roles, ICE restarts, bad input) hold.
#include "rtc/sdp_transport.hpp"

#include "rtc/dtls_certificate.hpp"

#include <gtest/gtest.h>

using namespace convox::rtc;
using namespace std::chrono_literals;

namespace {

struct Peer : WebRtcTransportListener {
  TransportState state = TransportState::New;
  bool gathered = false;
  std::map<uint16_t, std::string> channels;
  void onTransportState(TransportState s, const std::string&) override { state = s; }
  void onGatheringDone() override { gathered = true; }
  void onDataChannelOpen(uint16_t id, const std::string& label, const DataChannelOptions&) override {
    channels[id] = label;
  }
};

WebRtcTransportSettings settings(IceRole role) {
  WebRtcTransportSettings s;
  s.ice.role = role;
  s.ice.localAddresses = {"127.0.0.1"};
  std::string error;
  s.certificate = DtlsCertificate::generate(error);
  return s;
}

// One audio section and, optionally, a data section, as a client offers them.
SessionDescription describe(const WebRtcTransport& transport, SetupRole setup, bool gathered, bool data) {
  SessionDescription d;
  MediaSection audio;
  audio.kind = MediaKind::Audio;
  audio.mid = "0";
  audio.rtcpMux = true;
  Codec opus;
  opus.payloadType = 111;
  opus.name = "opus";
  opus.clockRate = 48000;
  opus.channels = 2;
  audio.codecs = {opus};
  describeLocalTransport(transport, audio, setup, gathered);
  d.media.push_back(audio);
  d.groups = {{"BUNDLE", {"0"}}};
  if (data) {
    MediaSection channel;
    channel.kind = MediaKind::Application;
    channel.protocol = MediaProtocol::UdpDtlsSctp;
    channel.mid = "1";
    channel.formats = {"webrtc-datachannel"};
    channel.sctpPort = 5000;
    describeLocalTransport(transport, channel, setup, gathered);
    d.media.push_back(channel);
    d.groups[0].mids.push_back("1");
  }
  return d;
}

// Written to text and parsed back, as it would cross the signal connection.
SessionDescription overTheWire(const SessionDescription& d, SdpType type) {
  auto parsed = parseRemoteDescription(writeSdp(d), type);
  EXPECT_TRUE(parsed.has_value()) << (parsed ? "" : parsed.error());
  return parsed ? *parsed : SessionDescription{};
}

class Negotiation : public ::testing::Test {
 protected:
  Negotiation()
      : client_(loop_, clientPeer_, settings(IceRole::Controlling)),
        server_(loop_, serverPeer_, settings(IceRole::Lite)) {}

  void SetUp() override {
    std::string error;
    ASSERT_TRUE(client_.start(error)) << error;
    ASSERT_TRUE(server_.start(error)) << error;
    ASSERT_TRUE(loop_.runUntil([&] { return clientPeer_.gathered && serverPeer_.gathered; }, 5s));
  }

  // The client offers, the server answers; both apply what they received.
  void negotiate(bool data) {
    const auto offer = overTheWire(describe(client_, SetupRole::ActPass, true, data), SdpType::Offer);
    const auto offered = effectiveTransport(offer, offer.media[0]).setup.value();
    serverSetup_ = answerSetupRole(offered, SetupRole::Passive);
    auto atServer = applyRemoteDescription(server_, offer, SdpType::Offer, serverSetup_);
    ASSERT_TRUE(atServer.has_value()) << atServer.error();
    const auto answer = overTheWire(describe(server_, serverSetup_, true, data), SdpType::Answer);
    auto atClient = applyRemoteDescription(client_, answer, SdpType::Answer, SetupRole::ActPass);
    ASSERT_TRUE(atClient.has_value()) << atClient.error();
    EXPECT_TRUE(atServer->first);
    EXPECT_TRUE(atClient->first);
  }

  bool connected() {
    return loop_.runUntil(
        [&] {
          return clientPeer_.state == TransportState::Connected && serverPeer_.state == TransportState::Connected;
        },
        10s);
  }

  EventLoop loop_;
  Peer clientPeer_, serverPeer_;
  WebRtcTransport client_, server_;
  SetupRole serverSetup_ = SetupRole::Passive;
};

}  // namespace

TEST(SetupRoles, AnswerIsTheOppositeOfAnActiveOrPassiveOffer) {
  EXPECT_EQ(answerSetupRole(SetupRole::Active, SetupRole::Active), SetupRole::Passive);
  EXPECT_EQ(answerSetupRole(SetupRole::Passive, SetupRole::Passive), SetupRole::Active);
  EXPECT_EQ(answerSetupRole(SetupRole::ActPass, SetupRole::Passive), SetupRole::Passive);
  EXPECT_EQ(answerSetupRole(SetupRole::ActPass, SetupRole::Active), SetupRole::Active);
}

TEST(SetupRoles, ActiveSideIsTheDtlsClient) {
  EXPECT_EQ(negotiatedDtlsRole(SetupRole::Active, SetupRole::ActPass), DtlsRole::Client);
  EXPECT_EQ(negotiatedDtlsRole(SetupRole::Passive, SetupRole::ActPass), DtlsRole::Server);
  EXPECT_EQ(negotiatedDtlsRole(SetupRole::ActPass, SetupRole::Passive), DtlsRole::Client);
  EXPECT_EQ(negotiatedDtlsRole(SetupRole::ActPass, SetupRole::Active), DtlsRole::Server);
}

TEST(RemoteDescription, GarbageAndUnsupportedDescriptionsAreRefusedWithTheirKind) {
  auto garbage = parseRemoteDescription("not sdp", SdpType::Offer);
  ASSERT_FALSE(garbage.has_value());
  EXPECT_EQ(garbage.error().rfind("offer: ", 0), 0u) << garbage.error();
  // Valid SDP, but nothing WebRTC can use: no ICE, no fingerprint.
  auto bare = parseRemoteDescription("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", SdpType::Answer);
  ASSERT_FALSE(bare.has_value());
  EXPECT_EQ(bare.error().rfind("answer: ", 0), 0u) << bare.error();
}

TEST_F(Negotiation, LocalDescriptionCarriesCredentialsFingerprintAndCandidates) {
  const auto d = describe(client_, SetupRole::ActPass, true, false);
  const auto& t = d.media[0].transport;
  EXPECT_EQ(t.iceUfrag, client_.localIceUfrag());
  EXPECT_EQ(t.icePwd, client_.localIcePassword());
  ASSERT_EQ(t.fingerprints.size(), 1u);
  EXPECT_EQ(formatFingerprintHex(t.fingerprints[0].digest), client_.localFingerprint());
  EXPECT_EQ(t.setup, SetupRole::ActPass);
  EXPECT_EQ(d.media[0].candidates.size(), client_.localCandidates().size());
  EXPECT_FALSE(d.media[0].candidates.empty());
  EXPECT_TRUE(d.media[0].endOfCandidates);
  EXPECT_FALSE(describe(client_, SetupRole::ActPass, false, false).media[0].endOfCandidates);
}

TEST_F(Negotiation, OfferAndAnswerConnectTheTransportsAndOpenDataChannels) {
  negotiate(true);
  EXPECT_EQ(serverSetup_, SetupRole::Passive);
  ASSERT_TRUE(connected());
  // The data section was negotiated on both sides: a channel opened by the
  // client reaches the server.
  ASSERT_TRUE(client_.openDataChannel("_reliable", {}).has_value());
  ASSERT_TRUE(loop_.runUntil([&] { return !serverPeer_.channels.empty(); }, 5s));
  EXPECT_EQ(serverPeer_.channels.begin()->second, "_reliable");
}

TEST_F(Negotiation, ReofferWithTheSameCredentialsChangesNothing) {
  negotiate(false);
  const auto ufrag = server_.localIceUfrag();
  const auto offer = overTheWire(describe(client_, SetupRole::ActPass, true, false), SdpType::Offer);
  auto again = applyRemoteDescription(server_, offer, SdpType::Offer, serverSetup_);
  ASSERT_TRUE(again.has_value()) << again.error();
  EXPECT_FALSE(again->first);
  EXPECT_FALSE(again->iceRestarted);
  EXPECT_EQ(server_.localIceUfrag(), ufrag);
  ASSERT_TRUE(connected());
}

TEST_F(Negotiation, OfferWithNewCredentialsRestartsIceOnBothSides) {
  negotiate(false);
  ASSERT_TRUE(connected());
  const auto serverUfrag = server_.localIceUfrag();
  std::string error;
  ASSERT_TRUE(client_.restartLocalIce(error)) << error;
  ASSERT_TRUE(loop_.runUntil([&] { return !client_.localCandidates().empty(); }, 5s));
  const auto offer = overTheWire(describe(client_, SetupRole::ActPass, true, false), SdpType::Offer);
  auto atServer = applyRemoteDescription(server_, offer, SdpType::Offer, serverSetup_);
  ASSERT_TRUE(atServer.has_value()) << atServer.error();
  EXPECT_TRUE(atServer->iceRestarted);
  EXPECT_NE(server_.localIceUfrag(), serverUfrag);  // the answer must carry new credentials
  EXPECT_EQ(server_.remoteIceUfrag(), client_.localIceUfrag());
  ASSERT_TRUE(loop_.runUntil([&] { return !server_.localCandidates().empty(); }, 5s));
  const auto answer = overTheWire(describe(server_, serverSetup_, true, false), SdpType::Answer);
  auto atClient = applyRemoteDescription(client_, answer, SdpType::Answer, SetupRole::ActPass);
  ASSERT_TRUE(atClient.has_value()) << atClient.error();
  EXPECT_TRUE(atClient->iceRestarted);
  EXPECT_EQ(client_.remoteIceUfrag(), server_.localIceUfrag());
  ASSERT_TRUE(connected());
}

TEST_F(Negotiation, DescriptionWithoutUsableSectionOrFingerprintIsRefused) {
  auto offer = describe(client_, SetupRole::ActPass, true, false);
  offer.media[0].transport.fingerprints.clear();
  auto noFingerprint = applyRemoteDescription(server_, offer, SdpType::Offer, SetupRole::Passive);
  ASSERT_FALSE(noFingerprint.has_value());
  EXPECT_NE(noFingerprint.error().find("fingerprint"), std::string::npos) << noFingerprint.error();
  EXPECT_TRUE(server_.remoteIceUfrag().empty());  // nothing was applied

  offer = describe(client_, SetupRole::ActPass, true, false);
  offer.media[0].port = 0;
  auto rejected = applyRemoteDescription(server_, offer, SdpType::Offer, SetupRole::Passive);
  ASSERT_FALSE(rejected.has_value());
  EXPECT_NE(rejected.error().find("no usable section"), std::string::npos) << rejected.error();
}
