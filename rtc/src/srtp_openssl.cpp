// SrtpSession on OpenSSL's EVP ciphers: AES_CM_128_HMAC_SHA1_80 (RFC 3711)
// and AEAD_AES_128_GCM / AEAD_AES_256_GCM (RFC 7714). Every cipher and MAC
// context is keyed once per session; a packet only sets its IV.
#include "hmac_sha1.hpp"
#include "srtp_backends.hpp"
#include "srtp_replay.hpp"
#include "ssrc_table.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>

namespace convox::rtc::detail {

namespace {

constexpr size_t kHmacTagLength = 10;  // HMAC-SHA1 truncated to 80 bits
constexpr size_t kGcmTagLength = 16;
constexpr size_t kSrtcpIndexLength = 4;  // E flag and 31-bit index
constexpr uint32_t kSrtcpEncrypted = 0x80000000U;
constexpr uint32_t kMaxSrtcpIndex = 0x7FFFFFFFU;
// Streams are created only for packets that authenticated; the cap bounds
// what a keyed but hostile peer can make us keep. At the inbound cap the
// stream heard from least recently makes room (a long call that keeps
// changing SSRCs goes on); its replay window goes with it, so should that
// SSRC come back, its packets are a new stream's. Outbound streams are never
// evicted: a stream made again would restart its rollover and SRTCP counters
// and so reuse the keystream (the GCM nonce) of packets already sent. At the
// outbound cap protect() refuses.
constexpr size_t kMaxInboundStreams = 2048;
constexpr size_t kMaxOutboundStreams = 8192;

// RFC 3711 §4.3.1 key derivation labels.
enum Label : uint8_t {
  kRtpEncryption = 0,
  kRtpAuthentication = 1,
  kRtpSalt = 2,
  kRtcpEncryption = 3,
  kRtcpAuthentication = 4,
  kRtcpSalt = 5,
};

uint32_t read32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
void write32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
void xorInto(uint8_t* dst, uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i, value >>= 8) dst[i] ^= static_cast<uint8_t>(value);
}

// The fixed header, CSRCs and extension: 0 if they run past `length`.
size_t rtpHeaderLength(const uint8_t* p, size_t length) {
  size_t h = 12 + 4 * size_t{p[0] & 0x0FU};
  if (p[0] & 0x10U) {
    if (h + 4 > length) return 0;
    h += 4 + 4 * ((size_t{p[h + 2]} << 8) | p[h + 3]);
  }
  return h <= length ? h : 0;
}

struct CipherContext {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  CipherContext() = default;
  CipherContext(const CipherContext&) = delete;
  CipherContext& operator=(const CipherContext&) = delete;
  ~CipherContext() { EVP_CIPHER_CTX_free(ctx); }
};

const EVP_CIPHER* ctrCipher(size_t keyLength) { return keyLength == 32 ? EVP_aes_256_ctr() : EVP_aes_128_ctr(); }
const EVP_CIPHER* gcmCipher(size_t keyLength) { return keyLength == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm(); }

// The AES-CM PRF with a key derivation rate of 0: the label XORed into the
// (zero-padded) master salt at byte 7, keystream from that IV.
bool derive(std::span<const uint8_t> masterKey, std::span<const uint8_t> masterSalt, uint8_t label,
            std::span<uint8_t> out) {
  std::array<uint8_t, 16> iv{};
  std::copy(masterSalt.begin(), masterSalt.end(), iv.begin());
  iv[7] ^= label;
  const std::array<uint8_t, 32> zeros{};
  CipherContext prf;
  int n = 0;
  return prf.ctx && out.size() <= zeros.size() &&
         EVP_EncryptInit_ex(prf.ctx, ctrCipher(masterKey.size()), nullptr, masterKey.data(), iv.data()) == 1 &&
         EVP_EncryptUpdate(prf.ctx, out.data(), &n, zeros.data(), static_cast<int>(out.size())) == 1;
}

// One direction (protect or unprotect) of RTP or RTCP, keyed.
struct Keyed {
  Keyed() = default;
  Keyed(const Keyed&) = delete;
  Keyed& operator=(const Keyed&) = delete;
  ~Keyed() { OPENSSL_cleanse(salt.data(), salt.size()); }
  CipherContext cipher;
  HmacSha1 mac;                    // AES-CM only
  std::array<uint8_t, 14> salt{};  // 14 bytes for AES-CM, the first 12 for GCM
};

struct Stream {
  RtpStreamIndex rtp;
  RtcpReplayWindow rtcp;   // inbound
  uint32_t rtcpSent = 0;   // outbound: the last SRTCP index used
  uint64_t lastHeard = 0;  // inbound: when it was last switched from or to (a count)
};

class OpenSslSrtpSession final : public SrtpSession {
 public:
  explicit OpenSslSrtpSession(SrtpProfile profile)
      : SrtpSession(profile), gcm_(profile != SrtpProfile::Aes128CmHmacSha1_80) {}

  bool init(const SrtpKeys& keys, std::string& error) {
    const size_t k = srtpKeyLength(keys.profile);
    auto setUp = [&](const std::vector<uint8_t>& keySalt, bool encrypt, bool rtcp, Keyed& out) {
      const std::span<const uint8_t> master(keySalt.data(), k);
      const std::span<const uint8_t> salt(keySalt.data() + k, keySalt.size() - k);
      std::array<uint8_t, 32> key{};
      const auto sessionKey = std::span<uint8_t>(key).first(k);
      const auto sessionSalt = std::span<uint8_t>(out.salt).first(gcm_ ? 12 : 14);
      if (!out.cipher.ctx || !derive(master, salt, rtcp ? kRtcpEncryption : kRtpEncryption, sessionKey) ||
          !derive(master, salt, rtcp ? kRtcpSalt : kRtpSalt, sessionSalt)) {
        return false;
      }
      bool ok = false;
      if (gcm_) {
        ok = EVP_CipherInit_ex(out.cipher.ctx, gcmCipher(k), nullptr, nullptr, nullptr, encrypt ? 1 : 0) == 1 &&
             EVP_CIPHER_CTX_ctrl(out.cipher.ctx, EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) == 1 &&
             EVP_CipherInit_ex(out.cipher.ctx, nullptr, nullptr, key.data(), nullptr, encrypt ? 1 : 0) == 1;
      } else {
        std::array<uint8_t, 20> authKey{};
        // Counter mode is its own inverse: both directions encrypt.
        ok = derive(master, salt, rtcp ? kRtcpAuthentication : kRtpAuthentication, authKey) &&
             EVP_EncryptInit_ex(out.cipher.ctx, EVP_aes_128_ctr(), nullptr, key.data(), nullptr) == 1;
        out.mac.setKey(authKey);
        OPENSSL_cleanse(authKey.data(), authKey.size());
      }
      OPENSSL_cleanse(key.data(), key.size());
      return ok;
    };
    if (!setUp(keys.localKeySalt, true, false, rtpOut_) || !setUp(keys.localKeySalt, true, true, rtcpOut_) ||
        !setUp(keys.remoteKeySalt, false, false, rtpIn_) || !setUp(keys.remoteKeySalt, false, true, rtcpIn_)) {
      error = "OpenSSL refused the SRTP session keys";
      return false;
    }
    return true;
  }

  SrtpStatus protectRtp(std::span<uint8_t> buffer, size_t& length) override {
    if (length < 12) return SrtpStatus::TooShort;
    if (buffer.size() < kSrtpMaxTrailer || length > buffer.size() - kSrtpMaxTrailer) return SrtpStatus::NoRoom;
    uint8_t* p = buffer.data();
    const size_t h = rtpHeaderLength(p, length);
    if (h == 0) return SrtpStatus::Malformed;
    Stream* stream = outbound(read32(p + 8));
    if (!stream) return SrtpStatus::TooManyStreams;
    const auto g = stream->rtp.guess(static_cast<uint16_t>((p[2] << 8) | p[3]));
    if (stream->rtp.check(g) == ReplayVerdict::Old) return SrtpStatus::ReplayOld;
    const auto roc = static_cast<uint32_t>(g.index >> 16);
    if (gcm_) {
      if (!gcm(rtpOut_, Gcm::Seal, rtpGcmIv(rtpOut_, p, roc), {{p, h}, {}}, {p + h, length - h}, p + length))
        return SrtpStatus::Error;
      length += kGcmTagLength;
    } else {
      if (!ctr(rtpOut_, rtpCtrIv(rtpOut_, p, g.index), {p + h, length - h})) return SrtpStatus::Error;
      std::array<uint8_t, 4> rocBytes{};
      write32(rocBytes.data(), roc);
      hmacTag(rtpOut_, {p, length}, rocBytes, p + length);
      length += kHmacTagLength;
    }
    stream->rtp.send(g);
    return SrtpStatus::Ok;
  }

  SrtpStatus unprotectRtp(std::span<uint8_t> buffer, size_t& length) override {
    if (length < 12 || length > buffer.size()) return SrtpStatus::TooShort;
    uint8_t* p = buffer.data();
    const size_t h = rtpHeaderLength(p, length);
    if (h == 0) return SrtpStatus::Malformed;
    const size_t tag = gcm_ ? kGcmTagLength : kHmacTagLength;
    if (length < h + tag) return SrtpStatus::TooShort;
    const uint32_t ssrc = read32(p + 8);
    Stream* known = inbound(ssrc);
    const Stream fresh;
    const auto g = (known ? known->rtp : fresh.rtp).guess(static_cast<uint16_t>((p[2] << 8) | p[3]));
    if (const auto verdict = (known ? known->rtp : fresh.rtp).check(g); verdict != ReplayVerdict::Fresh) {
      return verdict == ReplayVerdict::Duplicate ? SrtpStatus::ReplayDuplicate : SrtpStatus::ReplayOld;
    }
    const auto roc = static_cast<uint32_t>(g.index >> 16);
    const size_t body = length - h - tag;
    if (gcm_) {
      if (!gcm(rtpIn_, Gcm::Open, rtpGcmIv(rtpIn_, p, roc), {{p, h}, {}}, {p + h, body}, p + h + body)) {
        return SrtpStatus::AuthFailed;
      }
    } else {
      std::array<uint8_t, 4> rocBytes{};
      write32(rocBytes.data(), roc);
      std::array<uint8_t, kHmacTagLength> expected{};
      hmacTag(rtpIn_, {p, h + body}, rocBytes, expected.data());
      if (CRYPTO_memcmp(expected.data(), p + h + body, kHmacTagLength) != 0) return SrtpStatus::AuthFailed;
      if (!ctr(rtpIn_, rtpCtrIv(rtpIn_, p, g.index), {p + h, body})) return SrtpStatus::Error;
    }
    if (!known && !(known = addInbound(ssrc))) return SrtpStatus::TooManyStreams;
    known->rtp.accept(g);
    length = h + body;
    return SrtpStatus::Ok;
  }

  SrtpStatus protectRtcp(std::span<uint8_t> buffer, size_t& length) override {
    if (length < 8) return SrtpStatus::TooShort;
    if (buffer.size() < kSrtpMaxTrailer || length > buffer.size() - kSrtpMaxTrailer) return SrtpStatus::NoRoom;
    uint8_t* p = buffer.data();
    Stream* stream = outbound(read32(p + 4));
    if (!stream) return SrtpStatus::TooManyStreams;
    if (stream->rtcpSent >= kMaxSrtcpIndex) return SrtpStatus::Error;  // the keys are spent (RFC 3711 §9.2)
    const uint32_t index = ++stream->rtcpSent;
    std::array<uint8_t, kSrtcpIndexLength> trailer{};
    write32(trailer.data(), kSrtcpEncrypted | index);
    if (gcm_) {
      // header | ciphertext | tag | E+index, with the E+index word authenticated.
      if (!gcm(rtcpOut_, Gcm::Seal, rtcpGcmIv(rtcpOut_, p, index), {{p, 8}, trailer}, {p + 8, length - 8},
               p + length)) {
        return SrtpStatus::Error;
      }
      std::copy(trailer.begin(), trailer.end(), p + length + kGcmTagLength);
      length += kGcmTagLength + kSrtcpIndexLength;
    } else {
      // header | ciphertext | E+index | tag over all before it.
      if (!ctr(rtcpOut_, rtcpCtrIv(rtcpOut_, p, index), {p + 8, length - 8})) return SrtpStatus::Error;
      std::copy(trailer.begin(), trailer.end(), p + length);
      hmacTag(rtcpOut_, {p, length + kSrtcpIndexLength}, {}, p + length + kSrtcpIndexLength);
      length += kSrtcpIndexLength + kHmacTagLength;
    }
    return SrtpStatus::Ok;
  }

  SrtpStatus unprotectRtcp(std::span<uint8_t> buffer, size_t& length) override {
    if (length > buffer.size()) return SrtpStatus::TooShort;
    const size_t tag = gcm_ ? kGcmTagLength : kHmacTagLength;
    if (length < 8 + tag + kSrtcpIndexLength) return SrtpStatus::TooShort;
    uint8_t* p = buffer.data();
    const size_t body = length - 8 - tag - kSrtcpIndexLength;
    const uint8_t* trailerAt = gcm_ ? p + length - kSrtcpIndexLength : p + 8 + body;
    const uint32_t word = read32(trailerAt);
    const bool encrypted = (word & kSrtcpEncrypted) != 0;
    // RFC 3711 lets a sender leave SRTCP unencrypted; libsrtp refuses that
    // for AES-CM (whose policy encrypts) and authenticates it for GCM, and
    // so do we.
    if (!encrypted && !gcm_) return SrtpStatus::Unencrypted;
    const uint32_t index = word & kMaxSrtcpIndex;
    const uint32_t ssrc = read32(p + 4);
    Stream* known = inbound(ssrc);
    const RtcpReplayWindow fresh;
    if (const auto verdict = (known ? known->rtcp : fresh).check(index); verdict != ReplayVerdict::Fresh) {
      return verdict == ReplayVerdict::Duplicate ? SrtpStatus::ReplayDuplicate : SrtpStatus::ReplayOld;
    }
    if (gcm_) {
      std::array<uint8_t, kSrtcpIndexLength> trailer{};
      std::copy(trailerAt, trailerAt + kSrtcpIndexLength, trailer.begin());
      // Unencrypted (E = 0), the whole packet is authenticated data.
      const bool ok =
          encrypted
              ? gcm(rtcpIn_, Gcm::Open, rtcpGcmIv(rtcpIn_, p, index), {{p, 8}, trailer}, {p + 8, body}, p + 8 + body)
              : gcm(rtcpIn_, Gcm::Open, rtcpGcmIv(rtcpIn_, p, index), {{p, 8 + body}, trailer}, {}, p + 8 + body);
      if (!ok) return SrtpStatus::AuthFailed;
    } else {
      std::array<uint8_t, kHmacTagLength> expected{};
      hmacTag(rtcpIn_, {p, 8 + body + kSrtcpIndexLength}, {}, expected.data());
      if (CRYPTO_memcmp(expected.data(), p + length - kHmacTagLength, kHmacTagLength) != 0) {
        return SrtpStatus::AuthFailed;
      }
      if (!ctr(rtcpIn_, rtcpCtrIv(rtcpIn_, p, index), {p + 8, body})) return SrtpStatus::Error;
    }
    if (!known && !(known = addInbound(ssrc))) return SrtpStatus::TooManyStreams;
    known->rtcp.accept(index);
    length = 8 + body;
    return SrtpStatus::Ok;
  }

 private:
  using Iv = std::array<uint8_t, 16>;
  struct Aad {
    std::span<const uint8_t> first;
    std::span<const uint8_t> second;
  };

  // RFC 3711 §4.1.1: salt XOR SSRC·2^64 XOR index·2^16.
  static Iv rtpCtrIv(const Keyed& k, const uint8_t* p, uint64_t index) {
    Iv iv{};
    std::copy(k.salt.begin(), k.salt.end(), iv.begin());
    xorInto(iv.data() + 4, read32(p + 8), 4);
    xorInto(iv.data() + 8, index, 6);
    return iv;
  }
  static Iv rtcpCtrIv(const Keyed& k, const uint8_t* p, uint32_t index) {
    Iv iv{};
    std::copy(k.salt.begin(), k.salt.end(), iv.begin());
    xorInto(iv.data() + 4, read32(p + 4), 4);
    xorInto(iv.data() + 8, index, 6);
    return iv;
  }
  // RFC 7714 §8.1 and §9.1: 00 00 | SSRC | ROC | SEQ (or 00 00 | index) XOR salt.
  static Iv rtpGcmIv(const Keyed& k, const uint8_t* p, uint32_t roc) {
    Iv iv{};
    std::copy(k.salt.begin(), k.salt.begin() + 12, iv.begin());
    xorInto(iv.data() + 2, read32(p + 8), 4);
    xorInto(iv.data() + 6, roc, 4);
    xorInto(iv.data() + 10, static_cast<uint64_t>((p[2] << 8) | p[3]), 2);
    return iv;
  }
  static Iv rtcpGcmIv(const Keyed& k, const uint8_t* p, uint32_t index) {
    Iv iv{};
    std::copy(k.salt.begin(), k.salt.begin() + 12, iv.begin());
    xorInto(iv.data() + 2, read32(p + 4), 4);
    xorInto(iv.data() + 8, index, 4);
    return iv;
  }
  bool ctr(Keyed& k, const Iv& iv, std::span<uint8_t> data) {
    int n = 0;
    return EVP_EncryptInit_ex(k.cipher.ctx, nullptr, nullptr, nullptr, iv.data()) == 1 &&
           (data.empty() ||
            EVP_EncryptUpdate(k.cipher.ctx, data.data(), &n, data.data(), static_cast<int>(data.size())) == 1);
  }

  // Our HMAC on keyed SHA-1 states cannot fail: no error to report.
  static void hmacTag(const Keyed& k, std::span<const uint8_t> data, std::span<const uint8_t> suffix, uint8_t* tagOut) {
    std::array<uint8_t, HmacSha1::kDigestLength> full{};
    k.mac.digest(data, suffix, full.data());
    std::copy(full.begin(), full.begin() + kHmacTagLength, tagOut);
  }

  // AEAD in place (RFC 7714), one IV set per packet on the context keyed
  // once for its direction: a seal writes the tag to `tag`, an open checks
  // the one at `tag`.
  enum class Gcm { Seal, Open };
  static bool gcm(Keyed& k, Gcm op, const Iv& iv, const Aad& aad, std::span<uint8_t> data, uint8_t* tag) {
    EVP_CIPHER_CTX* c = k.cipher.ctx;
    int n = 0;
    const auto update = [&](std::span<const uint8_t> in, uint8_t* out) {
      return in.empty() || EVP_CipherUpdate(c, out, &n, in.data(), static_cast<int>(in.size())) == 1;
    };
    std::array<uint8_t, 16> tail{};
    const auto tagLength = static_cast<int>(kGcmTagLength);
    return EVP_CipherInit_ex(c, nullptr, nullptr, nullptr, iv.data(), -1) == 1 && update(aad.first, nullptr) &&
           update(aad.second, nullptr) && update(data, data.data()) &&
           (op == Gcm::Seal || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, tagLength, tag) == 1) &&
           EVP_CipherFinal_ex(c, tail.data(), &n) == 1 &&
           (op == Gcm::Open || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, tagLength, tag) == 1);
  }

  Stream* outbound(uint32_t ssrc) {
    if (lastOut_ && lastOutSsrc_ == ssrc) return lastOut_;
    Stream* stream = outbound_.find(ssrc);
    if (!stream) {
      if (outbound_.size() >= kMaxOutboundStreams) return nullptr;
      stream = &outbound_.emplace(ssrc);
    }
    lastOutSsrc_ = ssrc;
    return lastOut_ = stream;
  }
  Stream* inbound(uint32_t ssrc) {
    if (lastIn_ && lastInSsrc_ == ssrc) return lastIn_;
    Stream* stream = inbound_.find(ssrc);
    if (!stream) return nullptr;
    return switchInbound(ssrc, stream);
  }
  Stream* addInbound(uint32_t ssrc) {
    if (inbound_.size() >= kMaxInboundStreams) {
      const uint32_t oldest = inbound_.lowest([](const Stream& s) { return s.lastHeard; });
      if (lastIn_ && lastInSsrc_ == oldest) lastIn_ = nullptr;
      inbound_.erase(oldest);
    }
    return switchInbound(ssrc, &inbound_.emplace(ssrc));
  }
  // The stream packets come from changes: both are stamped, so a stream's
  // stamp is never older than its last packet before another's.
  Stream* switchInbound(uint32_t ssrc, Stream* stream) {
    if (lastIn_) lastIn_->lastHeard = ++inboundClock_;
    stream->lastHeard = ++inboundClock_;
    lastInSsrc_ = ssrc;
    return lastIn_ = stream;
  }

  bool gcm_;
  Keyed rtpOut_, rtcpOut_, rtpIn_, rtcpIn_;
  // A Stream's address holds while others are added.
  SsrcTable<Stream> outbound_, inbound_;
  Stream* lastOut_ = nullptr;
  Stream* lastIn_ = nullptr;
  uint32_t lastOutSsrc_ = 0;
  uint32_t lastInSsrc_ = 0;
  uint64_t inboundClock_ = 0;
};

}  // namespace

std::unique_ptr<SrtpSession> makeOpenSslSrtpSession(const SrtpKeys& keys, std::string& error) {
  auto session = std::make_unique<OpenSslSrtpSession>(keys.profile);
  if (!session->init(keys, error)) return nullptr;
  return session;
}

}  // namespace convox::rtc::detail
