#include "control_api/secret_box.hpp"

#include "common/base64.hpp"
#include "common/digest.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace convox::control_api {
namespace {

constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

CipherContext newContext() {
  CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx) throw std::runtime_error("OpenSSL could not allocate a cipher context");
  return ctx;
}

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

boost::system::result<SecretBox, std::string> SecretBox::fromHex(std::string_view hex) {
  using Result = boost::system::result<SecretBox, std::string>;
  // Surrounding whitespace is what a file or a pasted value carries; it is no part of the key.
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back()))) hex.remove_suffix(1);
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.front()))) hex.remove_prefix(1);
  if (hex.size() != kKeyBytes * 2) {
    return Result(boost::system::in_place_error, "the encryption key must be 64 hex digits (32 bytes), not " +
                                                     std::to_string(hex.size()) +
                                                     " characters; generate one with: openssl rand -hex 32");
  }
  std::array<unsigned char, kKeyBytes> key{};
  for (size_t i = 0; i < kKeyBytes; ++i) {
    const int hi = hexDigit(hex[2 * i]);
    const int lo = hexDigit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return Result(boost::system::in_place_error,
                    "the encryption key must be 64 hex digits (0-9, a-f); it has another character at position " +
                        std::to_string(2 * i + (hi < 0 ? 1 : 2)));
    }
    key[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return SecretBox(key);
}

std::string SecretBox::generateHexKey() {
  std::array<unsigned char, kKeyBytes> key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) throw std::runtime_error("no randomness for a key");
  return common::hexEncode(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
}

std::string SecretBox::seal(std::string_view plaintext, std::string_view associatedData) const {
  std::string out(1 + kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* raw = reinterpret_cast<unsigned char*>(out.data());
  raw[0] = kVersion;
  unsigned char* nonce = raw + 1;
  unsigned char* cipher = nonce + kNonceBytes;
  if (RAND_bytes(nonce, kNonceBytes) != 1) throw std::runtime_error("no randomness for a nonce");
  auto ctx = newContext();
  int n = 0;
  // The version byte is authenticated too: it cannot be changed to read a value another way.
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &n, raw, 1) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &n, bytes(associatedData), static_cast<int>(associatedData.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), cipher, &n, bytes(plaintext), static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), cipher + n, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, cipher + plaintext.size()) != 1) {
    throw std::runtime_error("AES-256-GCM encryption failed");
  }
  return common::base64Encode(out);
}

boost::system::result<std::string, std::string> SecretBox::open(std::string_view sealed,
                                                                std::string_view associatedData) const {
  using Result = boost::system::result<std::string, std::string>;
  const auto refused = [](std::string why) { return Result(boost::system::in_place_error, std::move(why)); };
  const auto decoded = common::base64Decode(sealed);
  if (!decoded || decoded->size() < 1 + kNonceBytes + kTagBytes) return refused("the stored secret is malformed");
  const auto* raw = bytes(*decoded);
  if (raw[0] != kVersion) {
    return refused("the stored secret has format version " + std::to_string(raw[0]) +
                   ", which this server cannot read");
  }
  const unsigned char* nonce = raw + 1;
  const unsigned char* cipher = nonce + kNonceBytes;
  const size_t cipherBytes = decoded->size() - 1 - kNonceBytes - kTagBytes;
  std::string plain(cipherBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(plain.data());
  // OpenSSL's tag setter takes a non-const pointer; it only reads it.
  std::array<unsigned char, kTagBytes> tag{};
  std::memcpy(tag.data(), cipher + cipherBytes, kTagBytes);
  auto ctx = newContext();
  int n = 0;
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), nonce) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &n, raw, 1) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &n, bytes(associatedData), static_cast<int>(associatedData.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out, &n, cipher, static_cast<int>(cipherBytes)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), out + n, &n) != 1) {
    return refused(
        "the stored secret does not decrypt: it was sealed under another encryption key (did CONVOX_ENCRYPT_KEY "
        "change?), for another team or provider, or it was altered");
  }
  return Result(boost::system::in_place_value, std::move(plain));
}

std::string providerCredentialContext(std::string_view teamId, std::string_view providerId) {
  // NUL separators: no team id and provider id pair reads as another.
  std::string out = "convox provider credential";
  out.push_back('\0');
  out.append(teamId);
  out.push_back('\0');
  out.append(providerId);
  return out;
}

boost::system::result<SecretBox, std::string> loadOrCreateKeyFile(const std::string& path) {
  using Result = boost::system::result<SecretBox, std::string>;
  std::ifstream in(path);
  if (in) {
    std::ostringstream text;
    text << in.rdbuf();
    auto box = SecretBox::fromHex(text.str());
    if (!box) return Result(boost::system::in_place_error, path + ": " + box.error());
    return box;
  }
  const auto hex = SecretBox::generateHexKey();
  // Owner-only from the start: the file is never readable by others, not even briefly.
  const mode_t previous = ::umask(077);
  std::ofstream out(path, std::ios::trunc);
  out << hex << "\n";
  out.close();
  ::umask(previous);
  if (!out) return Result(boost::system::in_place_error, "cannot write " + path + ": " + std::strerror(errno));
  return SecretBox::fromHex(hex);
}

}  // namespace convox::control_api
