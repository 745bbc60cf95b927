#pragma once

// SRTP/SRTCP (RFC 3711, RFC 7714), keyed from DTLS-SRTP (RFC 5764).
// Protect and unprotect work in place on the caller's buffer; nothing is
// allocated per packet (a new SSRC allocates its stream state once).
//
// Two implementations behind one interface: our own on OpenSSL's EVP
// ciphers (the default: Debian's libsrtp2 is built on NSS and sets up a
// cipher context per packet), and libsrtp2, kept as the test oracle and
// selectable by config (`rtc.srtp_implementation: libsrtp`) for comparison.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace convox::rtc {

enum class SrtpProfile : uint16_t {
  // Values are the DTLS-SRTP protection profile ids (RFC 5764, RFC 7714).
  AeadAes128Gcm = 0x0007,
  AeadAes256Gcm = 0x0008,
  Aes128CmHmacSha1_80 = 0x0001,
};

enum class SrtpImplementation { OpenSsl, Libsrtp };

std::string_view srtpImplementationName(SrtpImplementation implementation);  // "openssl" | "libsrtp"
std::optional<SrtpImplementation> parseSrtpImplementation(std::string_view name);
bool isSupportedSrtpProfile(uint16_t id);

std::string_view srtpProfileName(SrtpProfile profile);  // as OpenSSL names it
size_t srtpKeyLength(SrtpProfile profile);
size_t srtpSaltLength(SrtpProfile profile);

// Room a protected packet needs past the plaintext: the auth tag (and the
// SRTCP index). Send buffers must have this much spare capacity.
inline constexpr size_t kSrtpMaxTrailer = 16 + 4 + 4;

enum class SrtpStatus {
  Ok,
  ReplayOld,
  ReplayDuplicate,
  AuthFailed,
  TooShort,
  Malformed,
  Unencrypted,
  NoRoom,
  TooManyStreams,
  Error
};

std::string_view describe(SrtpStatus status);

// The keying material DTLS exports, split into our and the peer's key+salt.
struct SrtpKeys {
  SrtpProfile profile = SrtpProfile::AeadAes128Gcm;
  std::vector<uint8_t> localKeySalt;   // protects what we send
  std::vector<uint8_t> remoteKeySalt;  // unprotects what we receive
};

// Splits RFC 5764 §4.2 keying material (client key | server key | client
// salt | server salt) by our DTLS role.
SrtpKeys splitDtlsSrtpKeyingMaterial(SrtpProfile profile, std::span<const uint8_t> material, bool weAreDtlsClient);

class SrtpSession {
 public:
  // nullptr and `error` set if the keys are refused.
  static std::unique_ptr<SrtpSession> create(const SrtpKeys& keys, std::string& error,
                                             SrtpImplementation implementation = SrtpImplementation::OpenSsl);
  virtual ~SrtpSession() = default;
  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  // `buffer` holds the packet in its first `length` bytes; on success
  // `length` is updated. Protect needs `length + kSrtpMaxTrailer <= buffer.size()`.
  // A refused packet's bytes are unspecified (it may be half decrypted).
  virtual SrtpStatus protectRtp(std::span<uint8_t> buffer, size_t& length) = 0;
  virtual SrtpStatus unprotectRtp(std::span<uint8_t> buffer, size_t& length) = 0;
  virtual SrtpStatus protectRtcp(std::span<uint8_t> buffer, size_t& length) = 0;
  virtual SrtpStatus unprotectRtcp(std::span<uint8_t> buffer, size_t& length) = 0;

  SrtpProfile profile() const { return profile_; }

 protected:
  explicit SrtpSession(SrtpProfile profile) : profile_(profile) {}

 private:
  SrtpProfile profile_;
};

}  // namespace convox::rtc
