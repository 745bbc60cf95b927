// SrtpSession on libsrtp2: the oracle our own implementation is tested
// against, and the fallback `rtc.srtp_implementation: libsrtp` selects.
#include "srtp_backends.hpp"

#include <srtp2/srtp.h>

#include <mutex>

namespace convox::rtc::detail {

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
    case srtp_err_status_cant_check:
      return SrtpStatus::Unencrypted;
    case srtp_err_status_parse_err:
      return SrtpStatus::Malformed;
    default:
      return SrtpStatus::Error;
  }
}

void setCryptoPolicy(SrtpProfile profile, srtp_policy_t& p) {
  switch (profile) {
    case SrtpProfile::AeadAes128Gcm:
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
      break;
    case SrtpProfile::AeadAes256Gcm:
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtp);
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtcp);
      break;
    case SrtpProfile::Aes128CmHmacSha1_80:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
      break;
  }
}

class LibsrtpSession final : public SrtpSession {
 public:
  explicit LibsrtpSession(SrtpProfile profile) : SrtpSession(profile) {}
  ~LibsrtpSession() override {
    if (outbound_) srtp_dealloc(outbound_);
    if (inbound_) srtp_dealloc(inbound_);
  }

  bool init(const SrtpKeys& keys, std::string& error) {
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
    if (auto rc = make(keys.localKeySalt, ssrc_any_outbound, outbound_); rc != srtp_err_status_ok) {
      error = "srtp_create (outbound) failed: " + std::to_string(rc);
      return false;
    }
    if (auto rc = make(keys.remoteKeySalt, ssrc_any_inbound, inbound_); rc != srtp_err_status_ok) {
      error = "srtp_create (inbound) failed: " + std::to_string(rc);
      return false;
    }
    return true;
  }

  SrtpStatus protectRtp(std::span<uint8_t> buffer, size_t& length) override {
    if (length < 12) return SrtpStatus::TooShort;
    if (buffer.size() < kSrtpMaxTrailer || length > buffer.size() - kSrtpMaxTrailer) return SrtpStatus::NoRoom;
    return run(srtp_protect, outbound_, buffer, length);
  }
  SrtpStatus unprotectRtp(std::span<uint8_t> buffer, size_t& length) override {
    if (length < 12 || length > buffer.size()) return SrtpStatus::TooShort;
    return run(srtp_unprotect, inbound_, buffer, length);
  }
  SrtpStatus protectRtcp(std::span<uint8_t> buffer, size_t& length) override {
    if (length < 8) return SrtpStatus::TooShort;
    if (buffer.size() < kSrtpMaxTrailer || length > buffer.size() - kSrtpMaxTrailer) return SrtpStatus::NoRoom;
    return run(srtp_protect_rtcp, outbound_, buffer, length);
  }
  SrtpStatus unprotectRtcp(std::span<uint8_t> buffer, size_t& length) override {
    if (length < 8 || length > buffer.size()) return SrtpStatus::TooShort;
    return run(srtp_unprotect_rtcp, inbound_, buffer, length);
  }

 private:
  template <typename Fn>
  static SrtpStatus run(Fn fn, srtp_t ctx, std::span<uint8_t> buffer, size_t& length) {
    int len = static_cast<int>(length);
    const auto s = fromSrtp(fn(ctx, buffer.data(), &len));
    if (s == SrtpStatus::Ok) length = static_cast<size_t>(len);
    return s;
  }

  srtp_t outbound_ = nullptr;
  srtp_t inbound_ = nullptr;
};

}  // namespace

std::unique_ptr<SrtpSession> makeLibsrtpSession(const SrtpKeys& keys, std::string& error) {
  if (!ensureSrtpInitialised()) {
    error = "srtp_init failed";
    return nullptr;
  }
  auto session = std::make_unique<LibsrtpSession>(keys.profile);
  if (!session->init(keys, error)) return nullptr;
  return session;
}

}  // namespace convox::rtc::detail
