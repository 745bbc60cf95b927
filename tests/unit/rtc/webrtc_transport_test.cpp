// Two full transport stacks on loopback: the client role (controlling ICE,
// DTLS client) against the server role (ICE-lite, DTLS server). SRTP media
// and data channels flow both ways, for each SRTP profile.
#include "rtc/webrtc_transport.hpp"
#include "rtc/udp_mux.hpp"

#include <gtest/gtest.h>

using namespace convox::rtc;
using namespace std::chrono_literals;

namespace {

struct Peer : WebRtcTransportListener {
  TransportState state = TransportState::New;
  std::string reason;
  std::vector<std::vector<uint8_t>> rtp, rtcp;
  std::map<uint16_t, std::string> channels;
  std::vector<std::string> messages;
  void onTransportState(TransportState s, const std::string& r) override {
    state = s;
    reason = r;
  }
  void onRtp(std::span<uint8_t> p) override { rtp.emplace_back(p.begin(), p.end()); }
  void onRtcp(std::span<uint8_t> p) override { rtcp.emplace_back(p.begin(), p.end()); }
  void onDataChannelOpen(uint16_t id, const std::string& label, const DataChannelOptions&) override {
    channels[id] = label;
  }
  void onDataChannelMessage(uint16_t, std::span<const uint8_t> d, bool) override {
    messages.emplace_back(d.begin(), d.end());
  }
};

std::shared_ptr<const DtlsCertificate> cert() {
  std::string error;
  return DtlsCertificate::generate(error);
}

WebRtcTransportSettings settings(IceRole role, std::vector<SrtpProfile> profiles) {
  WebRtcTransportSettings s;
  s.ice.role = role;
  s.ice.localAddresses = {"127.0.0.1"};
  s.certificate = cert();
  s.srtpProfiles = std::move(profiles);
  return s;
}

std::vector<uint8_t> rtpPacket(uint16_t seq, uint32_t ssrc) {
  std::vector<uint8_t> p = {0x80,
                            111,
                            static_cast<uint8_t>(seq >> 8),
                            static_cast<uint8_t>(seq),
                            0,
                            0,
                            0x10,
                            0x00,
                            static_cast<uint8_t>(ssrc >> 24),
                            static_cast<uint8_t>(ssrc >> 16),
                            static_cast<uint8_t>(ssrc >> 8),
                            static_cast<uint8_t>(ssrc)};
  for (int i = 0; i < 60; ++i) p.push_back(static_cast<uint8_t>(seq + i));
  return p;
}

// The server's ICE: a libnice agent of its own, or the media thread's shared UDP socket.
enum class ServerIce { Libnice, Mux };

struct PairParam {
  SrtpProfile profile;
  ServerIce ice;
};

class TransportPair : public ::testing::TestWithParam<PairParam> {
 protected:
  TransportPair()
      : server_(loop_, serverPeer_, serverSettings()),
        client_(loop_, clientPeer_, settings(IceRole::Controlling, {GetParam().profile})) {}

  WebRtcTransportSettings serverSettings() {
    auto s = settings(IceRole::Lite, {SrtpProfile::AeadAes128Gcm, SrtpProfile::Aes128CmHmacSha1_80});
    if (GetParam().ice == ServerIce::Mux) {
      std::string error;
      EXPECT_TRUE(mux_.open(SocketEndpoint::v4(127, 0, 0, 1, 0), error)) << error;
      s.ice.mux = &mux_;
    }
    return s;
  }

  void connect() {
    std::string error;
    ASSERT_TRUE(server_.start(error)) << error;
    ASSERT_TRUE(client_.start(error)) << error;
    // What SDP would carry: the client offers actpass, the server answers
    // passive, so the client is the DTLS client.
    RemoteTransportParameters toServer{client_.localIceUfrag(),    client_.localIcePassword(), "sha-256",
                                       client_.localFingerprint(), DtlsRole::Server,           true};
    RemoteTransportParameters toClient{server_.localIceUfrag(),    server_.localIcePassword(), "sha-256",
                                       server_.localFingerprint(), DtlsRole::Client,           true};
    ASSERT_TRUE(server_.setRemoteParameters(toServer, error)) << error;
    ASSERT_TRUE(client_.setRemoteParameters(toClient, error)) << error;
    ASSERT_TRUE(loop_.runUntil([&] { return !server_.localCandidates().empty(); }, 5s));
    for (const auto& c : server_.localCandidates()) client_.addRemoteCandidate(c);
    client_.remoteGatheringDone();
    ASSERT_TRUE(loop_.runUntil(
        [&] {
          return serverPeer_.state == TransportState::Connected && clientPeer_.state == TransportState::Connected;
        },
        10s))
        << "server: " << describe(serverPeer_.state) << " " << serverPeer_.reason
        << "; client: " << describe(clientPeer_.state) << " " << clientPeer_.reason;
  }

  EventLoop loop_;
  UdpMux mux_{loop_};
  Peer serverPeer_, clientPeer_;
  WebRtcTransport server_, client_;
};

}  // namespace

TEST_P(TransportPair, SrtpMediaFlowsBothWays) {
  connect();
  ASSERT_EQ(client_.srtpProfile(), GetParam().profile);
  for (uint16_t seq = 0; seq < 10; ++seq) {
    auto p = rtpPacket(seq, 0x1111);
    const size_t len = p.size();
    p.resize(len + kSrtpMaxTrailer);
    ASSERT_TRUE(client_.sendRtp(p, len));
  }
  auto back = rtpPacket(7, 0x2222);
  const size_t backLen = back.size();
  back.resize(backLen + kSrtpMaxTrailer);
  ASSERT_TRUE(server_.sendRtp(back, backLen));
  std::vector<uint8_t> rr = {0x81, 201, 0, 7, 0, 0, 0x22, 0x22, 0, 0, 0x11, 0x11, 0, 0, 0, 0,
                             0,    0,   0, 0, 0, 0, 0,    0,    0, 0, 0,    0,    0, 0, 0, 0};
  const size_t rrLen = rr.size();
  rr.resize(rrLen + kSrtpMaxTrailer);
  ASSERT_TRUE(server_.sendRtcp(rr, rrLen));

  ASSERT_TRUE(loop_.runUntil([&] { return serverPeer_.rtp.size() == 10 && clientPeer_.rtp.size() == 1; }, 5s));
  EXPECT_EQ(serverPeer_.rtp[3], rtpPacket(3, 0x1111));
  EXPECT_EQ(clientPeer_.rtp[0], rtpPacket(7, 0x2222));
  ASSERT_TRUE(loop_.runUntil([&] { return clientPeer_.rtcp.size() == 1; }, 5s));
  EXPECT_EQ(clientPeer_.rtcp[0].size(), rrLen);
  EXPECT_EQ(server_.counters().rtpReceived, 10u);
  EXPECT_EQ(server_.counters().srtpFailures, 0u);
}

// What a LiveKit client does when it resumes: its next offer carries new ICE
// credentials, the server restarts ICE, answers with new ones of its own, and
// the same DTLS/SRTP session carries media over the re-checked pair.
TEST_P(TransportPair, IceRestartKeepsTheSessionAndMediaFlows) {
  connect();
  const auto serverUfrag = server_.localIceUfrag();
  const auto clientUfrag = client_.localIceUfrag();
  std::string error;
  ASSERT_TRUE(client_.restartLocalIce(error)) << error;  // the client's new offer
  ASSERT_NE(client_.localIceUfrag(), clientUfrag);
  ASSERT_TRUE(server_.restartIce(client_.localIceUfrag(), client_.localIcePassword(), error)) << error;
  ASSERT_NE(server_.localIceUfrag(), serverUfrag);
  EXPECT_EQ(server_.remoteIceUfrag(), client_.localIceUfrag());
  ASSERT_TRUE(client_.setRemoteIceCredentials(server_.localIceUfrag(), server_.localIcePassword(), error)) << error;
  for (const auto& c : server_.localCandidates()) client_.addRemoteCandidate(c);
  client_.remoteGatheringDone();

  // Media sent after the restart arrives, and the transports stayed up.
  size_t sent = 0;
  ASSERT_TRUE(loop_.runUntil(
      [&] {
        auto p = rtpPacket(static_cast<uint16_t>(100 + sent), 0x3333);
        const size_t len = p.size();
        p.resize(len + kSrtpMaxTrailer);
        if (client_.sendRtp(p, len)) ++sent;
        return serverPeer_.rtp.size() >= 5;
      },
      10s));
  EXPECT_EQ(serverPeer_.state, TransportState::Connected) << serverPeer_.reason;
  EXPECT_EQ(clientPeer_.state, TransportState::Connected) << clientPeer_.reason;
  EXPECT_EQ(server_.counters().srtpFailures, 0u);
  // Running on a while longer, consent checks under the new credentials keep it up.
  loop_.runUntil([] { return false; }, 2s);
  EXPECT_EQ(serverPeer_.state, TransportState::Connected) << serverPeer_.reason;
  EXPECT_EQ(clientPeer_.state, TransportState::Connected) << clientPeer_.reason;
}

TEST_P(TransportPair, IceRestartBeforeNegotiationIsRefused) {
  std::string error;
  ASSERT_TRUE(server_.start(error)) << error;
  EXPECT_FALSE(server_.restartIce("ufrag", "passwordpasswordpassword", error));
  EXPECT_NE(error.find("before the first negotiation"), std::string::npos) << error;
}

TEST_P(TransportPair, DataChannelsOpenAndCarryMessages) {
  connect();
  std::optional<uint16_t> id;
  ASSERT_TRUE(loop_.runUntil([&] { return (id = client_.openDataChannel("_reliable", {})).has_value(); }, 5s));
  ASSERT_TRUE(loop_.runUntil([&] { return serverPeer_.channels.contains(*id); }, 5s));
  EXPECT_EQ(serverPeer_.channels[*id], "_reliable");
  const std::string text = "ping over sctp over dtls over ice";
  ASSERT_TRUE(client_.sendData(*id, {reinterpret_cast<const uint8_t*>(text.data()), text.size()}, false));
  ASSERT_TRUE(loop_.runUntil([&] { return !serverPeer_.messages.empty(); }, 5s));
  EXPECT_EQ(serverPeer_.messages[0], text);
  ASSERT_TRUE(server_.sendData(*id, {reinterpret_cast<const uint8_t*>("pong"), 4}, false));
  ASSERT_TRUE(loop_.runUntil([&] { return !clientPeer_.messages.empty(); }, 5s));
  EXPECT_EQ(clientPeer_.messages[0], "pong");
}

INSTANTIATE_TEST_SUITE_P(Profiles, TransportPair,
                         ::testing::Values(PairParam{SrtpProfile::AeadAes128Gcm, ServerIce::Libnice},
                                           PairParam{SrtpProfile::Aes128CmHmacSha1_80, ServerIce::Libnice},
                                           PairParam{SrtpProfile::AeadAes128Gcm, ServerIce::Mux},
                                           PairParam{SrtpProfile::Aes128CmHmacSha1_80, ServerIce::Mux}),
                         [](const auto& info) {
                           return std::string(info.param.profile == SrtpProfile::AeadAes128Gcm ? "Gcm" : "AesCm") +
                                  (info.param.ice == ServerIce::Mux ? "OnTheMux" : "OnLibnice");
                         });

namespace {

// Connects a lite server (settings given) with a libnice client on `loop`.
std::unique_ptr<WebRtcTransport> connectClient(EventLoop& loop, WebRtcTransport& server, Peer& serverPeer,
                                               Peer& clientPeer) {
  auto client =
      std::make_unique<WebRtcTransport>(loop, clientPeer, settings(IceRole::Controlling, {SrtpProfile::AeadAes128Gcm}));
  std::string error;
  EXPECT_TRUE(server.start(error)) << error;
  EXPECT_TRUE(client->start(error)) << error;
  EXPECT_TRUE(server.setRemoteParameters({client->localIceUfrag(), client->localIcePassword(), "sha-256",
                                          client->localFingerprint(), DtlsRole::Server, false},
                                         error));
  EXPECT_TRUE(client->setRemoteParameters({server.localIceUfrag(), server.localIcePassword(), "sha-256",
                                           server.localFingerprint(), DtlsRole::Client, false},
                                          error));
  EXPECT_TRUE(loop.runUntil([&] { return !server.localCandidates().empty(); }, 5s));
  for (const auto& c : server.localCandidates()) client->addRemoteCandidate(c);
  EXPECT_TRUE(loop.runUntil([&] { return serverPeer.state == TransportState::Connected; }, 10s));
  return client;
}

}  // namespace

TEST(WebRtcTransportLiveness, ServerNoticesAVanishedPeer) {
  EventLoop loop;
  Peer serverPeer, clientPeer;
  auto serverSettings = settings(IceRole::Lite, {SrtpProfile::AeadAes128Gcm});
  serverSettings.inactivityTimeout = std::chrono::milliseconds(1000);
  WebRtcTransport server(loop, serverPeer, serverSettings);
  auto client = connectClient(loop, server, serverPeer, clientPeer);
  ASSERT_EQ(serverPeer.state, TransportState::Connected);
  // While packets arrive the server stays connected...
  for (int i = 0; i < 15; ++i) {
    auto p = rtpPacket(static_cast<uint16_t>(i), 0x3333);
    const size_t len = p.size();
    p.resize(len + kSrtpMaxTrailer);
    client->sendRtp(p, len);
    loop.runFor(100ms);
  }
  EXPECT_EQ(serverPeer.state, TransportState::Connected);
  // ...and fails once the peer is gone.
  client.reset();
  ASSERT_TRUE(loop.runUntil([&] { return serverPeer.state == TransportState::Failed; }, 5s));
  EXPECT_NE(serverPeer.reason.find("nothing received"), std::string::npos) << serverPeer.reason;
}

// On the mux the same setting is the consent expiry: a peer whose checks
// stop fails after it (not the mux's default 30 s), from the mux's own
// timer rather than a second inactivity timer.
TEST(WebRtcTransportLiveness, OnTheMuxTheInactivityTimeoutIsTheConsentExpiry) {
  EventLoop loop;
  UdpMux mux(loop);
  std::string error;
  ASSERT_TRUE(mux.open(SocketEndpoint::v4(127, 0, 0, 1, 0), error)) << error;
  Peer serverPeer, clientPeer;
  auto serverSettings = settings(IceRole::Lite, {SrtpProfile::AeadAes128Gcm});
  serverSettings.ice.mux = &mux;
  serverSettings.inactivityTimeout = std::chrono::milliseconds(2000);
  WebRtcTransport server(loop, serverPeer, serverSettings);
  auto client = connectClient(loop, server, serverPeer, clientPeer);
  ASSERT_EQ(serverPeer.state, TransportState::Connected);
  client.reset();
  const auto gone = std::chrono::steady_clock::now();
  ASSERT_TRUE(loop.runUntil([&] { return serverPeer.state == TransportState::Failed; }, 6s));
  EXPECT_GE(std::chrono::steady_clock::now() - gone, 500ms);  // not at once: the last check still counted
  EXPECT_EQ(serverPeer.reason, "ICE failed");
}
