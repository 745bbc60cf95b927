#pragma once

// One peer connection's transport stack, composed the way mediasoup's
// WebRtcTransport is: ICE carries datagrams; DTLS runs over ICE; SRTP keys
// come from DTLS; SCTP data channels ride inside DTLS. It knows nothing of
// SDP negotiation, rooms or tracks: callers pass it the negotiated
// parameters and get packets back.
//
// Packet path (receive): ICE datagram -> demux by first byte (RFC 7983) ->
// DTLS, or SRTP/SRTCP unprotect in place -> listener. Send: caller's buffer
// -> SRTP protect in place -> ICE. Nothing allocates per packet.

#include "rtc/dtls_transport.hpp"
#include "rtc/event_loop.hpp"
#include "rtc/ice_agent.hpp"
#include "rtc/ice_transport.hpp"
#include "rtc/sctp_transport.hpp"
#include "rtc/srtp_session.hpp"

#include <memory>
#include <optional>
#include <string>

namespace convox::rtc {

enum class TransportState { New, Connecting, Connected, Failed, Closed };

std::string_view describe(TransportState state);

class WebRtcTransportListener {
 public:
  virtual ~WebRtcTransportListener() = default;
  virtual void onLocalCandidate(const std::string& /*candidate*/) {}
  virtual void onGatheringDone() {}
  virtual void onTransportState(TransportState /*state*/, const std::string& /*reason*/) {}
  // Decrypted packets; the buffer may be rewritten in place until return.
  virtual void onRtp(std::span<uint8_t> /*packet*/) {}
  virtual void onRtcp(std::span<uint8_t> /*packet*/) {}
  virtual void onDataChannelOpen(uint16_t /*id*/, const std::string& /*label*/, const DataChannelOptions&) {}
  virtual void onDataChannelMessage(uint16_t /*id*/, std::span<const uint8_t> /*data*/, bool /*binary*/) {}
  virtual void onDataChannelClosed(uint16_t /*id*/) {}
};

struct WebRtcTransportSettings {
  IceSettings ice;
  std::shared_ptr<const DtlsCertificate> certificate;
  std::vector<SrtpProfile> srtpProfiles{SrtpProfile::AeadAes128Gcm, SrtpProfile::Aes128CmHmacSha1_80};
  SrtpImplementation srtpImplementation = SrtpImplementation::OpenSsl;
  bool dataChannels = true;
  SctpSettings sctp;
  // A connected transport that receives nothing for this long fails. An
  // ICE-lite server sends no consent checks of its own (RFC 7675 leaves that
  // to the full agent), so this is how it notices a peer that vanished; on
  // the mux it is the time without a valid check from the peer (the mux's
  // consent expiry), with no second timer. Zero disables it.
  std::chrono::milliseconds inactivityTimeout{30000};
};

// What the remote description negotiated.
struct RemoteTransportParameters {
  std::string iceUfrag;
  std::string icePassword;
  std::string fingerprintAlgorithm = "sha-256";
  std::string fingerprint;
  DtlsRole localDtlsRole = DtlsRole::Server;  // from a=setup: we are the client if we are "active"
  bool dataChannels = false;                  // the peer negotiated m=application
  uint16_t remoteSctpPort = 5000;
};

struct TransportCounters {
  uint64_t rtpReceived = 0;
  uint64_t rtcpReceived = 0;
  uint64_t rtpSent = 0;
  uint64_t rtcpSent = 0;
  uint64_t srtpFailures = 0;  // unprotect errors: replays, bad tags
  uint64_t dropped = 0;       // not STUN/DTLS/RTP, or media before keys
};

class WebRtcTransport final : IceAgentListener, DtlsTransportListener, SctpTransportListener {
 public:
  WebRtcTransport(EventLoop& loop, WebRtcTransportListener& listener, WebRtcTransportSettings settings);
  ~WebRtcTransport() override;
  WebRtcTransport(const WebRtcTransport&) = delete;
  WebRtcTransport& operator=(const WebRtcTransport&) = delete;

  // Starts ICE gathering.
  bool start(std::string& error);
  const std::string& localIceUfrag() const { return ice_->localUfrag(); }
  const std::string& localIcePassword() const { return ice_->localPassword(); }
  const std::string& localFingerprint() const { return settings_.certificate->fingerprintSha256(); }
  std::vector<std::string> localCandidates() const { return ice_->localCandidates(); }

  bool setRemoteParameters(const RemoteTransportParameters& remote, std::string& error);
  // The peer restarted ICE (its offer or answer has new credentials): new
  // local credentials too (read them after this for the answer), the new
  // remote ones set. DTLS and SRTP carry on over whichever pair wins.
  bool restartIce(const std::string& remoteUfrag, const std::string& remotePassword, std::string& error);
  // Our own restart, as an offerer: new local credentials to offer; the
  // answer's credentials then go to restartIce's counterpart below.
  bool restartLocalIce(std::string& error);
  bool setRemoteIceCredentials(const std::string& ufrag, const std::string& password, std::string& error);
  // The remote credentials in use, empty before setRemoteParameters.
  std::string remoteIceUfrag() const { return remote_ ? remote_->iceUfrag : std::string(); }
  bool addRemoteCandidate(const std::string& candidate) { return ice_->addRemoteCandidate(candidate); }
  void remoteGatheringDone() { ice_->remoteGatheringDone(); }

  // Protect in place and send. `buffer` holds the packet in its first
  // `length` bytes and must have kSrtpMaxTrailer bytes to spare.
  bool sendRtp(std::span<uint8_t> buffer, size_t length);
  bool sendRtcp(std::span<uint8_t> buffer, size_t length);

  std::optional<uint16_t> openDataChannel(const std::string& label, const DataChannelOptions& options);
  bool sendData(uint16_t id, std::span<const uint8_t> data, bool binary);
  void closeDataChannel(uint16_t id);

  void close();
  TransportState state() const { return state_; }
  const TransportCounters& counters() const { return counters_; }
  std::optional<SrtpProfile> srtpProfile() const;

 private:
  // IceAgentListener
  void onIceCandidate(const std::string& candidate) override;
  void onIceGatheringDone() override;
  void onIceStateChange(IceState state) override;
  void onIcePacket(std::span<uint8_t> packet) override;
  // DtlsTransportListener
  void onDtlsSend(std::span<const uint8_t> datagram) override;
  void onDtlsConnected(const SrtpKeys& keys) override;
  void onDtlsData(std::span<const uint8_t> data) override;
  void onDtlsFailed(const std::string& reason) override;
  void onDtlsClosed() override;
  // SctpTransportListener
  void onSctpSend(std::span<const uint8_t> packet) override;
  void onSctpConnected() override {}
  void onSctpClosed(const std::string&) override {}
  void onDataChannelOpen(uint16_t id, const std::string& label, const DataChannelOptions& options) override;
  void onDataChannelMessage(uint16_t id, std::span<const uint8_t> data, bool binary) override;
  void onDataChannelClosed(uint16_t id) override;

  void startDtlsIfReady();
  void armInactivityCheck();
  void armDtlsTimer();
  void setState(TransportState state, const std::string& reason = {});

  // Passed by argument.
  EventLoop& loop_;
  WebRtcTransportListener& listener_;
  const WebRtcTransportSettings settings_;
  // Allocated by this.
  std::unique_ptr<IceTransport> ice_;
  DtlsTransport dtls_;
  std::unique_ptr<SrtpSession> srtp_;
  std::unique_ptr<SctpTransport> sctp_;
  // Others.
  std::optional<RemoteTransportParameters> remote_;
  TransportState state_ = TransportState::New;
  TransportCounters counters_;
  std::vector<std::vector<uint8_t>> heldDtls_;  // handshake replies waiting for a selected pair
  uint32_t dtlsTimer_ = 0;
  uint32_t inactivityTimer_ = 0;
  uint64_t datagramsReceived_ = 0;
  uint64_t datagramsAtLastCheck_ = 0;
  std::chrono::milliseconds silentFor_{0};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace convox::rtc
