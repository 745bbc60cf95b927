#pragma once

// The server side of ICE-lite (RFC 8445 §2.5, §7.3) with no socket of its
// own: the media loop hands it each binding request with the address it
// came from and the time, and sends the response it writes. It checks
// USERNAME, MESSAGE-INTEGRITY (local password) and FINGERPRINT, answers
// with XOR-MAPPED-ADDRESS, takes USE-CANDIDATE as the nomination that picks
// the path media uses, answers a peer that also claims the controlled role
// with 487 (a lite agent cannot become controlling), keeps consent
// (RFC 7675: a nominated path with no valid request for `consentTimeout`
// has lost it) and follows the nominated address when it changes (ICE
// restart, NAT rebinding).

#include "rtc/socket_endpoint.hpp"
#include "rtc/stun_message.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace convox::rtc {

struct IceLiteCredentials {
  std::string localUfrag;
  std::string localPassword;
  std::string remoteUfrag;  // from the peer's description; empty = not known yet
};

enum class IceLiteVerdict {
  Ignored,   // not a binding request, or FINGERPRINT missing or wrong: nothing is sent (RFC 8445 §7.3)
  Accepted,  // a success response was written
  Refused,   // an error response was written (400, 401, 420 or 487); `reason` says why
};

struct IceLiteOutcome {
  IceLiteVerdict verdict = IceLiteVerdict::Ignored;
  size_t responseLength = 0;  // bytes written to the caller's buffer
  bool nominated = false;     // this request nominated its path
  bool pathChanged = false;   // ... and it is not the one media used before
  std::string_view reason;    // for Ignored and Refused
};

class IceLiteResponder {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kMaxResponseLength = 128;

  IceLiteResponder(IceLiteCredentials credentials, std::chrono::milliseconds consentTimeout);

  // An ICE restart: new credentials. The nominated path stays in use until
  // a request under the new credentials nominates one.
  void restart(IceLiteCredentials credentials);
  void setRemoteUfrag(std::string ufrag) { credentials_.remoteUfrag = std::move(ufrag); }
  const IceLiteCredentials& credentials() const { return credentials_; }

  // `out` must hold kMaxResponseLength bytes.
  IceLiteOutcome handle(std::span<const uint8_t> datagram, const SocketEndpoint& from, Clock::time_point now,
                        std::span<uint8_t> out);

  // Where media goes: the last nominated path.
  const std::optional<SocketEndpoint>& selected() const { return selected_; }
  // True once a nominated path has gone `consentTimeout` without a valid request.
  bool consentExpired(Clock::time_point now) const;
  // Media from an address other than the selected one is not the peer's.
  bool isSelected(const SocketEndpoint& from) const { return selected_ && *selected_ == from; }

 private:
  IceLiteOutcome refuse(const StunMessage& request, uint16_t code, std::string_view reason, std::span<uint8_t> out,
                        std::span<const uint16_t> unknown = {});

  IceLiteCredentials credentials_;
  std::chrono::milliseconds consentTimeout_;
  std::optional<SocketEndpoint> selected_;
  Clock::time_point lastConsent_{};
};

}  // namespace convox::rtc
