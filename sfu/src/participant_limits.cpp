#include "participant_limits.hpp"

namespace convox::sfu {

namespace {

std::string exceeds(const char* what, size_t size, uint32_t limit) {
  return std::string("exceeds ") + what + " limit (" + std::to_string(size) + " bytes, at most " +
         std::to_string(limit) + ")";
}

// Keys plus values of the attributes once the update is merged in, as LiveKit counts them.
size_t mergedAttributesBytes(const livekit::ParticipantInfo& info,
                             const google::protobuf::Map<std::string, std::string>& update) {
  size_t total = 0;
  for (const auto& [k, v] : info.attributes()) {
    if (!update.contains(k)) total += k.size() + v.size();
  }
  for (const auto& [k, v] : update) {
    if (!v.empty()) total += k.size() + v.size();
  }
  return total;
}

}  // namespace

std::optional<std::string> checkParticipantUpdate(const common::RoomDefaults& limits,
                                                  const livekit::ParticipantInfo& info, const std::string& name,
                                                  const std::string& metadata,
                                                  const google::protobuf::Map<std::string, std::string>& attributes) {
  if (limits.maxParticipantNameBytes && name.size() > limits.maxParticipantNameBytes) {
    return exceeds("name length", name.size(), limits.maxParticipantNameBytes);
  }
  if (limits.maxMetadataBytes && metadata.size() > limits.maxMetadataBytes) {
    return exceeds("metadata size", metadata.size(), limits.maxMetadataBytes);
  }
  if (limits.maxAttributesBytes && !attributes.empty()) {
    const size_t merged = mergedAttributesBytes(info, attributes);
    if (merged > limits.maxAttributesBytes) return exceeds("attributes size", merged, limits.maxAttributesBytes);
  }
  return std::nullopt;
}

}  // namespace convox::sfu
