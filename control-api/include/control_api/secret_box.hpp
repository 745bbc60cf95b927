#pragma once

// Secrets at rest (provider API keys): AES-256-GCM under the server's
// encryption key (CONVOX_ENCRYPT_KEY / control_api.encrypt_key). Each secret
// gets a fresh random 96-bit nonce and a 128-bit tag, and is bound to
// associated data (its team and provider), so a sealed value copied to
// another row does not open. The first byte is a format version: a later
// key rotation can tell old values from new ones.

#include <boost/system/result.hpp>

#include <array>
#include <string>
#include <string_view>

namespace convox::control_api {

class SecretBox {
 public:
  static constexpr size_t kKeyBytes = 32;
  // The version byte of values sealed today: key 1, AES-256-GCM.
  static constexpr unsigned char kVersion = 1;

  // The key as configured: exactly 64 hex digits (32 bytes); anything else
  // is refused with the reason (never echoing the value).
  static boost::system::result<SecretBox, std::string> fromHex(std::string_view hex);
  // A new random key, as 64 lowercase hex digits.
  static std::string generateHexKey();

  // base64(version | nonce | ciphertext | tag). Throws std::runtime_error only
  // when OpenSSL itself fails (no randomness).
  std::string seal(std::string_view plaintext, std::string_view associatedData) const;
  // The plaintext, or why it cannot be had: a value sealed under another key,
  // for other associated data, altered, or of an unknown version.
  boost::system::result<std::string, std::string> open(std::string_view sealed, std::string_view associatedData) const;

 private:
  explicit SecretBox(const std::array<unsigned char, kKeyBytes>& key) : key_(key) {}
  std::array<unsigned char, kKeyBytes> key_;
};

// The associated data a team's credential for a provider is sealed with.
std::string providerCredentialContext(std::string_view teamId, std::string_view providerId);

// --dev: the key kept in `path` (64 hex digits), created with a new random
// key (mode 0600) when the file does not exist, so the dev store's secrets
// survive restarts. The reason when the file cannot be read or written or
// does not hold a valid key.
boost::system::result<SecretBox, std::string> loadOrCreateKeyFile(const std::string& path);

}  // namespace convox::control_api
