#include "field_limits.hpp"

namespace convox::dispatcher {

namespace {

std::string tooLong(const char* field, size_t size, size_t limit) {
  return std::string(field) + " is " + std::to_string(size) + " bytes, more than the limit of " + std::to_string(limit);
}

size_t attributesBytes(const google::protobuf::Map<std::string, std::string>& attributes) {
  size_t total = 0;
  for (const auto& [key, value] : attributes) total += key.size() + value.size();
  return total;
}

}  // namespace

std::string checkRegistration(const livekit::RegisterWorkerRequest& r) {
  if (r.agent_name().size() > kMaxWorkerFieldBytes) {
    return tooLong("agent_name", r.agent_name().size(), kMaxWorkerFieldBytes);
  }
  if (r.version().size() > kMaxWorkerFieldBytes) return tooLong("version", r.version().size(), kMaxWorkerFieldBytes);
  if (r.namespace_().size() > kMaxWorkerFieldBytes) {
    return tooLong("namespace", r.namespace_().size(), kMaxWorkerFieldBytes);
  }
  return {};
}

std::string checkAgentParticipant(const livekit::AvailabilityResponse& r) {
  if (r.participant_identity().size() > kMaxParticipantIdentityBytes) {
    return tooLong("participant_identity", r.participant_identity().size(), kMaxParticipantIdentityBytes);
  }
  if (r.participant_name().size() > kMaxParticipantNameBytes) {
    return tooLong("participant_name", r.participant_name().size(), kMaxParticipantNameBytes);
  }
  if (r.participant_metadata().size() > kMaxParticipantMetadataBytes) {
    return tooLong("participant_metadata", r.participant_metadata().size(), kMaxParticipantMetadataBytes);
  }
  if (const auto size = attributesBytes(r.participant_attributes()); size > kMaxParticipantAttributesBytes) {
    return tooLong("participant_attributes", size, kMaxParticipantAttributesBytes);
  }
  return {};
}

std::string checkDispatch(const livekit::CreateAgentDispatchRequest& r) {
  if (r.agent_name().size() > kMaxWorkerFieldBytes) {
    return tooLong("agent_name", r.agent_name().size(), kMaxWorkerFieldBytes);
  }
  if (r.metadata().size() > kMaxDispatchMetadataBytes) {
    return tooLong("metadata", r.metadata().size(), kMaxDispatchMetadataBytes);
  }
  if (const auto size = attributesBytes(r.attributes()); size > kMaxDispatchAttributesBytes) {
    return tooLong("attributes", size, kMaxDispatchAttributesBytes);
  }
  return {};
}

}  // namespace convox::dispatcher
