// An ICE-lite connection on its media thread's UdpMux: see ice_transport.hpp.
#include "rtc/ice_transport.hpp"
#include "rtc/udp_mux.hpp"

#include <openssl/rand.h>

#include <memory>

namespace convox::rtc {

namespace {

// RFC 8445 §5.3: ice-char (ALPHA / DIGIT / "+" / "/"), ufrag ≥ 4, pwd ≥ 22.
std::string iceToken(size_t length) {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out(length, 'x');
  std::vector<uint8_t> random(length);
  RAND_bytes(random.data(), static_cast<int>(random.size()));
  for (size_t i = 0; i < length; ++i) out[i] = kChars[random[i] % 64];
  return out;
}

// A passive TCP host candidate (RFC 6544 §4.2, as pion and so LiveKit
// compute it): type preference 126, local preference 2^13 * 4 (passive) +
// 8191, component 1: below every UDP host candidate (2130706431), so a peer
// that reaches UDP keeps it.
constexpr uint32_t kTcpPassivePriority = (126u << 24) + (((4u << 13) + 8191u) << 8) + (256u - 1u);

class MuxIceTransport final : public IceTransport, UdpMuxListener {
 public:
  MuxIceTransport(EventLoop& loop, IceAgentListener& listener, IceSettings settings)
      : loop_(loop), listener_(listener), settings_(std::move(settings)), mux_(*settings_.mux) {}
  ~MuxIceTransport() override {
    *alive_ = false;
    if (consentTimer_) loop_.cancelTimer(consentTimer_);
    if (id_) mux_.remove(id_);
  }

  bool start(std::string& error) override {
    if (mux_.localEndpoint().port == 0) {
      error = "the media thread's UDP socket is not open";
      return false;
    }
    ufrag_ = settings_.ufragPrefix + iceToken(8);
    password_ = iceToken(24);
    id_ = mux_.add({ufrag_, password_, ""}, *this, consentTimeout());
    setState(IceState::Gathering);
    // Candidates are known at once; they are reported from the loop, as a
    // gathering agent would, not from inside start().
    std::weak_ptr<bool> alive = alive_;
    loop_.post([this, alive] {
      if (alive.expired()) return;
      for (const auto& c : localCandidates()) listener_.onIceCandidate(c);
      listener_.onIceGatheringDone();
    });
    return true;
  }

  const std::string& localUfrag() const override { return ufrag_; }
  const std::string& localPassword() const override { return password_; }

  std::vector<std::string> localCandidates() const override {
    std::vector<std::string> out;
    const uint16_t port = mux_.localEndpoint().port;
    std::vector<std::string> addresses;
    if (settings_.announcedAddress) {
      addresses.push_back(*settings_.announcedAddress);
    } else if (!settings_.localAddresses.empty()) {
      addresses = settings_.localAddresses;
    } else {
      addresses.push_back(mux_.localEndpoint().toString().substr(0, mux_.localEndpoint().toString().rfind(':')));
    }
    uint32_t foundation = 1;
    out.reserve(addresses.size() * 2);
    for (const auto& a : addresses) {
      // Host candidate, component 1, type preference 126 (RFC 8445 §5.1.2.1).
      out.push_back("candidate:" + std::to_string(foundation++) + " 1 udp 2130706431 " + a + " " +
                    std::to_string(port) + " typ host");
    }
    if (settings_.muxTcpPort != 0) {
      for (const auto& a : addresses) {
        out.push_back("candidate:" + std::to_string(foundation++) + " 1 tcp " + std::to_string(kTcpPassivePriority) +
                      " " + a + " " + std::to_string(settings_.muxTcpPort) + " typ host tcptype passive");
      }
    }
    return out;
  }

  bool setRemoteCredentials(const std::string& ufrag, const std::string&) override {
    // A lite agent never keys a request of its own with the peer's password.
    mux_.restart(id_, {ufrag_, password_, ufrag});
    if (state_ == IceState::Gathering || state_ == IceState::New) setState(IceState::Checking);
    return true;
  }

  bool restart() override {
    ufrag_ = settings_.ufragPrefix + iceToken(8);
    password_ = iceToken(24);
    mux_.restart(id_, {ufrag_, password_, ""});
    return true;
  }

  // A lite agent learns the peer's addresses from its checks.
  bool addRemoteCandidate(const std::string&) override { return true; }
  void remoteGatheringDone() override {}

  bool send(std::span<const uint8_t> datagram) override { return mux_.send(id_, datagram); }
  IceState state() const override { return state_; }
  bool detectsVanishedPeer() const override { return settings_.consentTimeout.count() > 0; }

 private:
  // Zero (never) is kept by not arming the check; the responder still needs a span.
  std::chrono::milliseconds consentTimeout() const {
    return settings_.consentTimeout.count() > 0 ? settings_.consentTimeout : std::chrono::hours(24 * 365);
  }

  void onMuxPacket(std::span<uint8_t> datagram) override { listener_.onIcePacket(datagram); }

  void onMuxPathSelected(const SocketEndpoint&) override {
    if (state_ != IceState::Connected) setState(IceState::Connected);
    if (!consentTimer_ && settings_.consentTimeout.count() > 0) armConsentCheck();
  }

  void armConsentCheck() {
    std::weak_ptr<bool> alive = alive_;
    consentTimer_ = loop_.addTimer(std::chrono::seconds(1), [this, alive] {
      if (alive.expired()) return;
      consentTimer_ = 0;
      if (mux_.consentExpired(id_, IceLiteResponder::Clock::now())) return setState(IceState::Failed);
      armConsentCheck();
    });
  }

  void setState(IceState s) {
    if (s == state_) return;
    state_ = s;
    listener_.onIceStateChange(s);
  }

  EventLoop& loop_;
  IceAgentListener& listener_;
  const IceSettings settings_;
  UdpMux& mux_;
  std::string ufrag_;
  std::string password_;
  UdpMux::SessionId id_ = 0;
  IceState state_ = IceState::New;
  uint32_t consentTimer_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

std::unique_ptr<IceTransport> makeIceTransport(EventLoop& loop, IceAgentListener& listener, IceSettings settings) {
  if (settings.mux && settings.role == IceRole::Lite) {
    return std::make_unique<MuxIceTransport>(loop, listener, std::move(settings));
  }
  return std::make_unique<IceAgent>(loop, listener, std::move(settings));
}

}  // namespace convox::rtc
