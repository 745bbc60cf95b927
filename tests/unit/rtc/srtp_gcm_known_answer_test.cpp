// Known answers for AEAD_AES_128_GCM and AEAD_AES_256_GCM (RFC 7714),
// independent of libsrtp. RFC 7714's vectors (§16, §17) are stated with
// session keys, which the public API never takes, so the check is in two
// steps: the test's own construction of an SRTP and SRTCP packet, with
// OpenSSL's AES-GCM directly, must give the RFC's packets from the RFC's
// session key and salt; then a session made from a master key must protect
// exactly as that construction does with the session keys the RFC 3711 PRF
// derives (RFC 7714 §11: the 96-bit master salt, padded with zeros, as
// libsrtp and browsers do). For both implementations.
#include "rtc/srtp_session.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

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

Bytes join(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// RFC 7714 §16: the session key 00..0f (00..1f for AES-256), the salt
// "Quid pro quo", and the RTP packet all the RTP examples use.
const Bytes kKey128 = hex("000102030405060708090a0b0c0d0e0f");
const Bytes kKey256 = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const Bytes kSalt = hex("517569642070726f2071756f");
const Bytes kRtp =
    hex("8040f17b8041f8d35501a0b247616c6c696120657374206f6d6e69732064697669736120696e207061727465732074726573");
// §16.1.1 and §16.2.1, "Encrypted and tagged packet".
const Bytes kSrtp128 = hex(
    "8040f17b8041f8d35501a0b2f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b36de3adf8833899d7f27beb1"
    "6a9152cf765ee4390cce");
const Bytes kSrtp256 = hex(
    "8040f17b8041f8d35501a0b232b1de78a822fe12ef9f78fa332e33aab18012389a58e2f3b50b2a0276ffae0f1ba63799b87b7aa3db36dfff"
    "d6b0f9bb7878d7a76c13");
// §17: the sender report of SSRC "Mars" its subsections protect, at SRTCP
// index 0x5d4 (§17.1, §17.2 encrypted; §17.3 authenticated only).
const Bytes kRtcp =
    hex("81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef");
const Bytes kSrtcp128 = hex(
    "81c8000d4d61727363e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1730d6fda4ce09b4686303ded0bb9275bc84aa458"
    "96cf4d2fc5abf87245d9eade800005d4");
const Bytes kSrtcp256 = hex(
    "81c8000d4d617273d50ae4d1f5ce5d304ba297e47d470c282c3ece5dbffe0a50a2eaa5c1110555be8415f658c61de0476f1b6fad1d1eb30c"
    "4446839f57ff6f6cb26ac3be800005d4");
const Bytes kSrtcp128TagOnly = hex(
    "81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef841dd968"
    "3dd78ec92ae58790125f62b3000005d4");
constexpr uint32_t kRfcSrtcpIndex = 0x5d4;

// AES-GCM with a 16-byte tag: ciphertext || tag.
Bytes gcmSeal(const Bytes& key, const Bytes& iv, const Bytes& aad, const Bytes& plain) {
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  const EVP_CIPHER* cipher = key.size() == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
  Bytes out(plain.size() + 16);
  int n = 0;
  EXPECT_EQ(EVP_EncryptInit_ex(c, cipher, nullptr, key.data(), iv.data()), 1);
  EXPECT_EQ(EVP_EncryptUpdate(c, nullptr, &n, aad.data(), static_cast<int>(aad.size())), 1);
  if (!plain.empty()) {
    EXPECT_EQ(EVP_EncryptUpdate(c, out.data(), &n, plain.data(), static_cast<int>(plain.size())), 1);
  }
  EXPECT_EQ(EVP_EncryptFinal_ex(c, out.data() + plain.size(), &n), 1);
  EXPECT_EQ(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out.data() + plain.size()), 1);
  EVP_CIPHER_CTX_free(c);
  return out;
}

void xorInto(Bytes& iv, size_t at, uint64_t value, size_t width) {
  for (size_t i = 0; i < width; ++i) iv[at + i] ^= static_cast<uint8_t>(value >> (8 * (width - 1 - i)));
}

// RFC 7714 §8: IV = (00 00 || SSRC || ROC || SEQ) ⊕ salt; the header is the
// associated data, the payload is encrypted.
Bytes buildSrtp(const Bytes& key, const Bytes& salt, const Bytes& rtp, uint32_t roc) {
  Bytes iv = salt;
  xorInto(iv, 2, (uint64_t{rtp[8]} << 24) | (rtp[9] << 16) | (rtp[10] << 8) | rtp[11], 4);
  xorInto(iv, 6, roc, 4);
  xorInto(iv, 10, (rtp[2] << 8) | rtp[3], 2);
  const Bytes header(rtp.begin(), rtp.begin() + 12);
  return join(header, gcmSeal(key, iv, header, Bytes(rtp.begin() + 12, rtp.end())));
}

// RFC 7714 §9: IV = (00 00 || SSRC || 00 00 || 0 || index) ⊕ salt; the
// associated data is the first 8 bytes and E || index (everything, when not
// encrypted); the trailer after the tag is E || index.
Bytes buildSrtcp(const Bytes& key, const Bytes& salt, const Bytes& rtcp, uint32_t index, bool encrypt) {
  Bytes iv = salt;
  xorInto(iv, 2, (uint64_t{rtcp[4]} << 24) | (rtcp[5] << 16) | (rtcp[6] << 8) | rtcp[7], 4);
  xorInto(iv, 8, index, 4);
  const uint32_t word = (encrypt ? 0x80000000U : 0) | index;
  const Bytes trailer = {static_cast<uint8_t>(word >> 24), static_cast<uint8_t>(word >> 16),
                         static_cast<uint8_t>(word >> 8), static_cast<uint8_t>(word)};
  if (!encrypt) return join(join(rtcp, gcmSeal(key, iv, join(rtcp, trailer), {})), trailer);
  const Bytes header(rtcp.begin(), rtcp.begin() + 8);
  return join(join(header, gcmSeal(key, iv, join(header, trailer), Bytes(rtcp.begin() + 8, rtcp.end()))), trailer);
}

// The RFC 3711 AES-CM PRF (kdr 0) under `masterKey`: keystream from
// IV = (master salt, padded to 14 bytes) ⊕ label at byte 7.
Bytes prf(const Bytes& masterKey, const Bytes& masterSalt, uint8_t label, size_t length) {
  Bytes iv = masterSalt;
  iv.resize(16, 0);
  iv[7] ^= label;
  Bytes out(length, 0);
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  int n = 0;
  EXPECT_EQ(EVP_EncryptInit_ex(c, masterKey.size() == 16 ? EVP_aes_128_ctr() : EVP_aes_256_ctr(), nullptr,
                               masterKey.data(), iv.data()),
            1);
  EXPECT_EQ(EVP_EncryptUpdate(c, out.data(), &n, out.data(), static_cast<int>(out.size())), 1);
  EVP_CIPHER_CTX_free(c);
  return out;
}

struct Case {
  SrtpImplementation implementation;
  SrtpProfile profile;
};

class SrtpGcmKnownAnswer : public ::testing::TestWithParam<Case> {
 protected:
  size_t keyLength() const { return GetParam().profile == SrtpProfile::AeadAes128Gcm ? 16 : 32; }
  Bytes masterKey() const {
    Bytes k(keyLength());
    for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(0xE0 ^ (3 * i));
    return k;
  }
  Bytes masterSalt() const { return hex("0ec675ad498afeebb6960b3a"); }
  std::unique_ptr<SrtpSession> session() const {
    const Bytes keySalt = join(masterKey(), masterSalt());
    std::string error;
    auto s = SrtpSession::create({GetParam().profile, keySalt, keySalt}, error, GetParam().implementation);
    EXPECT_TRUE(s) << error;
    return s;
  }
};

}  // namespace

TEST(SrtpGcmConstruction, GivesRfc7714sPackets) {
  EXPECT_EQ(buildSrtp(kKey128, kSalt, kRtp, 0), kSrtp128);
  EXPECT_EQ(buildSrtp(kKey256, kSalt, kRtp, 0), kSrtp256);
  EXPECT_EQ(buildSrtcp(kKey128, kSalt, kRtcp, kRfcSrtcpIndex, true), kSrtcp128);
  EXPECT_EQ(buildSrtcp(kKey256, kSalt, kRtcp, kRfcSrtcpIndex, true), kSrtcp256);
  EXPECT_EQ(buildSrtcp(kKey128, kSalt, kRtcp, kRfcSrtcpIndex, false), kSrtcp128TagOnly);
}

TEST_P(SrtpGcmKnownAnswer, RtpIsRfc7714sConstructionWithTheDerivedKeys) {
  auto s = session();
  ASSERT_TRUE(s);
  Bytes buffer = kRtp;
  buffer.resize(kRtp.size() + kSrtpMaxTrailer);
  size_t length = kRtp.size();
  ASSERT_EQ(s->protectRtp(buffer, length), SrtpStatus::Ok);
  const Bytes key = prf(masterKey(), masterSalt(), 0, keyLength());
  const Bytes salt = prf(masterKey(), masterSalt(), 2, 12);
  EXPECT_EQ(Bytes(buffer.begin(), buffer.begin() + static_cast<long>(length)), buildSrtp(key, salt, kRtp, 0));
}

TEST_P(SrtpGcmKnownAnswer, RtcpIsRfc7714sConstructionWithTheDerivedKeys) {
  auto s = session();
  ASSERT_TRUE(s);
  const Bytes key = prf(masterKey(), masterSalt(), 3, keyLength());
  const Bytes salt = prf(masterKey(), masterSalt(), 5, 12);
  for (uint32_t index = 1; index <= 2; ++index) {  // SRTCP indexes count from 1
    Bytes buffer = kRtcp;
    buffer.resize(kRtcp.size() + kSrtpMaxTrailer);
    size_t length = kRtcp.size();
    ASSERT_EQ(s->protectRtcp(buffer, length), SrtpStatus::Ok);
    EXPECT_EQ(Bytes(buffer.begin(), buffer.begin() + static_cast<long>(length)),
              buildSrtcp(key, salt, kRtcp, index, true))
        << "index " << index;
  }
}

TEST_P(SrtpGcmKnownAnswer, UnprotectsTheConstructionsPackets) {
  // The receiving side of a session keyed the other way round reads what the
  // construction built with the sender's derived keys.
  auto s = session();
  ASSERT_TRUE(s);
  Bytes srtp =
      buildSrtp(prf(masterKey(), masterSalt(), 0, keyLength()), prf(masterKey(), masterSalt(), 2, 12), kRtp, 0);
  size_t length = srtp.size();
  ASSERT_EQ(s->unprotectRtp(srtp, length), SrtpStatus::Ok);
  EXPECT_EQ(Bytes(srtp.begin(), srtp.begin() + static_cast<long>(length)), kRtp);
  Bytes srtcp =
      buildSrtcp(prf(masterKey(), masterSalt(), 3, keyLength()), prf(masterKey(), masterSalt(), 5, 12), kRtcp, 7, true);
  length = srtcp.size();
  ASSERT_EQ(s->unprotectRtcp(srtcp, length), SrtpStatus::Ok);
  EXPECT_EQ(Bytes(srtcp.begin(), srtcp.begin() + static_cast<long>(length)), kRtcp);
}

INSTANTIATE_TEST_SUITE_P(Implementations, SrtpGcmKnownAnswer,
                         ::testing::Values(Case{SrtpImplementation::OpenSsl, SrtpProfile::AeadAes128Gcm},
                                           Case{SrtpImplementation::OpenSsl, SrtpProfile::AeadAes256Gcm},
                                           Case{SrtpImplementation::Libsrtp, SrtpProfile::AeadAes128Gcm},
                                           Case{SrtpImplementation::Libsrtp, SrtpProfile::AeadAes256Gcm}),
                         [](const auto& info) {
                           return std::string(srtpImplementationName(info.param.implementation)) +
                                  (info.param.profile == SrtpProfile::AeadAes128Gcm ? "_aes128" : "_aes256");
                         });
