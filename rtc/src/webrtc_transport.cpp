#include "rtc/webrtc_transport.hpp"

namespace convox::rtc {

namespace {

// RFC 7983 §7: the first byte says what a datagram is.
enum class Demux { Stun, Dtls, Srtp, Other };

Demux classify(std::span<const uint8_t> p) {
  if (p.empty()) return Demux::Other;
  const uint8_t b = p[0];
  if (b <= 3) return Demux::Stun;
  if (b >= 20 && b <= 63) return Demux::Dtls;
  if (b >= 128 && b <= 191) return Demux::Srtp;
  return Demux::Other;
}

// RFC 5761 §4: RTCP packet types 192..223 sit where RTP has marker + PT.
bool isRtcp(std::span<const uint8_t> p) { return p.size() >= 2 && p[1] >= 192 && p[1] <= 223; }

}  // namespace

std::string_view describe(TransportState state) {
  switch (state) {
    case TransportState::New:
      return "new";
    case TransportState::Connecting:
      return "connecting";
    case TransportState::Connected:
      return "connected";
    case TransportState::Failed:
      return "failed";
    case TransportState::Closed:
      return "closed";
  }
  return "unknown";
}

namespace {
// One knob for a vanished peer: on the mux it is the consent expiry.
WebRtcTransportSettings withConsentTimeout(WebRtcTransportSettings settings) {
  settings.ice.consentTimeout = settings.inactivityTimeout;
  return settings;
}
}  // namespace

WebRtcTransport::WebRtcTransport(EventLoop& loop, WebRtcTransportListener& listener, WebRtcTransportSettings settings)
    : loop_(loop),
      listener_(listener),
      settings_(withConsentTimeout(std::move(settings))),
      ice_(makeIceTransport(loop, *this, settings_.ice)),
      dtls_(settings_.certificate, *this, settings_.srtpProfiles) {}

WebRtcTransport::~WebRtcTransport() {
  if (dtlsTimer_) loop_.cancelTimer(dtlsTimer_);
  if (inactivityTimer_) loop_.cancelTimer(inactivityTimer_);
}

bool WebRtcTransport::start(std::string& error) {
  if (dtls_.state() == DtlsState::Failed) {
    error = "DTLS context could not be created";
    return false;
  }
  setState(TransportState::Connecting);
  return ice_->start(error);
}

bool WebRtcTransport::setRemoteParameters(const RemoteTransportParameters& remote, std::string& error) {
  if (!ice_->setRemoteCredentials(remote.iceUfrag, remote.icePassword)) {
    error = "cannot set the remote ICE credentials";
    return false;
  }
  if (!dtls_.setRemoteFingerprint(remote.fingerprintAlgorithm, remote.fingerprint)) {
    error = "remote fingerprint must be a sha-256 of 32 bytes, got " + remote.fingerprintAlgorithm;
    return false;
  }
  remote_ = remote;
  startDtlsIfReady();
  return true;
}

bool WebRtcTransport::restartIce(const std::string& remoteUfrag, const std::string& remotePassword,
                                 std::string& error) {
  return restartLocalIce(error) && setRemoteIceCredentials(remoteUfrag, remotePassword, error);
}

bool WebRtcTransport::restartLocalIce(std::string& error) {
  if (!remote_) {
    error = "ICE restart before the first negotiation";
    return false;
  }
  if (!ice_->restart()) {
    error = "ICE restart failed";
    return false;
  }
  return true;
}

bool WebRtcTransport::setRemoteIceCredentials(const std::string& ufrag, const std::string& password,
                                              std::string& error) {
  if (!remote_ || !ice_->setRemoteCredentials(ufrag, password)) {
    error = "cannot set the remote ICE credentials";
    return false;
  }
  remote_->iceUfrag = ufrag;
  remote_->icePassword = password;
  return true;
}

void WebRtcTransport::startDtlsIfReady() {
  if (!remote_ || dtls_.state() != DtlsState::New) return;
  // A DTLS server just waits for the ClientHello, so it can start at once;
  // a client must wait for a path to send it on.
  if (remote_->localDtlsRole == DtlsRole::Server || ice_->state() == IceState::Connected) {
    dtls_.start(remote_->localDtlsRole);
    armDtlsTimer();
  }
}

void WebRtcTransport::armDtlsTimer() {
  if (dtlsTimer_) loop_.cancelTimer(dtlsTimer_);
  dtlsTimer_ = 0;
  const auto due = dtls_.timeout();
  if (!due) return;
  std::weak_ptr<bool> alive = alive_;
  dtlsTimer_ = loop_.addTimer(*due, [this, alive] {
    if (alive.expired()) return;
    dtlsTimer_ = 0;
    dtls_.onTimeout();
    armDtlsTimer();
  });
}

void WebRtcTransport::armInactivityCheck() {
  const auto timeout = settings_.inactivityTimeout;
  if (timeout.count() <= 0 || ice_->detectsVanishedPeer()) return;
  const auto period = std::max(std::chrono::milliseconds(100), timeout / 4);
  std::weak_ptr<bool> alive = alive_;
  inactivityTimer_ = loop_.addTimer(period, [this, alive, timeout, period] {
    if (alive.expired()) return;
    inactivityTimer_ = 0;
    if (state_ != TransportState::Connected) return;
    silentFor_ = datagramsReceived_ == datagramsAtLastCheck_ ? silentFor_ + period : std::chrono::milliseconds(0);
    datagramsAtLastCheck_ = datagramsReceived_;
    if (silentFor_ >= timeout) {
      return setState(TransportState::Failed,
                      "nothing received from the peer for " + std::to_string(silentFor_.count()) + " ms");
    }
    armInactivityCheck();
  });
}

void WebRtcTransport::onIceCandidate(const std::string& candidate) { listener_.onLocalCandidate(candidate); }

void WebRtcTransport::onIceGatheringDone() { listener_.onGatheringDone(); }

void WebRtcTransport::onIceStateChange(IceState state) {
  if (state == IceState::Connected) {
    for (const auto& d : heldDtls_) ice_->send(d);
    heldDtls_.clear();
    startDtlsIfReady();
  }
  if (state == IceState::Failed) setState(TransportState::Failed, "ICE failed");
  if (state == IceState::Disconnected) setState(TransportState::Failed, "ICE consent lost");
}

void WebRtcTransport::onIcePacket(std::span<uint8_t> packet) {
  ++datagramsReceived_;
  switch (classify(packet)) {
    case Demux::Dtls:
      dtls_.receive(packet);
      armDtlsTimer();
      return;
    case Demux::Srtp:
      break;
    default:
      ++counters_.dropped;
      return;
  }
  if (!srtp_) {
    ++counters_.dropped;
    return;
  }
  size_t length = packet.size();
  if (isRtcp(packet)) {
    if (srtp_->unprotectRtcp(packet, length) != SrtpStatus::Ok) {
      ++counters_.srtpFailures;
      return;
    }
    ++counters_.rtcpReceived;
    listener_.onRtcp(packet.first(length));
    return;
  }
  if (srtp_->unprotectRtp(packet, length) != SrtpStatus::Ok) {
    ++counters_.srtpFailures;
    return;
  }
  ++counters_.rtpReceived;
  listener_.onRtp(packet.first(length));
}

void WebRtcTransport::onDtlsSend(std::span<const uint8_t> datagram) {
  if (ice_->send(datagram)) return;
  // An ICE-lite agent can receive the ClientHello a moment before it has a
  // selected pair to answer on; hold the reply for that moment instead of
  // losing it to a one-second DTLS retransmission timer.
  constexpr size_t kMaxHeld = 32;
  if (ice_->state() != IceState::Connected && heldDtls_.size() < kMaxHeld) {
    heldDtls_.emplace_back(datagram.begin(), datagram.end());
  }
}

void WebRtcTransport::onDtlsConnected(const SrtpKeys& keys) {
  std::string error;
  srtp_ = SrtpSession::create(keys, error, settings_.srtpImplementation);
  if (!srtp_) return setState(TransportState::Failed, error);
  if (settings_.dataChannels && remote_ && remote_->dataChannels) {
    SctpSettings sctp = settings_.sctp;
    sctp.remotePort = remote_->remoteSctpPort;
    sctp_ = std::make_unique<SctpTransport>(loop_, static_cast<SctpTransportListener&>(*this), sctp);
    if (!sctp_->start(dtls_.role() == DtlsRole::Client, error)) return setState(TransportState::Failed, error);
  }
  setState(TransportState::Connected);
  armInactivityCheck();
}

void WebRtcTransport::onDtlsData(std::span<const uint8_t> data) {
  if (sctp_) sctp_->receive(data);
}

void WebRtcTransport::onDtlsFailed(const std::string& reason) { setState(TransportState::Failed, reason); }

void WebRtcTransport::onDtlsClosed() { setState(TransportState::Closed, "peer closed DTLS"); }

void WebRtcTransport::onSctpSend(std::span<const uint8_t> packet) { dtls_.send(packet); }

void WebRtcTransport::onDataChannelOpen(uint16_t id, const std::string& label, const DataChannelOptions& options) {
  listener_.onDataChannelOpen(id, label, options);
}

void WebRtcTransport::onDataChannelMessage(uint16_t id, std::span<const uint8_t> data, bool binary) {
  listener_.onDataChannelMessage(id, data, binary);
}

void WebRtcTransport::onDataChannelClosed(uint16_t id) { listener_.onDataChannelClosed(id); }

bool WebRtcTransport::sendRtp(std::span<uint8_t> buffer, size_t length) {
  if (!srtp_ || srtp_->protectRtp(buffer, length) != SrtpStatus::Ok) return false;
  if (!ice_->send(buffer.first(length))) return false;
  ++counters_.rtpSent;
  return true;
}

bool WebRtcTransport::sendRtcp(std::span<uint8_t> buffer, size_t length) {
  if (!srtp_ || srtp_->protectRtcp(buffer, length) != SrtpStatus::Ok) return false;
  if (!ice_->send(buffer.first(length))) return false;
  ++counters_.rtcpSent;
  return true;
}

std::optional<uint16_t> WebRtcTransport::openDataChannel(const std::string& label, const DataChannelOptions& options) {
  return sctp_ ? sctp_->openChannel(label, options) : std::nullopt;
}

bool WebRtcTransport::sendData(uint16_t id, std::span<const uint8_t> data, bool binary) {
  return sctp_ && sctp_->send(id, data, binary);
}

void WebRtcTransport::closeDataChannel(uint16_t id) {
  if (sctp_) sctp_->closeChannel(id);
}

void WebRtcTransport::close() {
  if (state_ == TransportState::Closed) return;
  sctp_.reset();
  dtls_.close();
  setState(TransportState::Closed, "closed locally");
}

std::optional<SrtpProfile> WebRtcTransport::srtpProfile() const {
  if (!srtp_) return std::nullopt;
  return srtp_->profile();
}

void WebRtcTransport::setState(TransportState state, const std::string& reason) {
  if (state_ == state) return;
  state_ = state;
  listener_.onTransportState(state, reason);
}

}  // namespace convox::rtc
