#include "rtc/ice_lite_responder.hpp"

namespace convox::rtc {

IceLiteResponder::IceLiteResponder(IceLiteCredentials credentials, std::chrono::milliseconds consentTimeout)
    : credentials_(std::move(credentials)), consentTimeout_(consentTimeout) {}

void IceLiteResponder::restart(IceLiteCredentials credentials) { credentials_ = std::move(credentials); }

bool IceLiteResponder::consentExpired(Clock::time_point now) const {
  return selected_ && now - lastConsent_ >= consentTimeout_;
}

IceLiteOutcome IceLiteResponder::refuse(const StunMessage& request, uint16_t code, std::string_view reason,
                                        std::span<uint8_t> out, std::span<const uint16_t> unknown) {
  StunWriter w(out.first(std::min(out.size(), kMaxResponseLength)), kStunBindingMethod, StunClass::ErrorResponse,
               request.transactionId);
  w.errorCode(code, reason);
  if (!unknown.empty()) w.unknownAttributes(unknown);
  // A 401 cannot be keyed: the sender's credentials are what failed.
  if (code != 401 && code != 400) w.messageIntegrity(credentials_.localPassword);
  w.fingerprint();
  return {IceLiteVerdict::Refused, w.size(), false, false, reason};
}

IceLiteOutcome IceLiteResponder::handle(std::span<const uint8_t> datagram, const SocketEndpoint& from,
                                        Clock::time_point now, std::span<uint8_t> out) {
  const auto parsed = StunMessage::parse(datagram);
  if (!parsed) return {IceLiteVerdict::Ignored, 0, false, false, describe(parsed.error())};
  const StunMessage& m = *parsed;
  if (m.messageClass != StunClass::Request) {
    return {IceLiteVerdict::Ignored, 0, false, false, "not a request (a lite agent sends none)"};
  }
  if (!stunFingerprintValid(m)) return {IceLiteVerdict::Ignored, 0, false, false, "FINGERPRINT missing or wrong"};
  if (m.method != kStunBindingMethod) return refuse(m, 400, "only Binding is served", out);
  if (m.unknownRequiredCount > 0) {
    return refuse(m, 420, "unknown comprehension-required attribute", out,
                  std::span<const uint16_t>(m.unknownRequired).first(m.unknownRequiredCount));
  }
  if (m.username.empty() || m.integrityOffset == 0) return refuse(m, 400, "USERNAME and MESSAGE-INTEGRITY needed", out);
  const auto user = splitIceUsername(m.username);
  if (!user || user->local != credentials_.localUfrag ||
      (!credentials_.remoteUfrag.empty() && user->remote != credentials_.remoteUfrag)) {
    return refuse(m, 401, "USERNAME is not this session's", out);
  }
  if (!stunIntegrityValid(m, credentials_.localPassword)) return refuse(m, 401, "MESSAGE-INTEGRITY is wrong", out);
  if (m.iceControlled && !m.iceControlling) {
    // Both sides claim controlled; the full agent must take control.
    return refuse(m, 487, "role conflict: an ICE-lite agent is always controlled", out);
  }
  if (!m.priority) return refuse(m, 400, "PRIORITY needed", out);

  IceLiteOutcome o{IceLiteVerdict::Accepted, 0, false, false, {}};
  if (m.useCandidate) {
    o.nominated = true;
    o.pathChanged = !selected_ || *selected_ != from;
    selected_ = from;
  }
  if (isSelected(from)) lastConsent_ = now;
  StunWriter w(out.first(std::min(out.size(), kMaxResponseLength)), kStunBindingMethod, StunClass::SuccessResponse,
               m.transactionId);
  w.xorMappedAddress(from).messageIntegrity(credentials_.localPassword).fingerprint();
  o.responseLength = w.size();
  if (!w.ok()) return {IceLiteVerdict::Ignored, 0, false, false, "response buffer too small"};
  return o;
}

}  // namespace convox::rtc
