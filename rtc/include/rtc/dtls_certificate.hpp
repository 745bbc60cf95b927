#pragma once

// A self-signed ECDSA P-256 certificate for DTLS, and its SHA-256
// fingerprint as SDP's a=fingerprint writes it ("AB:CD:...").

#include <memory>
#include <string>
#include <vector>

typedef struct x509_st X509;
typedef struct evp_pkey_st EVP_PKEY;

namespace convox::rtc {

class DtlsCertificate {
 public:
  // Generates a fresh key and certificate (valid from a day ago for 30 days).
  static std::shared_ptr<const DtlsCertificate> generate(std::string& error);
  ~DtlsCertificate();
  DtlsCertificate(const DtlsCertificate&) = delete;
  DtlsCertificate& operator=(const DtlsCertificate&) = delete;

  X509* certificate() const { return cert_; }
  EVP_PKEY* privateKey() const { return key_; }
  const std::string& fingerprintSha256() const { return fingerprint_; }

 private:
  DtlsCertificate(EVP_PKEY* key, X509* cert, std::string fingerprint)
      : key_(key), cert_(cert), fingerprint_(std::move(fingerprint)) {}
  EVP_PKEY* key_;
  X509* cert_;
  std::string fingerprint_;
};

// "AB:CD:..." of `bytes`, and back (empty on malformed input).
std::string formatFingerprintHex(const std::vector<uint8_t>& bytes);
std::vector<uint8_t> parseFingerprintHex(const std::string& text);

// SHA-256 digest of a certificate, as raw bytes.
std::vector<uint8_t> certificateSha256(X509* cert);

}  // namespace convox::rtc
