#pragma once

// The one place where a SessionDescription meets a WebRtcTransport: our ICE
// and DTLS attributes written onto the sections we send, and a peer's
// description applied to the transport (credentials, fingerprint, DTLS
// role, data channels, candidates, ICE restarts). Every user of rtc/
// negotiates through these, server and client alike, so the JSEP rules
// below are written once.

#include "rtc/sdp.hpp"
#include "rtc/webrtc_transport.hpp"

#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace convox::rtc {

// A peer's description parsed and checked for what rtc/ supports
// (validateForWebRtc); the error says which ("offer: line 12: ...").
boost::system::result<SessionDescription, std::string> parseRemoteDescription(std::string_view sdp, SdpType type);

// The a=setup we answer with: the opposite of an active or passive offer,
// and `whenActPass` to an actpass one (servers here take passive, so the
// client drives the DTLS handshake; a client answering takes active, as
// browsers do).
SetupRole answerSetupRole(SetupRole offered, SetupRole whenActPass);

// Our DTLS role once both a=setup values are known (RFC 8842): active is
// the client; an actpass side is the client when the other is passive.
DtlsRole negotiatedDtlsRole(SetupRole local, SetupRole remote);

// Our credentials, sha-256 fingerprint, `setup` and every candidate
// gathered so far, with end-of-candidates once gathering is done, onto a
// section we write. ICE options (trickle) are the caller's to state.
void describeLocalTransport(const WebRtcTransport& transport, MediaSection& section, SetupRole setup,
                            bool gatheringDone);

struct RemoteDescriptionApplied {
  bool first = false;         // the transport's remote parameters were set by this one
  bool iceRestarted = false;  // new remote credentials: after an offer, ours are new too
};

// Applies a validated description from the peer. The first one sets the
// remote parameters; later ones with new ICE credentials restart ICE (in
// an offer: ours restart too, so read the local credentials after this for
// the answer; in an answer: the reply to our own restartLocalIce). The
// candidates of every section are added each time (the ICE agent ignores
// ones it has), and end-of-candidates is passed on. `localSetup` is the
// a=setup we wrote or will write.
boost::system::result<RemoteDescriptionApplied, std::string> applyRemoteDescription(WebRtcTransport& transport,
                                                                                    const SessionDescription& remote,
                                                                                    SdpType type, SetupRole localSetup);

}  // namespace convox::rtc
