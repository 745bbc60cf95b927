#include "sfu/signal_codec.hpp"

#include <google/protobuf/util/json_util.h>

namespace convox::sfu {

SignalDecodeResult decodeSignalRequest(std::string_view frame, bool binary, livekit::SignalRequest& out) {
  out.Clear();
  if (binary) {
    if (!out.ParseFromArray(frame.data(), static_cast<int>(frame.size()))) {
      return {false, "frame is not a valid livekit.SignalRequest protobuf"};
    }
  } else {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    const auto status = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(frame.data(), frame.size()), &out, options);
    if (!status.ok())
      return {false, "text frame is not a livekit.SignalRequest in JSON: " + std::string(status.message())};
  }
  return {true, {}};
}

std::string encodeSignalResponse(const livekit::SignalResponse& response) { return response.SerializeAsString(); }

}  // namespace convox::sfu
