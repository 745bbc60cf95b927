// libFuzzer target: the /rtc signal frame decoder (binary protobuf and JSON text).
#include "sfu/signal_codec.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the frame type, the rest is the frame.
  const bool binary = (data[0] & 1) == 0;
  std::string_view frame(reinterpret_cast<const char*>(data + 1), size - 1);
  livekit::SignalRequest req;
  auto result = convox::sfu::decodeSignalRequest(frame, binary, req);
  if (result.ok) {
    // Whatever decoded must encode again.
    (void)req.SerializeAsString();
  } else if (result.error.empty()) {
    __builtin_trap();  // a rejection must say why
  }
  return 0;
}
