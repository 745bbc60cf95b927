// Known answers for AES_CM_128_HMAC_SHA1_80, independent of libsrtp (the
// oracle of srtp_oracle_test.cpp): NIST's SRTP KDF validation vector (CAVS
// 12.0, AES-128, COUNT = 0, key derivation rate 0) gives the SRTP session
// keys a master key and salt must derive to. An RTP and an RTCP packet
// protected through the public API with that master key must equal what
// RFC 3711 builds from the session keys, computed here with OpenSSL
// directly: AES-128 counter mode from IV = k_s·2^16 ⊕ SSRC·2^64 ⊕ index·2^16
// (§4.1.1), then HMAC-SHA1 over the packet (and the ROC, for RTP)
// truncated to 80 bits (§4.2). For both implementations, so each is held
// to the RFC and not just to the other.
//
// NIST's SRTCP session keys are not usable as they stand: CAVS takes r as
// the 32-bit SRTCP index, which puts the label two bytes further right in
// the PRF's input than RFC 3711's 48-bit r does, where libsrtp, browsers
// and we put it (the test below shows that). The SRTCP keys here come from
// the test's own PRF, checked against NIST's SRTP keys.
#include "rtc/srtp_session.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <vector>

using namespace convox::rtc;
using Bytes = std::vector<uint8_t>;

namespace {

Bytes hex(std::string_view text) {
  Bytes out;
  for (size_t i = 0; i + 1 < text.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
  return out;
}

// NIST CAVS 12.0 SRTP KDF, [AES-128] COUNT = 0 (kdr 0: the index plays no part).
const Bytes kMasterKey = hex("c4809f6d369888728e26adb532129890");
const Bytes kMasterSalt = hex("0e23006c6c044f5662400e9d1bd6");
const Bytes kRtpKe = hex("dc382192ab65108a86b259b61b3af46f");
const Bytes kRtpKa = hex("b83937fb321792ee87b788193be5a4e3bd326ee4");
const Bytes kRtpKs = hex("f1c035c00b5a54a61692c016276c");
const Bytes kRtcpKe = hex("ab5be0b456235dcf77d5086929bafb38");
const Bytes kRtcpKa = hex("c52fde0b80b0f0bad8d15645cb86e7c7c3d8770e");
const Bytes kRtcpKs = hex("deb5f85f81336a965ed32bb7ede8");

// IV = salt·2^16 ⊕ ssrc·2^64 ⊕ index·2^16, as 16 bytes.
Bytes counterIv(const Bytes& salt, uint32_t ssrc, uint64_t index) {
  Bytes iv(16, 0);
  std::copy(salt.begin(), salt.end(), iv.begin());
  for (int i = 0; i < 4; ++i) iv[4 + i] ^= static_cast<uint8_t>(ssrc >> (24 - 8 * i));
  for (int i = 0; i < 6; ++i) iv[8 + i] ^= static_cast<uint8_t>(index >> (40 - 8 * i));
  return iv;
}

void aesCtr(const Bytes& key, const Bytes& iv, uint8_t* data, size_t size) {
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  int n = 0;
  ASSERT_EQ(EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), nullptr, key.data(), iv.data()), 1);
  ASSERT_EQ(EVP_EncryptUpdate(c, data, &n, data, static_cast<int>(size)), 1);
  EVP_CIPHER_CTX_free(c);
}

Bytes hmac80(const Bytes& key, const Bytes& message) {
  unsigned char digest[20];
  unsigned int length = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), message.data(), message.size(), digest, &length);
  return Bytes(digest, digest + 10);
}

// The AES-CM PRF with a key derivation rate of 0 (RFC 3711 §4.3.1, 4.3.3):
// keystream under the master key from IV = master salt ⊕ label at byte `at`.
Bytes prf(uint8_t label, size_t length, size_t at = 7) {
  Bytes iv = kMasterSalt;
  iv.resize(16, 0);
  iv[at] ^= label;
  Bytes out(length, 0);
  aesCtr(kMasterKey, iv, out.data(), out.size());
  return out;
}

std::unique_ptr<SrtpSession> sessionWithNistKeys(SrtpImplementation implementation) {
  Bytes keySalt = kMasterKey;
  keySalt.insert(keySalt.end(), kMasterSalt.begin(), kMasterSalt.end());
  std::string error;
  auto session = SrtpSession::create({SrtpProfile::Aes128CmHmacSha1_80, keySalt, keySalt}, error, implementation);
  EXPECT_TRUE(session) << error;
  return session;
}

class SrtpKnownAnswer : public ::testing::TestWithParam<SrtpImplementation> {};

}  // namespace

TEST(SrtpKeyDerivation, TheTestsPrfGivesNistsKeys) {
  EXPECT_EQ(prf(0, 16), kRtpKe);
  EXPECT_EQ(prf(1, 20), kRtpKa);
  EXPECT_EQ(prf(2, 14), kRtpKs);
  // NIST's SRTCP keys: the label at byte 9 (a 32-bit r), not RFC 3711's byte 7.
  EXPECT_EQ(prf(3, 16, 9), kRtcpKe);
  EXPECT_EQ(prf(4, 20, 9), kRtcpKa);
  EXPECT_EQ(prf(5, 14, 9), kRtcpKs);
  EXPECT_NE(prf(3, 16), kRtcpKe);
}

TEST_P(SrtpKnownAnswer, RtpIsWhatRfc3711BuildsFromNistsSessionKeys) {
  auto session = sessionWithNistKeys(GetParam());
  ASSERT_TRUE(session);
  // Sequence number 0x1234, timestamp 0xdecafbad, SSRC 0xcafebabe, 24 payload bytes.
  const Bytes plain = hex("80001234decafbadcafebabe000102030405060708090a0b0c0d0e0f1011121314151617");
  Bytes buffer = plain;
  buffer.resize(plain.size() + kSrtpMaxTrailer);
  size_t length = plain.size();
  ASSERT_EQ(session->protectRtp(buffer, length), SrtpStatus::Ok);
  ASSERT_EQ(length, plain.size() + 10);

  Bytes expected = plain;
  aesCtr(kRtpKe, counterIv(kRtpKs, 0xcafebabe, 0x1234), expected.data() + 12, expected.size() - 12);
  Bytes authenticated = expected;
  authenticated.insert(authenticated.end(), {0, 0, 0, 0});  // ROC 0
  const Bytes tag = hmac80(kRtpKa, authenticated);
  expected.insert(expected.end(), tag.begin(), tag.end());
  EXPECT_EQ(Bytes(buffer.begin(), buffer.begin() + static_cast<long>(length)), expected);
}

TEST_P(SrtpKnownAnswer, RtcpIsWhatRfc3711BuildsFromTheDerivedSessionKeys) {
  auto session = sessionWithNistKeys(GetParam());
  ASSERT_TRUE(session);
  // A receiver report from SSRC 0x0badcafe with one report block.
  const Bytes plain = hex("81c900070badcafe11223344000000010000abcd000000120000000000000000");
  ASSERT_EQ(plain.size(), 32u);
  Bytes buffer = plain;
  buffer.resize(plain.size() + kSrtpMaxTrailer);
  size_t length = plain.size();
  ASSERT_EQ(session->protectRtcp(buffer, length), SrtpStatus::Ok);
  ASSERT_EQ(length, plain.size() + 4 + 10);

  // The first SRTCP index is 1; E set. Header (8 bytes) in the clear.
  Bytes expected = plain;
  aesCtr(prf(3, 16), counterIv(prf(5, 14), 0x0badcafe, 1), expected.data() + 8, expected.size() - 8);
  expected.insert(expected.end(), {0x80, 0, 0, 1});
  const Bytes tag = hmac80(prf(4, 20), expected);
  expected.insert(expected.end(), tag.begin(), tag.end());
  EXPECT_EQ(Bytes(buffer.begin(), buffer.begin() + static_cast<long>(length)), expected);
}

INSTANTIATE_TEST_SUITE_P(Implementations, SrtpKnownAnswer,
                         ::testing::Values(SrtpImplementation::OpenSsl, SrtpImplementation::Libsrtp),
                         [](const auto& info) { return std::string(srtpImplementationName(info.param)); });
