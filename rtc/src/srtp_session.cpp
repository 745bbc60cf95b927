// What both SRTP implementations share: profile facts, the RFC 5764 key
// split and the choice between them.
#include "rtc/srtp_session.hpp"

#include "srtp_backends.hpp"

namespace convox::rtc {

std::string_view srtpProfileName(SrtpProfile profile) {
  switch (profile) {
    case SrtpProfile::AeadAes128Gcm:
      return "SRTP_AEAD_AES_128_GCM";
    case SrtpProfile::AeadAes256Gcm:
      return "SRTP_AEAD_AES_256_GCM";
    case SrtpProfile::Aes128CmHmacSha1_80:
      return "SRTP_AES128_CM_SHA1_80";
  }
  return "unknown";
}

bool isSupportedSrtpProfile(uint16_t id) {
  return id == static_cast<uint16_t>(SrtpProfile::AeadAes128Gcm) ||
         id == static_cast<uint16_t>(SrtpProfile::AeadAes256Gcm) ||
         id == static_cast<uint16_t>(SrtpProfile::Aes128CmHmacSha1_80);
}

size_t srtpKeyLength(SrtpProfile profile) { return profile == SrtpProfile::AeadAes256Gcm ? 32 : 16; }

size_t srtpSaltLength(SrtpProfile profile) { return profile == SrtpProfile::Aes128CmHmacSha1_80 ? 14 : 12; }

std::string_view srtpImplementationName(SrtpImplementation implementation) {
  return implementation == SrtpImplementation::OpenSsl ? "openssl" : "libsrtp";
}

std::optional<SrtpImplementation> parseSrtpImplementation(std::string_view name) {
  if (name == "openssl") return SrtpImplementation::OpenSsl;
  if (name == "libsrtp") return SrtpImplementation::Libsrtp;
  return std::nullopt;
}

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
    case SrtpStatus::Malformed:
      return "malformed header (its CSRCs or extension run past the packet)";
    case SrtpStatus::Unencrypted:
      return "unencrypted SRTCP (E flag clear) where the profile encrypts";
    case SrtpStatus::NoRoom:
      return "no room for the auth tag";
    case SrtpStatus::TooManyStreams:
      return "too many SSRCs on one session";
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

std::unique_ptr<SrtpSession> SrtpSession::create(const SrtpKeys& keys, std::string& error,
                                                 SrtpImplementation implementation) {
  if (!isSupportedSrtpProfile(static_cast<uint16_t>(keys.profile))) {
    error = "unsupported SRTP profile";
    return nullptr;
  }
  const size_t expected = srtpKeyLength(keys.profile) + srtpSaltLength(keys.profile);
  if (keys.localKeySalt.size() != expected || keys.remoteKeySalt.size() != expected) {
    error = "SRTP key+salt must be " + std::to_string(expected) + " bytes";
    return nullptr;
  }
  return implementation == SrtpImplementation::OpenSsl ? detail::makeOpenSslSrtpSession(keys, error)
                                                       : detail::makeLibsrtpSession(keys, error);
}

}  // namespace convox::rtc
