#pragma once

// RTCIceCandidateInit as JSON (W3C WebRTC §4.8.1), the form LiveKit's
// TrickleRequest.candidateInit carries: {"candidate": "candidate:...",
// "sdpMid": "0", "sdpMLineIndex": 0, "usernameFragment": ...}.

#include <optional>
#include <string>
#include <string_view>

namespace convox::rtc {

struct IceCandidateInit {
  std::string candidate;  // "candidate:..." without "a="; empty marks the end of candidates
  std::string sdpMid;
  std::optional<unsigned> sdpMLineIndex;
  std::string usernameFragment;
};

// nullopt when `json` is not an object with a string "candidate".
std::optional<IceCandidateInit> parseIceCandidateInit(std::string_view json);
std::string writeIceCandidateInit(const IceCandidateInit& init);

}  // namespace convox::rtc
