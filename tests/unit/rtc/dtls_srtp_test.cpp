// Two DtlsTransports wired back to back in memory: handshake, fingerprint
// checks, SRTP keys that match across the pair, application data.
#include "rtc/dtls_transport.hpp"
#include "rtc/srtp_session.hpp"

#include <gtest/gtest.h>

#include <deque>

using namespace convox::rtc;

namespace {

struct Endpoint : DtlsTransportListener {
  std::deque<std::vector<uint8_t>> outbox;
  std::optional<SrtpKeys> keys;
  std::vector<std::string> data;
  std::string failure;
  size_t largestDatagram = 0;

  void onDtlsSend(std::span<const uint8_t> d) override {
    largestDatagram = std::max(largestDatagram, d.size());
    outbox.emplace_back(d.begin(), d.end());
  }
  void onDtlsConnected(const SrtpKeys& k) override { keys = k; }
  void onDtlsData(std::span<const uint8_t> d) override { data.emplace_back(d.begin(), d.end()); }
  void onDtlsFailed(const std::string& reason) override { failure = reason; }
  void onDtlsClosed() override {}
};

std::shared_ptr<const DtlsCertificate> makeCert() {
  std::string error;
  auto cert = DtlsCertificate::generate(error);
  EXPECT_TRUE(cert) << error;
  return cert;
}

// Moves datagrams between the two until both are quiet.
void pump(Endpoint& a, DtlsTransport& ta, Endpoint& b, DtlsTransport& tb) {
  for (int i = 0; i < 100 && (!a.outbox.empty() || !b.outbox.empty()); ++i) {
    while (!a.outbox.empty()) {
      auto d = std::move(a.outbox.front());
      a.outbox.pop_front();
      tb.receive(d);
    }
    while (!b.outbox.empty()) {
      auto d = std::move(b.outbox.front());
      b.outbox.pop_front();
      ta.receive(d);
    }
  }
}

struct Pair {
  Pair(std::vector<SrtpProfile> clientProfiles = {SrtpProfile::AeadAes128Gcm, SrtpProfile::Aes128CmHmacSha1_80},
       std::vector<SrtpProfile> serverProfiles = {SrtpProfile::AeadAes128Gcm, SrtpProfile::Aes128CmHmacSha1_80})
      : clientCert(makeCert()),
        serverCert(makeCert()),
        client(clientCert, clientSide, clientProfiles),
        server(serverCert, serverSide, serverProfiles) {}

  void connect() {
    ASSERT_TRUE(client.setRemoteFingerprint("sha-256", serverCert->fingerprintSha256()));
    ASSERT_TRUE(server.setRemoteFingerprint("sha-256", clientCert->fingerprintSha256()));
    server.start(DtlsRole::Server);
    client.start(DtlsRole::Client);
    pump(clientSide, client, serverSide, server);
  }

  std::shared_ptr<const DtlsCertificate> clientCert, serverCert;
  Endpoint clientSide, serverSide;
  DtlsTransport client, server;
};

std::vector<uint8_t> rtpPacket(uint16_t seq) {
  std::vector<uint8_t> p = {
      0x80, 111, static_cast<uint8_t>(seq >> 8), static_cast<uint8_t>(seq), 0, 0, 0x03, 0xC0, 0x11, 0x22, 0x33, 0x44};
  for (int i = 0; i < 48; ++i) p.push_back(static_cast<uint8_t>(i));
  return p;
}

}  // namespace

TEST(DtlsTransport, HandshakeExportsMatchingSrtpKeysGcmPreferred) {
  Pair pair;
  pair.connect();
  ASSERT_EQ(pair.client.state(), DtlsState::Connected) << pair.clientSide.failure;
  ASSERT_EQ(pair.server.state(), DtlsState::Connected) << pair.serverSide.failure;
  ASSERT_TRUE(pair.clientSide.keys && pair.serverSide.keys);
  EXPECT_EQ(pair.clientSide.keys->profile, SrtpProfile::AeadAes128Gcm);
  EXPECT_EQ(pair.clientSide.keys->localKeySalt, pair.serverSide.keys->remoteKeySalt);
  EXPECT_EQ(pair.clientSide.keys->remoteKeySalt, pair.serverSide.keys->localKeySalt);
  EXPECT_NE(pair.clientSide.keys->localKeySalt, pair.clientSide.keys->remoteKeySalt);
  EXPECT_LE(pair.clientSide.largestDatagram, 1200u);
  EXPECT_LE(pair.serverSide.largestDatagram, 1200u);
}

TEST(DtlsTransport, FallsBackToAesCmWhenThePeerOnlyOffersIt) {
  Pair pair({SrtpProfile::Aes128CmHmacSha1_80}, {SrtpProfile::AeadAes128Gcm, SrtpProfile::Aes128CmHmacSha1_80});
  pair.connect();
  ASSERT_TRUE(pair.serverSide.keys);
  EXPECT_EQ(pair.serverSide.keys->profile, SrtpProfile::Aes128CmHmacSha1_80);
}

TEST(DtlsTransport, WrongFingerprintFailsTheHandshake) {
  Pair pair;
  const auto other = makeCert();
  ASSERT_TRUE(pair.client.setRemoteFingerprint("sha-256", other->fingerprintSha256()));
  ASSERT_TRUE(pair.server.setRemoteFingerprint("sha-256", pair.clientCert->fingerprintSha256()));
  pair.server.start(DtlsRole::Server);
  pair.client.start(DtlsRole::Client);
  pump(pair.clientSide, pair.client, pair.serverSide, pair.server);
  EXPECT_EQ(pair.client.state(), DtlsState::Failed);
  EXPECT_NE(pair.clientSide.failure.find("fingerprint"), std::string::npos);
}

TEST(DtlsTransport, RejectsNonSha256AndMalformedFingerprints) {
  Pair pair;
  EXPECT_FALSE(pair.client.setRemoteFingerprint("sha-1", "AB:CD"));
  EXPECT_FALSE(pair.client.setRemoteFingerprint("sha-256", "not hex"));
  EXPECT_FALSE(pair.client.setRemoteFingerprint("sha-256", "AB:CD"));
}

TEST(DtlsTransport, ApplicationDataFlowsBothWays) {
  Pair pair;
  pair.connect();
  const std::string hello = "hello over dtls";
  ASSERT_TRUE(pair.client.send({reinterpret_cast<const uint8_t*>(hello.data()), hello.size()}));
  ASSERT_TRUE(pair.server.send({reinterpret_cast<const uint8_t*>("back"), 4}));
  pump(pair.clientSide, pair.client, pair.serverSide, pair.server);
  ASSERT_EQ(pair.serverSide.data.size(), 1u);
  EXPECT_EQ(pair.serverSide.data[0], hello);
  ASSERT_EQ(pair.clientSide.data.size(), 1u);
  EXPECT_EQ(pair.clientSide.data[0], "back");
}

TEST(DtlsTransport, GarbageDatagramsDoNotBreakAnEstablishedSession) {
  Pair pair;
  pair.connect();
  std::vector<uint8_t> junk(100, 23);
  pair.server.receive(junk);
  EXPECT_EQ(pair.server.state(), DtlsState::Connected);
  ASSERT_TRUE(pair.client.send({reinterpret_cast<const uint8_t*>("x"), 1}));
  pump(pair.clientSide, pair.client, pair.serverSide, pair.server);
  EXPECT_EQ(pair.serverSide.data.size(), 1u);
}

class SrtpAcrossDtls : public ::testing::TestWithParam<SrtpProfile> {};

TEST_P(SrtpAcrossDtls, ProtectOnOneSideUnprotectOnTheOther) {
  Pair pair({GetParam()}, {GetParam()});
  pair.connect();
  ASSERT_TRUE(pair.clientSide.keys && pair.serverSide.keys);
  std::string error;
  auto sender = SrtpSession::create(*pair.clientSide.keys, error);
  ASSERT_TRUE(sender) << error;
  auto receiver = SrtpSession::create(*pair.serverSide.keys, error);
  ASSERT_TRUE(receiver) << error;

  const auto plain = rtpPacket(1000);
  std::vector<uint8_t> buf(plain.size() + kSrtpMaxTrailer);
  std::copy(plain.begin(), plain.end(), buf.begin());
  size_t len = plain.size();
  ASSERT_EQ(sender->protectRtp(buf, len), SrtpStatus::Ok);
  EXPECT_GT(len, plain.size());
  EXPECT_NE(std::vector<uint8_t>(buf.begin() + 12, buf.begin() + static_cast<long>(plain.size())),
            std::vector<uint8_t>(plain.begin() + 12, plain.end()));
  auto copy = buf;
  size_t copyLen = len;
  ASSERT_EQ(receiver->unprotectRtp(buf, len), SrtpStatus::Ok);
  EXPECT_EQ(len, plain.size());
  EXPECT_EQ(std::vector<uint8_t>(buf.begin(), buf.begin() + static_cast<long>(len)), plain);

  // Replay protection is on.
  EXPECT_EQ(receiver->unprotectRtp(copy, copyLen), SrtpStatus::ReplayDuplicate);

  // A flipped bit fails authentication.
  auto tampered = rtpPacket(1001);
  std::vector<uint8_t> tbuf(tampered.size() + kSrtpMaxTrailer);
  std::copy(tampered.begin(), tampered.end(), tbuf.begin());
  size_t tlen = tampered.size();
  ASSERT_EQ(sender->protectRtp(tbuf, tlen), SrtpStatus::Ok);
  tbuf[20] ^= 1;
  EXPECT_EQ(receiver->unprotectRtp(tbuf, tlen), SrtpStatus::AuthFailed);

  // RTCP (a receiver report) the other way.
  std::vector<uint8_t> rr = {0x80, 201, 0, 1, 0xAA, 0xBB, 0xCC, 0xDD};
  std::vector<uint8_t> rbuf(rr.size() + kSrtpMaxTrailer);
  std::copy(rr.begin(), rr.end(), rbuf.begin());
  size_t rlen = rr.size();
  ASSERT_EQ(receiver->protectRtcp(rbuf, rlen), SrtpStatus::Ok);
  ASSERT_EQ(sender->unprotectRtcp(rbuf, rlen), SrtpStatus::Ok);
  EXPECT_EQ(std::vector<uint8_t>(rbuf.begin(), rbuf.begin() + static_cast<long>(rlen)), rr);
}

TEST_P(SrtpAcrossDtls, ProtectNeedsRoomForTheTag) {
  Pair pair({GetParam()}, {GetParam()});
  pair.connect();
  std::string error;
  auto sender = SrtpSession::create(*pair.clientSide.keys, error);
  auto plain = rtpPacket(5);
  size_t len = plain.size();
  EXPECT_EQ(sender->protectRtp(plain, len), SrtpStatus::NoRoom);
}

INSTANTIATE_TEST_SUITE_P(Profiles, SrtpAcrossDtls,
                         ::testing::Values(SrtpProfile::AeadAes128Gcm, SrtpProfile::Aes128CmHmacSha1_80),
                         [](const auto& info) {
                           return info.param == SrtpProfile::AeadAes128Gcm ? std::string("Gcm") : std::string("AesCm");
                         });

TEST(SrtpKeys, SplitFollowsRfc5764Layout) {
  std::vector<uint8_t> m(2 * (16 + 12));
  for (size_t i = 0; i < m.size(); ++i) m[i] = static_cast<uint8_t>(i);
  const auto client = splitDtlsSrtpKeyingMaterial(SrtpProfile::AeadAes128Gcm, m, true);
  // client key = bytes 0..15, client salt = bytes 32..43
  EXPECT_EQ(client.localKeySalt.front(), 0);
  EXPECT_EQ(client.localKeySalt[16], 32);
  // server key = 16..31, server salt = 44..55
  EXPECT_EQ(client.remoteKeySalt.front(), 16);
  EXPECT_EQ(client.remoteKeySalt[16], 44);
  const auto server = splitDtlsSrtpKeyingMaterial(SrtpProfile::AeadAes128Gcm, m, false);
  EXPECT_EQ(server.localKeySalt, client.remoteKeySalt);
}
