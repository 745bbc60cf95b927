#include "rtc/dtls_transport.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace convox::rtc {

namespace {

constexpr long kMtu = 1200;  // keep every datagram under typical path MTUs
constexpr const char* kCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384";

std::string sslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

// WebRTC peers use self-signed certificates; the SDP fingerprint is the
// trust anchor, checked once the handshake is done.
int acceptAnyCertificate(int, X509_STORE_CTX*) { return 1; }

}  // namespace

int DtlsTransport::bioWrite(BIO* bio, const char* data, int len) {
  auto* self = static_cast<DtlsTransport*>(BIO_get_data(bio));
  if (!self || len <= 0) return len;
  self->listener_.onDtlsSend({reinterpret_cast<const uint8_t*>(data), static_cast<size_t>(len)});
  return len;
}

long DtlsTransport::bioCtrl(BIO*, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_DGRAM_QUERY_MTU:
      return kMtu;
    default:
      return 0;
  }
}

DtlsTransport::DtlsTransport(std::shared_ptr<const DtlsCertificate> certificate, DtlsTransportListener& listener,
                             std::vector<SrtpProfile> profiles)
    : certificate_(std::move(certificate)), listener_(listener), readBuffer_(size_t{64} * 1024) {
  // Each datagram OpenSSL writes goes straight out, so flights stay split
  // at record boundaries rather than concatenated in a memory BIO.
  static BIO_METHOD* outgoingMethod = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "convox-dtls-out");
    BIO_meth_set_write(m, &DtlsTransport::bioWrite);
    BIO_meth_set_ctrl(m, &DtlsTransport::bioCtrl);
    BIO_meth_set_create(m, [](BIO* b) {
      BIO_set_init(b, 1);
      return 1;
    });
    return m;
  }();

  std::string srtpProfiles;
  for (auto p : profiles) {
    if (!srtpProfiles.empty()) srtpProfiles += ':';
    srtpProfiles += srtpProfileName(p);
  }
  ctx_ = SSL_CTX_new(DTLS_method());
  if (!ctx_ || SSL_CTX_set_min_proto_version(ctx_, DTLS1_2_VERSION) != 1 ||
      SSL_CTX_use_certificate(ctx_, certificate_->certificate()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx_, certificate_->privateKey()) != 1 || SSL_CTX_check_private_key(ctx_) != 1 ||
      SSL_CTX_set_cipher_list(ctx_, kCiphers) != 1 || SSL_CTX_set_tlsext_use_srtp(ctx_, srtpProfiles.c_str()) != 0) {
    state_ = DtlsState::Failed;
    return;
  }
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, acceptAnyCertificate);
  SSL_CTX_set_read_ahead(ctx_, 1);
  ssl_ = SSL_new(ctx_);
  incoming_ = BIO_new(BIO_s_mem());
  BIO_set_mem_eof_return(incoming_, -1);  // "no data yet", not end of stream
  BIO* outgoing = BIO_new(outgoingMethod);
  BIO_set_data(outgoing, this);
  SSL_set_bio(ssl_, incoming_, outgoing);  // ssl_ owns both BIOs now
  SSL_set_options(ssl_, SSL_OP_NO_QUERY_MTU);
  SSL_set_mtu(ssl_, kMtu);
  DTLS_set_link_mtu(ssl_, kMtu);
}

DtlsTransport::~DtlsTransport() {
  if (ssl_) {
    BIO_set_data(SSL_get_wbio(ssl_), nullptr);
    SSL_free(ssl_);
  }
  if (ctx_) SSL_CTX_free(ctx_);
}

bool DtlsTransport::setRemoteFingerprint(const std::string& algorithm, const std::string& value) {
  if (algorithm != "sha-256" && algorithm != "SHA-256") return false;
  auto bytes = parseFingerprintHex(value);
  if (bytes.size() != 32) return false;
  remoteFingerprint_ = std::move(bytes);
  return true;
}

void DtlsTransport::start(DtlsRole role) {
  if (state_ != DtlsState::New) return;
  role_ = role;
  state_ = DtlsState::Connecting;
  if (role == DtlsRole::Client)
    SSL_set_connect_state(ssl_);
  else
    SSL_set_accept_state(ssl_);
  if (role == DtlsRole::Client) continueHandshake();
}

void DtlsTransport::receive(std::span<const uint8_t> datagram) {
  if (state_ == DtlsState::Failed || state_ == DtlsState::Closed || state_ == DtlsState::New) return;
  BIO_write(incoming_, datagram.data(), static_cast<int>(datagram.size()));
  if (state_ == DtlsState::Connecting) continueHandshake();
  if (state_ == DtlsState::Connected) readApplicationData();
}

void DtlsTransport::continueHandshake() {
  const int rc = SSL_do_handshake(ssl_);
  if (rc == 1) return onHandshakeDone();
  const int err = SSL_get_error(ssl_, rc);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return;
  fail("DTLS handshake failed: " + sslErrors());
}

void DtlsTransport::onHandshakeDone() {
  X509* peer = SSL_get1_peer_certificate(ssl_);
  const auto digest = certificateSha256(peer);
  X509_free(peer);
  if (remoteFingerprint_.empty()) return fail("no remote fingerprint to check the peer certificate against");
  if (digest != remoteFingerprint_) return fail("peer certificate does not match the SDP fingerprint");
  const SRTP_PROTECTION_PROFILE* selected = SSL_get_selected_srtp_profile(ssl_);
  if (!selected) return fail("peer negotiated no SRTP protection profile");
  const auto profile = static_cast<SrtpProfile>(selected->id);
  if (!isSupportedSrtpProfile(selected->id)) {
    return fail("unsupported SRTP profile " + std::string(selected->name));
  }
  std::vector<uint8_t> material(2 * (srtpKeyLength(profile) + srtpSaltLength(profile)));
  static constexpr char kLabel[] = "EXTRACTOR-dtls_srtp";
  if (SSL_export_keying_material(ssl_, material.data(), material.size(), kLabel, sizeof kLabel - 1, nullptr, 0, 0) !=
      1) {
    return fail("cannot export SRTP keying material: " + sslErrors());
  }
  state_ = DtlsState::Connected;
  listener_.onDtlsConnected(splitDtlsSrtpKeyingMaterial(profile, material, role_ == DtlsRole::Client));
  readApplicationData();  // records that arrived with the last flight
}

void DtlsTransport::readApplicationData() {
  while (state_ == DtlsState::Connected) {
    const int n = SSL_read(ssl_, readBuffer_.data(), static_cast<int>(readBuffer_.size()));
    if (n > 0) {
      listener_.onDtlsData({readBuffer_.data(), static_cast<size_t>(n)});
      continue;
    }
    const int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_READ) return;
    if (err == SSL_ERROR_ZERO_RETURN) {
      state_ = DtlsState::Closed;
      listener_.onDtlsClosed();
      return;
    }
    // A bad record from the network is dropped; it does not end the session.
    ERR_clear_error();
    return;
  }
}

bool DtlsTransport::send(std::span<const uint8_t> data) {
  if (state_ != DtlsState::Connected) return false;
  const int n = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
  if (n <= 0) {
    ERR_clear_error();
    return false;
  }
  return true;
}

std::optional<std::chrono::milliseconds> DtlsTransport::timeout() const {
  if (state_ != DtlsState::Connecting) return std::nullopt;
  timeval tv{};
  if (DTLSv1_get_timeout(ssl_, &tv) != 1) return std::nullopt;
  return std::chrono::milliseconds(tv.tv_sec * 1000 + tv.tv_usec / 1000);
}

void DtlsTransport::onTimeout() {
  if (state_ != DtlsState::Connecting) return;
  if (DTLSv1_handle_timeout(ssl_) < 0) fail("DTLS handshake timed out");
}

void DtlsTransport::close() {
  if (state_ == DtlsState::Connected) SSL_shutdown(ssl_);
  if (state_ != DtlsState::Failed) state_ = DtlsState::Closed;
}

void DtlsTransport::fail(const std::string& reason) {
  state_ = DtlsState::Failed;
  ERR_clear_error();
  listener_.onDtlsFailed(reason);
}

}  // namespace convox::rtc
