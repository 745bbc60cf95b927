#include "rtc/sdp_transport.hpp"

#include "rtc/dtls_certificate.hpp"

namespace convox::rtc {

boost::system::result<SessionDescription, std::string> parseRemoteDescription(std::string_view sdp, SdpType type) {
  const std::string what = type == SdpType::Offer ? "offer: " : "answer: ";
  auto parsed = parseSdp(sdp);
  if (!parsed) return what + describe(parsed.error());
  if (auto valid = validateForWebRtc(*parsed, type); !valid) return what + describe(valid.error());
  return std::move(*parsed);
}

SetupRole answerSetupRole(SetupRole offered, SetupRole whenActPass) {
  switch (offered) {
    case SetupRole::Active:
      return SetupRole::Passive;
    case SetupRole::Passive:
      return SetupRole::Active;
    default:
      return whenActPass;
  }
}

DtlsRole negotiatedDtlsRole(SetupRole local, SetupRole remote) {
  if (local == SetupRole::Active) return DtlsRole::Client;
  if (local == SetupRole::Passive) return DtlsRole::Server;
  return remote == SetupRole::Passive ? DtlsRole::Client : DtlsRole::Server;
}

void describeLocalTransport(const WebRtcTransport& transport, MediaSection& section, SetupRole setup,
                            bool gatheringDone) {
  section.connection = Connection{};
  section.transport.iceUfrag = transport.localIceUfrag();
  section.transport.icePwd = transport.localIcePassword();
  section.transport.fingerprints = {{"sha-256", parseFingerprintHex(transport.localFingerprint())}};
  section.transport.setup = setup;
  section.candidates.clear();
  for (const auto& line : transport.localCandidates()) {
    if (auto candidate = parseIceCandidate(line)) section.candidates.push_back(std::move(*candidate));
  }
  section.endOfCandidates = gatheringDone;
}

boost::system::result<RemoteDescriptionApplied, std::string> applyRemoteDescription(WebRtcTransport& transport,
                                                                                    const SessionDescription& remote,
                                                                                    SdpType type,
                                                                                    SetupRole localSetup) {
  const std::string what = type == SdpType::Offer ? "offer" : "answer";
  const MediaSection* first = firstActiveSection(remote);
  if (!first) return what + " has no usable section";
  const auto attributes = effectiveTransport(remote, *first);
  if (attributes.iceUfrag.empty() || attributes.icePwd.empty()) return what + " has no ICE credentials";

  RemoteDescriptionApplied applied;
  std::string error;
  const std::string current = transport.remoteIceUfrag();
  if (current.empty()) {
    if (attributes.fingerprints.empty()) return what + " has no fingerprint";
    RemoteTransportParameters params;
    params.iceUfrag = attributes.iceUfrag;
    params.icePassword = attributes.icePwd;
    params.fingerprintAlgorithm = attributes.fingerprints[0].algorithm;
    params.fingerprint = formatFingerprintHex(attributes.fingerprints[0].digest);
    params.localDtlsRole = negotiatedDtlsRole(localSetup, attributes.setup.value_or(SetupRole::ActPass));
    for (const auto& section : remote.media) {
      if (section.kind != MediaKind::Application || section.isRejected()) continue;
      params.dataChannels = true;
      if (section.sctpPort) params.remoteSctpPort = *section.sctpPort;
    }
    if (!transport.setRemoteParameters(params, error)) return error;
    applied.first = true;
  } else if (attributes.iceUfrag != current) {
    const bool ok = type == SdpType::Offer
                        ? transport.restartIce(attributes.iceUfrag, attributes.icePwd, error)
                        : transport.setRemoteIceCredentials(attributes.iceUfrag, attributes.icePwd, error);
    if (!ok) return "ICE restart: " + error;
    applied.iceRestarted = true;
  }
  bool endOfCandidates = false;
  for (const auto& section : remote.media) {
    for (const auto& candidate : section.candidates) transport.addRemoteCandidate(writeIceCandidate(candidate));
    endOfCandidates = endOfCandidates || section.endOfCandidates;
  }
  if (endOfCandidates) transport.remoteGatheringDone();
  return applied;
}

}  // namespace convox::rtc
