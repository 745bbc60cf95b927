#pragma once

// DTLS 1.2 (RFC 6347) over whatever carries datagrams (ICE), with the
// DTLS-SRTP extension (RFC 5764). OpenSSL does the protocol; this class feeds
// it datagrams, hands its output to the listener one record flight piece at
// a time, checks the peer's certificate against the SDP fingerprint, and
// exports SRTP keys.

#include "rtc/dtls_certificate.hpp"
#include "rtc/srtp_session.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;
typedef struct bio_st BIO;

namespace convox::rtc {

enum class DtlsRole { Client, Server };  // client = a=setup:active

enum class DtlsState { New, Connecting, Connected, Failed, Closed };

class DtlsTransportListener {
 public:
  virtual ~DtlsTransportListener() = default;
  // A datagram to put on the wire.
  virtual void onDtlsSend(std::span<const uint8_t> datagram) = 0;
  virtual void onDtlsConnected(const SrtpKeys& keys) = 0;
  // Decrypted application data (SCTP packets for data channels).
  virtual void onDtlsData(std::span<const uint8_t> data) = 0;
  virtual void onDtlsFailed(const std::string& reason) = 0;
  virtual void onDtlsClosed() = 0;
};

class DtlsTransport {
 public:
  // Offers GCM first, then AES-CM (unless `profiles` says otherwise).
  DtlsTransport(std::shared_ptr<const DtlsCertificate> certificate, DtlsTransportListener& listener,
                std::vector<SrtpProfile> profiles = {SrtpProfile::AeadAes128Gcm, SrtpProfile::Aes128CmHmacSha1_80});
  ~DtlsTransport();
  DtlsTransport(const DtlsTransport&) = delete;
  DtlsTransport& operator=(const DtlsTransport&) = delete;

  // The fingerprint from the peer's SDP; only sha-256 is accepted.
  bool setRemoteFingerprint(const std::string& algorithm, const std::string& value);
  // Starts the handshake: a client sends its ClientHello now.
  void start(DtlsRole role);
  // A DTLS datagram (first byte 20..63) from the wire.
  void receive(std::span<const uint8_t> datagram);
  // Sends application data once connected; false if it could not.
  bool send(std::span<const uint8_t> data);
  // When the handshake needs a retransmission timer: call onTimeout() then.
  std::optional<std::chrono::milliseconds> timeout() const;
  void onTimeout();
  // Sends close_notify.
  void close();

  DtlsState state() const { return state_; }
  DtlsRole role() const { return role_; }

 private:
  static int bioWrite(BIO* bio, const char* data, int len);
  static long bioCtrl(BIO* bio, int cmd, long num, void* ptr);
  void continueHandshake();
  void onHandshakeDone();
  void readApplicationData();
  void fail(const std::string& reason);

  // Passed by argument.
  std::shared_ptr<const DtlsCertificate> certificate_;
  DtlsTransportListener& listener_;
  // Allocated by this.
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  BIO* incoming_ = nullptr;  // memory BIO we write received datagrams into
  // Others.
  std::vector<uint8_t> remoteFingerprint_;
  DtlsRole role_ = DtlsRole::Server;
  DtlsState state_ = DtlsState::New;
  std::vector<uint8_t> readBuffer_;
};

}  // namespace convox::rtc
