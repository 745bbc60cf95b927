// libFuzzer target: SDP and trickled-candidate parsing. Whatever parses must
// survive write -> parse unchanged, and every rejection must say why.
#include "rtc/sdp.hpp"

#include <cstddef>
#include <cstdint>

using namespace convox::rtc;

namespace {

void checkCandidate(std::string_view text) {
  auto candidate = parseIceCandidate(text);
  if (!candidate) {
    if (candidate.error().reason.empty()) __builtin_trap();
    return;
  }
  auto again = parseIceCandidate(writeIceCandidate(*candidate));
  if (!again || !(*again == *candidate)) __builtin_trap();
}

void checkValidation(const SessionDescription& description, SdpType type) {
  auto valid = validateForWebRtc(description, type);
  if (!valid && valid.error().reason.empty()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  checkCandidate(text);
  auto parsed = parseSdp(text);
  if (!parsed) {
    if (parsed.error().reason.empty()) __builtin_trap();
    return 0;
  }
  checkValidation(*parsed, SdpType::Offer);
  checkValidation(*parsed, SdpType::Answer);
  const auto written = writeSdp(*parsed);
  // CRLF and explicit directions can make the output longer than an input
  // near the size limit; the parser rightly refuses that, so it proves nothing.
  if (written.size() > kMaxSdpBytes) return 0;
  auto reparsed = parseSdp(written);
  if (!reparsed || !(*reparsed == *parsed)) __builtin_trap();
  if (writeSdp(*reparsed) != written) __builtin_trap();
  return 0;
}
