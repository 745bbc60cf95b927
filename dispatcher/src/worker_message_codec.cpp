#include "dispatcher/worker_message_codec.hpp"

#include <google/protobuf/util/json_util.h>

namespace convox::dispatcher {

WorkerDecodeResult decodeWorkerMessage(std::string_view frame, bool binary, livekit::WorkerMessage& out) {
  out.Clear();
  if (binary) {
    if (!out.ParseFromArray(frame.data(), static_cast<int>(frame.size()))) {
      return {false, "frame is not a valid livekit.WorkerMessage protobuf"};
    }
  } else {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    const auto status = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(frame.data(), frame.size()), &out, options);
    if (!status.ok()) {
      return {false, "text frame is not a livekit.WorkerMessage in JSON: " + std::string(status.message())};
    }
  }
  return {true, {}};
}

std::string encodeServerMessage(const livekit::ServerMessage& message, bool text) {
  if (!text) return message.SerializeAsString();
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out);
  return out;
}

}  // namespace convox::dispatcher
