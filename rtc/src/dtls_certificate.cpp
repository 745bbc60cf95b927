#include "rtc/dtls_certificate.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

namespace convox::rtc {

std::vector<uint8_t> certificateSha256(X509* cert) {
  std::vector<uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (!cert || X509_digest(cert, EVP_sha256(), out.data(), &len) != 1) return {};
  out.resize(len);
  return out;
}

std::string formatFingerprintHex(const std::vector<uint8_t>& bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string s;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i) s.push_back(':');
    s.push_back(kHex[bytes[i] >> 4]);
    s.push_back(kHex[bytes[i] & 0xF]);
  }
  return s;
}

std::vector<uint8_t> parseFingerprintHex(const std::string& text) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::vector<uint8_t> out;
  if ((text.size() + 1) % 3 != 0) return {};
  for (size_t i = 0; i < text.size(); i += 3) {
    const int hi = nibble(text[i]);
    const int lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0 || (i + 2 < text.size() && text[i + 2] != ':')) return {};
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return out;
}

std::shared_ptr<const DtlsCertificate> DtlsCertificate::generate(std::string& error) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (!key) {
    error = "cannot generate a P-256 key";
    return nullptr;
  }
  X509* cert = X509_new();
  bool ok = cert != nullptr;
  if (ok) {
    uint64_t serial = 0;
    RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial);
    ok = X509_set_version(cert, 2) == 1 && ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert), serial >> 1) == 1 &&
         X509_gmtime_adj(X509_getm_notBefore(cert), -86400) != nullptr &&
         X509_gmtime_adj(X509_getm_notAfter(cert), 30L * 86400) != nullptr && X509_set_pubkey(cert, key) == 1;
  }
  if (ok) {
    X509_NAME* name = X509_get_subject_name(cert);
    ok = X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("convox"), -1, -1,
                                    0) == 1 &&
         X509_set_issuer_name(cert, name) == 1 && X509_sign(cert, key, EVP_sha256()) > 0;
  }
  if (!ok) {
    error = "cannot build the self-signed certificate";
    X509_free(cert);
    EVP_PKEY_free(key);
    return nullptr;
  }
  return std::shared_ptr<const DtlsCertificate>(
      new DtlsCertificate(key, cert, formatFingerprintHex(certificateSha256(cert))));
}

DtlsCertificate::~DtlsCertificate() {
  X509_free(cert_);
  EVP_PKEY_free(key_);
}

}  // namespace convox::rtc
