#pragma once

// ICE (RFC 8445) on libnice, attached to an EventLoop's GLib context. The
// server side runs ICE-lite (controlled, RFC 8445 §2.5); the client side a
// full controlling agent. Candidates trickle both ways as SDP
// "candidate:..." strings. Consent freshness (RFC 7675) detects dead peers.

#include "rtc/event_loop.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

typedef struct _NiceAgent NiceAgent;  // NOLINT(bugprone-reserved-identifier): libnice's name

namespace convox::rtc {

enum class IceRole { Lite, Controlling, Controlled };

enum class IceState { New, Gathering, Checking, Connected, Disconnected, Failed };

std::string_view describe(IceState state);

struct IceSettings {
  IceRole role = IceRole::Lite;
  uint16_t portMin = 0;  // 0, 0 = any port
  uint16_t portMax = 0;
  // Gather only on these local addresses (empty = every interface). Tests
  // name their loopback or namespace address so no traffic leaves them.
  std::vector<std::string> localAddresses;
  // Written in place of host candidate addresses (a server behind 1:1 NAT).
  std::optional<std::string> announcedAddress;
  bool tcp = false;  // also offer ICE-TCP passive candidates
  // ICE-lite only: share this media thread's socket (UdpMux) instead of a
  // libnice agent and socket per connection. Not owned.
  class UdpMux* mux = nullptr;
  // On the mux: the port of the server's ICE-TCP listener (TcpIceListener),
  // announced as a passive TCP host candidate beside the UDP one; 0 = none.
  uint16_t muxTcpPort = 0;
  // On the mux: the local ufrag starts with this (the server routes an
  // ICE-TCP connection to the media thread it names).
  std::string ufragPrefix;
  // On the mux: a peer with no valid check (RFC 7675 consent) for this
  // long fails; zero never. WebRtcTransport sets it from its inactivityTimeout.
  std::chrono::milliseconds consentTimeout{30000};
};

class IceAgentListener {
 public:
  virtual ~IceAgentListener() = default;
  // A local candidate, as "candidate:..." (no "a=").
  virtual void onIceCandidate(const std::string& candidate) = 0;
  virtual void onIceGatheringDone() = 0;
  virtual void onIceStateChange(IceState state) = 0;
  // A non-STUN datagram; the buffer may be modified in place until return.
  virtual void onIcePacket(std::span<uint8_t> packet) = 0;
};

// The ICE side of a WebRtcTransport (see ice_transport.hpp for the choice).
class IceTransport {
 public:
  virtual ~IceTransport() = default;
  // Creates the stream and starts gathering.
  virtual bool start(std::string& error) = 0;
  virtual const std::string& localUfrag() const = 0;
  virtual const std::string& localPassword() const = 0;
  virtual std::vector<std::string> localCandidates() const = 0;
  virtual bool setRemoteCredentials(const std::string& ufrag, const std::string& password) = 0;
  virtual bool restart() = 0;
  virtual bool addRemoteCandidate(const std::string& candidate) = 0;
  virtual void remoteGatheringDone() = 0;
  virtual bool send(std::span<const uint8_t> datagram) = 0;
  virtual IceState state() const = 0;
  // True when this transport fails a vanished peer itself (the mux's consent
  // expiry), so the WebRTC transport needs no inactivity timer of its own.
  virtual bool detectsVanishedPeer() const { return false; }
};

class IceAgent final : public IceTransport {
 public:
  IceAgent(EventLoop& loop, IceAgentListener& listener, IceSettings settings);
  ~IceAgent() override;
  IceAgent(const IceAgent&) = delete;
  IceAgent& operator=(const IceAgent&) = delete;

  // Creates the stream and starts gathering.
  bool start(std::string& error) override;
  const std::string& localUfrag() const override { return localUfrag_; }
  const std::string& localPassword() const override { return localPassword_; }
  // Local candidates gathered so far.
  std::vector<std::string> localCandidates() const override;

  bool setRemoteCredentials(const std::string& ufrag, const std::string& password) override;
  // ICE restart (RFC 8445 §9): new local credentials, remote candidates and
  // checks forgotten; local candidates stay. The selected pair keeps carrying
  // media until the new checks pick one. Then set the new remote credentials
  // and candidates; a controlling agent checks again.
  bool restart() override;
  // A remote "candidate:..." (with or without "a="); false if unusable (an
  // mDNS name, for one: a lite agent learns that peer from its checks).
  bool addRemoteCandidate(const std::string& candidate) override;
  void remoteGatheringDone() override;

  // Sends one datagram on the selected pair; false if there is none yet.
  bool send(std::span<const uint8_t> datagram) override;
  IceState state() const override { return state_; }

 private:
  static void onGatheringDoneThunk(NiceAgent*, unsigned stream, void* self);
  static void onNewCandidateThunk(NiceAgent*, void* candidate, void* self);
  static void onStateThunk(NiceAgent*, unsigned stream, unsigned component, unsigned state, void* self);
  static void onReceiveThunk(NiceAgent*, unsigned stream, unsigned component, unsigned len, char* buf, void* self);
  std::string candidateLine(void* niceCandidate) const;
  void readLocalCredentials();

  // Passed by argument.
  EventLoop& loop_;
  IceAgentListener& listener_;
  const IceSettings settings_;
  // Allocated by this.
  NiceAgent* agent_ = nullptr;
  // Others.
  unsigned streamId_ = 0;
  std::string localUfrag_;
  std::string localPassword_;
  IceState state_ = IceState::New;
};

}  // namespace convox::rtc
