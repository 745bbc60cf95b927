#include "rtc/srtp_session.hpp"

#include <srtp2/srtp.h>

#include <mutex>

namespace convox::rtc {

namespace {

// libsrtp keeps global state; initialise it once per process.
bool ensureSrtpInitialised() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] { ok = srtp_init() == srtp_err_status_ok; });
  return ok;
}

SrtpStatus fromSrtp(srtp_err_status_t s) {
  switch (s) {
    case srtp_err_status_ok:
      return SrtpStatus::Ok;
    case srtp_err_status_replay_old:
      return SrtpStatus::ReplayOld;
    case srtp_err_status_replay_fail:
      return SrtpStatus::ReplayDuplicate;
    case srtp_err_status_auth_fail:
      return SrtpStatus::AuthFailed;
    case srtp_err_status_bad_param:
      return SrtpStatus::TooShort;
    default:
      return SrtpStatus::Error;
  }
}

void setCryptoPolicy(SrtpProfile profile, srtp_policy_t& p) {
  if (profile == SrtpProfile::AeadAes128Gcm) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
  } else {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
  }
}

}  // namespace

std::string_view srtpProfileName(SrtpProfile profile) {
  return profile == SrtpProfile::AeadAes128Gcm ? "SRTP_AEAD_AES_128_GCM" : "SRTP_AES128_CM_SHA1_80";
}

size_t srtpKeyLength(SrtpProfile) { return 16; }

size_t srtpSaltLength(SrtpProfile profile) { return profile == SrtpProfile::AeadAes128Gcm ? 12 : 14; }

std::string_view describe(SrtpStatus status) {
  switch (status) {
    case SrtpStatus::Ok:
      return "ok";
    case SrtpStatus::ReplayOld:
      return "replayed packet (too old)";
    case SrtpStatus::ReplayDuplicate:
      return "replayed packet (duplicate)";
    case SrtpStatus::AuthFailed:
      return "authentication failed";
    case SrtpStatus::TooShort:
      return "packet too short";
    case SrtpStatus::NoRoom:
      return "no room for the auth tag";
    case SrtpStatus::Error:
      return "srtp error";
  }
  return "srtp error";
}

SrtpKeys splitDtlsSrtpKeyingMaterial(SrtpProfile profile, std::span<const uint8_t> m, bool weAreDtlsClient) {
  const size_t k = srtpKeyLength(profile);
  const size_t s = srtpSaltLength(profile);
  SrtpKeys keys;
  keys.profile = profile;
  if (m.size() < 2 * (k + s)) return keys;
  auto keySalt = [&](bool client) {
    std::vector<uint8_t> out;
    const auto key = m.subspan(client ? 0 : k, k);
    const auto salt = m.subspan(2 * k + (client ? 0 : s), s);
    out.insert(out.end(), key.begin(), key.end());
    out.insert(out.end(), salt.begin(), salt.end());
    return out;
  };
  keys.localKeySalt = keySalt(weAreDtlsClient);
  keys.remoteKeySalt = keySalt(!weAreDtlsClient);
  return keys;
}

struct SrtpSession::Contexts {
  srtp_t outbound = nullptr;
  srtp_t inbound = nullptr;
  ~Contexts() {
    if (outbound) srtp_dealloc(outbound);
    if (inbound) srtp_dealloc(inbound);
  }
};

std::unique_ptr<SrtpSession> SrtpSession::create(const SrtpKeys& keys, std::string& error) {
  if (!ensureSrtpInitialised()) {
    error = "srtp_init failed";
    return nullptr;
  }
  const size_t expected = srtpKeyLength(keys.profile) + srtpSaltLength(keys.profile);
  if (keys.localKeySalt.size() != expected || keys.remoteKeySalt.size() != expected) {
    error = "SRTP key+salt must be " + std::to_string(expected) + " bytes";
    return nullptr;
  }
  auto contexts = std::make_unique<Contexts>();
  auto make = [&](const std::vector<uint8_t>& keySalt, srtp_ssrc_type_t direction, srtp_t& out) {
    srtp_policy_t p{};
    setCryptoPolicy(keys.profile, p);
    p.ssrc.type = direction;
    p.key = const_cast<unsigned char*>(keySalt.data());
    // Large enough for video bursts and late retransmissions.
    p.window_size = 1024;
    // An SFU resends the same sequence number when it answers a NACK.
    p.allow_repeat_tx = 1;
    return srtp_create(&out, &p);
  };
  if (auto rc = make(keys.localKeySalt, ssrc_any_outbound, contexts->outbound); rc != srtp_err_status_ok) {
    error = "srtp_create (outbound) failed: " + std::to_string(rc);
    return nullptr;
  }
  if (auto rc = make(keys.remoteKeySalt, ssrc_any_inbound, contexts->inbound); rc != srtp_err_status_ok) {
    error = "srtp_create (inbound) failed: " + std::to_string(rc);
    return nullptr;
  }
  return std::unique_ptr<SrtpSession>(new SrtpSession(keys.profile, std::move(contexts)));
}

SrtpSession::SrtpSession(SrtpProfile profile, std::unique_ptr<Contexts> contexts)
    : profile_(profile), contexts_(std::move(contexts)) {}

SrtpSession::~SrtpSession() = default;

SrtpStatus SrtpSession::protectRtp(std::span<uint8_t> buffer, size_t& length) {
  if (length < 12) return SrtpStatus::TooShort;
  if (length + kSrtpMaxTrailer > buffer.size()) return SrtpStatus::NoRoom;
  int len = static_cast<int>(length);
  const auto s = fromSrtp(srtp_protect(contexts_->outbound, buffer.data(), &len));
  if (s == SrtpStatus::Ok) length = static_cast<size_t>(len);
  return s;
}

SrtpStatus SrtpSession::unprotectRtp(std::span<uint8_t> buffer, size_t& length) {
  if (length < 12 || length > buffer.size()) return SrtpStatus::TooShort;
  int len = static_cast<int>(length);
  const auto s = fromSrtp(srtp_unprotect(contexts_->inbound, buffer.data(), &len));
  if (s == SrtpStatus::Ok) length = static_cast<size_t>(len);
  return s;
}

SrtpStatus SrtpSession::protectRtcp(std::span<uint8_t> buffer, size_t& length) {
  if (length < 8) return SrtpStatus::TooShort;
  if (length + kSrtpMaxTrailer > buffer.size()) return SrtpStatus::NoRoom;
  int len = static_cast<int>(length);
  const auto s = fromSrtp(srtp_protect_rtcp(contexts_->outbound, buffer.data(), &len));
  if (s == SrtpStatus::Ok) length = static_cast<size_t>(len);
  return s;
}

SrtpStatus SrtpSession::unprotectRtcp(std::span<uint8_t> buffer, size_t& length) {
  if (length < 8 || length > buffer.size()) return SrtpStatus::TooShort;
  int len = static_cast<int>(length);
  const auto s = fromSrtp(srtp_unprotect_rtcp(contexts_->inbound, buffer.data(), &len));
  if (s == SrtpStatus::Ok) length = static_cast<size_t>(len);
  return s;
}

}  // namespace convox::rtc
